"""The identity pool (service AWSCognitoIdentityService, same port): an ID
token of the user pool becomes AWS credentials.

`GetId` {IdentityPoolId, Logins} -> {IdentityId}, and
`GetCredentialsForIdentity` {IdentityId, Logins} -> {IdentityId,
Credentials: {AccessKeyId "ASIA...", SecretKey, SessionToken, Expiration}}
with Expiration in epoch seconds as the real API sends it. Logins must map
`cognito-idp.<region>.amazonaws.com/<pool id>` to an ID token the pool
signed, for the pool's app client, unexpired: checked for real, as
Cognito's identity service does. The IdentityId of a user is stable
(derived from its sub). The credentials are fake but well-shaped, and
recorded (GET /_mock/identity) so tests can compare what a client shows.
"""

import secrets
import string
import uuid

from . import jwt as jwtlib
from .server import ApiError, control, operation

SERVICE = "AWSCognitoIdentityService"
# The default identity pool's UUID; its region is the user pool's.
DEFAULT_POOL_UUID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
_IDENTITY_NAMESPACE = uuid.UUID("5c1d7a40-9a7e-4b43-8d0c-3f2b1a6e9d10")


def identity_pool_id(pool):
    return pool.setting("identity_pool_id") or "%s:%s" % (pool.region, DEFAULT_POOL_UUID)


def _state(pool):
    """{"identities": {identity_id: username}, "issued": [...]}; under pool.lock."""
    return pool.ext.setdefault("identity", {"identities": {}, "issued": []})


def _provider(ctx):
    return "cognito-idp.%s.amazonaws.com/%s" % (ctx.pool.region, ctx.pool.pool_id)


def _login_user(ctx, body):
    """The user the Logins map proves, or NotAuthorizedException as the
    identity service words it."""
    logins = body.get("Logins")
    if not isinstance(logins, dict) or not logins:
        raise ApiError("NotAuthorizedException", "Unauthenticated access is not supported for "
                       "this identity pool.")
    token = logins.get(_provider(ctx))
    if not isinstance(token, str):
        raise ApiError("NotAuthorizedException", "Invalid login token. Issuer doesn't match "
                       "providerName")
    try:
        _, claims = jwtlib.decode(token, [ctx.idp.id_key])
    except jwtlib.JwtError:
        raise ApiError("NotAuthorizedException", "Invalid login token. Not a valid OpenId "
                       "Connect identity token.") from None
    if claims.get("iss") != ctx.idp.issuer:
        raise ApiError("NotAuthorizedException", "Invalid login token. Issuer doesn't match "
                       "providerName")
    if claims.get("token_use") != "id" or claims.get("aud") != ctx.pool.client_id:
        raise ApiError("NotAuthorizedException", "Invalid login token. Incorrect token audience.")
    now = int(ctx.now())
    if now >= claims.get("exp", 0):
        raise ApiError("NotAuthorizedException",
                       "Invalid login token. Token expired: %d >= %s" % (now, claims.get("exp")))
    user = ctx.pool.get_user(claims.get("cognito:username", ""))
    if user is None or user.sub != claims.get("sub") or not user.enabled:
        raise ApiError("NotAuthorizedException", "Invalid login token.")
    return user


def _identity_id(ctx, user):
    return "%s:%s" % (ctx.pool.region, uuid.uuid5(_IDENTITY_NAMESPACE, user.sub))


@operation("GetId", service=SERVICE)
def get_id(ctx, body):
    pool_id = body.get("IdentityPoolId")
    if not isinstance(pool_id, str) or not pool_id:
        raise ApiError("InvalidParameterException", "Missing required parameter IdentityPoolId")
    if pool_id != identity_pool_id(ctx.pool):
        raise ApiError("ResourceNotFoundException", "IdentityPool '%s' not found." % pool_id)
    user = _login_user(ctx, body)
    identity = _identity_id(ctx, user)
    with ctx.pool.lock:
        _state(ctx.pool)["identities"][identity] = user.username
    return {"IdentityId": identity}


def _fake(prefix, n, alphabet):
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


@operation("GetCredentialsForIdentity", service=SERVICE)
def get_credentials_for_identity(ctx, body):
    identity = body.get("IdentityId")
    if not isinstance(identity, str) or not identity:
        raise ApiError("InvalidParameterException", "Missing required parameter IdentityId")
    with ctx.pool.lock:
        owner = _state(ctx.pool)["identities"].get(identity)
    if owner is None:
        raise ApiError("ResourceNotFoundException", "Identity '%s' not found." % identity)
    user = _login_user(ctx, body)
    if user.username != owner:
        raise ApiError("NotAuthorizedException", "Logins don't match. Please include at least one "
                       "valid login for this identity or identity pool.")
    b64 = string.ascii_letters + string.digits + "+/"
    expiration = int(ctx.now()) + ctx.pool.setting("identity_credentials_ttl")
    creds = {
        "AccessKeyId": _fake("ASIA", 16, string.ascii_uppercase + string.digits),
        "SecretKey": _fake("", 40, b64),
        "SessionToken": _fake("IQoJb3JpZ2luX2Vj", 600, b64) + "==",
        "Expiration": float(expiration),
    }
    with ctx.pool.lock:
        _state(ctx.pool)["issued"].append({
            "identity_id": identity, "username": user.username,
            "access_key_id": creds["AccessKeyId"], "expiration": expiration,
            "time": ctx.now()})
    return {"IdentityId": identity, "Credentials": creds}


@control("GET", r"/_mock/identity")
def _ctl_identity(idp, m, body):
    """The identity pool id, the identities made, and the credentials
    issued (access key ids only)."""
    with idp.pool.lock:
        st = _state(idp.pool)
        return 200, {"identity_pool_id": identity_pool_id(idp.pool),
                     "identities": dict(st["identities"]),
                     "issued": [dict(i) for i in st["issued"]]}
