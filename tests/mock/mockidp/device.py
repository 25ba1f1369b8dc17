"""An RFC 8628 device authorization endpoint, for the PAM and cognitoctl
tests of the device flow (the real one is the bridge, bridge/).

POST /device/device_authorization  (client_id, scope) -> device_code, user_code, ...
POST /device/token                 (grant_type=urn:ietf:params:oauth:grant-type:device_code)
Test control:
POST /_mock/device/approve {"user_code", "username"}   the person signed in as username
POST /_mock/device/deny    {"user_code"}                the person declined
POST /_mock/device/expire  {"user_code"}                the code ran out
POST /_mock/device/config  {"interval": N, "enforce_interval": N, "expires_in": N,
                            "user_code": "BCDF-GHJK",
                            "auto": {"action": "approve"|"deny"|"expire", "username": U,
                                     "after_polls": N}}
                           a fixed user code (exact prompts in tests), and what happens
                           by itself at a code's Nth poll (no test thread needed)
GET  /_mock/device/log     every request to /device/*, with its time

POST /device/oauth2/revoke and POST /device/oauth2/token (grant_type=
refresh_token) stand in for the hosted UI's revocation and refresh
(hostedui.py has the real shapes) so tests of a device session need only
this module: hosted_ui_url = <mock>/device.
POST /_mock/device/reset   forgets codes, log and config

A poll sooner than enforce_interval seconds (default: the advertised
interval) after the previous one answers slow_down. Tokens are minted with
the mock's own keys (tokens.py), for the client_id that asked, so the
module verifies them as real ones; a user's attributes (a federated
user's "identities", say) become ID-token claims as Cognito's do.
"""

import json
import secrets
import threading
import time
from urllib.parse import parse_qs

from . import tokens
from .server import control

GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# No vowels or lookalikes, as the bridge's codes.
_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"

_lock = threading.Lock()


def _state(idp):
    with _lock:
        st = getattr(idp, "_device_state", None)
        if st is None:
            st = {"codes": {}, "log": [], "config": {"interval": 0, "expires_in": 600}}
            idp._device_state = st
        return st


def _form(raw):
    try:
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), strict_parsing=False).items()}
    except (UnicodeDecodeError, ValueError):
        return {}


def handle(handler, path, raw):
    """Answers POST /device/<op>; True when the path was ours."""
    idp = handler.idp
    st = _state(idp)
    form = _form(raw)
    with _lock:
        st["log"].append({"path": path, "t": time.time(), "form": {
            k: v for k, v in form.items() if k not in ("device_code", "token", "refresh_token")}})
    if handler.command != "POST":
        handler.send_json(405, {"error": "invalid_request"})
    elif path == "/device/device_authorization":
        _authorize(handler, st, form)
    elif path == "/device/token":
        _token(handler, st, form)
    elif path == "/device/oauth2/revoke":
        _revoke(handler, form)
    elif path == "/device/oauth2/token":
        _refresh(handler, form)
    else:
        handler.send_json(404, {"error": "not_found"})
    return True


def _authorize(handler, st, form):
    client_id = form.get("client_id", "")
    if not client_id:
        handler.send_json(400, {"error": "invalid_client"})
        return
    cfg = st["config"]
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    user_code = cfg.get("user_code") or code[:4] + "-" + code[4:]
    device_code = secrets.token_urlsafe(32)
    host = handler.headers.get("Host", "localhost")
    rec = {"user_code": user_code, "client_id": client_id, "scope": form.get("scope", ""),
           "status": "pending", "username": None, "last_poll": None, "polls": 0,
           "expires": time.time() + cfg["expires_in"]}
    with _lock:
        st["codes"][device_code] = rec
    handler.send_json(200, {
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": "https://%s/device" % host,
        "verification_uri_complete": "https://%s/device?user_code=%s" % (host, user_code),
        "expires_in": cfg["expires_in"],
        "interval": cfg["interval"],
    })


def _token(handler, st, form):
    if form.get("grant_type") != GRANT:
        handler.send_json(400, {"error": "unsupported_grant_type"})
        return
    now = time.time()
    with _lock:
        rec = st["codes"].get(form.get("device_code", ""))
        if rec is None or rec["client_id"] != form.get("client_id"):
            err = "invalid_grant"
        elif rec["status"] == "expired" or now >= rec["expires"]:
            err = "expired_token"
        elif rec["status"] == "denied":
            err = "access_denied"
        elif rec["status"] == "issued":
            err = "invalid_grant"
        else:
            enforce = st["config"].get("enforce_interval", st["config"]["interval"])
            last, rec["last_poll"] = rec["last_poll"], now
            rec["polls"] += 1
            auto = st["config"].get("auto")
            if auto and rec["status"] == "pending" and rec["polls"] >= auto.get("after_polls", 1):
                rec["status"] = {"approve": "approved", "deny": "denied",
                                 "expire": "expired"}[auto["action"]]
                rec["username"] = auto.get("username")
            if last is not None and now - last < enforce:
                err = "slow_down"
            elif rec["status"] == "denied":
                err = "access_denied"
            elif rec["status"] == "expired":
                err = "expired_token"
            elif rec["status"] == "pending":
                err = "authorization_pending"
            else:
                err = None
                rec["status"] = "issued"
    if err is not None:
        handler.send_json(400, {"error": err})
        return
    idp = handler.idp
    user = idp.pool.get_user(rec["username"])
    if user is None:
        handler.send_json(400, {"error": "access_denied"})
        return
    res = tokens.authentication_result_for(idp, user, rec["client_id"], now, "")
    handler.send_json(200, {
        "id_token": res["IdToken"], "access_token": res["AccessToken"],
        "refresh_token": res.get("RefreshToken"), "expires_in": res["ExpiresIn"],
        "token_type": "Bearer"})


def _revoke(handler, form):
    pool = handler.idp.pool
    rec = pool.refresh_token(form.get("token", ""))
    if rec is None or rec.get("client_id") != form.get("client_id"):
        handler.send_json(400, {"error": "invalid_request"})
        return
    pool.revoke_refresh_tokens(token=form["token"])
    handler.send_json(200, {})


def _refresh(handler, form):
    idp = handler.idp
    rec = idp.pool.refresh_token(form.get("refresh_token", ""))
    user = idp.pool.get_user(rec["username"]) if rec else None
    if (form.get("grant_type") != "refresh_token" or rec is None or rec["revoked"]
            or rec.get("client_id") != form.get("client_id") or user is None):
        handler.send_json(400, {"error": "invalid_grant"})
        return
    res = tokens.authentication_result_for(idp, user, rec["client_id"], time.time(), "",
                                           with_refresh=False)
    handler.send_json(200, {"id_token": res["IdToken"], "access_token": res["AccessToken"],
                            "expires_in": res["ExpiresIn"], "token_type": "Bearer"})


def _find(st, user_code):
    for rec in st["codes"].values():
        if rec["user_code"] == user_code:
            return rec
    raise ValueError("no device login with user_code %r" % user_code)


def _set(idp, body, status):
    st = _state(idp)
    with _lock:
        rec = _find(st, body.get("user_code"))
        rec["status"] = status
        if status == "approved":
            if not isinstance(body.get("username"), str):
                raise ValueError("approve needs a username")
            rec["username"] = body["username"]
    return 200, {"status": status}


@control("POST", r"/_mock/device/approve")
def _ctl_approve(idp, m, body):
    return _set(idp, body, "approved")


@control("POST", r"/_mock/device/deny")
def _ctl_deny(idp, m, body):
    return _set(idp, body, "denied")


@control("POST", r"/_mock/device/expire")
def _ctl_expire(idp, m, body):
    return _set(idp, body, "expired")


@control("POST", r"/_mock/device/config")
def _ctl_config(idp, m, body):
    st = _state(idp)
    with _lock:
        if "user_code" in body:
            st["config"]["user_code"] = str(body["user_code"])
        if "auto" in body:
            if body["auto"] and body["auto"].get("action") not in ("approve", "deny", "expire"):
                raise ValueError("auto.action must be approve, deny or expire")
            st["config"]["auto"] = body["auto"]
        for key in ("interval", "enforce_interval", "expires_in"):
            if key in body:
                if not isinstance(body[key], int) or body[key] < 0:
                    raise ValueError(key + " must be a number >= 0")
                st["config"][key] = body[key]
        return 200, dict(st["config"])


@control("GET", r"/_mock/device/log")
def _ctl_log(idp, m, body):
    st = _state(idp)
    with _lock:
        codes = [{"user_code": r["user_code"], "status": r["status"]} for r in st["codes"].values()]
        return 200, {"requests": list(st["log"]), "codes": codes}


@control("POST", r"/_mock/device/reset")
def _ctl_reset(idp, m, body):
    with _lock:
        idp._device_state = None
    return 200, {}
