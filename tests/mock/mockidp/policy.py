"""The pool's password policy, checked wherever a new password is set
(NEW_PASSWORD_REQUIRED, ConfirmForgotPassword, ChangePassword, SignUp).
Cognito names only the first rule a password breaks."""

from .server import ApiError

_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")

_RULES = (
    ("require_uppercase", lambda p: any("A" <= c <= "Z" for c in p),
     "Password must have uppercase characters"),
    ("require_lowercase", lambda p: any("a" <= c <= "z" for c in p),
     "Password must have lowercase characters"),
    ("require_numbers", lambda p: any("0" <= c <= "9" for c in p),
     "Password must have numeric characters"),
    ("require_symbols", lambda p: any(c in _SYMBOLS for c in p),
     "Password must have symbol characters"),
)


def check(ctx, password):
    """Raises InvalidPasswordException when password breaks the policy."""
    policy = ctx.pool.setting("password_policy")
    reason = None
    if len(password) < int(policy.get("min_length", 8)):
        reason = "Password not long enough"
    else:
        for flag, ok, why in _RULES:
            if policy.get(flag) and not ok(password):
                reason = why
                break
    if reason is not None:
        raise ApiError("InvalidPasswordException", "Password did not conform with policy: " + reason)
