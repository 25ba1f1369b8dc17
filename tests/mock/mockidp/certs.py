"""A throw-away CA and a server certificate for 127.0.0.1, made with the
`openssl` CLI.

The client under test keeps TLS verification on (a house rule), so the
mock must present a certificate that really chains to a CA the client is
told about (`ca_file`) and really names the address it dials: SAN
IP:127.0.0.1 and DNS:localhost. P-256 keys make this take milliseconds.
"""

import os
import secrets
import subprocess
import tempfile

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
SERVER_CERT = "server.pem"
SERVER_KEY = "server.key"


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _ec_key(path):
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", path)


def ensure_certs(directory):
    """Paths (ca, cert, key) in directory, made when any is missing.

    Everything is written under temporary names and renamed at the end,
    so a start that is killed half-way never leaves a CA that does not
    match the server certificate.
    """
    ca = os.path.join(directory, CA_CERT)
    cert = os.path.join(directory, SERVER_CERT)
    key = os.path.join(directory, SERVER_KEY)
    ca_key = os.path.join(directory, CA_KEY)
    if all(os.path.exists(p) for p in (ca, cert, key, ca_key)):
        return ca, cert, key

    old_umask = os.umask(0o077)
    try:
        with tempfile.TemporaryDirectory(dir=directory, prefix=".certs.") as tmp:
            t_ca_key = os.path.join(tmp, CA_KEY)
            t_ca = os.path.join(tmp, CA_CERT)
            t_key = os.path.join(tmp, SERVER_KEY)
            t_csr = os.path.join(tmp, "server.csr")
            t_cert = os.path.join(tmp, SERVER_CERT)
            t_ext = os.path.join(tmp, "server.ext")

            _ec_key(t_ca_key)
            _openssl("req", "-x509", "-new", "-key", t_ca_key, "-out", t_ca,
                     "-days", "3650", "-sha256",
                     "-subj", "/O=pam_cognito tests/CN=mock Cognito test CA",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                     "-addext", "subjectKeyIdentifier=hash")

            _ec_key(t_key)
            _openssl("req", "-new", "-key", t_key, "-out", t_csr,
                     "-subj", "/O=pam_cognito tests/CN=localhost")
            with open(t_ext, "w", encoding="ascii") as f:
                f.write("basicConstraints=critical,CA:FALSE\n"
                        "keyUsage=critical,digitalSignature,keyEncipherment\n"
                        "extendedKeyUsage=serverAuth\n"
                        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        "authorityKeyIdentifier=keyid\n")
            _openssl("x509", "-req", "-in", t_csr, "-CA", t_ca, "-CAkey", t_ca_key,
                     "-set_serial", "0x" + secrets.token_hex(16)[1:],
                     "-days", "825", "-sha256", "-extfile", t_ext, "-out", t_cert)

            # The CA certificate is what clients read; it is not secret.
            os.chmod(t_ca, 0o644)
            os.chmod(t_cert, 0o644)
            for src, dst in ((t_ca_key, ca_key), (t_key, key), (t_cert, cert), (t_ca, ca)):
                os.replace(src, dst)
    finally:
        os.umask(old_umask)
    return ca, cert, key
