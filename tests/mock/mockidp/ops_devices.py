"""Device tracking: a host or browser becomes a device of its user, and a
remembered device proves itself with its own SRP so MFA can be skipped.

With pool setting `device_tracking` ALWAYS or USER_OPT_IN, a sign-in that
did not come from a known device ends with `NewDeviceMetadata` (DeviceKey
`<region>_<uuid>`, DeviceGroupKey `-` + 9 characters); the refresh token is
bound to that key. `ConfirmDevice` (AccessToken, DeviceKey,
DeviceSecretVerifierConfig {PasswordVerifier, Salt}: base64 of the SDK's
padHex bytes, DeviceName) stores the device's SRP verifier and answers
`UserConfirmationNecessary`: false with ALWAYS (the device is remembered at
once), true with USER_OPT_IN (`UpdateDeviceStatus` "remembered" remembers
it).

A later sign-in sends DEVICE_KEY (InitiateAuth and the PASSWORD_VERIFIER
answer). Once the password is proven, a confirmed device of that user gets
`DEVICE_SRP_AUTH` (ChallengeParameters `{}`; answer DEVICE_KEY and SRP_A),
then `DEVICE_PASSWORD_VERIFIER` (SALT, SECRET_BLOCK, SRP_B, USERNAME,
DEVICE_KEY; answer PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP,
PASSWORD_CLAIM_SIGNATURE, DEVICE_KEY), checked for real against the
verifier: the SRP of srp.py with the group key as pool name, the device key
as user and the device password. A remembered device that passes skips the
MFA challenges (pool setting `remembered_device_skips_mfa`). A DEVICE_KEY
that is not a confirmed device of the user (forgotten, say) is
`ResourceNotFoundException` "Device does not exist." on the PASSWORD_VERIFIER
answer, before its SECRET_BLOCK is spent: the SDK then sends the same
answer again without DEVICE_KEY, as it does with Cognito.

GetDevice, ListDevices and ForgetDevice (which also revokes the refresh
tokens bound to the device) take the user's AccessToken.
"""

import base64
import secrets
import string
import uuid
from urllib.parse import unquote

from . import srp, tokens
from .ops_auth import (WRONG_PASSWORD, ChallengeStep, challenge, planner, pre_claim_check, require,
                       result_hook)
from .server import ApiError, control, operation

MFA_CHALLENGES = ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "EMAIL_MFA", "SELECT_MFA_TYPE",
                  "MFA_SETUP")
NO_DEVICE = "Device does not exist."
# A device's SECRET_BLOCK is shorter than a user's (684 base64 characters).
DEVICE_SECRET_BLOCK_BYTES = 512
LIST_LIMIT = 60


def _devices(pool):
    """key -> device record; use under pool.lock."""
    return pool.ext.setdefault("devices", {})


def _device_of(ctx, user, key, confirmed=True):
    """The user's device with this key (confirmed unless told), or
    ResourceNotFoundException as Cognito answers for a forgotten one."""
    with ctx.pool.lock:
        dev = _devices(ctx.pool).get(key) if isinstance(key, str) else None
        if dev is None or dev["username"] != user.username or (confirmed and not dev["confirmed"]):
            raise ApiError("ResourceNotFoundException", NO_DEVICE)
        return dev


def _new_group_key():
    alphabet = string.ascii_letters + string.digits
    return "-" + "".join(secrets.choice(alphabet) for _ in range(9))


def _b64_int(text, field):
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if not raw:
        raise ApiError("InvalidParameterException", "%s is not base64" % field)
    return int.from_bytes(raw, "big")


def device_json(dev):
    """Cognito's DeviceType."""
    return {
        "DeviceKey": dev["key"],
        "DeviceAttributes": [
            {"Name": "device_status", "Value": "valid"},
            {"Name": "device_name", "Value": dev["name"]},
            {"Name": "dev:device_remembered_status",
             "Value": "remembered" if dev["remembered"] else "not_remembered"},
            {"Name": "last_ip_used", "Value": dev["last_ip"]},
        ],
        "DeviceCreateDate": dev["created"],
        "DeviceLastModifiedDate": dev["modified"],
        "DeviceLastAuthenticatedDate": dev["last_authenticated"],
    }


def _control_json(dev):
    out = {k: v for k, v in dev.items() if k not in ("salt", "verifier")}
    out["has_verifier"] = dev["verifier"] is not None
    return out


# -- the sign-in -------------------------------------------------------------------

@pre_claim_check
def _check_device_key(ctx, sess, user, responses):
    """Cognito refuses an unknown DEVICE_KEY before the claim is spent, so
    the SDK can answer again without it."""
    key = responses.get("DEVICE_KEY")
    if key and ctx.pool.setting("device_tracking") != "OFF":
        _device_of(ctx, user, key)


@planner
def _plan_device(ctx, sess, user, plan):
    key = sess.state.get("device_key")
    if not key or ctx.pool.setting("device_tracking") == "OFF":
        return plan
    _device_of(ctx, user, key)
    sess.state["device"] = key
    return ["DEVICE_SRP_AUTH"] + [c for c in plan if c != "DEVICE_SRP_AUTH"]


@challenge("DEVICE_SRP_AUTH")
class DeviceSrpAuth(ChallengeStep):
    def issue(self, ctx, sess, user):
        return {}

    def answer(self, ctx, sess, user, responses):
        key = require(responses, "DEVICE_KEY")
        srp_a = require(responses, "SRP_A")
        if key != sess.state.get("device"):
            raise ApiError("ResourceNotFoundException", NO_DEVICE)
        dev = _device_of(ctx, user, key)
        try:
            exchange = srp.ServerSrp(dev["group_key"], key, dev["salt"], dev["verifier"],
                                     srp.parse_hex_int(srp_a, "SRP_A"))
        except srp.SrpError:
            raise ApiError("InvalidParameterException", "SRP_A is not valid") from None
        block = base64.b64encode(secrets.token_bytes(DEVICE_SECRET_BLOCK_BYTES)).decode("ascii")
        sess.state.update({"device_srp": exchange, "device_block": block})
        sess.pending.insert(0, "DEVICE_PASSWORD_VERIFIER")


@challenge("DEVICE_PASSWORD_VERIFIER")
class DevicePasswordVerifier(ChallengeStep):
    def issue(self, ctx, sess, user):
        exchange = sess.state["device_srp"]
        return {
            "SALT": srp.salt_to_wire(exchange.salt),
            "SECRET_BLOCK": sess.state["device_block"],
            "SRP_B": exchange.srp_b_wire,
            "USERNAME": user.username,
            "DEVICE_KEY": exchange.user_id,
        }

    def answer(self, ctx, sess, user, responses):
        # One claim per SECRET_BLOCK, right or wrong.
        exchange = sess.state.pop("device_srp", None)
        block = sess.state.pop("device_block", None)
        if exchange is None or require(responses, "PASSWORD_CLAIM_SECRET_BLOCK") != block:
            ctx.pool.drop_session(sess)
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        if require(responses, "DEVICE_KEY") != exchange.user_id:
            ctx.pool.drop_session(sess)
            raise ApiError("ResourceNotFoundException", NO_DEVICE)
        timestamp = require(responses, "TIMESTAMP")
        when = srp.parse_timestamp(timestamp)
        ok = (when is not None and abs(when - ctx.now()) <= ctx.pool.setting("timestamp_skew") and
              exchange.check_claim(base64.b64decode(block), timestamp,
                                   require(responses, "PASSWORD_CLAIM_SIGNATURE")))
        if not ok:
            ctx.pool.drop_session(sess)
            raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
        with ctx.pool.lock:
            dev = _devices(ctx.pool).get(exchange.user_id)
            if dev is None:
                raise ApiError("ResourceNotFoundException", NO_DEVICE)
            dev["last_authenticated"] = ctx.now()
            dev["last_ip"] = ctx.client_address[0]
            dev["authentications"] += 1
            remembered = dev["remembered"]
        sess.state["device_authenticated"] = exchange.user_id
        if remembered and ctx.pool.setting("remembered_device_skips_mfa"):
            sess.pending = [c for c in sess.pending if c not in MFA_CHALLENGES]


@result_hook
def _new_device_metadata(ctx, sess, user, result):
    """A known device keeps its key; any other sign-in of a tracking
    pool is a new device. The refresh token belongs to the device."""
    if ctx.pool.setting("device_tracking") == "OFF":
        return
    key = sess.state.get("device_authenticated")
    if key is None:
        key = "%s_%s" % (ctx.pool.region, uuid.uuid4())
        group = _new_group_key()
        now = ctx.now()
        with ctx.pool.lock:
            _devices(ctx.pool)[key] = {
                "key": key, "group_key": group, "username": user.username, "name": "",
                "confirmed": False, "remembered": False, "salt": None, "verifier": None,
                "created": now, "modified": now, "last_authenticated": now,
                "last_ip": ctx.client_address[0], "authentications": 0,
            }
        result["NewDeviceMetadata"] = {"DeviceGroupKey": group, "DeviceKey": key}
    if "RefreshToken" in result:
        ctx.pool.bind_refresh_token(result["RefreshToken"], key)


# -- the device API ---------------------------------------------------------------

def _user(ctx, body):
    token = body.get("AccessToken")
    if not isinstance(token, str) or not token:
        raise ApiError("InvalidParameterException", "Missing required parameter AccessToken")
    return tokens.user_from_access_token(ctx, token)[0]


def _key(body):
    key = body.get("DeviceKey")
    if not isinstance(key, str) or not key:
        raise ApiError("InvalidParameterException", "Missing required parameter DeviceKey")
    return key


@operation("ConfirmDevice")
def confirm_device(ctx, body):
    user = _user(ctx, body)
    key = _key(body)
    dev = _device_of(ctx, user, key, confirmed=False)
    if dev["confirmed"]:
        raise ApiError("InvalidParameterException", "Device already confirmed")
    config = body.get("DeviceSecretVerifierConfig")
    if not isinstance(config, dict):
        raise ApiError("InvalidParameterException",
                       "Missing required parameter DeviceSecretVerifierConfig")
    verifier = _b64_int(config.get("PasswordVerifier"), "PasswordVerifier")
    salt = _b64_int(config.get("Salt"), "Salt")
    name = body.get("DeviceName")
    mode = ctx.pool.setting("device_tracking")
    with ctx.pool.lock:
        dev.update({"confirmed": True, "verifier": verifier, "salt": salt,
                    "name": name if isinstance(name, str) else "",
                    "remembered": mode == "ALWAYS", "modified": ctx.now()})
    return {"UserConfirmationNecessary": mode == "USER_OPT_IN"}


@operation("UpdateDeviceStatus")
def update_device_status(ctx, body):
    user = _user(ctx, body)
    dev = _device_of(ctx, user, _key(body))
    status = body.get("DeviceRememberedStatus")
    if status not in ("remembered", "not_remembered"):
        raise ApiError("InvalidParameterException",
                       "1 validation error detected: Value at 'deviceRememberedStatus' failed to "
                       "satisfy constraint: Member must satisfy enum value set: "
                       "[remembered, not_remembered]")
    with ctx.pool.lock:
        dev["remembered"] = status == "remembered"
        dev["modified"] = ctx.now()
    return {}


@operation("GetDevice")
def get_device(ctx, body):
    dev = _device_of(ctx, _user(ctx, body), _key(body))
    with ctx.pool.lock:
        return {"Device": device_json(dev)}


@operation("ListDevices")
def list_devices(ctx, body):
    user = _user(ctx, body)
    limit = body.get("Limit", LIST_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= LIST_LIMIT:
        raise ApiError("InvalidParameterException", "Limit must be from 0 to %d" % LIST_LIMIT)
    limit = limit or LIST_LIMIT
    with ctx.pool.lock:
        mine = sorted((d for d in _devices(ctx.pool).values()
                       if d["username"] == user.username and d["confirmed"]),
                      key=lambda d: (d["created"], d["key"]))
        start = 0
        token = body.get("PaginationToken")
        if token is not None:
            tokens_issued = ctx.pool.ext.setdefault("device_pages", {})
            if token not in tokens_issued:
                raise ApiError("InvalidParameterException", "Invalid pagination token")
            start = tokens_issued.pop(token)
        page = mine[start:start + limit]
        out = {"Devices": [device_json(d) for d in page]}
        if start + limit < len(mine):
            token = secrets.token_urlsafe(24)
            ctx.pool.ext.setdefault("device_pages", {})[token] = start + limit
            out["PaginationToken"] = token
        return out


@operation("ForgetDevice")
def forget_device(ctx, body):
    user = _user(ctx, body)
    key = _key(body)
    _device_of(ctx, user, key, confirmed=False)
    with ctx.pool.lock:
        _devices(ctx.pool).pop(key, None)
    ctx.pool.revoke_refresh_tokens(device_key=key)
    return {}


# -- control API ----------------------------------------------------------------------

@control("GET", r"/_mock/devices/([^/]+)")
def _ctl_devices(idp, m, body):
    """A user's devices as stored (confirmed or not), without verifiers."""
    name = unquote(m.group(1))
    with idp.pool.lock:
        devs = [_control_json(d) for d in _devices(idp.pool).values()
                if d["username"].casefold() == name.casefold()]
    return 200, {"devices": sorted(devs, key=lambda d: d["created"])}


@control("DELETE", r"/_mock/devices/([^/]+)/([^/]+)")
def _ctl_forget(idp, m, body):
    """Forgets a device, as ForgetDevice (or an administrator) would."""
    key = unquote(m.group(2))
    with idp.pool.lock:
        dev = _devices(idp.pool).get(key)
        if dev is None or dev["username"].casefold() != unquote(m.group(1)).casefold():
            return 404, {"error": "no such device"}
        del _devices(idp.pool)[key]
    idp.pool.revoke_refresh_tokens(device_key=key)
    return 200, {}


@control("POST", r"/_mock/devices/([^/]+)/([^/]+)")
def _ctl_set_device(idp, m, body):
    """{"remembered": bool}: as UpdateDeviceStatus."""
    if not isinstance(body.get("remembered"), bool):
        raise ValueError("remembered must be true or false")
    with idp.pool.lock:
        dev = _devices(idp.pool).get(unquote(m.group(2)))
        if dev is None:
            return 404, {"error": "no such device"}
        dev["remembered"] = body["remembered"]
        return 200, _control_json(dev)
