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
import threading

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


# Certificates a client must refuse, for the `tls` fault: one naming
# another host (signed by the test CA), one for 127.0.0.1 signed by a CA
# the client was not told about, one for 127.0.0.1 by the test CA that has
# expired, and one that signs itself.
BAD_CERTS = ("wrong_name", "wrong_ca", "expired", "self_signed")
_OTHER_CA = "other-ca"
_BAD_LOCK = threading.Lock()


def _sign(directory, tmp, name, san, ca, ca_key, days):
    key = os.path.join(tmp, name + ".key")
    csr = os.path.join(tmp, name + ".csr")
    cert = os.path.join(tmp, name + ".pem")
    ext = os.path.join(tmp, name + ".ext")
    _ec_key(key)
    _openssl("req", "-new", "-key", key, "-out", csr, "-subj", "/O=pam_cognito tests/CN=" + name)
    with open(ext, "w", encoding="ascii") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=%s\n" % san)
    if ca is None:
        signer = ["-signkey", key]
    else:
        signer = ["-CA", ca, "-CAkey", ca_key, "-set_serial", "0x" + secrets.token_hex(16)[1:]]
    # -days -1 makes a notAfter of yesterday: expired, whatever the clock.
    _openssl("x509", "-req", "-in", csr, *signer, "-days", str(days), "-sha256",
             "-extfile", ext, "-out", cert)
    return cert, key


def ensure_bad_cert(directory, variant):
    """(cert, key) paths of a BAD_CERTS certificate, made on first use."""
    if variant not in BAD_CERTS:
        raise ValueError("unknown certificate variant " + variant)
    with _BAD_LOCK:
        return _ensure_bad_cert(directory, variant)


def _ensure_bad_cert(directory, variant):
    cert = os.path.join(directory, "bad-%s.pem" % variant)
    key = os.path.join(directory, "bad-%s.key" % variant)
    if os.path.exists(cert) and os.path.exists(key):
        return cert, key
    ca, _, _ = ensure_certs(directory)
    ca_key = os.path.join(directory, CA_KEY)
    old_umask = os.umask(0o077)
    try:
        with tempfile.TemporaryDirectory(dir=directory, prefix=".bad.") as tmp:
            if variant == "wrong_name":
                made = _sign(directory, tmp, variant, "DNS:cognito-idp.example.com", ca, ca_key, 30)
            elif variant == "expired":
                made = _sign(directory, tmp, variant, "IP:127.0.0.1,DNS:localhost", ca, ca_key, -1)
            elif variant == "self_signed":
                made = _sign(directory, tmp, variant, "IP:127.0.0.1,DNS:localhost", None, None, 30)
            else:
                other_key = os.path.join(tmp, _OTHER_CA + ".key")
                other = os.path.join(tmp, _OTHER_CA + ".pem")
                _ec_key(other_key)
                _openssl("req", "-x509", "-new", "-key", other_key, "-out", other, "-days", "30",
                         "-sha256", "-subj", "/O=pam_cognito tests/CN=some other CA",
                         "-addext", "basicConstraints=critical,CA:TRUE",
                         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
                made = _sign(directory, tmp, variant, "IP:127.0.0.1,DNS:localhost", other,
                             other_key, 30)
            os.replace(made[1], key)
            os.replace(made[0], cert)
    finally:
        os.umask(old_umask)
    return cert, key
