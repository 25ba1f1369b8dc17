"""The tokens a successful sign-in returns, shaped like Cognito's.

ID and access tokens are RS256 JWTs signed with two different keys, as
Cognito does (its JWKS has two entries), so a client that ignores `kid`
fails here as it would there. The refresh token is opaque to clients; it
is given the five-part JWE shape Cognito's has, so length and character
assumptions get exercised.
"""

import json
import secrets
import uuid

from . import badtokens
from . import jwt as jwtlib
from .server import ApiError

# Attributes Cognito puts in the ID token as JSON booleans / numbers
# rather than strings.
_BOOL_ATTRIBUTES = {"email_verified", "phone_number_verified"}
_NUMBER_ATTRIBUTES = {"updated_at"}

_REFRESH_HEADER = jwtlib.b64url(json.dumps(
    {"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}, separators=(",", ":")).encode())


def _attribute_claim(name, value):
    if name in _BOOL_ATTRIBUTES:
        return value.lower() == "true"
    if name in _NUMBER_ATTRIBUTES and value.isdigit():
        return int(value)
    return value


def id_token_claims(idp, user, client_id, now, auth_time, origin_jti, event_id, ttl):
    claims = {"sub": user.sub}
    if user.groups:
        claims["cognito:groups"] = list(user.groups)
    if "email_verified" in user.attributes:
        claims["email_verified"] = _attribute_claim("email_verified", user.attributes["email_verified"])
    claims.update({
        "iss": idp.issuer,
        "cognito:username": user.username,
        "origin_jti": origin_jti,
        "aud": client_id,
        "event_id": event_id,
        "token_use": "id",
        "auth_time": int(auth_time),
        "exp": int(now) + ttl,
        "iat": int(now),
        "jti": str(uuid.uuid4()),
    })
    for name, value in user.attributes.items():
        if name not in claims:
            claims[name] = _attribute_claim(name, value)
    return claims


def access_token_claims(idp, user, client_id, now, auth_time, origin_jti, event_id, ttl):
    claims = {"sub": user.sub}
    if user.groups:
        claims["cognito:groups"] = list(user.groups)
    claims.update({
        "iss": idp.issuer,
        "client_id": client_id,
        "origin_jti": origin_jti,
        "event_id": event_id,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": int(auth_time),
        "exp": int(now) + ttl,
        "iat": int(now),
        "jti": str(uuid.uuid4()),
        "username": user.username,
    })
    return claims


def new_refresh_token():
    parts = [_REFRESH_HEADER] + [jwtlib.b64url(secrets.token_bytes(n)) for n in (256, 12, 1200, 16)]
    return ".".join(parts)


def authentication_result(ctx, user, client_id, auth_time, with_refresh=True, origin_jti=None):
    """The AuthenticationResult object of a finished sign-in (or, with
    the sign-in's origin_jti and no refresh token, of a refresh)."""
    return authentication_result_for(ctx.idp, user, client_id, auth_time,
                                     ctx.pool.setting("token_fault"), with_refresh, origin_jti)


def authentication_result_for(idp, user, client_id, auth_time, token_fault, with_refresh=True,
                              origin_jti=None):
    """The same with the ID token spoilt as token_fault says ("" = good)."""
    pool = idp.pool
    now = pool.clock.now()
    ttl = pool.setting("token_ttl")
    origin_jti, event_id = origin_jti or str(uuid.uuid4()), str(uuid.uuid4())
    with pool.lock:
        id_claims = id_token_claims(idp, user, client_id, now, auth_time, origin_jti, event_id, ttl)
        access_claims = access_token_claims(idp, user, client_id, now, auth_time, origin_jti, event_id, ttl)
    result = {
        "AccessToken": jwtlib.encode(access_claims, idp.access_key),
        "ExpiresIn": ttl,
        "IdToken": badtokens.id_token(idp, id_claims, token_fault),
        "TokenType": "Bearer",
    }
    if with_refresh:
        token = new_refresh_token()
        pool.add_refresh_token(token, user.username, client_id, origin_jti=origin_jti)
        result["RefreshToken"] = token
    # Cognito's key order: AccessToken, ExpiresIn, IdToken, RefreshToken, TokenType.
    return {k: result[k] for k in ("AccessToken", "ExpiresIn", "IdToken", "RefreshToken", "TokenType")
            if k in result}


def user_from_access_token(ctx, token):
    """The user an AccessToken belongs to, checked the way Cognito checks
    it for GetUser and friends; NotAuthorizedException otherwise."""
    try:
        _, claims = jwtlib.decode(token, [ctx.idp.access_key])
    except jwtlib.JwtError:
        raise ApiError("NotAuthorizedException", "Invalid Access Token") from None
    if claims.get("token_use") != "access" or claims.get("iss") != ctx.idp.issuer:
        raise ApiError("NotAuthorizedException", "Invalid Access Token")
    if ctx.now() >= claims.get("exp", 0):
        raise ApiError("NotAuthorizedException", "Access Token has expired")
    # RevokeToken and GlobalSignOut end the sign-ins they revoke, access
    # tokens included.
    if claims.get("origin_jti") in ctx.pool.revoked_origins():
        raise ApiError("NotAuthorizedException", "Access Token has been revoked")
    user = ctx.pool.get_user(claims.get("username", ""))
    if user is None or user.sub != claims.get("sub"):
        raise ApiError("NotAuthorizedException", "Invalid Access Token")
    if not user.enabled:
        raise ApiError("NotAuthorizedException", "User is disabled.")
    return user, claims
