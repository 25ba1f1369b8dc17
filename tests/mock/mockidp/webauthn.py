"""Passkeys: the mock as a WebAuthn relying party.

The WEB_AUTHN challenge (wired by ops_userauth.py) gets its
CREDENTIAL_REQUEST_OPTIONS from `assertion_options(pool, user)` and checks
the CREDENTIAL answer with `verify_assertion(pool, user, options,
credential)` the way a relying party does (WebAuthn level 2, section 7.2):
type webauthn.get, the challenge issued, an allowed origin, rpIdHash,
UP, UV when required, a sign count that grows, and the ES256 signature over
authenticatorData | SHA-256(clientDataJSON) with the registered key.

Enrolment: StartWebAuthnRegistration / CompleteWebAuthnRegistration
(attestation "none": the attestationObject's CBOR is decoded here, the
COSE key taken from the attested credential data), ListWebAuthnCredentials,
DeleteWebAuthnCredential; all take the user's AccessToken.

Test control: POST /_mock/webauthn/rp {"rp_id", "user_verification",
"origins": [...]} (default rp id "auth.mock.example", origins
["https://<rp_id>"]); POST /_mock/webauthn/options {"user"} issues options
as the challenge would; POST /_mock/webauthn/verify {"user", "credential"}
verifies against the last options issued to that user; GET
/_mock/webauthn/credentials/<user> lists the stored credentials; POST
/_mock/webauthn/softkey {"user", "path", "uv": true} makes a key pair here,
registers it as the user's passkey and writes the state file of
tests/softkey.c (0600) at path, so a PAM test logs in with it
($COGNITO_TEST_SOFTKEY) without an enrolment first.
"""

import base64
import hashlib
import json
import os
import secrets
import time
from urllib.parse import unquote

from . import tokens
from .server import ApiError, control, operation

DEFAULT_RP_ID = "auth.mock.example"
TIMEOUT_MS = 180000
FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40

# P-256 (SEC 2 / FIPS 186-4 D.1.2.3)
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
      0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    if not isinstance(text, str) or "=" in text or "+" in text or "/" in text:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---- P-256 ECDSA verification, integer arithmetic in affine coordinates ----

def on_curve(pt):
    x, y = pt
    return 0 <= x < _P and 0 <= y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % _P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + _A) * pow(2 * y1, -1, _P) % _P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, _P) % _P
    x3 = (lam * lam - x1 - x2) % _P
    return x3, (lam * (x1 - x3) - y1) % _P


def _mul(k, pt):
    acc = None
    while k:
        if k & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        k >>= 1
    return acc


def _der_sig(sig):
    """(r, s) of a DER ECDSA-Sig-Value; ValueError when malformed."""
    def integer(buf, i):
        if buf[i] != 0x02 or buf[i + 1] > 33 or buf[i + 1] == 0:
            raise ValueError("bad INTEGER")
        n = buf[i + 1]
        return int.from_bytes(buf[i + 2:i + 2 + n], "big"), i + 2 + n
    if len(sig) < 8 or sig[0] != 0x30 or sig[1] != len(sig) - 2:
        raise ValueError("bad SEQUENCE")
    r, i = integer(sig, 2)
    s, i = integer(sig, i)
    if i != len(sig):
        raise ValueError("trailing bytes")
    return r, s


def es256_verify(pub, message, der):
    """True when der is a valid ECDSA P-256 SHA-256 signature of message by
    pub = (x, y)."""
    try:
        r, s = _der_sig(der)
    except (ValueError, IndexError):
        return False
    if not on_curve(pub) or not (1 <= r < _N and 1 <= s < _N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, _N)
    pt = _add(_mul(e * w % _N, _G), _mul(r * w % _N, pub))
    return pt is not None and pt[0] % _N == r


# ---- a minimal CBOR decoder (RFC 8949): what attestation "none" holds ----

def cbor_decode(buf, i=0, depth=0):
    """(value, next offset); ValueError on anything malformed or exotic."""
    if depth > 8 or i >= len(buf):
        raise ValueError("CBOR too deep or short")
    mt, ai = buf[i] >> 5, buf[i] & 0x1F
    i += 1
    if ai < 24:
        arg = ai
    elif ai in (24, 25, 26, 27):
        n = 1 << (ai - 24)
        if i + n > len(buf):
            raise ValueError("CBOR short")
        arg = int.from_bytes(buf[i:i + n], "big")
        i += n
    else:
        raise ValueError("CBOR indefinite length")
    if mt == 0:
        return arg, i
    if mt == 1:
        return -1 - arg, i
    if mt in (2, 3):
        if i + arg > len(buf):
            raise ValueError("CBOR short string")
        data = bytes(buf[i:i + arg])
        return (data if mt == 2 else data.decode()), i + arg
    if mt == 4:
        out = []
        for _ in range(arg):
            v, i = cbor_decode(buf, i, depth + 1)
            out.append(v)
        return out, i
    if mt == 5:
        out = {}
        for _ in range(arg):
            k, i = cbor_decode(buf, i, depth + 1)
            v, i = cbor_decode(buf, i, depth + 1)
            out[k] = v
        return out, i
    if mt == 7 and ai in (20, 21, 22):
        return {20: False, 21: True, 22: None}[ai], i
    raise ValueError("CBOR type not supported")


# ---- relying-party state ----

def _state(pool):
    """Use under pool.lock."""
    return pool.ext.setdefault("webauthn", {
        "rp_id": DEFAULT_RP_ID, "uv": "preferred", "origins": None,
        "creds": {}, "pending_reg": {}, "last_options": {}})


def _name(user):
    return getattr(user, "username", user)


def _origins(st):
    return st["origins"] or ["https://" + st["rp_id"]]


def assertion_options(pool, user):
    """CREDENTIAL_REQUEST_OPTIONS for user: the dict Cognito sends as a JSON
    string (json.dumps it into the challenge parameter)."""
    with pool.lock:
        st = _state(pool)
        creds = st["creds"].get(_name(user), [])
        options = {
            "challenge": b64url(secrets.token_bytes(32)),
            "timeout": TIMEOUT_MS,
            "rpId": st["rp_id"],
            "allowCredentials": [{"type": "public-key", "id": c["id"]} for c in creds],
            "userVerification": st["uv"],
        }
        st["last_options"][_name(user)] = options
    return options


def _client_data(resp, kind, challenge, origins):
    raw = unb64url(resp.get("clientDataJSON"))
    cd = json.loads(raw)
    if cd.get("type") != kind:
        return None, "clientDataJSON type is not " + kind
    if cd.get("challenge") != challenge:
        return None, "challenge mismatch"
    if cd.get("origin") not in origins:
        return None, "origin %r not allowed" % cd.get("origin")
    if cd.get("crossOrigin") is True:
        return None, "cross-origin"
    return raw, None


def verify_assertion(pool, user, options, credential):
    """(ok, reason): checks credential (the CREDENTIAL answer, a dict) against
    options (as assertion_options returned them, dict or JSON text) as a
    relying party does; a good one advances the stored sign count."""
    if isinstance(options, str):
        options = json.loads(options)
    try:
        if not isinstance(credential, dict) or credential.get("type") != "public-key":
            return False, "credential type is not public-key"
        resp = credential.get("response") or {}
        cred_id = credential.get("id")
        if credential.get("rawId") != cred_id:
            return False, "id and rawId differ"
        with pool.lock:
            st = _state(pool)
            origins = _origins(st)
            rp_id = st["rp_id"]
            uv_required = options.get("userVerification") == "required"
            stored = next((c for c in st["creds"].get(_name(user), []) if c["id"] == cred_id),
                          None)
        if stored is None:
            return False, "credential not registered for this user"
        allowed = [c["id"] for c in options.get("allowCredentials", [])]
        if allowed and cred_id not in allowed:
            return False, "credential not in allowCredentials"
        raw_cd, why = _client_data(resp, "webauthn.get", options.get("challenge"), origins)
        if why:
            return False, why
        auth = unb64url(resp.get("authenticatorData"))
        sig = unb64url(resp.get("signature"))
        if resp.get("userHandle") is not None and unb64url(resp["userHandle"]) != \
                unb64url(stored["user_handle"]):
            return False, "userHandle is not the user's"
    except (ValueError, TypeError, AttributeError, KeyError):
        return False, "malformed credential"
    if len(auth) < 37 or auth[:32] != hashlib.sha256(rp_id.encode()).digest():
        return False, "rpIdHash mismatch"
    flags, count = auth[32], int.from_bytes(auth[33:37], "big")
    if not flags & FLAG_UP:
        return False, "user not present"
    if uv_required and not flags & FLAG_UV:
        return False, "user not verified"
    if not es256_verify((stored["x"], stored["y"]),
                        auth + hashlib.sha256(raw_cd).digest(), sig):
        return False, "bad signature"
    with pool.lock:
        if (count or stored["count"]) and count <= stored["count"]:
            return False, "sign count did not grow (cloned or replayed)"
        stored["count"] = count
        stored["last_used"] = time.time()
    return True, "ok"


# ---- registration APIs (AccessToken) ----

def _user(ctx, body):
    token = body.get("AccessToken")
    if not isinstance(token, str) or not token:
        raise ApiError("InvalidParameterException", "Missing required parameter AccessToken")
    return tokens.user_from_access_token(ctx, token)[0]


@operation("StartWebAuthnRegistration")
def start_registration(ctx, body):
    user = _user(ctx, body)
    with ctx.pool.lock:
        st = _state(ctx.pool)
        challenge = b64url(secrets.token_bytes(32))
        st["pending_reg"][user.username] = challenge
        options = {
            "challenge": challenge,
            "rp": {"id": st["rp_id"], "name": st["rp_id"]},
            "user": {"id": b64url(user.sub.encode()), "name": user.username,
                     "displayName": user.username},
            "pubKeyCredParams": [{"type": "public-key", "alg": -7},
                                 {"type": "public-key", "alg": -257}],
            "timeout": TIMEOUT_MS,
            "excludeCredentials": [{"type": "public-key", "id": c["id"]}
                                   for c in st["creds"].get(user.username, [])],
            "authenticatorSelection": {"requireResidentKey": True, "residentKey": "required",
                                       "userVerification": st["uv"]},
        }
    return {"CredentialCreationOptions": options}


def _attested_key(auth, rp_id):
    """(credential id, (x, y), flags, count) from registration authData."""
    if len(auth) < 55 or auth[:32] != hashlib.sha256(rp_id.encode()).digest():
        raise ApiError("WebAuthnRelyingPartyMismatchException", "rpIdHash mismatch")
    flags = auth[32]
    if not flags & FLAG_UP or not flags & FLAG_AT:
        raise ApiError("WebAuthnCredentialNotSupportedException", "no attested credential")
    n = int.from_bytes(auth[53:55], "big")
    cred_id = auth[55:55 + n]
    try:
        cose, _ = cbor_decode(auth, 55 + n)
    except ValueError:
        raise ApiError("WebAuthnCredentialNotSupportedException", "bad COSE key") from None
    if len(cred_id) != n or not isinstance(cose, dict) or cose.get(1) != 2 or \
            cose.get(3) != -7 or cose.get(-1) != 1:
        raise ApiError("WebAuthnCredentialNotSupportedException", "only ES256 P-256 keys")
    pub = (int.from_bytes(cose.get(-2, b""), "big"), int.from_bytes(cose.get(-3, b""), "big"))
    if not on_curve(pub):
        raise ApiError("WebAuthnCredentialNotSupportedException", "key not on P-256")
    return cred_id, pub, flags, int.from_bytes(auth[33:37], "big")


@operation("CompleteWebAuthnRegistration")
def complete_registration(ctx, body):
    user = _user(ctx, body)
    cred = body.get("Credential")
    with ctx.pool.lock:
        st = _state(ctx.pool)
        challenge = st["pending_reg"].pop(user.username, None)
        rp_id, origins, uv = st["rp_id"], _origins(st), st["uv"]
    if challenge is None:
        raise ApiError("WebAuthnChallengeNotFoundException", "No registration in progress")
    if not isinstance(cred, dict) or cred.get("type") != "public-key":
        raise ApiError("InvalidParameterException", "Credential is not a public-key credential")
    try:
        resp = cred.get("response") or {}
        _, why = _client_data(resp, "webauthn.create", challenge, origins)
        att, _ = cbor_decode(unb64url(resp.get("attestationObject")))
    except (ValueError, TypeError, AttributeError):
        raise ApiError("InvalidParameterException", "malformed Credential") from None
    if why:
        raise ApiError("WebAuthnOriginNotAllowedException" if "origin" in why
                       else "WebAuthnChallengeNotFoundException", why)
    if not isinstance(att, dict) or att.get("fmt") != "none" or att.get("attStmt") != {} or \
            not isinstance(att.get("authData"), bytes):
        raise ApiError("WebAuthnCredentialNotSupportedException", "attestation must be none")
    cred_id, pub, flags, count = _attested_key(att["authData"], rp_id)
    if uv == "required" and not flags & FLAG_UV:
        raise ApiError("WebAuthnCredentialNotSupportedException", "user not verified")
    if cred.get("id") != b64url(cred_id):
        raise ApiError("InvalidParameterException", "id is not the attested credential id")
    with ctx.pool.lock:
        mine = _state(ctx.pool)["creds"].setdefault(user.username, [])
        if any(c["id"] == cred.get("id") for c in mine):
            raise ApiError("WebAuthnCredentialNotSupportedException", "already registered")
        mine.append({"id": cred["id"], "x": pub[0], "y": pub[1], "count": count,
                     "user_handle": b64url(user.sub.encode()), "rp_id": rp_id,
                     "created": time.time(), "name": "Security key %d" % (len(mine) + 1),
                     "attachment": cred.get("authenticatorAttachment"),
                     "transports": list(resp.get("transports") or [])})
    return {}


@operation("ListWebAuthnCredentials")
def list_credentials(ctx, body):
    user = _user(ctx, body)
    with ctx.pool.lock:
        creds = list(_state(ctx.pool)["creds"].get(user.username, []))
    out = []
    for c in creds:
        item = {"CredentialId": c["id"], "FriendlyCredentialName": c["name"],
                "RelyingPartyId": c["rp_id"], "AuthenticatorTransports": c["transports"],
                "CreatedAt": c["created"]}
        if c["attachment"]:
            item["AuthenticatorAttachment"] = c["attachment"]
        out.append(item)
    return {"Credentials": out}


@operation("DeleteWebAuthnCredential")
def delete_credential(ctx, body):
    user = _user(ctx, body)
    cid = body.get("CredentialId")
    with ctx.pool.lock:
        mine = _state(ctx.pool)["creds"].get(user.username, [])
        keep = [c for c in mine if c["id"] != cid]
        if len(keep) == len(mine):
            raise ApiError("ResourceNotFoundException", "Credential not found.")
        mine[:] = keep
    return {}


# ---- test control ----

@control("POST", r"/_mock/webauthn/rp")
def _ctl_rp(idp, m, body):
    with idp.pool.lock:
        st = _state(idp.pool)
        if "rp_id" in body:
            st["rp_id"] = body["rp_id"]
        if "user_verification" in body:
            st["uv"] = body["user_verification"]
        if "origins" in body:
            st["origins"] = body["origins"]
        return 200, {"rp_id": st["rp_id"], "user_verification": st["uv"],
                     "origins": _origins(st)}


@control("POST", r"/_mock/webauthn/options")
def _ctl_options(idp, m, body):
    return 200, {"options": json.dumps(assertion_options(idp.pool, body.get("user", "")))}


@control("POST", r"/_mock/webauthn/verify")
def _ctl_verify(idp, m, body):
    user = body.get("user", "")
    with idp.pool.lock:
        options = _state(idp.pool)["last_options"].get(user)
    if options is None:
        return 200, {"ok": False, "reason": "no options issued"}
    cred = body.get("credential")
    try:
        cred = json.loads(cred) if isinstance(cred, str) else cred
    except ValueError:
        return 200, {"ok": False, "reason": "CREDENTIAL is not JSON"}
    ok, reason = verify_assertion(idp.pool, user, options, cred)
    return 200, {"ok": ok, "reason": reason}


@control("GET", r"/_mock/webauthn/credentials/(.+)")
def _ctl_creds(idp, m, body):
    with idp.pool.lock:
        creds = _state(idp.pool)["creds"].get(unquote(m.group(1)), [])
        return 200, {"credentials": [{"id": c["id"], "count": c["count"], "name": c["name"]}
                                     for c in creds]}


@control("POST", r"/_mock/webauthn/softkey")
def _ctl_softkey(idp, m, body):
    user = idp.pool.get_user(body.get("user", ""))
    path = body.get("path")
    if user is None or not isinstance(path, str) or not path.startswith("/"):
        return 400, {"error": "need an existing user and an absolute path"}
    d = secrets.randbelow(_N - 1) + 1
    x, y = _mul(d, _G)
    cred_id = b64url(secrets.token_bytes(32))
    with idp.pool.lock:
        st = _state(idp.pool)
        rp_id = st["rp_id"]
        mine = st["creds"].setdefault(user.username, [])
        mine.append({"id": cred_id, "x": x, "y": y, "count": 0,
                     "user_handle": b64url(user.sub.encode()), "rp_id": rp_id,
                     "created": time.time(), "name": "Security key %d" % (len(mine) + 1),
                     "attachment": "cross-platform", "transports": ["usb"]})
    state = {"d": "%064x" % d, "x": "%064x" % x, "y": "%064x" % y, "cred_id": cred_id,
             "user_handle": b64url(user.sub.encode()), "rp_id": rp_id, "count": 0,
             "uv": bool(body.get("uv", True))}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f)
    return 200, {"id": cred_id}
