"""ID tokens that must not be accepted, for tests of a client's checks.

The pool setting `token_fault` names one of TOKEN_FAULTS; while it is
set, every sign-in returns an ID token spoilt that way (the access token
stays good, so only the ID token check can catch it).
"""

from . import jwt as jwtlib
from .pool import SETTING_CHOICES


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


TOKEN_FAULTS = {
    "bad_signature": _bad_signature,
    "alg_none": _alg_none,
    "unknown_kid": _unknown_kid,
    "wrong_aud": _claim("aud", lambda idp, c: "other" + c["aud"]),
    "wrong_issuer": _claim("iss", lambda idp, c: c["iss"] + "x"),
    "wrong_token_use": _claim("token_use", "access"),
    "expired": _expired,
}
SETTING_CHOICES["token_fault"] = ("",) + tuple(sorted(TOKEN_FAULTS))


def id_token(idp, claims, fault):
    """The ID token for claims: good, or spoilt as `fault` says."""
    if not fault:
        return jwtlib.encode(claims, idp.id_key)
    return TOKEN_FAULTS[fault](idp, claims)
