"""Multi-factor authentication: the MFA challenges that follow the
password, TOTP enrolment, and where codes "go".

A user's MFA lives in USER fields the control API keeps as they are:

- `mfa_settings`: Cognito's UserMFASettingList, e.g. ["SMS_MFA",
  "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]. SMS needs the `phone_number`
  attribute, EMAIL_OTP the `email` attribute, SOFTWARE_TOKEN_MFA a
  `totp_secret`; a method without them is not usable.
- `preferred_mfa`: Cognito's PreferredMfaSetting.
- `totp_secret`: the base32 secret of the user's authenticator app.

After the password, the planner here adds: the preferred usable method,
or the only one, or SELECT_MFA_TYPE when there are several; with pool
setting `mfa_configuration` ON and no usable method, MFA_SETUP. SMS and
email codes are recorded in the pool's outbox (GET /_mock/codes/<user>);
TOTP codes are checked for real (totp.py). A Session takes
`mfa_code_attempts` wrong codes, the last of which ends it, after which
Cognito answers "Invalid session for the user."
"""

import json
import secrets
from urllib.parse import unquote

from . import tokens, totp
from .ops_auth import ChallengeStep, challenge, planner, require, session_from_body
from .server import ApiError, control, operation

CODE_MISMATCH = "Invalid code or auth state for the user."
# How the code challenges are answered and where their codes go.
_CODE_CHALLENGES = {
    "SMS_MFA": ("SMS_MFA_CODE", "SMS", "phone_number"),
    "EMAIL_OTP": ("EMAIL_OTP_CODE", "EMAIL", "email"),
    # The name some pools give e-mail MFA after a first factor (issue 15):
    # a user whose mfa_settings say EMAIL_MFA gets it instead of EMAIL_OTP.
    "EMAIL_MFA": ("EMAIL_MFA_CODE", "EMAIL", "email"),
    "SOFTWARE_TOKEN_MFA": ("SOFTWARE_TOKEN_MFA_CODE", None, None),
}


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def new_code():
    return "%06d" % secrets.randbelow(10 ** 6)


def mask_phone(number):
    """+15555551111 -> +*******1111, as Cognito shows a destination."""
    return "+" + "*" * max(0, len(number) - 5) + number[-4:]


def mask_email(address):
    """alice@example.com -> a***@e***."""
    local, _, domain = address.partition("@")
    return local[:1] + "***@" + domain[:1] + "***"


def usable_methods(ctx, user):
    """The user's MFA methods that can be used now, in Cognito's order."""
    with ctx.pool.lock:
        settings = list(user.extra.get("mfa_settings") or [])
        attrs = dict(user.attributes)
        secret = user.extra.get("totp_secret")
    out = []
    for name in ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "EMAIL_MFA"):
        if name not in settings:
            continue
        attr = _CODE_CHALLENGES[name][2]
        if (attr and not attrs.get(attr)) or (name == "SOFTWARE_TOKEN_MFA" and not secret):
            continue
        out.append(name)
    return out


@planner
def _plan_mfa(ctx, sess, user, plan):
    # Custom auth flows decide their own challenges; an explicit plan
    # (next_challenges) that already holds MFA is left alone.
    if sess.state.get("flow") == "CUSTOM_AUTH" or any(
            c in plan for c in ("SELECT_MFA_TYPE", "MFA_SETUP", *_CODE_CHALLENGES)):
        return plan
    mode = ctx.pool.setting("mfa_configuration")
    if mode == "OFF":
        return plan
    methods = usable_methods(ctx, user)
    if not methods:
        return plan + ["MFA_SETUP"] if mode == "ON" else plan
    with ctx.pool.lock:
        preferred = user.extra.get("preferred_mfa")
    if preferred in methods:
        return plan + [preferred]
    if len(methods) == 1:
        return plan + methods
    sess.state["mfas_can_choose"] = methods
    return plan + ["SELECT_MFA_TYPE"]


def wrong_code(ctx, sess, code_type, message):
    """Counts a wrong code against the Session; the last allowed one ends it."""
    sess.state["attempts"] = sess.state.get("attempts", 0) + 1
    if sess.state["attempts"] >= ctx.pool.setting("mfa_code_attempts"):
        ctx.pool.drop_session(sess)
    raise ApiError(code_type, message)


class _CodeChallenge(ChallengeStep):
    def issue(self, ctx, sess, user):
        sess.state["attempts"] = 0
        _, medium, attr = _CODE_CHALLENGES[self.name]
        if medium is None:
            return {}
        with ctx.pool.lock:
            destination = user.attributes.get(attr)
        if not destination:
            raise ApiError("InvalidParameterException", "User has no %s for %s" % (attr, self.name))
        code = new_code()
        sess.state["code"] = code
        ctx.pool.send_code(user.username, self.name, medium, destination, code)
        masked = mask_phone(destination) if medium == "SMS" else mask_email(destination)
        return {"CODE_DELIVERY_DELIVERY_MEDIUM": medium, "CODE_DELIVERY_DESTINATION": masked}

    def answer(self, ctx, sess, user, responses):
        given = require(responses, _CODE_CHALLENGES[self.name][0])
        if self.name == "SOFTWARE_TOKEN_MFA":
            with ctx.pool.lock:
                secret = user.extra.get("totp_secret")
            ok = bool(secret) and totp.verify(secret, given, ctx.now())
        else:
            ok = secrets.compare_digest(given.encode(), sess.state["code"].encode())
        if not ok:
            wrong_code(ctx, sess, "CodeMismatchException", CODE_MISMATCH)


@challenge("SMS_MFA")
class SmsMfa(_CodeChallenge):
    pass


@challenge("EMAIL_OTP")
class EmailOtp(_CodeChallenge):
    pass


@challenge("EMAIL_MFA")
class EmailMfa(_CodeChallenge):
    pass


@challenge("SOFTWARE_TOKEN_MFA")
class SoftwareTokenMfa(_CodeChallenge):
    pass


@challenge("SELECT_MFA_TYPE")
class SelectMfaType(ChallengeStep):
    def issue(self, ctx, sess, user):
        choices = sess.state.get("mfas_can_choose") or usable_methods(ctx, user)
        sess.state["mfas_can_choose"] = choices
        return {"MFAS_CAN_CHOOSE": _compact(choices)}

    def answer(self, ctx, sess, user, responses):
        choice = require(responses, "ANSWER")
        if choice not in sess.state["mfas_can_choose"]:
            raise ApiError("InvalidParameterException", "%s is not an MFA type the user can choose"
                           % choice)
        sess.pending.insert(0, choice)


@challenge("MFA_SETUP")
class MfaSetup(ChallengeStep):
    """Answered after AssociateSoftwareToken and VerifySoftwareToken ran
    with this sign-in's Session; the answer carries the Session the
    verification returned."""

    def issue(self, ctx, sess, user):
        return {"MFAS_CAN_SETUP": _compact(ctx.pool.setting("mfa_can_setup"))}

    def answer(self, ctx, sess, user, responses):
        if not sess.state.get("totp_verified"):
            raise ApiError("NotAuthorizedException", "Invalid session for the user.")


def _enable_totp(ctx, user, secret):
    """A verified authenticator becomes the user's (preferred) MFA."""
    with ctx.pool.lock:
        user.extra["totp_secret"] = secret
        user.extra.pop("pending_totp_secret", None)
        settings = list(user.extra.get("mfa_settings") or [])
        if "SOFTWARE_TOKEN_MFA" not in settings:
            settings.append("SOFTWARE_TOKEN_MFA")
        user.extra["mfa_settings"] = settings
        user.extra.setdefault("preferred_mfa", "SOFTWARE_TOKEN_MFA")


@operation("AssociateSoftwareToken")
def associate_software_token(ctx, body):
    """With an AccessToken (a signed-in user adding an app) or with the
    Session of an MFA_SETUP challenge (enrolment during sign-in)."""
    if body.get("AccessToken"):
        user, _ = tokens.user_from_access_token(ctx, body["AccessToken"])
        secret = totp.new_secret()
        with ctx.pool.lock:
            user.extra["pending_totp_secret"] = secret
        return {"SecretCode": secret}
    if not body.get("Session"):
        raise ApiError("InvalidParameterException", "Either AccessToken or Session must be given")
    sess = session_from_body(ctx, body, "MFA_SETUP")
    secret = totp.new_secret()
    sess.state.update({"pending_totp_secret": secret, "attempts": 0})
    ctx.pool.rekey_session(sess, "MFA_SETUP")
    return {"SecretCode": secret, "Session": sess.token}


@operation("VerifySoftwareToken")
def verify_software_token(ctx, body):
    code = body.get("UserCode")
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        raise ApiError("InvalidParameterException",
                       "1 validation error detected: Value at 'userCode' failed to satisfy "
                       "constraint: Member must satisfy regular expression pattern: [0-9]+")
    if body.get("AccessToken"):
        user, _ = tokens.user_from_access_token(ctx, body["AccessToken"])
        with ctx.pool.lock:
            secret = user.extra.get("pending_totp_secret")
        if not secret:
            raise ApiError("InvalidParameterException", "No software token to verify")
        if not totp.verify(secret, code, ctx.now()):
            raise ApiError("EnableSoftwareTokenMFAException", "Code mismatch")
        # Verified, not yet enabled: SetUserMFAPreference enables it.
        with ctx.pool.lock:
            user.extra["totp_secret"] = secret
            user.extra.pop("pending_totp_secret", None)
        return {"Status": "SUCCESS"}
    if not body.get("Session"):
        raise ApiError("InvalidParameterException", "Either AccessToken or Session must be given")
    sess = session_from_body(ctx, body, "MFA_SETUP")
    secret = sess.state.get("pending_totp_secret")
    if not secret:
        raise ApiError("InvalidParameterException", "No software token to verify")
    if not totp.verify(secret, code, ctx.now()):
        wrong_code(ctx, sess, "EnableSoftwareTokenMFAException", "Code mismatch")
    user = ctx.pool.get_user(sess.username)
    if user is None:
        raise ApiError("NotAuthorizedException", "Invalid session for the user.")
    _enable_totp(ctx, user, secret)
    sess.state["totp_verified"] = True
    ctx.pool.rekey_session(sess, "MFA_SETUP")
    return {"Status": "SUCCESS", "Session": sess.token}


# -- control API ------------------------------------------------------------------

@control("GET", r"/_mock/codes/(.+)")
def _ctl_codes(idp, m, body):
    """The codes "sent" to a user: {"latest": {KIND: code}, "messages": [...]}
    with KIND one of SMS_MFA, EMAIL_OTP, ForgotPassword, ConfirmSignUp, ..."""
    messages = idp.pool.sent_codes(unquote(m.group(1)))
    return 200, {"latest": {msg["kind"]: msg["code"] for msg in messages}, "messages": messages}


@control("GET", r"/_mock/totp/(.+)")
def _ctl_totp(idp, m, body):
    """The user's current TOTP code by the mock's clock, and one that is
    wrong now, for tests that type codes (expect scripts)."""
    user = idp.pool.get_user(unquote(m.group(1)))
    if user is None:
        return 404, {"error": "no such user"}
    with idp.pool.lock:
        secret = user.extra.get("totp_secret")
    if not secret:
        return 404, {"error": "user has no totp_secret"}
    now = idp.pool.clock.now()
    return 200, {"code": totp.code_at(secret, now), "wrong": totp.wrong_code(secret, now)}
