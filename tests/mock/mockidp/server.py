"""HTTPS front of the mock: the Cognito JSON API, the JWKS document and
the control API, on one port.

Three registries keep growth additive: `@operation("Name")` for API
operations (dispatched on X-Amz-Target), `@control(METHOD, PATH_RE)` for
control endpoints, and `@fault_kind("name")` for the ways a request can be
made to fail. A later part adds an `ops_*.py` module that uses them; this
file does not change.

Connections are HTTP/1.1 keep-alive with Content-Length framing, as
Cognito's endpoint is, so a client that reuses one handle for a whole
login can be seen doing it in the stats.
"""

import importlib
import json
import os
import pkgutil
import random
import re
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from . import jwt as jwtlib

IDP_SERVICE = "AWSCognitoIdentityProviderService"
JSON_TYPE = "application/x-amz-json-1.1"
# A stalled or idle client must not pin a thread forever, but a test that
# pauses between two requests of one login must not lose its connection.
IDLE_TIMEOUT = 120
HANDSHAKE_TIMEOUT = 15
MAX_BODY = 1 << 20

OPERATIONS = {}
CONTROL_ROUTES = []
ROUTES = {}
FAULT_KINDS = {}
FAULT_PREPARE = {}
FAULT_CONNECT = {}
# Request bodies kept for tests that assert what a client put on the wire.
REQUEST_LOG_SIZE = 1000


def operation(name, service=IDP_SERVICE):
    """Registers fn(ctx, body) -> dict as the handler of service.name."""
    def register(fn):
        OPERATIONS[(service, name)] = fn
        return fn
    return register


def control(method, pattern):
    """Registers fn(idp, match, body) -> (status, obj) for a control path."""
    def register(fn):
        CONTROL_ROUTES.append((method, re.compile(pattern + r"\Z"), fn))
        return fn
    return register


def route(method, path):
    """Registers fn(handler, raw_body) for a plain HTTP path (the hosted
    UI's pages and OAuth endpoints); fn answers with handler.send_raw."""
    def register(fn):
        ROUTES[(method, path)] = fn
        return fn
    return register


def fault_kind(name, prepare=None, on_connect=None):
    """Registers fn(handler, spec) for a way a request can fail. It returns
    True when it already answered (or killed) the request and the operation
    must not run; False to let the request through untouched; or a
    response filter fn(handler, status, obj) that is handed the operation's
    normal 200 answer and sends something else in its place.

    prepare(idp, spec), if given, runs when the fault is added (slow set-up
    such as making certificates happens then, not mid-request).
    on_connect(idp, spec) -> SSLContext makes the kind usable with op
    "connect": it picks the certificate of the next TLS handshake."""
    def register(fn):
        FAULT_KINDS[name] = fn
        if prepare is not None:
            FAULT_PREPARE[name] = prepare
        if on_connect is not None:
            FAULT_CONNECT[name] = on_connect
        return fn
    return register


class ApiError(Exception):
    """A Cognito error answer: HTTP status, error code, message."""

    def __init__(self, code, message=None, status=400):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.status = status


def load_operations():
    """Imports every mockidp/ops_*.py and the fault modules so their
    decorators run."""
    pkg_dir = os.path.dirname(__file__)
    for mod in sorted(pkgutil.iter_modules([pkg_dir]), key=lambda m: m.name):
        if mod.name.startswith("ops_") or mod.name in ("faults", "badtokens", "webauthn",
                                                        "hostedui", "device", "cloudtrail"):
            importlib.import_module(__package__ + "." + mod.name)


class Stats:
    """Counters for tests that assert on traffic ("a login is 2 requests
    over 1 connection"). Control-API traffic is not counted."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.connections = 0
            self.requests = 0
            self.ops = Counter()
            self.accepted = 0
            self.handshake_failures = 0
            self.tls_fault_handshakes = 0
            self.tls_fault_requests = 0

    def count(self, op, first_on_connection):
        with self._lock:
            self.requests += 1
            self.ops[op] += 1
            if first_on_connection:
                self.connections += 1

    def bump(self, field):
        with self._lock:
            setattr(self, field, getattr(self, field) + 1)

    def snapshot(self):
        with self._lock:
            return {"connections": self.connections, "requests": self.requests,
                    "ops": dict(self.ops), "accepted": self.accepted,
                    "handshake_failures": self.handshake_failures,
                    "tls_fault_handshakes": self.tls_fault_handshakes,
                    "tls_fault_requests": self.tls_fault_requests}


class Faults:
    """Faults queued for upcoming requests of an operation.

    A spec is {"op": NAME|"*"|"connect", "kind": KIND, "count": n (default
    1, -1 = until cleared), "after": n (let n matching requests through
    first), "user": NAME (only requests of that user), "rate": p with
    "seed": s (each matching request is hit with probability p, drawn from
    a generator seeded with s), ...kind options}. The first live spec that
    matches a request is used; every hit is logged.
    """

    LOG_SIZE = 10000

    def __init__(self):
        self._lock = threading.Lock()
        self._specs = []
        self._log = []
        self._hits = 0

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("fault must be a JSON object")
        spec = dict(spec)
        if not isinstance(spec.get("op"), str) or not spec["op"]:
            raise ValueError("fault.op must name an operation, 'jwks', 'connect' or '*'")
        if spec.get("kind") not in FAULT_KINDS:
            raise ValueError("fault.kind must be one of " + ", ".join(sorted(FAULT_KINDS)))
        if spec["op"] == "connect" and spec["kind"] not in FAULT_CONNECT:
            raise ValueError("fault.kind %s cannot hit a connection; these can: %s"
                             % (spec["kind"], ", ".join(sorted(FAULT_CONNECT))))
        for field, default in (("count", 1), ("after", 0)):
            value = spec.setdefault(field, default)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("fault.%s must be an integer" % field)
        if "user" in spec and not isinstance(spec["user"], str):
            raise ValueError("fault.user must be a user name")
        if "rate" in spec:
            rate = spec["rate"]
            if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
                raise ValueError("fault.rate must be a number from 0 to 1")
        with self._lock:
            stored = dict(spec)
            stored["_rng"] = random.Random(spec.get("seed", 0))
            self._specs.append(stored)
        return spec

    @staticmethod
    def _matches(spec, op, user):
        if spec["op"] == "connect" or op == "connect":
            if spec["op"] != op:
                return False
        elif spec["op"] not in (op, "*"):
            return False
        if spec["count"] == 0:
            return False
        if "user" in spec:
            return user is not None and spec["user"].lower() == user.lower()
        return True

    def take(self, op, user=None):
        """The fault for this request (op "connect": this handshake), or None."""
        with self._lock:
            for spec in self._specs:
                if not self._matches(spec, op, user):
                    continue
                if spec["after"] > 0:
                    spec["after"] -= 1
                    continue
                if "rate" in spec and spec["_rng"].random() >= spec["rate"]:
                    continue
                if spec["count"] > 0:
                    spec["count"] -= 1
                self._specs = [s for s in self._specs if s["count"] != 0]
                self._hits += 1
                if len(self._log) < self.LOG_SIZE:
                    self._log.append({"n": self._hits, "op": op, "kind": spec["kind"], "user": user})
                return {k: v for k, v in spec.items() if not k.startswith("_")}
        return None

    def list(self):
        with self._lock:
            return [{k: v for k, v in s.items() if not k.startswith("_")} for s in self._specs]

    def log(self):
        with self._lock:
            return list(self._log)

    def clear(self):
        with self._lock:
            self._specs = []
            self._log = []
            self._hits = 0


class RequestLog:
    """The last requests as received, for tests that check what a client
    sent: the body's text, whether it is valid UTF-8, and whether it is
    strict JSON (no duplicate member, no NaN) with the parsed value."""

    def __init__(self, size=REQUEST_LOG_SIZE):
        self._lock = threading.Lock()
        self._items = deque(maxlen=size)

    @staticmethod
    def _strict(text):
        def pairs(items):
            seen = {}
            for key, value in items:
                if key in seen:
                    raise ValueError("duplicate member %r" % key)
                seen[key] = value
            return seen

        def no_constant(name):
            raise ValueError("not JSON: " + name)

        return json.loads(text, object_pairs_hook=pairs, parse_constant=no_constant)

    def add(self, op, target, raw):
        item = {"op": op, "target": target, "bytes": len(raw)}
        try:
            text = raw.decode("utf-8")
            item["utf8"] = True
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "backslashreplace")
            item["utf8"] = False
        item["body"] = text
        if item["utf8"] and text.strip():
            try:
                item["json"] = self._strict(text)
            except ValueError as exc:
                item["json_error"] = str(exc)
        with self._lock:
            self._items.append(item)

    def list(self):
        with self._lock:
            return list(self._items)

    def clear(self):
        with self._lock:
            self._items.clear()


class MockIdp:
    """Everything a request handler needs: the pool, the signing keys,
    stats, faults, and where the server lives."""

    def __init__(self, directory, pool, id_key, access_key, quiet=False):
        self.directory = directory
        self.pool = pool
        self.id_key = id_key
        self.access_key = access_key
        self.stats = Stats()
        self.faults = Faults()
        self.requests = RequestLog()
        self.quiet = quiet
        self.port = None
        self.default_tls = None       # the SSLContext of the good certificate
        self.tls_contexts = {}        # certificate variant -> SSLContext (faults.py)
        self._tls_lock = threading.Lock()
        self._tls_armed = None

    def arm_tls(self, context):
        """The next TLS handshake, whoever makes it, presents context's
        certificate (a fault hit a request; the client reconnects next)."""
        with self._tls_lock:
            self._tls_armed = context

    def handshake_context(self):
        """The SSLContext for a connection being accepted: an armed bad
        certificate, a "connect" fault's, or None for the good one."""
        with self._tls_lock:
            armed, self._tls_armed = self._tls_armed, None
        if armed is not None:
            return armed
        spec = self.faults.take("connect")
        if spec is None:
            return None
        return FAULT_CONNECT[spec["kind"]](self, spec)

    @property
    def issuer(self):
        """The real regional issuer, not the mock's address: clients check
        iss against what Cognito would put there."""
        return "https://cognito-idp.%s.amazonaws.com/%s" % (self.pool.region, self.pool.pool_id)

    @property
    def signing_keys(self):
        return [self.id_key, self.access_key]

    def jwks(self):
        return jwtlib.jwks(self.signing_keys)

    def reset(self):
        self.pool.reset()
        self.stats.reset()
        self.faults.clear()
        self.requests.clear()
        self.arm_tls(None)

    def request_user(self, body):
        """Whose request this is, for faults aimed at one user: the
        USERNAME or Username it names (the real username when it is an
        alias), else the user of its Session or AccessToken."""
        if not isinstance(body, dict):
            return None
        typed = None
        for holder in ("AuthParameters", "ChallengeResponses"):
            params = body.get(holder)
            if isinstance(params, dict) and isinstance(params.get("USERNAME"), str):
                typed = params["USERNAME"]
                break
        if typed is None and isinstance(body.get("Username"), str):
            typed = body["Username"]
        if typed is not None:
            user = self.pool.find_user(typed)
            return user.username if user is not None else typed
        if isinstance(body.get("Session"), str):
            sess, _ = self.pool.session(body["Session"])
            if sess is not None and sess.username:
                return sess.username
        token = body.get("AccessToken")
        if isinstance(token, str) and token.count(".") == 2:
            try:
                claims = json.loads(jwtlib.b64url_decode(token.split(".")[1]))
            except (ValueError, UnicodeDecodeError):
                return None
            if isinstance(claims, dict) and isinstance(claims.get("username"), str):
                return claims["username"]
        return None

    def describe(self):
        return {
            "region": self.pool.region,
            "user_pool_id": self.pool.pool_id,
            "client_id": self.pool.client_id,
            "client_secret": self.pool.client_secret,
            "port": self.port,
            "endpoint": "https://127.0.0.1:%d/" % self.port if self.port else None,
            "issuer": self.issuer,
            "jwks_path": "/%s/.well-known/jwks.json" % self.pool.pool_id,
            "ca_file": os.path.join(self.directory, "ca.pem"),
            "pid": os.getpid(),
        }


class Context:
    """What an operation sees of its request."""

    def __init__(self, idp, handler, op):
        self.idp = idp
        self.pool = idp.pool
        self.op = op
        self.headers = handler.headers
        self.client_address = handler.client_address
        # The request as sent, for checks that cover the bytes (SigV4).
        self.method = handler.command
        self.path = handler.path
        self.raw_body = getattr(handler, "raw_body", b"")

    def now(self):
        return self.pool.clock.now()


class _BodyError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT

    def version_string(self):
        return "Server"

    def setup(self):
        super().setup()
        # A connection is counted at its first non-control request, so a
        # test that checks the pool over the control API first still sees
        # "1 connection" for the login it measures.
        self.counted = False
        # Requests on this connection so far (a client resends only a
        # request that died on a connection it had used before).
        self.served = 0

    @property
    def idp(self):
        return self.server.idp

    # -- plumbing ---------------------------------------------------------

    def log_message(self, fmt, *args):
        if not self.idp.quiet:
            sys.stderr.write("mock_idp: %s %s\n" % (self.address_string(), fmt % args))

    def log_request(self, code="-", size="-"):
        # The operation name says more than "POST / HTTP/1.1"; bodies are
        # never logged (USER_PASSWORD_AUTH carries a password).
        self.log_message('"%s %s" %s %s', self.command,
                         getattr(self, "op_name", None) or self.path, code,
                         getattr(self, "fault_kind", None) or "")

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise _BodyError(400, "bad Content-Length") from None
        if n < 0 or n > MAX_BODY:
            raise _BodyError(413, "request body too large")
        return self.rfile.read(n)

    def _read_chunked(self):
        body = b""
        while True:
            line = self.rfile.readline(100)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "bad chunk") from None
            if size == 0:
                while self.rfile.readline(1000).strip():
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline(10)
            if len(body) > MAX_BODY:
                raise _BodyError(413, "request body too large")

    def send_raw(self, status, body, content_type=JSON_TYPE, headers=(), length=None):
        """One write for headers and body: with Nagle and delayed ACKs two
        small writes can cost the client 40 ms per request."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()
        self.answered = True

    def send_json(self, status, obj, headers=()):
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        self.send_raw(status, body, headers=headers)

    def send_api_error(self, err):
        ns = self.idp.pool.setting("error_namespace")
        body = {"__type": ns + "#" + err.code if ns else err.code}
        if err.message is not None:
            body["message"] = err.message
        headers = [("x-amzn-ErrorType", err.code + ":")]
        if err.message is not None:
            headers.append(("x-amzn-ErrorMessage", err.message))
        self.send_json(err.status, body, headers)

    # -- routing ----------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def _dispatch(self):
        self.served += 1
        if getattr(self.connection, "bad_certificate", False):
            self.idp.stats.bump("tls_fault_requests")
        path = urlsplit(self.path).path
        try:
            body = self._read_body()
        except _BodyError as exc:
            self.close_connection = True
            self.send_json(exc.status, {"__type": "SerializationException", "message": exc.message})
            return
        if path == "/_mock" or path.startswith("/_mock/"):
            self.op_name = self.fault_kind = None
            self._control(path, body)
        elif path.startswith("/device/"):  # RFC 8628 (device.py)
            self.op_name = self.fault_kind = None
            importlib.import_module(__package__ + ".device").handle(self, path, body)
        elif (self.command, path) in ROUTES:
            self._route(ROUTES[(self.command, path)], path, body)
        else:
            self._api(path, body)

    def _control(self, path, raw):
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self.send_json(400, {"error": "body is not JSON"})
            return
        for method, pattern, fn in CONTROL_ROUTES:
            m = pattern.match(path)
            if m and method == self.command:
                try:
                    status, obj = fn(self.idp, m, body)
                except ValueError as exc:
                    status, obj = 400, {"error": str(exc)}
                self.send_json(status, obj)
                return
        self.send_json(404, {"error": "no control endpoint %s %s" % (self.command, path)})

    def _operation_name(self, path):
        """(op name for stats and faults, registry key or None)."""
        if self.command == "GET":
            if path == "/%s/.well-known/jwks.json" % self.idp.pool.pool_id:
                return "jwks", None
            return "unknown", None
        target = self.headers.get("X-Amz-Target", "")
        service, _, name = target.rpartition(".")
        return (name or "unknown"), (service, name)

    def _answer(self, obj, content_type=JSON_TYPE):
        """The operation's 200 answer, through the fault's filter if any."""
        if self.response_filter is not None:
            self.response_filter(self, 200, obj)
            return
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        self.send_raw(200, body, content_type)

    def _route(self, fn, path, raw):
        """A ROUTES path: counted and open to faults under its path."""
        self.op_name, self.fault_kind, self.answered = path, None, False
        self.idp.stats.count(path, not self.counted)
        self.counted = True
        fault = self.idp.faults.take(path)
        if fault is not None:
            self.fault_kind = "fault:" + fault["kind"]
            if FAULT_KINDS[fault["kind"]](self, fault) is True:
                return
        try:
            fn(self, raw)
        except Exception:  # a bug in the mock must not look like a hang
            traceback.print_exc()
            if not self.answered:
                self.send_raw(500, b"mock_idp internal error", "text/plain")

    def _api(self, path, raw):
        op, key = self._operation_name(path)
        self.op_name = op
        self.fault_kind = None
        self.response_filter = None
        self.answered = False
        self.idp.stats.count(op, not self.counted)
        self.counted = True
        self.idp.requests.add(op, self.headers.get("X-Amz-Target"), raw)
        try:
            parsed = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            parsed = None

        self.last_body = parsed
        fault = self.idp.faults.take(op, self.idp.request_user(parsed))
        if fault is not None:
            self.fault_kind = "fault:" + fault["kind"]
            done = FAULT_KINDS[fault["kind"]](self, fault)
            if callable(done):
                self.response_filter = done
            elif done:
                if not self.answered:
                    self.log_request("-")
                return

        if op == "jwks":
            self._answer(self.idp.jwks(), "application/json")
            return
        if self.command != "POST" or key is None:
            self.send_json(404, {"message": "Not Found"})
            return
        fn = OPERATIONS.get(key)
        if fn is None:
            self.send_api_error(ApiError("UnknownOperationException"))
            return
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype not in ("application/x-amz-json-1.1", "application/x-amz-json-1.0"):
            self.send_api_error(ApiError("SerializationException",
                                         "Content-Type must be " + JSON_TYPE))
            return
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            self.send_api_error(ApiError("SerializationException", "Request body is not JSON"))
            return
        if not isinstance(body, dict):
            self.send_api_error(ApiError("SerializationException", "Request body is not an object"))
            return
        self.raw_body = raw
        try:
            result = fn(Context(self.idp, self, op), body)
        except ApiError as err:
            self.send_api_error(err)
            return
        except Exception:  # a bug in the mock must not look like a hang
            traceback.print_exc()
            self.send_api_error(ApiError("InternalErrorException", "mock_idp internal error", 500))
            return
        self._answer(result if result is not None else {})


# -- control API --------------------------------------------------------------

@control("GET", r"/_mock/config")
def _ctl_config(idp, m, body):
    return 200, idp.describe()


@control("GET", r"/_mock/stats")
def _ctl_stats(idp, m, body):
    return 200, idp.stats.snapshot()


@control("POST", r"/_mock/stats/reset")
def _ctl_stats_reset(idp, m, body):
    idp.stats.reset()
    return 200, idp.stats.snapshot()


@control("POST", r"/_mock/reset")
def _ctl_reset(idp, m, body):
    idp.reset()
    return 200, {}


@control("POST", r"/_mock/users")
def _ctl_put_user(idp, m, body):
    return 200, idp.pool.put_user(body)


@control("GET", r"/_mock/users")
def _ctl_list_users(idp, m, body):
    return 200, {"users": [u.to_json() for u in idp.pool.users()]}


@control("GET", r"/_mock/users/(.+)")
def _ctl_get_user(idp, m, body):
    user = idp.pool.get_user(unquote(m.group(1)))
    if user is None:
        return 404, {"error": "no such user"}
    with idp.pool.lock:
        return 200, user.to_json()


@control("DELETE", r"/_mock/users/(.+)")
def _ctl_delete_user(idp, m, body):
    if not idp.pool.delete_user(unquote(m.group(1))):
        return 404, {"error": "no such user"}
    return 200, {}


@control("POST", r"/_mock/groups")
def _ctl_put_group(idp, m, body):
    return 200, idp.pool.put_group(body)


@control("GET", r"/_mock/groups")
def _ctl_list_groups(idp, m, body):
    return 200, {"groups": idp.pool.groups()}


@control("GET", r"/_mock/pool")
def _ctl_get_pool(idp, m, body):
    return 200, idp.pool.settings()


@control("POST", r"/_mock/pool")
def _ctl_set_pool(idp, m, body):
    return 200, idp.pool.update_settings(body)


@control("GET", r"/_mock/faults")
def _ctl_list_faults(idp, m, body):
    return 200, {"faults": idp.faults.list()}


@control("POST", r"/_mock/faults")
def _ctl_add_fault(idp, m, body):
    if isinstance(body, dict) and body.get("kind") in FAULT_PREPARE:
        FAULT_PREPARE[body["kind"]](idp, body)
    return 200, idp.faults.add(body)


@control("GET", r"/_mock/faults/log")
def _ctl_fault_log(idp, m, body):
    return 200, {"hits": idp.faults.log()}


@control("GET", r"/_mock/requests")
def _ctl_requests(idp, m, body):
    return 200, {"requests": idp.requests.list()}


@control("DELETE", r"/_mock/requests")
def _ctl_clear_requests(idp, m, body):
    idp.requests.clear()
    return 200, {"requests": []}


@control("DELETE", r"/_mock/faults")
def _ctl_clear_faults(idp, m, body):
    idp.faults.clear()
    return 200, {"faults": []}


@control("POST", r"/_mock/faults/clear")
def _ctl_clear_faults_post(idp, m, body):
    return _ctl_clear_faults(idp, m, body)


@control("GET", r"/_mock/clock")
def _ctl_get_clock(idp, m, body):
    return 200, idp.pool.clock.describe()


@control("POST", r"/_mock/clock")
def _ctl_set_clock(idp, m, body):
    """{"now": epoch} pins the clock, {"offset": s} skews it, {} restores."""
    for field in ("now", "offset"):
        if body.get(field) is not None and not isinstance(body[field], (int, float)):
            raise ValueError(field + " must be a number")
    idp.pool.clock.set(now=body.get("now"), offset=body.get("offset"))
    return 200, idp.pool.clock.describe()


@control("POST", r"/_mock/srp/pin")
def _ctl_pin_srp(idp, m, body):
    """{"b": hex, "secret_block": base64, "session": str}: used by the next
    USER_SRP_AUTH instead of random values."""
    allowed = {"b", "secret_block", "session"}
    if not isinstance(body, dict) or set(body) - allowed:
        raise ValueError("pin takes only " + ", ".join(sorted(allowed)))
    idp.pool.pin_srp(body)
    return 200, body


# -- the server ---------------------------------------------------------------

class TlsServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that does the TLS handshake in the
    connection's own thread, so one client that connects and says nothing
    cannot hold up the accept loop for everybody else."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, idp, ssl_context):
        self.idp = idp
        self.ssl_context = ssl_context
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        self.idp.stats.bump("accepted")
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request.settimeout(HANDSHAKE_TIMEOUT)
            context = self.idp.handshake_context() or self.ssl_context
            if context is not self.ssl_context:
                self.idp.stats.bump("tls_fault_handshakes")
            tls = context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            self.idp.stats.bump("handshake_failures")
            return
        # A client that checks the certificate's name only after the
        # handshake finishes it, then must not send anything.
        tls.bad_certificate = context is not self.ssl_context
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def make_ssl_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    # Cognito speaks HTTP/1.1 to this kind of client; never negotiate h2.
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def serve(idp, port, cert, key):
    """Binds 127.0.0.1:port and returns the server (not yet serving)."""
    idp.default_tls = make_ssl_context(cert, key)
    server = TlsServer(("127.0.0.1", port), idp, idp.default_tls)
    idp.port = server.server_address[1]
    return server
