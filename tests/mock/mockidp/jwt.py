"""RS256 JSON Web Tokens and the JWKS document, in pure Python.

The key pair is made by the `openssl` CLI (prime generation in Python
would make the first start slow) and read back here from its PEM with a
small DER reader; signing is PKCS#1 v1.5 with SHA-256 done with `pow()`
and the CRT. Nothing here is constant-time: it is a test server.
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess

# DER of DigestInfo{sha256} up to the 32-byte digest (RFC 8017, 9.2 note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def _int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8 or 1, "big")


# 1.2.840.113549.1.1.1
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")


def _der(tag, value):
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + value


def _der_int(n):
    raw = _int_bytes(n)
    if raw[0] & 0x80:
        raw = b"\x00" + raw
    return _der(0x02, raw)


class DerError(ValueError):
    pass


def _der_read(data, pos):
    """One TLV at pos: (tag, value bytes, next pos)."""
    if pos + 2 > len(data):
        raise DerError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        nbytes = length & 0x7F
        if nbytes == 0 or nbytes > 4 or pos + nbytes > len(data):
            raise DerError("bad DER length")
        length = int.from_bytes(data[pos:pos + nbytes], "big")
        pos += nbytes
    if pos + length > len(data):
        raise DerError("truncated DER value")
    return tag, data[pos:pos + length], pos + length


def _der_sequence(data):
    """The elements of a SEQUENCE as (tag, value) pairs."""
    tag, body, _ = _der_read(data, 0)
    if tag != 0x30:
        raise DerError("not a SEQUENCE")
    items, pos = [], 0
    while pos < len(body):
        t, v, pos = _der_read(body, pos)
        items.append((t, v))
    return items


def _pem_body(text):
    lines = [ln.strip() for ln in text.splitlines()]
    begin = next(i for i, ln in enumerate(lines) if ln.startswith("-----BEGIN"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("-----END"))
    return lines[begin], base64.b64decode("".join(lines[begin + 1:end]))


class RsaKey:
    """An RSA private key with what a JWT issuer needs from it."""

    def __init__(self, n, e, d, p, q):
        self.n, self.e, self.d, self.p, self.q = n, e, d, p, q
        self.dp = d % (p - 1)
        self.dq = d % (q - 1)
        self.qinv = pow(q, -1, p)
        self.size = (n.bit_length() + 7) // 8
        # Cognito kids are standard base64 of 32 bytes ("...=" with '+' and
        # '/'), so clients meet those characters in the kid here too.
        self.kid = base64.b64encode(hashlib.sha256(_int_bytes(n)).digest()).decode()

    @classmethod
    def from_pem(cls, text):
        """Reads a PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY" PEM."""
        label, der = _pem_body(text)
        if "RSA PRIVATE KEY" not in label:
            items = _der_sequence(der)
            # PrivateKeyInfo: version, AlgorithmIdentifier, OCTET STRING.
            if len(items) < 3 or items[2][0] != 0x04:
                raise DerError("not a PKCS#8 private key")
            der = items[2][1]
        ints = [int.from_bytes(v, "big") for t, v in _der_sequence(der) if t == 0x02]
        if len(ints) < 6:
            raise DerError("not an RSA private key")
        _version, n, e, d, p, q = ints[:6]
        return cls(n, e, d, p, q)

    @classmethod
    def load_or_create(cls, path, bits=2048):
        """The key in path, made with openssl first if absent. Kept on
        disk so later starts in the same directory are fast."""
        if not os.path.exists(path):
            generate_rsa_pem(path, bits)
        with open(path, encoding="ascii") as f:
            return cls.from_pem(f.read())

    def _encode_pkcs1(self, message):
        digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        pad = self.size - len(digest_info) - 3
        return b"\x00\x01" + b"\xff" * pad + b"\x00" + digest_info

    def sign(self, message):
        """RSASSA-PKCS1-v1_5 with SHA-256, via the CRT."""
        m = int.from_bytes(self._encode_pkcs1(message), "big")
        s1 = pow(m, self.dp, self.p)
        s2 = pow(m, self.dq, self.q)
        h = (self.qinv * (s1 - s2)) % self.p
        s = s2 + h * self.q
        return s.to_bytes(self.size, "big")

    def verify(self, message, signature):
        """Checks our own signatures (GetUser and friends take tokens)."""
        if len(signature) != self.size:
            return False
        m = pow(int.from_bytes(signature, "big"), self.e, self.n)
        return m.to_bytes(self.size, "big") == self._encode_pkcs1(message)

    def public_pem(self):
        """The public key as a PEM SubjectPublicKeyInfo, the text an HS256
        forger feeds a verifier that takes "the key" for any algorithm."""
        rsa = _der(0x30, _der_int(self.n) + _der_int(self.e))
        algorithm = _der(0x30, _der(0x06, _RSA_ENCRYPTION_OID) + _der(0x05, b""))
        spki = _der(0x30, algorithm + _der(0x03, b"\x00" + rsa))
        text = base64.b64encode(spki).decode("ascii")
        lines = [text[i:i + 64] for i in range(0, len(text), 64)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"

    def jwk(self):
        return {
            "alg": "RS256",
            "e": b64url(_int_bytes(self.e)),
            "kid": self.kid,
            "kty": "RSA",
            "n": b64url(_int_bytes(self.n)),
            "use": "sig",
        }


def generate_rsa_pem(path, bits=2048):
    """openssl writes the key to a temp name first so a reader never sees
    a half-written key, and with mode 0600 as befits a private key."""
    tmp = "%s.tmp%d" % (path, os.getpid())
    old = os.umask(0o077)
    try:
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA",
             "-pkeyopt", "rsa_keygen_bits:%d" % bits, "-out", tmp],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
    finally:
        os.umask(old)
    os.replace(tmp, path)


def _json_bytes(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode(claims, key, kid=None, alg="RS256"):
    """A compact RS256 JWS with Cognito's header shape {"kid", "alg"}.
    kid and alg change only the header (badtokens.py makes bad tokens
    with them): alg "none" gets an empty signature, "HS256" an HMAC keyed
    with the key's public PEM (the algorithm-confusion forgery)."""
    header = {"kid": kid or key.kid, "alg": alg}
    signing_input = (b64url(_json_bytes(header)) + "." + b64url(_json_bytes(claims))).encode("ascii")
    if alg == "none":
        signature = b""
    elif alg == "HS256":
        signature = hmac.new(key.public_pem().encode("ascii"), signing_input, hashlib.sha256).digest()
    else:
        signature = key.sign(signing_input)
    return signing_input.decode("ascii") + "." + b64url(signature)


class JwtError(ValueError):
    pass


def decode(token, keys):
    """Verifies the signature against keys (a list of RsaKey) and returns
    (header, claims). Checks no claims: callers decide what matters."""
    if not isinstance(token, str):
        raise JwtError("token is not a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError("not a JWS compact token")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except ValueError as exc:
        raise JwtError("undecodable token") from exc
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise JwtError("unexpected alg")
    key = next((k for k in keys if k.kid == header.get("kid")), None)
    if key is None:
        raise JwtError("unknown kid")
    if not key.verify((parts[0] + "." + parts[1]).encode("ascii"), sig):
        raise JwtError("bad signature")
    return header, claims


def jwks(keys):
    return {"keys": [k.jwk() for k in keys]}
