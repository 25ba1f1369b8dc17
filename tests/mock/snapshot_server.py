#!/usr/bin/env python3
"""An HTTPS file server for fleet snapshots, standing in for S3 or any web
server in tests/cli/cognitoctl_snapshot.sh (standard library only).

  snapshot_server.py --dir DIR --cert PEM --key PEM --log FILE --control FILE

GET /ANY/PATH/NAME serves DIR/NAME with a quoted sha256 ETag and answers
If-None-Match with 304. Every request is logged as "PATH STATUS signed|anon".
The control file (JSON, read on each request) may say:
  {"truncate": "NAME"}        send NAME's full Content-Length, half its body, close
  {"sigv4": {"KEY": "SECRET"}} require a valid SigV4 (service s3) signature,
                               checked by the mock's own verifier (mockidp/sigv4.py)
Prints "READY PORT" once listening on 127.0.0.1.
"""

import argparse
import hashlib
import http.server
import json
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mockidp import sigv4  # noqa: E402


def make_handler(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def control(self):
            try:
                with open(args.control) as f:
                    return json.load(f)
            except (OSError, ValueError):
                return {}

        def note(self, status, signed):
            with open(args.log, "a") as f:
                f.write("%s %d %s\n" % (self.path, status, "signed" if signed else "anon"))

        def answer(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            ctl = self.control()
            signed = self.headers.get("Authorization") is not None
            if ctl.get("sigv4"):
                creds = {k: {"secret_access_key": v, "session_token": None}
                         for k, v in ctl["sigv4"].items()}
                try:
                    sigv4.verify("GET", self.path, list(self.headers.items()), b"", creds,
                                 "us-east-1", "s3", time.time())
                except sigv4.SigError as e:
                    self.note(403, signed)
                    return self.answer(403, e.code.encode())
            name = os.path.basename(self.path.split("?")[0])
            path = os.path.join(args.dir, name)
            if not name or not os.path.isfile(path):
                self.note(404, signed)
                return self.answer(404, b"NoSuchKey")
            with open(path, "rb") as f:
                data = f.read()
            etag = '"%s"' % hashlib.sha256(data).hexdigest()
            if self.headers.get("If-None-Match") == etag:
                self.note(304, signed)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            self.note(200, signed)
            if ctl.get("truncate") == name:
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            return self.answer(200, data, [("ETag", etag)])

    return Handler


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--dir", "--cert", "--key", "--log", "--control"):
        ap.add_argument(opt, required=True)
    args = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
