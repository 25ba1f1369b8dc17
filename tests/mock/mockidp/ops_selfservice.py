"""The rest of a user's self-service, as amazon-cognito-identity-js calls
it: SignUp, and with an access token UpdateUserAttributes,
DeleteUserAttributes, GetUserAttributeVerificationCode,
VerifyUserAttribute, SetUserMFAPreference and DeleteUser.

Errors are Cognito's: UsernameExistsException, InvalidPasswordException
(the policy's message), NotAuthorizedException "A client attempted to write
unauthorized attribute" for an attribute the app client may not write
(pool setting `unwritable_attributes`), InvalidParameterException for an
immutable or unknown one, CodeMismatchException / ExpiredCodeException for
verification codes (kind "VerifyUserAttribute:<attr>" in the outbox).
"""

import secrets
import uuid

from . import policy, tokens
from .ops_account import _check_code, _send_code, _username
from .ops_auth import check_client, check_secret_hash, validation_error
from .ops_mfa import mask_email, mask_phone
from .server import ApiError, operation

# Standard attributes of a user pool's schema (OIDC claims Cognito knows).
STANDARD = {
    "address", "birthdate", "email", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo",
}
IMMUTABLE = {"sub", "email_verified", "phone_number_verified", "cognito:username"}
VERIFIABLE = {"email": ("EMAIL", mask_email), "phone_number": ("SMS", mask_phone)}


def _attributes(ctx, body, key="UserAttributes"):
    """[{Name, Value}] as a dict, every name checked against the schema and
    the app client's write permissions."""
    items = body.get(key)
    if not isinstance(items, list):
        raise validation_error(key[0].lower() + key[1:], None, "Member must not be null")
    out = {}
    for item in items:
        name = item.get("Name") if isinstance(item, dict) else None
        value = item.get("Value") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(value, str):
            raise ApiError("InvalidParameterException", "Invalid user attributes: "
                           "each attribute needs a Name and a Value")
        _writable(ctx, name)
        out[name] = value
    return out


def _writable(ctx, name):
    if name in IMMUTABLE:
        raise ApiError("InvalidParameterException",
                       "Invalid user attributes: user.%s: Attribute cannot be updated." % name)
    if name not in STANDARD and not name.startswith("custom:"):
        raise ApiError("InvalidParameterException", "Invalid user attributes: user.%s: "
                       "Attribute does not exist in the schema." % name)
    if name in ctx.pool.setting("unwritable_attributes"):
        raise ApiError("NotAuthorizedException", "A client attempted to write unauthorized attribute")


def _user(ctx, body):
    if not isinstance(body.get("AccessToken"), str) or not body["AccessToken"]:
        raise validation_error("accessToken", None, "Member must not be null")
    user, _ = tokens.user_from_access_token(ctx, body["AccessToken"])
    return user


def _send_verification(ctx, user, attr):
    medium, mask = VERIFIABLE[attr]
    code = "%06d" % secrets.randbelow(10 ** 6)
    dest = user.attributes[attr]
    ctx.pool.send_code(user.username, "VerifyUserAttribute:" + attr, medium, dest, code)
    return {"AttributeName": attr, "DeliveryMedium": medium, "Destination": mask(dest)}


@operation("SignUp")
def sign_up(ctx, body):
    check_client(ctx, body.get("ClientId"))
    name = _username(body)
    check_secret_hash(ctx, body.get("SecretHash"), name)
    password = body.get("Password")
    if not isinstance(password, str) or not password:
        raise validation_error("password", None, "Member must not be null")
    attrs = _attributes(ctx, body) if body.get("UserAttributes") is not None else {}
    if ctx.pool.find_user(name) is not None:
        raise ApiError("UsernameExistsException", "User already exists")
    policy.check(ctx, password)
    sub = str(uuid.uuid4())
    ctx.pool.put_user({"username": name, "password": password, "attributes": attrs,
                       "status": "UNCONFIRMED", "sub": sub})
    user = ctx.pool.get_user(name)
    with ctx.pool.lock:
        # Nothing is verified before the user confirms.
        for attr in VERIFIABLE:
            if attr in user.attributes:
                user.attributes[attr + "_verified"] = "false"
    out = {"UserConfirmed": False, "UserSub": sub}
    details = _send_code(ctx, user, "ConfirmSignUp", verified_only=False)
    if details is not None:
        out["CodeDeliveryDetails"] = details
    return out


@operation("UpdateUserAttributes")
def update_user_attributes(ctx, body):
    user = _user(ctx, body)
    attrs = _attributes(ctx, body)
    sent = []
    with ctx.pool.lock:
        changed = [a for a in VERIFIABLE if a in attrs and attrs[a] != user.attributes.get(a)]
        user.attributes.update(attrs)
        for a in changed:
            user.attributes[a + "_verified"] = "false"
    for a in changed:
        sent.append(_send_verification(ctx, user, a))
    return {"CodeDeliveryDetailsList": sent} if sent else {}


@operation("DeleteUserAttributes")
def delete_user_attributes(ctx, body):
    user = _user(ctx, body)
    names = body.get("UserAttributeNames")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise validation_error("userAttributeNames", None, "Member must not be null")
    for n in names:
        _writable(ctx, n)
        if n in ctx.pool.setting("required_attributes"):
            raise ApiError("InvalidParameterException",
                           "Invalid user attributes: user.%s: a required attribute "
                           "cannot be deleted." % n)
    with ctx.pool.lock:
        for n in names:
            user.attributes.pop(n, None)
            if n in VERIFIABLE:
                user.attributes.pop(n + "_verified", None)
    return {}


@operation("GetUserAttributeVerificationCode")
def get_user_attribute_verification_code(ctx, body):
    user = _user(ctx, body)
    attr = body.get("AttributeName")
    if attr not in VERIFIABLE:
        raise ApiError("InvalidParameterException", "Invalid attribute name: %s" % attr)
    if attr not in user.attributes:
        raise ApiError("InvalidParameterException",
                       "User has no attribute %s" % attr)
    return {"CodeDeliveryDetails": _send_verification(ctx, user, attr)}


@operation("VerifyUserAttribute")
def verify_user_attribute(ctx, body):
    user = _user(ctx, body)
    attr = body.get("AttributeName")
    if attr not in VERIFIABLE or attr not in user.attributes:
        raise ApiError("InvalidParameterException", "Invalid attribute name: %s" % attr)
    code = body.get("Code")
    _check_code(ctx, user, "VerifyUserAttribute:" + attr, {"ConfirmationCode": code})
    with ctx.pool.lock:
        user.attributes[attr + "_verified"] = "true"
    return {}


_MFA = (("SMSMfaSettings", "SMS_MFA"), ("SoftwareTokenMfaSettings", "SOFTWARE_TOKEN_MFA"),
        ("EmailMfaSettings", "EMAIL_OTP"))


@operation("SetUserMFAPreference")
def set_user_mfa_preference(ctx, body):
    user = _user(ctx, body)
    with ctx.pool.lock:
        settings = list(user.extra.get("mfa_settings") or [])
        preferred = user.extra.get("preferred_mfa")
        for key, method in _MFA:
            given = body.get(key)
            if given is None:
                continue
            if not isinstance(given, dict):
                raise validation_error(key[0].lower() + key[1:], None, "Member must be an object")
            enabled, prefer = given.get("Enabled"), given.get("PreferredMfa")
            if enabled and method == "SOFTWARE_TOKEN_MFA" and not user.extra.get("totp_secret"):
                raise ApiError("InvalidParameterException",
                               "User has not verified software token mfa")
            if enabled and method == "SMS_MFA" and not user.attributes.get("phone_number"):
                raise ApiError("InvalidParameterException",
                               "User does not have delivery config set to turn on SMS_MFA")
            if enabled and method == "EMAIL_OTP" and not user.attributes.get("email"):
                raise ApiError("InvalidParameterException",
                               "User does not have delivery config set to turn on EMAIL_OTP")
            if enabled and method not in settings:
                settings.append(method)
            if enabled is False and method in settings:
                settings.remove(method)
            if prefer and enabled is not False:
                preferred = method
            elif preferred == method and (prefer is False or enabled is False):
                preferred = None
        user.extra["mfa_settings"] = settings
        if preferred in settings:
            user.extra["preferred_mfa"] = preferred
        else:
            user.extra.pop("preferred_mfa", None)
    return {}


@operation("DeleteUser")
def delete_user(ctx, body):
    user = _user(ctx, body)
    ctx.pool.delete_user(user.username)
    ctx.pool.revoke_refresh_tokens(username=user.username)
    return {}
