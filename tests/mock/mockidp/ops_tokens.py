"""The end of a sign-in's tokens: RevokeToken and GlobalSignOut.

RevokeToken takes a refresh token (and the app client's ClientSecret when
it has one) and revokes it with the access and ID tokens its sign-in
issued: every token shares the sign-in's `origin_jti`, which
`tokens.user_from_access_token` then refuses. A later REFRESH_TOKEN_AUTH
with it is `NotAuthorizedException` "Refresh Token has been revoked".
GlobalSignOut takes an access token and does the same to every sign-in of
its user.
"""

import hmac

from . import tokens
from .ops_auth import check_client
from .server import ApiError, control, operation


@operation("RevokeToken")
def revoke_token(ctx, body):
    token = body.get("Token")
    if not isinstance(token, str) or not token:
        raise ApiError("InvalidParameterException", "Missing required parameter Token")
    client_id = check_client(ctx, body.get("ClientId"))
    secret = ctx.pool.client_secret
    if secret:
        given = body.get("ClientSecret")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), secret.encode()):
            raise ApiError("NotAuthorizedException", "Client is configured with secret but "
                           "ClientSecret was not received or is wrong")
    if not ctx.pool.setting("token_revocation"):
        raise ApiError("UnsupportedOperationException",
                       "Token revocation is not enabled for this app client")
    rec = ctx.pool.refresh_token(token)
    # Cognito answers an access or ID token with this; a refresh token of
    # another client is refused as not the caller's.
    if rec is None:
        raise ApiError("UnsupportedTokenTypeException", "Unsupported token type")
    if rec["client_id"] != client_id:
        raise ApiError("UnauthorizedException", "Token is not issued to this client")
    ctx.pool.revoke_refresh_tokens(token=token)
    return {}


@operation("GlobalSignOut")
def global_sign_out(ctx, body):
    token = body.get("AccessToken")
    if not isinstance(token, str) or not token:
        raise ApiError("InvalidParameterException", "Missing required parameter AccessToken")
    user, _ = tokens.user_from_access_token(ctx, token)
    ctx.pool.revoke_refresh_tokens(username=user.username)
    return {}


@control("GET", r"/_mock/tokens")
def _ctl_tokens(idp, m, body):
    """The refresh tokens issued, as records (never the tokens): whose,
    which client, which device, revoked or not."""
    records = idp.pool.refresh_tokens()
    return 200, {"refresh_tokens": records,
                 "issued": len(records),
                 "revoked": sum(1 for r in records if r["revoked"])}
