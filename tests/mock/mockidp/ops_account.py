"""Account operations a user runs without an administrator: password
reset (ForgotPassword, ConfirmForgotPassword), sign-up confirmation
(ConfirmSignUp, ResendConfirmationCode), and with an access token
ChangePassword and GetUser.

Codes go to the pool's outbox (GET /_mock/codes/<user>, kinds
"ForgotPassword" and "ConfirmSignUp"); only the latest code of a kind is
good, once, for CODE_TTL seconds.
"""

import secrets

from . import policy, tokens
from .ops_auth import WRONG_PASSWORD, check_client, check_secret_hash, validation_error
from .ops_mfa import mask_email, mask_phone
from .server import ApiError, operation

CODE_TTL = 3600


def _username(body):
    name = body.get("Username")
    if not isinstance(name, str) or not name:
        raise validation_error("username", None, "Member must not be null")
    return name


def _user_for(ctx, body):
    """Client, SecretHash and user of an unauthenticated account call."""
    check_client(ctx, body.get("ClientId"))
    name = _username(body)
    check_secret_hash(ctx, body.get("SecretHash"), name)
    user = ctx.pool.find_user(name)
    if user is None:
        raise ApiError("UserNotFoundException", "Username/client id combination not found.")
    return user


def _send_code(ctx, user, kind, verified_only):
    """Sends a code by email, else SMS: CodeDeliveryDetails, or None when
    the user has nowhere (verified, if asked) to receive it."""
    with ctx.pool.lock:
        attrs = dict(user.attributes)
    for attr, medium, mask in (("email", "EMAIL", mask_email), ("phone_number", "SMS", mask_phone)):
        if attrs.get(attr) and (not verified_only or attrs.get(attr + "_verified") == "true"):
            code = "%06d" % secrets.randbelow(10 ** 6)
            ctx.pool.send_code(user.username, kind, medium, attrs[attr], code)
            return {"AttributeName": attr, "DeliveryMedium": medium, "Destination": mask(attrs[attr])}
    return None


def _check_code(ctx, user, kind, body):
    code = body.get("ConfirmationCode")
    if not isinstance(code, str) or not code:
        raise validation_error("confirmationCode", None, "Member must not be null")
    verdict = ctx.pool.check_code(user.username, kind, code, CODE_TTL)
    if verdict == "expired":
        raise ApiError("ExpiredCodeException", "Invalid code provided, please request a code again.")
    if verdict != "ok":
        raise ApiError("CodeMismatchException", "Invalid verification code provided, please try again.")


@operation("ForgotPassword")
def forgot_password(ctx, body):
    try:
        user = _user_for(ctx, body)
    except ApiError as err:
        if err.code == "UserNotFoundException" and ctx.pool.setting("prevent_user_existence_errors"):
            # Existence stays hidden: a believable answer, no message sent.
            return {"CodeDeliveryDetails": {"AttributeName": "email", "DeliveryMedium": "EMAIL",
                                            "Destination": "x***@x***"}}
        raise
    if not user.enabled:
        raise ApiError("NotAuthorizedException", "User is disabled.")
    details = _send_code(ctx, user, "ForgotPassword", verified_only=True)
    if details is None:
        raise ApiError("InvalidParameterException", "Cannot reset password for the user as there is "
                       "no registered/verified email or phone_number")
    return {"CodeDeliveryDetails": details}


@operation("ConfirmForgotPassword")
def confirm_forgot_password(ctx, body):
    user = _user_for(ctx, body)
    password = body.get("Password")
    if not isinstance(password, str) or not password:
        raise validation_error("password", None, "Member must not be null")
    # A refused password leaves the code good for another try.
    policy.check(ctx, password)
    _check_code(ctx, user, "ForgotPassword", body)
    ctx.pool.set_password(user.username, password)
    with ctx.pool.lock:
        if user.status in ("RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"):
            user.status = "CONFIRMED"
    return {}


@operation("ConfirmSignUp")
def confirm_sign_up(ctx, body):
    user = _user_for(ctx, body)
    if user.status != "UNCONFIRMED":
        raise ApiError("NotAuthorizedException",
                       "User cannot be confirmed. Current status is %s" % user.status)
    _check_code(ctx, user, "ConfirmSignUp", body)
    with ctx.pool.lock:
        user.status = "CONFIRMED"
    return {}


@operation("ResendConfirmationCode")
def resend_confirmation_code(ctx, body):
    user = _user_for(ctx, body)
    if user.status != "UNCONFIRMED":
        raise ApiError("InvalidParameterException", "User is already confirmed.")
    details = _send_code(ctx, user, "ConfirmSignUp", verified_only=False)
    if details is None:
        raise ApiError("InvalidParameterException", "User has no email or phone_number")
    return {"CodeDeliveryDetails": details}


@operation("ChangePassword")
def change_password(ctx, body):
    for field in ("PreviousPassword", "ProposedPassword", "AccessToken"):
        if not isinstance(body.get(field), str) or not body[field]:
            raise validation_error(field[0].lower() + field[1:], None, "Member must not be null")
    user, _ = tokens.user_from_access_token(ctx, body["AccessToken"])
    # The mock keeps only the SRP verifier: the old password is checked by
    # recomputing it, as for USER_PASSWORD_AUTH.
    if not ctx.pool.check_password(user, body["PreviousPassword"]):
        raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
    policy.check(ctx, body["ProposedPassword"])
    ctx.pool.set_password(user.username, body["ProposedPassword"])
    return {}


@operation("GetUser")
def get_user(ctx, body):
    if not isinstance(body.get("AccessToken"), str) or not body["AccessToken"]:
        raise validation_error("accessToken", None, "Member must not be null")
    user, _ = tokens.user_from_access_token(ctx, body["AccessToken"])
    with ctx.pool.lock:
        out = {
            "Username": user.username,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in user.attributes.items()],
        }
        settings = list(user.extra.get("mfa_settings") or [])
        preferred = user.extra.get("preferred_mfa")
    if settings:
        out["UserMFASettingList"] = settings
    if preferred:
        out["PreferredMfaSetting"] = preferred
    return out
