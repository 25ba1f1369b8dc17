"""InitiateAuth and RespondToAuthChallenge.

A sign-in is: an auth flow (USER_SRP_AUTH, USER_PASSWORD_AUTH, ...)
proves the password, then zero or more challenges follow, then tokens.
Both halves are tables so a later part adds, not rewrites:

- `@auth_flow("NAME")` registers an InitiateAuth flow.
- `@challenge("NAME")` registers a ChallengeStep: how the challenge is
  issued (its ChallengeParameters) and how its answer is checked.
- `CHALLENGE_PLANNERS` decide which challenges follow the password for a
  user. The default one takes the user's `next_challenges` list and puts
  NEW_PASSWORD_REQUIRED first for FORCE_CHANGE_PASSWORD users; an MFA
  part appends a planner that looks at the user's MFA settings.

Error codes and messages are Cognito's, because clients map them to
outcomes (a wrong password must never look like "service unavailable").
"""

import base64
import hashlib
import hmac
import secrets

from . import srp, tokens
from .server import ApiError, operation

AUTH_FLOWS = {}
CHALLENGES = {}
CHALLENGE_PLANNERS = []
RESULT_HOOKS = []
PRE_CLAIM_CHECKS = []

# The enum values Cognito accepts; a value outside them is a validation
# error, a value inside them that the mock lacks is said to be missing.
KNOWN_AUTH_FLOWS = (
    "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_AUTH",
)
KNOWN_CHALLENGES = (
    "SMS_MFA", "EMAIL_OTP", "EMAIL_MFA", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP",
    "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "SELECT_CHALLENGE", "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER", "ADMIN_NO_SRP_AUTH", "NEW_PASSWORD_REQUIRED",
    "SMS_OTP", "PASSWORD", "WEB_AUTHN", "PASSWORD_SRP",
)

WRONG_PASSWORD = "Incorrect username or password."
# Length of Cognito's SECRET_BLOCK (1368 base64 characters).
SECRET_BLOCK_BYTES = 1026
# Keys fake salts for unknown users, so probing one name twice gives the
# same SALT, as it would for a real user.
_FAKE_SALT_KEY = secrets.token_bytes(32)


def auth_flow(*names):
    def register(fn):
        for name in names:
            AUTH_FLOWS[name] = fn
        return fn
    return register


class ChallengeStep:
    """One kind of challenge. Subclasses set `name` and override what
    they need; the registry holds one instance per name."""

    name = None
    # PASSWORD_VERIFIER is issued by InitiateAuth itself, not by advance().
    issued_by_advance = True

    def issue(self, ctx, sess, user):
        """ChallengeParameters for this challenge, or None to skip it."""
        raise NotImplementedError

    def locate(self, ctx, body, responses):
        """The AuthSession an answer belongs to; by default its Session."""
        return session_from_body(ctx, body, self.name)

    def answer(self, ctx, sess, user, responses):
        """Checks the answer; raises ApiError when it is wrong. Returning
        means the step is passed and the sign-in moves on."""
        raise NotImplementedError


def challenge(name):
    def register(cls):
        cls.name = name
        CHALLENGES[name] = cls()
        return cls
    return register


def result_hook(fn):
    """Registers fn(ctx, sess, user, result): it may add to a finished
    sign-in's AuthenticationResult (NewDeviceMetadata, say)."""
    RESULT_HOOKS.append(fn)
    return fn


def pre_claim_check(fn):
    """Registers fn(ctx, sess, user, responses), run on a PASSWORD_VERIFIER
    answer before its SECRET_BLOCK is used up: a refusal here (an unknown
    DEVICE_KEY, say) lets the client send the same answer again."""
    PRE_CLAIM_CHECKS.append(fn)
    return fn


def planner(fn):
    """Registers fn(ctx, sess, user, plan) -> plan, run after the password
    is proven to decide the challenges that follow (sess.state holds what
    the flow learnt, e.g. the DEVICE_KEY the client sent)."""
    CHALLENGE_PLANNERS.append(fn)
    return fn


# -- request checking ----------------------------------------------------------

def validation_error(field, value, constraint):
    shown = "null" if value is None else "'%s'" % value
    return ApiError("InvalidParameterException",
                    "1 validation error detected: Value %s at '%s' failed to satisfy "
                    "constraint: %s" % (shown, field, constraint))


def string_map(value, field):
    """A Cognito map<string,string>; JSON nulls (the SDK sends
    DEVICE_KEY: null) count as absent."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError("SerializationException", "%s must be a map" % field)
    out = {}
    for k, v in value.items():
        if v is None:
            continue
        if not isinstance(v, str):
            raise ApiError("SerializationException", "%s.%s must be a string" % (field, k))
        out[k] = v
    return out


def require(params, name):
    value = params.get(name)
    if not value:
        raise ApiError("InvalidParameterException", "Missing required parameter " + name)
    return value


def check_client(ctx, client_id):
    if client_id is None:
        raise validation_error("clientId", None, "Member must not be null")
    if not isinstance(client_id, str) or client_id != ctx.pool.client_id:
        raise ApiError("ResourceNotFoundException",
                       "User pool client %s does not exist." % client_id)
    return client_id


def secret_hash(secret, username, client_id):
    mac = hmac.new(secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def check_secret_hash(ctx, given, *usernames):
    """When the app client has a secret, SECRET_HASH must be the HMAC of
    one of the accepted usernames (the typed one on InitiateAuth,
    USER_ID_FOR_SRP afterwards)."""
    secret = ctx.pool.client_secret
    if not secret:
        return
    cid = ctx.pool.client_id
    if not given:
        raise ApiError("NotAuthorizedException",
                       "Client %s is configured with secret but SECRET_HASH was not received" % cid)
    for name in usernames:
        if name and hmac.compare_digest(given.encode(), secret_hash(secret, name, cid).encode()):
            return
    raise ApiError("NotAuthorizedException", "Unable to verify secret hash for client %s" % cid)


def user_not_found(ctx):
    if ctx.pool.setting("prevent_user_existence_errors"):
        return ApiError("NotAuthorizedException", WRONG_PASSWORD)
    return ApiError("UserNotFoundException", "User does not exist.")


def check_user_may_start(user):
    """Refusals Cognito gives before any password proof."""
    if not user.enabled:
        raise ApiError("NotAuthorizedException", "User is disabled.")
    if user.status == "RESET_REQUIRED":
        raise ApiError("PasswordResetRequiredException", "Password reset required for the user")


def session_from_body(ctx, body, expected):
    token = body.get("Session")
    if not token or not isinstance(token, str):
        raise ApiError("InvalidParameterException", "Missing required parameter Session")
    sess, why = ctx.pool.session(token)
    if sess is None:
        if why == "expired":
            raise ApiError("NotAuthorizedException", "Invalid session for the user, session is expired.")
        raise ApiError("NotAuthorizedException", "Invalid session for the user.")
    if sess.expected != expected:
        raise ApiError("NotAuthorizedException", "Invalid session for the user.")
    return sess


# -- after the password ---------------------------------------------------------

@planner
def _plan_from_user(ctx, sess, user, plan):
    plan = plan + [c for c in user.next_challenges if c not in plan]
    if user.status == "FORCE_CHANGE_PASSWORD" and "NEW_PASSWORD_REQUIRED" not in plan:
        plan.insert(0, "NEW_PASSWORD_REQUIRED")
    return plan


def password_proven(ctx, sess, user):
    """The password is right: refuse unconfirmed users, plan the
    challenges that follow, and go on."""
    if user.status == "UNCONFIRMED":
        ctx.pool.drop_session(sess)
        raise ApiError("UserNotConfirmedException", "User is not confirmed.")
    # Cognito blocks a sign-in with credentials it found compromised.
    if user.status == "COMPROMISED":
        ctx.pool.drop_session(sess)
        raise ApiError("NotAuthorizedException", "Incorrect username or password.")
    sess.auth_time = ctx.now()
    plan = []
    for fn in CHALLENGE_PLANNERS:
        plan = fn(ctx, sess, user, plan)
    sess.pending = plan
    return advance(ctx, sess, user)


def advance(ctx, sess, user):
    """Issues the next pending challenge with a fresh Session, or the
    tokens when none is left."""
    while sess.pending:
        name = sess.pending.pop(0)
        step = CHALLENGES.get(name)
        if step is None or not step.issued_by_advance:
            ctx.pool.drop_session(sess)
            raise ApiError("InternalErrorException",
                           "mock_idp does not implement challenge %s yet" % name, 500)
        params = step.issue(ctx, sess, user)
        if params is None:
            continue
        ctx.pool.rekey_session(sess, name)
        return {"ChallengeName": name, "ChallengeParameters": params, "Session": sess.token}
    ctx.pool.drop_session(sess)
    result = tokens.authentication_result(ctx, user, sess.client_id, sess.auth_time)
    for fn in RESULT_HOOKS:
        fn(ctx, sess, user, result)
    return {"AuthenticationResult": result, "ChallengeParameters": {}}


# -- operations -----------------------------------------------------------------

@operation("InitiateAuth")
def initiate_auth(ctx, body):
    client_id = check_client(ctx, body.get("ClientId"))
    flow = body.get("AuthFlow")
    if flow not in KNOWN_AUTH_FLOWS:
        raise validation_error("authFlow", flow, "Member must satisfy enum value set: [%s]"
                               % ", ".join(KNOWN_AUTH_FLOWS))
    if flow.startswith("ADMIN_"):
        raise ApiError("InvalidParameterException", "Initiate Auth method not supported.")
    params = string_map(body.get("AuthParameters"), "AuthParameters")
    enabled = ctx.pool.setting("explicit_auth_flows")
    if flow not in enabled and not (flow == "REFRESH_TOKEN" and "REFRESH_TOKEN_AUTH" in enabled):
        raise ApiError("InvalidParameterException", "%s flow not enabled for this client" % flow)
    fn = AUTH_FLOWS.get(flow)
    if fn is None:
        raise ApiError("InvalidParameterException", "mock_idp does not implement AuthFlow %s yet" % flow)
    return fn(ctx, client_id, params)


@operation("RespondToAuthChallenge")
def respond_to_auth_challenge(ctx, body):
    client_id = check_client(ctx, body.get("ClientId"))
    name = body.get("ChallengeName")
    if name not in KNOWN_CHALLENGES:
        raise validation_error("challengeName", name, "Member must satisfy enum value set: [%s]"
                               % ", ".join(KNOWN_CHALLENGES))
    responses = string_map(body.get("ChallengeResponses"), "ChallengeResponses")
    step = CHALLENGES.get(name)
    if step is None:
        raise ApiError("InvalidParameterException", "mock_idp does not implement challenge %s yet" % name)
    typed = require(responses, "USERNAME")
    sess = step.locate(ctx, body, responses)
    if sess.client_id != client_id:
        raise ApiError("NotAuthorizedException", "Invalid session for the user.")
    user = ctx.pool.get_user(sess.username) if sess.username else None
    if sess.username and user is None:
        ctx.pool.drop_session(sess)
        raise user_not_found(ctx)
    # The SDK answers with USER_ID_FOR_SRP; an alias of the same user is
    # tolerated, another user is not.
    if user is not None and ctx.pool.find_user(typed) is not user:
        ctx.pool.drop_session(sess)
        raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
    check_secret_hash(ctx, responses.get("SECRET_HASH"),
                      sess.state.get("user_id") or (user.username if user else typed))
    step.answer(ctx, sess, user, responses)
    if sess.expected == "PASSWORD_VERIFIER":
        return password_proven(ctx, sess, user)
    return advance(ctx, sess, user)


# -- USER_SRP_AUTH and its PASSWORD_VERIFIER -----------------------------------

def _fake_salt(username):
    digest = hmac.new(_FAKE_SALT_KEY, username.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:16], "big") or 1


@auth_flow("USER_SRP_AUTH")
def _user_srp_auth(ctx, client_id, params):
    typed = require(params, "USERNAME")
    srp_a = require(params, "SRP_A")
    check_secret_hash(ctx, params.get("SECRET_HASH"), typed)
    try:
        big_a = srp.parse_hex_int(srp_a, "SRP_A")
    except srp.SrpError:
        raise ApiError("InvalidParameterException", "SRP_A is not a hex number") from None

    user = ctx.pool.find_user(typed)
    if user is not None:
        check_user_may_start(user)
        with ctx.pool.lock:
            user_id, salt, salt_wire, verifier = user.username, user.salt, user.salt_hex(), user.verifier
        if verifier is None:
            # No password set (e.g. made by an admin API without one): run
            # SRP against a random verifier, which no password matches.
            salt = _fake_salt(user_id)
            salt_wire = srp.salt_to_wire(salt)
            verifier = pow(srp.G, secrets.randbits(256), srp.N)
    elif ctx.pool.setting("prevent_user_existence_errors"):
        # Cognito answers unknown users with a believable challenge and
        # fails them only at the claim, so existence cannot be probed.
        user_id = typed
        salt = _fake_salt(typed)
        salt_wire = srp.salt_to_wire(salt)
        verifier = pow(srp.G, secrets.randbits(256), srp.N)
    else:
        raise user_not_found(ctx)

    pin = ctx.pool.take_srp_pin() or {}
    try:
        b = srp.parse_hex_int(pin["b"], "b") if pin.get("b") else None
        exchange = srp.ServerSrp(ctx.pool.pool_name, user_id, salt, verifier, big_a, b)
    except srp.SrpError:
        raise ApiError("InvalidParameterException", "SRP_A is not valid") from None
    block = pin.get("secret_block") or base64.b64encode(
        secrets.token_bytes(SECRET_BLOCK_BYTES)).decode("ascii")

    sess = ctx.pool.new_session(user.username if user else None, client_id,
                                "PASSWORD_VERIFIER", token=pin.get("session"))
    sess.state.update({"srp": exchange, "secret_block": block, "user_id": user_id})
    out = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": {
            "SALT": salt_wire,
            "SECRET_BLOCK": block,
            "SRP_B": exchange.srp_b_wire,
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    }
    if ctx.pool.setting("password_verifier_session") or pin.get("session"):
        out["Session"] = sess.token
    return out


@challenge("PASSWORD_VERIFIER")
class PasswordVerifier(ChallengeStep):
    issued_by_advance = False

    def locate(self, ctx, body, responses):
        """Found by its SECRET_BLOCK: Cognito's SRP answer need not carry
        a Session, but the block ties it to one InitiateAuth."""
        block = require(responses, "PASSWORD_CLAIM_SECRET_BLOCK")
        sess, why = ctx.pool.find_session(
            lambda s: s.expected == "PASSWORD_VERIFIER" and s.state.get("secret_block") == block)
        if sess is None:
            if why == "expired":
                raise ApiError("NotAuthorizedException", "Invalid session for the user, session is expired.")
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        given = body.get("Session")
        if given and given != sess.token:
            raise ApiError("NotAuthorizedException", "Invalid session for the user.")
        return sess

    def answer(self, ctx, sess, user, responses):
        if user is not None:
            for fn in PRE_CLAIM_CHECKS:
                fn(ctx, sess, user, responses)
        # One claim per SECRET_BLOCK, right or wrong: no offline retries.
        if not ctx.pool.drop_session(sess):
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        sess.state["device_key"] = responses.get("DEVICE_KEY")
        timestamp = require(responses, "TIMESTAMP")
        signature = require(responses, "PASSWORD_CLAIM_SIGNATURE")
        when = srp.parse_timestamp(timestamp)
        if when is None or abs(when - ctx.now()) > ctx.pool.setting("timestamp_skew"):
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        block = base64.b64decode(sess.state["secret_block"])
        if not sess.state["srp"].check_claim(block, timestamp, signature) or user is None:
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        # Cognito says "disabled" only to someone who knows the password
        # when the user was disabled mid-login.
        if not user.enabled:
            raise ApiError("NotAuthorizedException", "User is disabled.")


# -- USER_PASSWORD_AUTH ---------------------------------------------------------

@auth_flow("USER_PASSWORD_AUTH")
def _user_password_auth(ctx, client_id, params):
    typed = require(params, "USERNAME")
    password = require(params, "PASSWORD")
    check_secret_hash(ctx, params.get("SECRET_HASH"), typed)
    user = ctx.pool.find_user(typed)
    if user is None:
        raise user_not_found(ctx)
    check_user_may_start(user)
    if not ctx.pool.check_password(user, password):
        raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
    sess = ctx.pool.new_session(user.username, client_id, "PASSWORD")
    sess.state.update({"user_id": user.username, "device_key": params.get("DEVICE_KEY")})
    return password_proven(ctx, sess, user)


# -- REFRESH_TOKEN_AUTH -------------------------------------------------------------

@auth_flow("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
def _refresh_token_auth(ctx, client_id, params):
    token = require(params, "REFRESH_TOKEN")
    rec = ctx.pool.refresh_token(token)
    if rec is None or rec["client_id"] != client_id:
        raise ApiError("NotAuthorizedException", "Invalid Refresh Token")
    if rec["revoked"]:
        raise ApiError("NotAuthorizedException", "Refresh Token has been revoked")
    if ctx.now() > rec["expires"]:
        raise ApiError("NotAuthorizedException", "Refresh Token has expired")
    # A token issued to a device is good only with that device's key.
    if rec["device_key"] and params.get("DEVICE_KEY") != rec["device_key"]:
        raise ApiError("NotAuthorizedException", "Invalid Refresh Token")
    user = ctx.pool.get_user(rec["username"])
    if user is None:
        raise ApiError("NotAuthorizedException", "Invalid Refresh Token")
    check_secret_hash(ctx, params.get("SECRET_HASH"), user.username, user.sub)
    if not user.enabled:
        raise ApiError("NotAuthorizedException", "User is disabled.")
    result = tokens.authentication_result(ctx, user, client_id, ctx.now(), with_refresh=False,
                                          origin_jti=rec["origin_jti"])
    return {"AuthenticationResult": result, "ChallengeParameters": {}}
