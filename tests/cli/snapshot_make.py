#!/usr/bin/env python3
"""Publishes a fleet snapshot the way the exporter does (interfaces.md,
issue 14), from a cache directory `cognitoctl sync` wrote: the three cache
files as nss-N.cache, accounts-N.cache, keys-N.cache, manifest.json.sig
(base64 of the raw Ed25519 signature, made by the openssl CLI) and then
manifest.json. Standard library only; for tests/cli/cognitoctl_snapshot.sh.

  snapshot_make.py --cache DIR --out DIR --serial N --pool ID --key PEM
                   [--created UNIX] [--format N]
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

PARTS = (("nss", "nss.cache"), ("accounts", "accounts.cache"), ("keys", "keys.cache"))


def sign(key, data):
    with tempfile.TemporaryDirectory() as tmp:
        msg, sig = os.path.join(tmp, "m"), os.path.join(tmp, "s")
        with open(msg, "wb") as f:
            f.write(data)
        subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", msg,
                        "-out", sig], check=True)
        with open(sig, "rb") as f:
            return f.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--serial", type=int, required=True)
    ap.add_argument("--pool", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--created", type=int, default=None)
    ap.add_argument("--format", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    files = {}
    for part, name in PARTS:
        pub = "%s-%d.cache" % (part, a.serial)
        shutil.copyfile(os.path.join(a.cache, name), os.path.join(a.out, pub))
        with open(os.path.join(a.out, pub), "rb") as f:
            data = f.read()
        files[part] = {"name": pub, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {"format": a.format, "pool_id": a.pool, "serial": a.serial,
                "created": a.created if a.created is not None else int(time.time()),
                "users": 0, "groups": 0, "files": files}
    body = json.dumps(manifest, sort_keys=True).encode()
    with open(os.path.join(a.out, "manifest.json.sig"), "wb") as f:
        f.write(base64.b64encode(sign(a.key, body)) + b"\n")
    with open(os.path.join(a.out, "manifest.json.tmp"), "wb") as f:
        f.write(body)
    os.replace(os.path.join(a.out, "manifest.json.tmp"), os.path.join(a.out, "manifest.json"))


if __name__ == "__main__":
    main()
