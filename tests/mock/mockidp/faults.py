"""The ways a request can be made to fail (`@fault_kind`), for tests of a
client's behaviour when the IdP stalls, dies, lies or talks nonsense.

A kind runs when a fault spec (server.Faults) matches a request. It
answers or kills the request itself, or returns a response filter that
gets the operation's real 200 answer and sends a spoilt one instead, so
"the right answer with a field missing" is the answer the client was
about to get, minus that field. Bad tokens and JWKS live in badtokens.py.
"""

import json
import socket
import struct
import time

from . import certs
from .server import FAULT_KINDS, ApiError, JSON_TYPE, fault_kind, make_ssl_context


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


def _close(handler):
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _json_bytes(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# -- the service failing ----------------------------------------------------------

@fault_kind("status")
def _fault_status(handler, spec):
    status = int(spec.get("status", 500))
    if "body" in spec:
        handler.send_raw(status, str(spec["body"]).encode("utf-8"),
                         spec.get("content_type", JSON_TYPE))
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


@fault_kind("stall_body")
def _fault_stall_body(handler, spec):
    """The head and the first half of the real answer, then nothing for
    `seconds` (30), then a RST: an IdP that dies mid-answer."""
    def send(handler, status, obj):
        body = _json_bytes(obj)
        handler.close_connection = True
        half = body[:max(1, len(body) // 2)]
        try:
            handler.send_raw(status, half, length=len(body))
            time.sleep(float(spec.get("seconds", 30)))
        except OSError:
            pass
        _abort_with_rst(handler)
    return send


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
    _close(handler)
    return True


# -- answers that are not Cognito's ------------------------------------------------

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
    _close(handler)
    return True


@fault_kind("truncated_json")
def _fault_truncated_json(handler, spec):
    """A complete HTTP answer whose JSON is the real answer cut short
    (at `keep`, default half): the framing is right, the text is not."""
    def send(handler, status, obj):
        body = _json_bytes(obj)
        keep = int(spec.get("keep", len(body) // 2))
        handler.send_raw(status, body[:max(1, min(keep, len(body) - 1))])
    return send


# The members whose absence or wrong type leaves a client nothing to go on:
# what comes next in a sign-in, the MFA set-up's results, the JWKS's keys,
# the identity pool's identity and credentials.
DECISIVE_MEMBERS = ("ChallengeName", "AuthenticationResult", "SecretCode", "Status", "keys",
                    "IdentityId", "Credentials")


@fault_kind("missing_fields")
def _fault_missing_fields(handler, spec):
    """The real answer without DECISIVE_MEMBERS (or the `fields` given)."""
    drop = spec.get("fields", DECISIVE_MEMBERS)

    def send(handler, status, obj):
        handler.send_raw(status, _json_bytes({k: v for k, v in obj.items() if k not in drop}))
    return send


def _other_type(value):
    if isinstance(value, bool):
        return "true"
    if isinstance(value, str):
        return 7
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return {"0": value}
    return {}


@fault_kind("wrong_types")
def _fault_wrong_types(handler, spec):
    """The real answer with every member's value of another JSON type
    (strings become numbers, objects arrays, ...)."""
    def send(handler, status, obj):
        handler.send_raw(status, _json_bytes({k: _other_type(v) for k, v in obj.items()}))
    return send


@fault_kind("unknown_challenge")
def _fault_unknown_challenge(handler, spec):
    """The real answer naming a challenge no client knows (`name`); an
    answer that held tokens keeps them, so a client that takes tokens
    beside a ChallengeName shows it."""
    def send(handler, status, obj):
        obj = dict(obj)
        obj["ChallengeName"] = spec.get("name", "QUANTUM_ENTANGLEMENT_MFA")
        obj.setdefault("ChallengeParameters", {})
        handler.send_raw(status, _json_bytes(obj))
    return send


def _strings(value):
    if isinstance(value, str):
        return 1
    if isinstance(value, dict):
        return sum(_strings(v) for v in value.values())
    if isinstance(value, list):
        return sum(_strings(v) for v in value)
    return 0


def _inflate(value, pad):
    if isinstance(value, str):
        return value + pad
    if isinstance(value, dict):
        return {k: _inflate(v, pad) for k, v in value.items()}
    if isinstance(value, list):
        return [_inflate(v, pad) for v in value]
    return value


@fault_kind("huge_strings")
def _fault_huge_strings(handler, spec):
    """The real answer with every string made huge: `bytes` (default 900
    KiB) shared among them, so the whole stays under a 1 MiB cap and it is
    the strings, not the size, that the client must cope with."""
    def send(handler, status, obj):
        per = int(spec.get("bytes", 900 << 10)) // max(1, _strings(obj))
        handler.send_raw(status, _json_bytes(_inflate(obj, "A" * per)))
    return send


# -- TLS ---------------------------------------------------------------------------

def _tls_prepare(idp, spec):
    variant = spec.get("cert", "wrong_name")
    if variant not in certs.BAD_CERTS:
        raise ValueError("fault.cert must be one of " + ", ".join(sorted(certs.BAD_CERTS)))
    if variant not in idp.tls_contexts:
        cert, key = certs.ensure_bad_cert(idp.directory, variant)
        idp.tls_contexts[variant] = make_ssl_context(cert, key)


def _tls_context(idp, spec):
    return idp.tls_contexts[spec.get("cert", "wrong_name")]


@fault_kind("tls", prepare=_tls_prepare, on_connect=_tls_context)
def _fault_tls(handler, spec):
    """A certificate the client must refuse (`cert`: certs.BAD_CERTS).
    With op "connect" the next handshake presents it. Aimed at a request,
    the connection is closed unanswered and the next handshake presents
    it: a client on a kept-alive connection reconnects (libcurl resends
    the request once) and meets the bad certificate there. On a fresh
    connection no client resends, so nothing is armed for whoever
    connects next."""
    if handler.served > 1:
        handler.idp.arm_tls(_tls_context(handler.idp, spec))
    _close(handler)
    return True
