#!/usr/bin/env python3
"""A loopback stand-in for the EC2 instance metadata service, IMDSv2 only:
PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) gives a
token; GET /latest/meta-data/iam/security-credentials/ and .../ROLE answer
only with that token (401 otherwise, as IMDSv2 does). Usage:
  imds_standin.py DIR ROLE ACCESS_KEY SECRET [TOKEN]
It writes DIR/imds.port when ready and logs each request to DIR/imds.log."""
import http.server
import json
import os
import secrets
import sys

DIR, ROLE, KEY, SECRET = sys.argv[1:5]
SESSION = sys.argv[5] if len(sys.argv) > 5 else None
TOKEN = secrets.token_urlsafe(24)
PREFIX = "/latest/meta-data/iam/security-credentials/"


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(os.path.join(DIR, "imds.log"), "a") as log:
            log.write("%s %s %d\n" % (self.command, self.path, status))

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path != "/latest/api/token" or not self.headers.get(
                "X-aws-ec2-metadata-token-ttl-seconds"):
            return self._send(400, "bad request")
        return self._send(200, TOKEN)

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self._send(401, "unauthorized")
        if self.path == PREFIX:
            return self._send(200, ROLE)
        if self.path == PREFIX + ROLE:
            doc = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": KEY,
                   "SecretAccessKey": SECRET, "Expiration": "2099-01-01T00:00:00Z"}
            if SESSION:
                doc["Token"] = SESSION
            return self._send(200, json.dumps(doc), "application/json")
        return self._send(404, "not found")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "imds.port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "imds.port.tmp"), os.path.join(DIR, "imds.port"))
server.serve_forever()
