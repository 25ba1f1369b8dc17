"""The server half of Cognito's SRP-6a variant.

Cognito's SRP is not textbook SRP-6a: every value is hashed in the SDK's
"padHex" form, the session key goes through an HKDF labelled "Caldera
Derived Key", and the client proves knowledge of it with an HMAC over the
pool name, the user id, an opaque SECRET_BLOCK and a TIMESTAMP string.
The mock does the server side for real so that a wrong password fails the
same way it fails against Cognito: the claim signature does not verify.

Only the salt and the verifier v = g^x mod N are kept; the password is used
once, at user creation, and then dropped.
"""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

# RFC 5054 / RFC 3526 3072-bit group, the one amazon-cognito-identity-js uses.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
HKDF_INFO = b"Caldera Derived Key\x01"


def pad_hex(n):
    """The SDK's padHex(): minimal big-endian bytes of a non-negative
    integer, with one 00 byte added when the top bit is set (so the value
    reads as positive in two's complement). Everything hashed goes
    through this, which is why lengths vary (a short u, a short S)."""
    if n < 0:
        raise ValueError("pad_hex of a negative number")
    h = format(n, "x")
    if len(h) % 2:
        h = "0" + h
    raw = bytes.fromhex(h)
    if raw[0] & 0x80:
        raw = b"\x00" + raw
    return raw


def _h(data):
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


# k = H(padHex(N) || padHex(g)); g = 2 pads to the single byte 02.
K = _h(pad_hex(N) + pad_hex(G))


def pool_name_of(pool_id):
    """The SRP "pool name" is the part of the pool id after the '_'."""
    return pool_id.split("_", 1)[1] if "_" in pool_id else pool_id


def compute_x(pool_name, user_id, password, salt):
    """x = H(padHex(salt) || H(poolName || userId || ":" || password))."""
    inner = hashlib.sha256(
        (pool_name + user_id + ":" + password).encode("utf-8")
    ).digest()
    return _h(pad_hex(salt) + inner)


def compute_verifier(pool_name, user_id, password, salt):
    """v = g^x mod N: all the server ever needs to know of a password."""
    return pow(G, compute_x(pool_name, user_id, password, salt), N)


def new_salt():
    """A random 128-bit salt as an integer. Sent on the wire as unpadded
    hex, so like real Cognito salts it is sometimes odd-length."""
    return secrets.randbits(128) or 1


def salt_to_wire(salt):
    return format(salt, "x")


def compute_u(big_a, big_b):
    return _h(pad_hex(big_a) + pad_hex(big_b))


def derive_key(u, s):
    """HKDF-SHA256 with salt padHex(u), IKM padHex(S), info "Caldera
    Derived Key"; the first 16 bytes of the first block are the key."""
    prk = hmac.new(pad_hex(u), pad_hex(s), hashlib.sha256).digest()
    return hmac.new(prk, HKDF_INFO, hashlib.sha256).digest()[:16]


def claim_message(pool_name, user_id, secret_block, timestamp):
    return (
        pool_name.encode("utf-8")
        + user_id.encode("utf-8")
        + secret_block
        + timestamp.encode("utf-8")
    )


class SrpError(ValueError):
    """The client's SRP input cannot be used (A = 0 mod N, bad hex)."""


def parse_hex_int(text, what):
    if not isinstance(text, str) or not re.fullmatch(r"[0-9a-fA-F]+", text):
        raise SrpError(what + " is not a hex number")
    return int(text, 16)


class ServerSrp:
    """One PASSWORD_VERIFIER exchange as the server sees it.

    Built from the client's A and the user's stored salt and verifier;
    holds the ephemeral b until the client's claim arrives. `b` may be
    given to replay a known-answer vector; otherwise it is random.
    """

    def __init__(self, pool_name, user_id, salt, verifier, big_a, b=None):
        if big_a % N == 0:
            # A = 0 mod N would make S = 0 whatever the password is.
            raise SrpError("SRP_A mod N is zero")
        self.pool_name = pool_name
        self.user_id = user_id
        self.salt = salt
        self.verifier = verifier
        self.big_a = big_a
        while True:
            self.b = b if b is not None else secrets.randbits(1024)
            self.big_b = (K * verifier + pow(G, self.b, N)) % N
            if self.big_b != 0 or b is not None:
                break
        self.u = compute_u(big_a, self.big_b)
        if self.u == 0:
            raise SrpError("u is zero")
        self._key = None

    @property
    def srp_b_wire(self):
        return format(self.big_b, "x")

    def premaster(self):
        """S = (A * v^u)^b mod N, the same S the client reaches as
        (B - k*g^x)^(a + u*x)."""
        return pow(self.big_a * pow(self.verifier, self.u, N) % N, self.b, N)

    def key(self):
        if self._key is None:
            self._key = derive_key(self.u, self.premaster())
        return self._key

    def expected_signature(self, secret_block, timestamp):
        """The PASSWORD_CLAIM_SIGNATURE a client that knows the password
        sends, as raw bytes."""
        msg = claim_message(self.pool_name, self.user_id, secret_block, timestamp)
        return hmac.new(self.key(), msg, hashlib.sha256).digest()

    def check_claim(self, secret_block, timestamp, signature_b64):
        try:
            given = base64.b64decode(signature_b64, validate=True)
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(
            given, self.expected_signature(secret_block, timestamp)
        )


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMESTAMP_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12][0-9]|3[01]) "
    r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]) UTC ([0-9]{4})"
)


def format_timestamp(epoch):
    """The SDK's DateHelper.getNowString(): English names, the day not
    zero-padded, always UTC."""
    t = datetime.fromtimestamp(int(epoch), timezone.utc)
    return "%s %s %d %02d:%02d:%02d UTC %d" % (
        _WEEKDAYS[t.weekday()], _MONTHS[t.month - 1], t.day,
        t.hour, t.minute, t.second, t.year,
    )


def parse_timestamp(text):
    """Epoch seconds of a TIMESTAMP, or None when it is not exactly in
    the SDK's format (zero-padded day, wrong weekday, impossible date)."""
    if not isinstance(text, str):
        return None
    m = _TIMESTAMP_RE.fullmatch(text)
    if not m:
        return None
    wday, mon, day, hh, mm, ss, year = m.groups()
    try:
        t = datetime(int(year), _MONTHS.index(mon) + 1, int(day),
                     int(hh), int(mm), int(ss), tzinfo=timezone.utc)
    except ValueError:
        return None
    if _WEEKDAYS[t.weekday()] != wday:
        return None
    return int(t.timestamp())
