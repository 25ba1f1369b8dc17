"""RFC 6238 time-based one-time passwords (SHA-1, 30 s, 6 digits), what
authenticator apps and Cognito's SOFTWARE_TOKEN_MFA use, on the mock's
clock so tests can pin or skew time."""

import base64
import hashlib
import hmac
import secrets
import struct

STEP = 30
DIGITS = 6


def new_secret():
    """A base32 secret like the SecretCode AssociateSoftwareToken returns."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret):
    text = secret.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code_at(secret, when):
    """The code for the 30-second step holding `when` (epoch seconds)."""
    counter = int(when // STEP)
    mac = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%0*d" % (DIGITS, value % 10 ** DIGITS)


def verify(secret, code, now, window=1):
    """True when code is the one for now, or for a step either side (the
    drift an authenticator app's clock may have)."""
    if not isinstance(code, str) or len(code) != DIGITS or not code.isdigit():
        return False
    return any(hmac.compare_digest(code_at(secret, now + i * STEP), code)
               for i in range(-window, window + 1))


def wrong_code(secret, now, window=1):
    """A code that verify() refuses now: for tests of wrong codes."""
    taken = {code_at(secret, now + i * STEP) for i in range(-window, window + 1)}
    n = int(code_at(secret, now))
    while "%0*d" % (DIGITS, n) in taken:
        n = (n + 1) % 10 ** DIGITS
    return "%0*d" % (DIGITS, n)
