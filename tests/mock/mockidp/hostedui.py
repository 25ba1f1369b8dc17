"""The hosted UI (managed login) of the pool's domain: what a browser and
an OAuth client see at https://<domain>.auth.<region>.amazoncognito.com.

- GET /oauth2/authorize: checks client_id, redirect_uri (exactly one of
  the client's callback URLs), response_type=code, scope, PKCE (S256
  only) and identity_provider, then shows a sign-in form, or signs a
  browser that already has a hosted-UI session in at once (as Cognito
  does), redirecting to redirect_uri?code=...&state=...
- POST /login: the form's target. An XSRF-TOKEN cookie must match the
  form's _csrf field. A pool user signs in with the password; with
  identity_provider=NAME (not COGNITO) the form stands in for that
  external IdP and signs in a user whose status is EXTERNAL_PROVIDER and
  whose "identity_provider" field is NAME, with no password.
- POST /oauth2/token: authorization_code (single use, 5 minutes, bound to
  client, redirect_uri and the PKCE challenge) and refresh_token, with
  client authentication (HTTP Basic, or client_secret in the body) when
  the client has a secret. Errors are Cognito's {"error": "..."}.
- POST /oauth2/revoke and GET /logout.

Test control: POST /_mock/hostedui {"callback_urls": [...],
"logout_urls": [...], "scopes": [...], "flows": ["code"],
"identity_providers": ["COGNITO", ...], "code_ttl": s}; GET shows it with
the codes issued (never the codes themselves).
"""

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

from . import badtokens, tokens
from . import jwt as jwtlib
from .server import control, route

FORM_TYPE = "application/x-www-form-urlencoded"
SESSION_COOKIE = "cognito"
CSRF_COOKIE = "XSRF-TOKEN"
KNOWN_SCOPES = ("openid", "profile", "email", "phone", "aws.cognito.signin.user.admin")
DEFAULTS = {
    "callback_urls": [],
    "logout_urls": [],
    "scopes": ["openid", "profile", "email", "aws.cognito.signin.user.admin"],
    "flows": ["code"],
    "identity_providers": ["COGNITO"],
    "code_ttl": 300,
}


class HostedUi:
    """Settings, codes and browser sessions of one mock's hosted UI."""

    def __init__(self):
        self.lock = threading.Lock()
        self.settings = json.loads(json.dumps(DEFAULTS))
        self.codes = {}      # code -> grant record
        self.sessions = {}   # session cookie -> (username, auth_time)
        self.scopes = {}     # origin_jti of a code grant -> its scope (for refreshes)
        self.used = 0


_STATES = {}
_STATES_LOCK = threading.Lock()


def state_of(idp):
    with _STATES_LOCK:
        ui = _STATES.get(id(idp))
        if ui is None:
            ui = _STATES[id(idp)] = HostedUi()
        return ui


# -- plumbing -------------------------------------------------------------------


def _query(handler):
    return {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query, keep_blank_values=True).items()}


def _form(handler, raw):
    ctype = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype != FORM_TYPE:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _cookies(handler):
    jar = SimpleCookie()
    try:
        jar.load(handler.headers.get("Cookie", ""))
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def _cookie(name, value, max_age=None):
    text = "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax" % (name, value)
    if max_age is not None:
        text += "; Max-Age=%d" % max_age
    return ("Set-Cookie", text)


def _json(handler, status, obj, headers=()):
    body = json.dumps(obj, separators=(",", ":")).encode()
    handler.send_raw(status, body, "application/json;charset=UTF-8",
                     headers=[("Cache-Control", "no-store")] + list(headers))


def _oauth_error(handler, error, status=400, description=None):
    obj = {"error": error}
    if description:
        obj["error_description"] = description
    extra = [("WWW-Authenticate", 'Basic realm="token"')] if status == 401 else []
    _json(handler, status, obj, extra)


def _html(handler, status, title, body, headers=()):
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"
            "<body><h1>%s</h1>%s</body></html>" % (html.escape(title), html.escape(title), body))
    handler.send_raw(status, page.encode(), "text/html;charset=UTF-8",
                     headers=[("Cache-Control", "no-store"), ("X-Frame-Options", "DENY")] + list(headers))


def _error_page(handler, what):
    _html(handler, 400, "An error was encountered with the requested page",
          "<p id=\"error\">%s</p>" % html.escape(what))


def _redirect(handler, location, headers=()):
    handler.send_raw(302, b"", "text/html;charset=UTF-8",
                     headers=[("Location", location), ("Cache-Control", "no-store")] + list(headers))


def _with_query(url, params):
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


# -- /oauth2/authorize ------------------------------------------------------------


class _PageError(Exception):
    """A request the hosted UI refuses on its own error page (it cannot
    trust redirect_uri)."""


class _RedirectError(Exception):
    """A request refused by redirecting to redirect_uri?error=..."""

    def __init__(self, error, description=None):
        super().__init__(error)
        self.error = error
        self.description = description


def _check_authorize(idp, ui, q):
    """The authorize request's parameters, checked as Cognito does; returns
    them cleaned up."""
    pool = idp.pool
    if q.get("client_id") != pool.client_id:
        raise _PageError("invalid_request: client_id is not a client of this pool")
    redirect_uri = q.get("redirect_uri", "")
    with ui.lock:
        callbacks = list(ui.settings["callback_urls"])
        scopes_ok = set(ui.settings["scopes"])
        flows = list(ui.settings["flows"])
        providers = list(ui.settings["identity_providers"])
    if redirect_uri not in callbacks:
        raise _PageError("redirect_mismatch")
    if q.get("response_type") != "code":
        raise _RedirectError("unsupported_response_type")
    if "code" not in flows:
        raise _RedirectError("unauthorized_client")
    scope = q.get("scope", "openid")
    scopes = scope.split()
    if not scopes or any(s not in scopes_ok for s in scopes):
        raise _RedirectError("invalid_scope")
    challenge = q.get("code_challenge")
    method = q.get("code_challenge_method")
    if challenge is not None or method is not None:
        if method != "S256" or not challenge or len(challenge) != 43:
            raise _RedirectError("invalid_request", "PKCE: code_challenge_method must be S256")
    provider = q.get("identity_provider")
    if provider is not None and provider not in providers:
        raise _RedirectError("invalid_request", "identity_provider is not enabled for this client")
    return {"client_id": pool.client_id, "redirect_uri": redirect_uri, "state": q.get("state"),
            "scope": " ".join(scopes), "challenge": challenge, "nonce": q.get("nonce"),
            "provider": provider or "COGNITO"}


def _issue_code(idp, ui, req, username, auth_time):
    code = secrets.token_urlsafe(27)
    rec = dict(req)
    rec.update({"username": username, "auth_time": auth_time,
                "expires": idp.pool.clock.now() + ui.settings["code_ttl"]})
    with ui.lock:
        ui.codes[code] = rec
    params = {"code": code}
    if req["state"] is not None:
        params["state"] = req["state"]
    return _with_query(req["redirect_uri"], params)


def _session_user(idp, ui, handler):
    sid = _cookies(handler).get(SESSION_COOKIE)
    with ui.lock:
        sess = ui.sessions.get(sid) if sid else None
    if sess is None:
        return None
    user = idp.pool.get_user(sess[0])
    if user is None or not user.enabled:
        return None
    return sess


def _sign_in_form(handler, query_string, provider, message=""):
    csrf = secrets.token_urlsafe(24)
    if provider == "COGNITO":
        fields = ('<label>Username <input name="username" id="username" autocomplete="username">'
                  '</label><label>Password <input name="password" id="password" type="password">'
                  '</label>')
    else:
        fields = ('<p>Continue with %s (the mock stands in for it).</p>'
                  '<label>%s account <input name="username" id="username"></label>'
                  % (html.escape(provider), html.escape(provider)))
    body = ('%s<form method="post" action="/login?%s">'
            '<input type="hidden" name="_csrf" value="%s">%s'
            '<button type="submit" id="signin">Sign in</button></form>'
            % ('<p class="error" id="error">%s</p>' % html.escape(message) if message else "",
               html.escape(query_string), csrf, fields))
    _html(handler, 200, "Sign in", body, [_cookie(CSRF_COOKIE, csrf)])


def _answer_bad_request(handler, req_fn):
    """Runs req_fn(); turns its refusals into Cognito's answers."""
    try:
        return req_fn()
    except _PageError as exc:
        _error_page(handler, str(exc))
    except _RedirectError as exc:
        q = _query(handler)
        params = {"error": exc.error}
        if exc.description:
            params["error_description"] = exc.description
        if q.get("state") is not None:
            params["state"] = q["state"]
        _redirect(handler, _with_query(q["redirect_uri"], params))
    return None


def _authorize_request(handler):
    """(idp, hosted UI, checked authorize parameters or None if refused)."""
    idp = handler.idp
    ui = state_of(idp)
    return idp, ui, _answer_bad_request(handler, lambda: _check_authorize(idp, ui, _query(handler)))


@route("GET", "/oauth2/authorize")
def authorize(handler, raw):
    idp, ui, req = _authorize_request(handler)
    if req is None:
        return
    sess = _session_user(idp, ui, handler)
    if sess is not None and req["provider"] == "COGNITO":
        _redirect(handler, _issue_code(idp, ui, req, sess[0], sess[1]))
        return
    _sign_in_form(handler, urlsplit(handler.path).query, req["provider"])


@route("POST", "/login")
def login(handler, raw):
    idp, ui, req = _authorize_request(handler)
    if req is None:
        return
    form = _form(handler, raw) or {}
    csrf = _cookies(handler).get(CSRF_COOKIE)
    if not csrf or not hmac.compare_digest(csrf.encode(), form.get("_csrf", "").encode()):
        _html(handler, 403, "Forbidden", "<p id=\"error\">CSRF token missing or wrong</p>")
        return
    query_string = urlsplit(handler.path).query
    user = idp.pool.find_user(form.get("username", ""))
    if req["provider"] == "COGNITO":
        ok = (user is not None and user.status == "CONFIRMED"
              and idp.pool.check_password(user, form.get("password", "")))
    else:
        ok = (user is not None and user.status == "EXTERNAL_PROVIDER"
              and user.extra.get("identity_provider") == req["provider"])
    if ok and not user.enabled:
        _sign_in_form(handler, query_string, req["provider"], "User is disabled.")
        return
    if not ok:
        _sign_in_form(handler, query_string, req["provider"], "Incorrect username or password.")
        return
    now = idp.pool.clock.now()
    sid = secrets.token_urlsafe(32)
    with ui.lock:
        ui.sessions[sid] = (user.username, now)
    _redirect(handler, _issue_code(idp, ui, req, user.username, now),
              [_cookie(SESSION_COOKIE, sid, 3600)])


@route("GET", "/logout")
def logout(handler, raw):
    idp = handler.idp
    ui = state_of(idp)
    q = _query(handler)
    with ui.lock:
        logout_urls = list(ui.settings["logout_urls"])
        sid = _cookies(handler).get(SESSION_COOKIE)
        ui.sessions.pop(sid, None)
    if q.get("client_id") != idp.pool.client_id:
        _error_page(handler, "invalid_request")
        return
    gone = _cookie(SESSION_COOKIE, "", 0)
    if q.get("logout_uri") is not None:
        if q["logout_uri"] not in logout_urls:
            _error_page(handler, "redirect_mismatch")
            return
        _redirect(handler, q["logout_uri"], [gone])
        return
    _html(handler, 200, "Signed out", "<p>You have been signed out.</p>", [gone])


# -- /oauth2/token and /oauth2/revoke ----------------------------------------------


def _client_auth(handler, form):
    """The authenticated client id, or None after answering an error."""
    pool = handler.idp.pool
    given_id, given_secret = form.get("client_id"), form.get("client_secret")
    auth = handler.headers.get("Authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            cid, _, sec = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            _oauth_error(handler, "invalid_client", 401)
            return None
        if given_id is not None and given_id != cid:
            _oauth_error(handler, "invalid_client", 401)
            return None
        given_id, given_secret = cid, sec
    if given_id is None:
        _oauth_error(handler, "invalid_request", 400, "client_id is required")
        return None
    if given_id != pool.client_id:
        _oauth_error(handler, "invalid_client", 401)
        return None
    if pool.client_secret:
        if given_secret is None or not hmac.compare_digest(given_secret.encode(),
                                                           pool.client_secret.encode()):
            _oauth_error(handler, "invalid_client", 401)
            return None
    elif given_secret:
        _oauth_error(handler, "invalid_client", 401)
        return None
    return given_id


def _pkce_ok(challenge, verifier):
    if challenge is None:
        return verifier is None
    if verifier is None or not 43 <= len(verifier) <= 128:
        return False
    digest = jwtlib.b64url(hashlib.sha256(verifier.encode()).digest())
    return hmac.compare_digest(digest.encode(), challenge.encode())


def _mint(idp, user, client_id, scope, auth_time, nonce, origin_jti, with_refresh):
    pool = idp.pool
    now = pool.clock.now()
    ttl = pool.setting("token_ttl")
    event_id = secrets.token_hex(16)
    with pool.lock:
        id_claims = tokens.id_token_claims(idp, user, client_id, now, auth_time, origin_jti,
                                           event_id, ttl)
        access = tokens.access_token_claims(idp, user, client_id, now, auth_time, origin_jti,
                                            event_id, ttl)
    access["scope"] = scope
    access["version"] = 2
    access_token = jwtlib.encode(access, idp.access_key)
    id_claims["at_hash"] = jwtlib.b64url(hashlib.sha256(access_token.encode()).digest()[:16])
    if nonce:
        id_claims["nonce"] = nonce
    provider = user.extra.get("identity_provider")
    if provider:
        id_claims["identities"] = [{"providerName": provider, "providerType": provider,
                                    "userId": user.username.split("_", 1)[-1],
                                    "primary": "true", "dateCreated": str(int(user.created * 1000))}]
    out = {"id_token": badtokens.id_token(idp, id_claims, pool.setting("token_fault")),
           "access_token": access_token}
    if with_refresh:
        refresh = tokens.new_refresh_token()
        pool.add_refresh_token(refresh, user.username, client_id, origin_jti=origin_jti)
        out["refresh_token"] = refresh
    out.update({"expires_in": ttl, "token_type": "Bearer"})
    return out


def _grant_code(handler, form, client_id):
    idp = handler.idp
    ui = state_of(idp)
    code = form.get("code")
    if not code or not form.get("redirect_uri"):
        _oauth_error(handler, "invalid_request")
        return
    with ui.lock:
        # Single use: a code is gone after its first attempt, right or wrong.
        rec = ui.codes.pop(code, None)
        ui.used += rec is not None
    good = (rec is not None and idp.pool.clock.now() <= rec["expires"]
            and rec["client_id"] == client_id and rec["redirect_uri"] == form["redirect_uri"]
            and _pkce_ok(rec["challenge"], form.get("code_verifier")))
    user = _grant_user(handler, good and rec["username"])
    if user is not None:
        origin = secrets.token_hex(16)
        with ui.lock:
            ui.scopes[origin] = rec["scope"]
        _json(handler, 200, _mint(idp, user, client_id, rec["scope"], rec["auth_time"],
                                  rec["nonce"], origin, True))


def _grant_user(handler, username):
    """The enabled user a good grant names; None after answering
    invalid_grant."""
    user = handler.idp.pool.get_user(username) if username else None
    if user is None or not user.enabled:
        _oauth_error(handler, "invalid_grant")
        return None
    return user


def _grant_refresh(handler, form, client_id):
    idp = handler.idp
    ui = state_of(idp)
    rec = idp.pool.refresh_token(form.get("refresh_token"))
    good = (rec is not None and rec["client_id"] == client_id and not rec["revoked"]
            and idp.pool.clock.now() <= rec["expires"])
    user = _grant_user(handler, good and rec["username"])
    if user is not None:
        with ui.lock:
            scope = ui.scopes.get(rec["origin_jti"], "aws.cognito.signin.user.admin")
        _json(handler, 200, _mint(idp, user, client_id, scope, idp.pool.clock.now(), None,
                                  rec["origin_jti"], False))


@route("POST", "/oauth2/token")
def token(handler, raw):
    form = _form(handler, raw)
    if form is None:
        _oauth_error(handler, "invalid_request", 400,
                     "Content-Type must be application/x-www-form-urlencoded")
        return
    client_id = _client_auth(handler, form)
    if client_id is None:
        return
    grant = form.get("grant_type")
    with state_of(handler.idp).lock:
        flows = list(state_of(handler.idp).settings["flows"])
    if grant == "authorization_code":
        if "code" not in flows:
            _oauth_error(handler, "unauthorized_client")
            return
        _grant_code(handler, form, client_id)
    elif grant == "refresh_token":
        _grant_refresh(handler, form, client_id)
    elif grant in ("client_credentials",):
        _oauth_error(handler, "unauthorized_client")
    else:
        _oauth_error(handler, "unsupported_grant_type")


@route("POST", "/oauth2/revoke")
def revoke(handler, raw):
    form = _form(handler, raw)
    if form is None or not form.get("token"):
        _oauth_error(handler, "invalid_request")
        return
    client_id = _client_auth(handler, form)
    if client_id is None:
        return
    pool = handler.idp.pool
    if not pool.setting("token_revocation"):
        _oauth_error(handler, "unsupported_operation")
        return
    rec = pool.refresh_token(form["token"])
    if rec is None:
        _oauth_error(handler, "unsupported_token_type")
        return
    if rec["client_id"] != client_id:
        _oauth_error(handler, "invalid_client", 401)
        return
    pool.revoke_refresh_tokens(token=form["token"])
    handler.send_raw(200, b"", "application/json;charset=UTF-8")


# -- test control -----------------------------------------------------------------


@control("GET", r"/_mock/hostedui")
def _ctl_get(idp, m, body):
    ui = state_of(idp)
    with ui.lock:
        return 200, {"settings": ui.settings, "codes_pending": len(ui.codes),
                     "codes_used": ui.used, "sessions": len(ui.sessions)}


@control("POST", r"/_mock/hostedui")
def _ctl_set(idp, m, body):
    ui = state_of(idp)
    if not isinstance(body, dict) or set(body) - set(DEFAULTS):
        raise ValueError("hostedui takes " + ", ".join(sorted(DEFAULTS)))
    for key, value in body.items():
        if key == "code_ttl":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError("code_ttl must be a number of seconds")
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(key + " must be a list of strings")
        if key == "scopes" and any(s not in KNOWN_SCOPES for s in value):
            raise ValueError("scopes must be among " + ", ".join(KNOWN_SCOPES))
    with ui.lock:
        ui.settings.update(json.loads(json.dumps(body)))
        return 200, dict(ui.settings)


@control("POST", r"/_mock/hostedui/reset")
def _ctl_reset(idp, m, body):
    ui = state_of(idp)
    with ui.lock:
        ui.settings = json.loads(json.dumps(DEFAULTS))
        ui.codes.clear()
        ui.sessions.clear()
        ui.used = 0
    return 200, {}
