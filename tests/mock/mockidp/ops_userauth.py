"""Cognito's choice-based sign-in (USER_AUTH) and what came with it.

- InitiateAuth USER_AUTH with USERNAME and an optional PREFERRED_CHALLENGE
  (PASSWORD_SRP with SRP_A, PASSWORD with PASSWORD, EMAIL_OTP, SMS_OTP,
  WEB_AUTHN). Without one, or when the preferred factor is not available
  to the user, the answer is SELECT_CHALLENGE with a top-level
  AvailableChallenges list; RespondToAuthChallenge SELECT_CHALLENGE takes
  ANSWER and that factor's parameters (SRP_A, PASSWORD).
- EMAIL_OTP / SMS_OTP as first factors (codes in the outbox, as MFA codes
  are: GET /_mock/codes/<user>, or GET /_mock/otp[/<user>] for the latest
  one-time code {"code", "channel", "user"}), answered with
  EMAIL_OTP_CODE / SMS_OTP_CODE; a first factor by code is not followed
  by MFA. An unknown user in a pool that hides existence gets a believable
  code challenge that no code passes.
- A user's "first_factors" field (a list) forces AvailableChallenges.
- WEB_AUTHN through webauthn.py (assertion_options / verify_assertion),
  imported lazily: without that module WEB_AUTHN is never available.
- GetTokensFromRefreshToken; with the setting refresh_token_rotation the
  client rotates: REFRESH_TOKEN_AUTH is refused as a disabled flow, each
  refresh issues a new refresh token, and the old one used again after
  refresh_token_grace seconds is RefreshTokenReuseException.
- UserContextData of every InitiateAuth / RespondToAuthChallenge is kept:
  GET /_mock/context ({"requests": [{"op", "user", "UserContextData"}]}),
  DELETE /_mock/context.

Settings (pool.py): allowed_first_auth_factors, refresh_token_rotation,
refresh_token_grace.
"""

import hmac
import json
import secrets

from . import ops_auth, ops_mfa, tokens
from .ops_auth import (WRONG_PASSWORD, ChallengeStep, auth_flow, challenge, check_client,
                       check_secret_hash, check_user_may_start, require, string_map)
from .server import IDP_SERVICE, OPERATIONS, ApiError, control, operation

FIRST_FACTORS = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
_CONTEXT_KEEP = 200

ops_mfa._CODE_CHALLENGES["SMS_OTP"] = ("SMS_OTP_CODE", "SMS", "phone_number")


def _webauthn():
    try:
        from . import webauthn
    except ImportError:
        return None
    if not hasattr(webauthn, "assertion_options") or not hasattr(webauthn, "verify_assertion"):
        return None
    return webauthn


def _has_passkey(ctx, user, wa):
    try:
        with ctx.pool.lock:
            return bool(wa._state(ctx.pool)["creds"].get(user.username))
    except (AttributeError, KeyError, TypeError):
        return True


def available(ctx, user):
    """The first factors the user can use, in the order Cognito lists them."""
    allowed = ctx.pool.setting("allowed_first_auth_factors")
    with ctx.pool.lock:
        attrs = dict(user.attributes)
        has_password = user.verifier is not None
        forced = user.extra.get("first_factors")
    # A test's user field: exactly these AvailableChallenges (a passkey
    # offered without webauthn.py, to test what a client does with it).
    if isinstance(forced, list):
        return [f for f in forced if f in FIRST_FACTORS]
    out = []
    if "PASSWORD" in allowed and has_password:
        out += ["PASSWORD", "PASSWORD_SRP"]
    wa = _webauthn()
    if "WEB_AUTHN" in allowed and wa is not None and _has_passkey(ctx, user, wa):
        out.append("WEB_AUTHN")
    if "EMAIL_OTP" in allowed and attrs.get("email"):
        out.append("EMAIL_OTP")
    if "SMS_OTP" in allowed and attrs.get("phone_number"):
        out.append("SMS_OTP")
    return out


def _protects(ctx):
    return ctx.pool.setting("prevent_user_existence_errors")


def _select(sess, avail):
    return {"ChallengeName": "SELECT_CHALLENGE", "AvailableChallenges": list(avail),
            "ChallengeParameters": {}, "Session": sess.token}


def _decoy_code(ctx, sess, typed, name):
    """An unknown user's code challenge: believable, and no code passes."""
    sess.state.update({"attempts": 0, "code": "no-code-" + secrets.token_hex(16)})
    ctx.pool.rekey_session(sess, name)
    medium = "SMS" if name == "SMS_OTP" else "EMAIL"
    dest = "+*******%04d" % (sum(typed.encode()) % 10000) if medium == "SMS" else \
        typed[:1] + "***@" + "e***"
    return {"ChallengeName": name, "Session": sess.token,
            "ChallengeParameters": {"CODE_DELIVERY_DELIVERY_MEDIUM": medium,
                                    "CODE_DELIVERY_DESTINATION": dest}}


def _password_done(ctx, sess, user):
    """The password is right: what password_proven does, the answer returned."""
    sess.state["flow"] = "USER_AUTH"
    return ops_auth.password_proven(ctx, sess, user)


def _start(ctx, sess, user, typed, factor, params):
    """Goes on with factor (chosen or preferred); params carry its own
    parameters (SRP_A, PASSWORD)."""
    client_id = sess.client_id
    if factor == "PASSWORD_SRP":
        ctx.pool.drop_session(sess)
        return ops_auth._user_srp_auth(ctx, client_id, {
            "USERNAME": typed, "SRP_A": require(params, "SRP_A"),
            "SECRET_HASH": params.get("SECRET_HASH")})
    if factor == "PASSWORD":
        password = require(params, "PASSWORD")
        if user is None or not ctx.pool.check_password(user, password):
            ctx.pool.drop_session(sess)
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        return _password_done(ctx, sess, user)
    if user is None:
        return _decoy_code(ctx, sess, typed, factor)
    sess.auth_time = ctx.now()
    sess.pending = [factor]
    return ops_auth.advance(ctx, sess, user)


@auth_flow("USER_AUTH")
def _user_auth(ctx, client_id, params):
    typed = require(params, "USERNAME")
    check_secret_hash(ctx, params.get("SECRET_HASH"), typed)
    pref = params.get("PREFERRED_CHALLENGE")
    if pref is not None and pref not in FIRST_FACTORS:
        raise ApiError("InvalidParameterException",
                       "PREFERRED_CHALLENGE must be one of " + ", ".join(FIRST_FACTORS))
    user = ctx.pool.find_user(typed)
    if user is None and not _protects(ctx):
        raise ops_auth.user_not_found(ctx)
    if user is not None:
        check_user_may_start(user)
    if pref == "PASSWORD_SRP":
        return ops_auth._user_srp_auth(ctx, client_id, params)
    # Unknown users (existence hidden) are offered what a typical user has.
    avail = available(ctx, user) if user else ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]
    sess = ctx.pool.new_session(user.username if user else None, client_id, "SELECT_CHALLENGE")
    sess.state.update({"flow": "USER_AUTH", "user_id": user.username if user else typed,
                       "available": avail, "typed": typed})
    if pref is not None and (pref in avail or (user is None and pref != "WEB_AUTHN")):
        return _start(ctx, sess, user, typed, pref, params)
    return _select(sess, avail)


def _select_challenge(ctx, body):
    """RespondToAuthChallenge SELECT_CHALLENGE: ANSWER and its parameters."""
    client_id = check_client(ctx, body.get("ClientId"))
    responses = string_map(body.get("ChallengeResponses"), "ChallengeResponses")
    typed = require(responses, "USERNAME")
    sess = ops_auth.session_from_body(ctx, body, "SELECT_CHALLENGE")
    if sess.client_id != client_id:
        raise ApiError("NotAuthorizedException", "Invalid session for the user.")
    user = ctx.pool.get_user(sess.username) if sess.username else None
    if user is not None and ctx.pool.find_user(typed) is not user:
        ctx.pool.drop_session(sess)
        raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
    check_secret_hash(ctx, responses.get("SECRET_HASH"), sess.state.get("user_id"), typed)
    answer = require(responses, "ANSWER")
    if answer not in sess.state.get("available", ()):
        raise ApiError("InvalidParameterException", "ANSWER %s is not an available challenge"
                       % answer if answer in FIRST_FACTORS else "Invalid ANSWER")
    return _start(ctx, sess, user, sess.state.get("typed") or typed, answer, responses)


@challenge("SMS_OTP")
class SmsOtp(ops_mfa._CodeChallenge):
    pass


@challenge("WEB_AUTHN")
class WebAuthn(ChallengeStep):
    def issue(self, ctx, sess, user):
        wa = _webauthn()
        if wa is None:
            raise ApiError("InvalidParameterException", "WEB_AUTHN is not available")
        options = wa.assertion_options(ctx.pool, user)
        sess.state["webauthn_options"] = options
        return {"CREDENTIAL_REQUEST_OPTIONS": json.dumps(options, separators=(",", ":"))}

    def answer(self, ctx, sess, user, responses):
        wa = _webauthn()
        text = require(responses, "CREDENTIAL")
        try:
            credential = json.loads(text)
        except ValueError:
            raise ApiError("InvalidParameterException", "CREDENTIAL is not JSON") from None
        ok, reason = wa.verify_assertion(ctx.pool, user, sess.state["webauthn_options"],
                                         credential) if wa and user else (False, "no user")
        if not ok:
            ctx.pool.drop_session(sess)
            raise ApiError("NotAuthorizedException", "Invalid credential: " + reason)


# -- UserContextData, and the wrappers that keep it ---------------------------

def _record(ctx, op, body, user):
    log = ctx.pool.ext.setdefault("user_context", [])
    with ctx.pool.lock:
        log.append({"op": op, "user": user, "UserContextData": body.get("UserContextData")})
        del log[:-_CONTEXT_KEEP]


def _wrap(op, fn):
    def wrapped(ctx, body):
        params = body.get(
            "AuthParameters" if op == "InitiateAuth" else "ChallengeResponses") or {}
        _record(ctx, op, body, params.get("USERNAME") if isinstance(params, dict) else None)
        ucd = body.get("UserContextData")
        if ucd is not None and (not isinstance(ucd, dict) or
                                not isinstance(ucd.get("IpAddress", ""), str)):
            raise ApiError("SerializationException", "UserContextData must be an object")
        if op == "InitiateAuth" and body.get("AuthFlow") in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN") \
                and ctx.pool.setting("refresh_token_rotation"):
            raise ApiError("InvalidParameterException",
                           "REFRESH_TOKEN_AUTH flow not enabled for this client")
        if op == "RespondToAuthChallenge" and body.get("ChallengeName") == "SELECT_CHALLENGE":
            return _select_challenge(ctx, body)
        return fn(ctx, body)
    return wrapped


for _op in ("InitiateAuth", "RespondToAuthChallenge"):
    OPERATIONS[(IDP_SERVICE, _op)] = _wrap(_op, OPERATIONS[(IDP_SERVICE, _op)])


@control("GET", r"/_mock/context")
def _ctl_context(idp, m, body):
    with idp.pool.lock:
        return 200, {"requests": list(idp.pool.ext.get("user_context", []))}


@control("DELETE", r"/_mock/context")
def _ctl_context_clear(idp, m, body):
    with idp.pool.lock:
        idp.pool.ext.pop("user_context", None)
    return 200, {}


def _latest_otp(idp, user):
    for msg in reversed(idp.pool.sent_codes(user) if user else _all_codes(idp)):
        if msg["kind"] in ("EMAIL_OTP", "SMS_OTP"):
            return 200, {"code": msg["code"], "channel": msg["medium"], "user": msg["username"]}
    return 404, {"error": "no one-time code sent"}


def _all_codes(idp):
    with idp.pool.lock:
        return [dict(m) for m in idp.pool._outbox]


@control("GET", r"/_mock/otp")
def _ctl_otp_any(idp, m, body):
    return _latest_otp(idp, None)


@control("GET", r"/_mock/otp/(.+)")
def _ctl_otp(idp, m, body):
    return _latest_otp(idp, m.group(1))


# -- GetTokensFromRefreshToken -------------------------------------------------

@operation("GetTokensFromRefreshToken")
def get_tokens_from_refresh_token(ctx, body):
    client_id = check_client(ctx, body.get("ClientId"))
    token = body.get("RefreshToken")
    if not isinstance(token, str) or not token:
        raise ApiError("InvalidParameterException", "Missing required parameter RefreshToken")
    secret = ctx.pool.client_secret
    if secret:
        given = body.get("ClientSecret")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), secret.encode()):
            raise ApiError("NotAuthorizedException",
                           "Client is configured with secret but ClientSecret was not received")
    rec = ctx.pool.refresh_token(token)
    if rec is None or rec["client_id"] != client_id:
        raise ApiError("NotAuthorizedException", "Invalid Refresh Token")
    now = ctx.now()
    if rec.get("rotated_at") is not None and now - rec["rotated_at"] > \
            ctx.pool.setting("refresh_token_grace"):
        raise ApiError("RefreshTokenReuseException", "Refresh token has been used already")
    if rec["revoked"]:
        raise ApiError("NotAuthorizedException", "Refresh Token has been revoked")
    if now > rec["expires"]:
        raise ApiError("NotAuthorizedException", "Refresh Token has expired")
    if rec["device_key"] and body.get("DeviceKey") != rec["device_key"]:
        raise ApiError("NotAuthorizedException", "Invalid Refresh Token")
    user = ctx.pool.get_user(rec["username"])
    if user is None:
        raise ApiError("NotAuthorizedException", "Invalid Refresh Token")
    if not user.enabled:
        raise ApiError("NotAuthorizedException", "User is disabled.")
    rotate = ctx.pool.setting("refresh_token_rotation")
    result = tokens.authentication_result(ctx, user, client_id, now, with_refresh=rotate,
                                          origin_jti=rec["origin_jti"])
    if rotate:
        ctx.pool.bind_refresh_token(result["RefreshToken"], rec["device_key"])
        with ctx.pool.lock:
            live = ctx.pool._refresh_tokens.get(token)
            if live is not None and live.get("rotated_at") is None:
                live["rotated_at"] = now
    return {"AuthenticationResult": result}
