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
import re
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
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
FAULT_KINDS = {}


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


def fault_kind(name):
    """Registers fn(handler, spec) -> bool; True means the fault already
    answered (or killed) the request and the operation must not run."""
    def register(fn):
        FAULT_KINDS[name] = fn
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
    """Imports every mockidp/ops_*.py so its decorators run."""
    pkg_dir = os.path.dirname(__file__)
    for mod in sorted(pkgutil.iter_modules([pkg_dir]), key=lambda m: m.name):
        if mod.name.startswith("ops_"):
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
                    "handshake_failures": self.handshake_failures}


class Faults:
    """Faults queued for upcoming requests of an operation.

    A spec is {"op": NAME|"*", "kind": KIND, "count": n (default 1, -1 =
    until cleared), "after": n (let n matching requests through first),
    ...kind options}. The first live spec that matches a request is used.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._specs = []

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("fault must be a JSON object")
        spec = dict(spec)
        if not isinstance(spec.get("op"), str) or not spec["op"]:
            raise ValueError("fault.op must name an operation, 'jwks' or '*'")
        if spec.get("kind") not in FAULT_KINDS:
            raise ValueError("fault.kind must be one of " + ", ".join(sorted(FAULT_KINDS)))
        for field, default in (("count", 1), ("after", 0)):
            value = spec.setdefault(field, default)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError("fault.%s must be an integer" % field)
        with self._lock:
            self._specs.append(spec)
        return dict(spec)

    def take(self, op):
        with self._lock:
            for spec in self._specs:
                if spec["op"] not in (op, "*") or spec["count"] == 0:
                    continue
                if spec["after"] > 0:
                    spec["after"] -= 1
                    continue
                if spec["count"] > 0:
                    spec["count"] -= 1
                self._specs = [s for s in self._specs if s["count"] != 0]
                return dict(spec)
        return None

    def list(self):
        with self._lock:
            return [dict(s) for s in self._specs]

    def clear(self):
        with self._lock:
            self._specs = []


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
        self.quiet = quiet
        self.port = None

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

    def _api(self, path, raw):
        op, key = self._operation_name(path)
        self.op_name = op
        self.fault_kind = None
        self.idp.stats.count(op, not self.counted)
        self.counted = True

        fault = self.idp.faults.take(op)
        if fault is not None:
            self.fault_kind = "fault:" + fault["kind"]
            if FAULT_KINDS[fault["kind"]](self, fault):
                if fault["kind"] in ("reset", "close"):
                    self.log_request("-")
                return

        if op == "jwks":
            body = json.dumps(self.idp.jwks(), separators=(",", ":")).encode()
            self.send_raw(200, body, "application/json")
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
        self.send_json(200, result if result is not None else {})


# -- faults ----------------------------------------------------------------

def _abort_with_rst(handler):
    """Closes the TCP connection with a RST and no TLS close_notify, the
    way a crashed middlebox or server looks to the client."""
    handler.close_connection = True
    sock = handler.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        socket.socket.close(sock)
    except OSError:
        pass


@fault_kind("status")
def _fault_status(handler, spec):
    status = int(spec.get("status", 500))
    if "body" in spec:
        handler.send_raw(status, str(spec["body"]).encode("utf-8"))
        return True
    code = spec.get("type") or ("InternalErrorException" if status >= 500 else "InvalidParameterException")
    handler.send_api_error(ApiError(code, spec.get("message", "Internal server error"), status))
    return True


@fault_kind("throttle")
def _fault_throttle(handler, spec):
    handler.send_api_error(ApiError(spec.get("type", "TooManyRequestsException"),
                                    spec.get("message", "Rate exceeded"), int(spec.get("status", 400))))
    return True


@fault_kind("stall")
def _fault_stall(handler, spec):
    """Sleeps, then answers normally (a slow IdP); with "then": "reset" or
    "close" it gives up instead (a dead one)."""
    time.sleep(float(spec.get("seconds", 30)))
    then = spec.get("then")
    if then in FAULT_KINDS and then != "stall":
        return FAULT_KINDS[then](handler, spec)
    return False


def _send_partial_head(handler):
    """The start of a 200 answer that promises 100 bytes and sends 2. A
    client that got no byte at all on a reused keep-alive connection may
    take the death for a keep-alive timeout and resend the request
    (libcurl does, once); a fault that must reach the caller sends
    something first. The pause lets it arrive before a RST can discard it."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + JSON_TYPE.encode()
                        + b"\r\nContent-Length: 100\r\n\r\n{\"")
    handler.wfile.flush()
    time.sleep(0.2)


@fault_kind("reset")
def _fault_reset(handler, spec):
    if spec.get("partial"):
        _send_partial_head(handler)
    _abort_with_rst(handler)
    return True


@fault_kind("close")
def _fault_close(handler, spec):
    """A clean EOF with no answer at all (or half a head, "partial")."""
    handler.close_connection = True
    if spec.get("partial"):
        _send_partial_head(handler)
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


@fault_kind("garbage")
def _fault_garbage(handler, spec):
    body = spec.get("body", "\x00\xffthis is not JSON {]}\x07<html>")
    handler.send_raw(int(spec.get("status", 200)), body.encode("utf-8", "surrogateescape"))
    return True


@fault_kind("oversized")
def _fault_oversized(handler, spec):
    """A 200 whose JSON body is far larger than any real answer; the
    client must stop reading at its cap instead of buffering it all."""
    size = int(spec.get("bytes", 8 << 20))
    head, tail = b'{"padding":"', b'"}'
    fill = max(0, size - len(head) - len(tail))
    handler.close_connection = True
    handler.send_raw(200, head, length=len(head) + fill + len(tail))
    chunk = b"A" * 65536
    try:
        while fill > 0:
            n = min(fill, len(chunk))
            handler.wfile.write(chunk[:n])
            fill -= n
        handler.wfile.write(tail)
    except OSError:
        pass
    return True


@fault_kind("truncate")
def _fault_truncate(handler, spec):
    """Promises a body, sends half of it, then closes."""
    body = b'{"ChallengeName":"PASSWORD_VERIFIER","ChallengeParameters":{'
    handler.close_connection = True
    handler.send_raw(200, body, length=len(body) * 2)
    return _fault_close(handler, {})


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
    return 200, idp.faults.add(body)


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
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            self.idp.stats.bump("handshake_failures")
            return
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
    server = TlsServer(("127.0.0.1", port), idp, make_ssl_context(cert, key))
    idp.port = server.server_address[1]
    return server
