"""ID tokens and JWKS documents that must not be accepted, for tests of a
client's checks.

The pool setting `token_fault` names one of TOKEN_FAULTS; while it is
set, every sign-in returns an ID token spoilt that way (the access token
stays good, so only the ID token check can catch it). The fault kind
`token` does the same for one request of any operation: its answer is
replaced by a finished sign-in whose ID token is spoilt (`spoil`), so a
server that skips the remaining challenges and hands out a forged token
can be played at any step. The `jwks_*` kinds spoil the JWKS document.
"""

from . import jwt as jwtlib
from .pool import SETTING_CHOICES
from .server import fault_kind


def _bad_signature(idp, claims):
    # The ID key's kid, signed by another key (the access token's): a
    # client that checks only that the kid exists would accept it.
    return jwtlib.encode(claims, idp.access_key, kid=idp.id_key.kid)


def _alg_none(idp, claims):
    return jwtlib.encode(claims, idp.id_key, alg="none")


def _unknown_kid(idp, claims):
    return jwtlib.encode(claims, idp.id_key, kid="unknown" + idp.id_key.kid[7:])


def _claim(name, value):
    def spoil(idp, claims):
        claims = dict(claims)
        claims[name] = value(idp, claims) if callable(value) else value
        return jwtlib.encode(claims, idp.id_key)
    return spoil


def _expired(idp, claims):
    claims = dict(claims)
    # Well past any skew a client may allow.
    claims["exp"] = claims["iat"] - 3600
    claims["iat"] -= 7200
    claims["auth_time"] = claims["iat"]
    return jwtlib.encode(claims, idp.id_key)


def _hs256_public_key(idp, claims):
    # Algorithm confusion: HMAC keyed with the public key everyone can
    # fetch; a verifier that lets the token pick the algorithm accepts it.
    return jwtlib.encode(claims, idp.id_key, alg="HS256")


def _iat_future(idp, claims):
    claims = dict(claims)
    claims["iat"] += 3600
    claims["auth_time"] = claims["iat"]
    claims["exp"] = claims["iat"] + 3600
    return jwtlib.encode(claims, idp.id_key)


TOKEN_FAULTS = {
    "bad_signature": _bad_signature,
    "alg_none": _alg_none,
    "unknown_kid": _unknown_kid,
    "wrong_aud": _claim("aud", lambda idp, c: "other" + c["aud"]),
    "wrong_issuer": _claim("iss", lambda idp, c: c["iss"] + "x"),
    "wrong_token_use": _claim("token_use", "access"),
    "expired": _expired,
    "hs256_public_key": _hs256_public_key,
    "iat_future": _iat_future,
}
SETTING_CHOICES["token_fault"] = ("",) + tuple(sorted(TOKEN_FAULTS))


def id_token(idp, claims, fault):
    """The ID token for claims: good, or spoilt as `fault` says."""
    if not fault:
        return jwtlib.encode(claims, idp.id_key)
    return TOKEN_FAULTS[fault](idp, claims)


# -- fault kinds ----------------------------------------------------------------

def _check_spoil(idp, spec):
    if spec.get("spoil", "bad_signature") not in TOKEN_FAULTS:
        raise ValueError("fault.spoil must be one of " + ", ".join(sorted(TOKEN_FAULTS)))


@fault_kind("token", prepare=_check_spoil)
def _fault_token(handler, spec):
    """Answers with a finished sign-in of the request's user (the one the
    fault filter saw) whose ID token is spoilt as `spoil` says."""
    from . import tokens  # tokens imports this module
    spoil = spec.get("spoil", "bad_signature")
    idp = handler.idp
    body = handler.last_body if isinstance(getattr(handler, "last_body", None), dict) else {}
    user = idp.pool.get_user(idp.request_user(body) or "")
    if user is None:
        handler.send_api_error(tokens.ApiError("UserNotFoundException", "User does not exist."))
        return True
    result = tokens.authentication_result_for(idp, user, idp.pool.client_id, idp.pool.clock.now(),
                                              spoil)
    handler.send_json(200, {"AuthenticationResult": result, "ChallengeParameters": {}})
    return True


def _jwks_filter(change):
    def kind(handler, spec):
        def send(handler, status, obj):
            handler.send_json(status, change(handler.idp, obj))
        return send
    return kind


def _without_id_key(idp, doc):
    return {"keys": [k for k in doc.get("keys", []) if k.get("kid") != idp.id_key.kid]}


def _keys_swapped(idp, doc):
    """Each kid with the other key's modulus: the kid the ID token names
    is there, the key under it is not the one that signed."""
    keys = [dict(k) for k in doc.get("keys", [])]
    if len(keys) >= 2:
        keys[0]["n"], keys[1]["n"] = keys[1]["n"], keys[0]["n"]
    return {"keys": keys}


def _without_kids(idp, doc):
    return {"keys": [{k: v for k, v in key.items() if k != "kid"} for key in doc.get("keys", [])]}


fault_kind("jwks_without_kid")(_jwks_filter(_without_id_key))
fault_kind("jwks_other_key")(_jwks_filter(_keys_swapped))
fault_kind("jwks_no_kids")(_jwks_filter(_without_kids))
