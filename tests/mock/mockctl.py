#!/usr/bin/env python3
"""Shell client of the mock IdP's control API.

    mockctl.py DIR VERB [ARGS...]

DIR is the directory given to mock_idp.py --dir (it holds `port` and
`ca.pem`). Prints the JSON answer on one line; exits 1 when the mock
refuses the request, 2 on bad usage.

Verbs:
  add-user NAME PASSWORD [k=v ...]  create/replace a user; PASSWORD "-" = none.
        k is a USER field (groups, aliases, next_challenges, mfa_settings:
        comma lists; status; enabled=true|false; sub; salt; preferred_mfa;
        totp_secret) or else an attribute (email=..., name=...,
        custom:dept=...)
  put-user JSON|-                   create/replace from a full USER object
  get-user NAME | del-user NAME | users
  add-group NAME [description=.. precedence=N role_arn=..] | groups
  stats [FIELD]                     FIELD: connections, requests, ops.<Op>
  reset-stats | reset
  pool [k=v ...]                    show or change pool settings
  fault OP KIND [k=v ...]           e.g. fault InitiateAuth status status=503
  faults | clear-faults | fault-log  queued faults; the requests faults hit
  requests                          the last requests' bodies as received
  clock [now=EPOCH | offset=SECONDS | real]
  pin-srp [b=HEX] [secret_block=B64] [session=STR]
  codes USER [KIND]                 codes "sent" to USER; with KIND (SMS_MFA,
                                    EMAIL_OTP, ForgotPassword, ConfirmSignUp)
                                    just the latest such code
  totp USER [wrong]                 USER's TOTP code now (or one that is wrong now)
  config                            region, pool id, client id, endpoint, ...
  raw METHOD PATH [JSON]
  wait [SECONDS]                    wait until the mock answers (default 10)
"""

import http.client
import json
import os
import ssl
import sys
import time

USER_LIST_FIELDS = ("groups", "aliases", "next_challenges", "mfa_settings")
USER_SCALAR_FIELDS = ("status", "sub", "salt", "preferred_mfa", "totp_secret")


class CtlError(Exception):
    pass


def _value(text):
    """k=v values: JSON when they parse (numbers, booleans, lists), else
    the string as typed."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(args):
    out = []
    for arg in args:
        if "=" not in arg:
            raise CtlError("expected k=v, got %r" % arg)
        k, v = arg.split("=", 1)
        out.append((k, v))
    return out


class Mock:
    def __init__(self, directory):
        self.directory = directory

    def port(self):
        with open(os.path.join(self.directory, "port"), encoding="ascii") as f:
            return int(f.read().strip())

    def request(self, method, path, body=None):
        ctx = ssl.create_default_context(cafile=os.path.join(self.directory, "ca.pem"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.port(), context=ctx, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else b""
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            obj = json.loads(raw) if raw else {}
        except ValueError:
            obj = {"raw": raw.decode("utf-8", "replace")}
        if resp.status != 200:
            raise CtlError("%s %s: HTTP %d %s" % (method, path, resp.status, json.dumps(obj)))
        return obj


def user_from_args(name, password, args):
    user = {"username": name, "attributes": {}}
    if password != "-":
        user["password"] = password
    for k, v in _pairs(args):
        if k in USER_LIST_FIELDS:
            user[k] = [x for x in v.split(",") if x]
        elif k in USER_SCALAR_FIELDS:
            user[k] = v
        elif k == "enabled":
            if v not in ("true", "false"):
                raise CtlError("enabled must be true or false")
            user[k] = v == "true"
        else:
            user["attributes"][k] = v
    return user


def _quote(name):
    from urllib.parse import quote
    return quote(name, safe="")


def run(directory, verb, args):
    mock = Mock(directory)
    if verb == "add-user":
        if len(args) < 2:
            raise CtlError("add-user NAME PASSWORD [k=v ...]")
        return mock.request("POST", "/_mock/users", user_from_args(args[0], args[1], args[2:]))
    if verb == "put-user":
        text = sys.stdin.read() if not args or args[0] == "-" else args[0]
        return mock.request("POST", "/_mock/users", json.loads(text))
    if verb == "get-user":
        return mock.request("GET", "/_mock/users/" + _quote(args[0]))
    if verb == "del-user":
        return mock.request("DELETE", "/_mock/users/" + _quote(args[0]))
    if verb == "users":
        return mock.request("GET", "/_mock/users")
    if verb == "add-group":
        group = {"name": args[0]}
        group.update({k: _value(v) for k, v in _pairs(args[1:])})
        return mock.request("POST", "/_mock/groups", group)
    if verb == "groups":
        return mock.request("GET", "/_mock/groups")
    if verb == "stats":
        stats = mock.request("GET", "/_mock/stats")
        if not args:
            return stats
        value = stats
        for part in args[0].split(".", 1):
            value = value.get(part, 0) if isinstance(value, dict) else 0
        return value
    if verb == "reset-stats":
        return mock.request("POST", "/_mock/stats/reset")
    if verb == "reset":
        return mock.request("POST", "/_mock/reset")
    if verb == "pool":
        if not args:
            return mock.request("GET", "/_mock/pool")
        return mock.request("POST", "/_mock/pool", {k: _value(v) for k, v in _pairs(args)})
    if verb == "fault":
        if len(args) < 2:
            raise CtlError("fault OP KIND [k=v ...]")
        spec = {"op": args[0], "kind": args[1]}
        spec.update({k: _value(v) for k, v in _pairs(args[2:])})
        return mock.request("POST", "/_mock/faults", spec)
    if verb == "faults":
        return mock.request("GET", "/_mock/faults")
    if verb == "clear-faults":
        return mock.request("DELETE", "/_mock/faults")
    if verb == "fault-log":
        return mock.request("GET", "/_mock/faults/log")
    if verb == "requests":
        return mock.request("GET", "/_mock/requests")
    if verb == "clock":
        if not args:
            return mock.request("GET", "/_mock/clock")
        if args == ["real"]:
            return mock.request("POST", "/_mock/clock", {})
        return mock.request("POST", "/_mock/clock", {k: _value(v) for k, v in _pairs(args)})
    if verb == "pin-srp":
        return mock.request("POST", "/_mock/srp/pin", dict(_pairs(args)))
    if verb == "codes":
        codes = mock.request("GET", "/_mock/codes/" + _quote(args[0]))
        if len(args) < 2:
            return codes
        if args[1] not in codes["latest"]:
            raise CtlError("no %s code was sent to %s" % (args[1], args[0]))
        return codes["latest"][args[1]]
    if verb == "totp":
        answer = mock.request("GET", "/_mock/totp/" + _quote(args[0]))
        return answer["wrong" if args[1:] == ["wrong"] else "code"]
    if verb == "config":
        return mock.request("GET", "/_mock/config")
    if verb == "raw":
        body = json.loads(args[2]) if len(args) > 2 else None
        return mock.request(args[0].upper(), args[1], body)
    if verb == "wait":
        deadline = time.time() + (float(args[0]) if args else 10.0)
        while True:
            try:
                return mock.request("GET", "/_mock/config")
            except (OSError, ValueError, CtlError):
                if time.time() > deadline:
                    raise CtlError("mock in %s did not answer" % directory) from None
                time.sleep(0.05)
    raise CtlError("unknown verb %r (see mockctl.py --help)" % verb)


def main(argv):
    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        out = run(argv[0], argv[1], argv[2:])
    except CtlError as exc:
        sys.stderr.write("mockctl: %s\n" % exc)
        return 1
    except (OSError, ValueError, IndexError) as exc:
        sys.stderr.write("mockctl: %s\n" % exc)
        return 1
    if isinstance(out, (dict, list)):
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write("%s\n" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
