#!/usr/bin/env python3
"""Starts the mock Cognito IdP: see README.md beside this file.

Prints `READY <port>` once the port is bound and DIR/port is written, so
a test can start it and wait for that one line.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mockidp import certs  # noqa: E402
from mockidp import jwt as jwtlib  # noqa: E402
from mockidp import pool as poollib  # noqa: E402
from mockidp import server  # noqa: E402

ID_KEY_FILE = "jwks-key.pem"
ACCESS_KEY_FILE = "jwks-access-key.pem"


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Mock Amazon Cognito user pool over HTTPS on 127.0.0.1.")
    ap.add_argument("--dir", required=True, help="state directory: CA, keys, port file")
    ap.add_argument("--port", type=int, default=0, help="TCP port (0 = any free port)")
    ap.add_argument("--region", help="region of the issuer URL (default: the pool id's prefix)")
    ap.add_argument("--pool-id", default="us-east-1_MockPool1")
    ap.add_argument("--client-id", default="mockclient0123456789abcdef")
    ap.add_argument("--client-secret", help="app client secret: SECRET_HASH becomes required")
    ap.add_argument("--seed", help='JSON file {"users": [...], "groups": [...], "pool": {...}}')
    ap.add_argument("--parent-pid", type=int,
                    help="exit when this process is gone (a test killed hard leaves no orphan)")
    ap.add_argument("--no-parent-watch", action="store_true",
                    help="keep running when the process that started the mock exits "
                         "(by default the mock exits when it is re-parented)")
    ap.add_argument("--lifetime", type=float, default=3600,
                    help="exit after this many seconds (0 = never); a safety net, not a feature")
    ap.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    return ap.parse_args(argv)


def prepare_keys(directory):
    """CA + server certificate and the two JWT signing keys, made in
    parallel on a first start (each is an openssl run) and reused after."""
    results, errors = {}, []

    def run(name, fn):
        try:
            results[name] = fn()
        except Exception as exc:  # reported below, in the main thread
            errors.append("%s: %s" % (name, getattr(exc, "stderr", b"") or exc))

    jobs = [
        ("certs", lambda: certs.ensure_certs(directory)),
        ("id_key", lambda: jwtlib.RsaKey.load_or_create(os.path.join(directory, ID_KEY_FILE))),
        ("access_key", lambda: jwtlib.RsaKey.load_or_create(os.path.join(directory, ACCESS_KEY_FILE))),
    ]
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit("mock_idp: cannot make keys: " + "; ".join(errors))
    return results["certs"], results["id_key"], results["access_key"]


def write_atomically(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def watch_parent(pid, follow_ppid):
    """Exits the mock when the given process is gone or, with follow_ppid,
    when the mock is re-parented: a test process killed by a timeout
    (SIGKILL, no cleanup) must not leave a server behind."""
    first_ppid = os.getppid()

    def parent_gone():
        if follow_ppid and os.getppid() != first_ppid:
            return True
        if pid:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                pass
        return False

    def loop():
        while not parent_gone():
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    if pid or follow_ppid:
        threading.Thread(target=loop, daemon=True, name="parent-watch").start()


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    directory = os.path.abspath(args.dir)
    if "_" not in args.pool_id:
        raise SystemExit("mock_idp: --pool-id must look like REGION_ID")

    (ca, cert, key), id_key, access_key = prepare_keys(directory)
    pool = poollib.Pool(args.pool_id, args.client_id, args.client_secret, args.region)
    if args.seed:
        with open(args.seed, encoding="utf-8") as f:
            try:
                pool.load_seed(json.load(f))
            except (ValueError, poollib.PoolError) as exc:
                raise SystemExit("mock_idp: bad seed %s: %s" % (args.seed, exc))

    server.load_operations()
    idp = server.MockIdp(directory, pool, id_key, access_key, quiet=args.quiet)
    httpd = server.serve(idp, args.port, cert, key)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watch_parent(args.parent_pid, not args.no_parent_watch)
    if args.lifetime > 0:
        timer = threading.Timer(args.lifetime, lambda: os.kill(os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()

    write_atomically(os.path.join(directory, "pid"), "%d\n" % os.getpid())
    write_atomically(os.path.join(directory, "port"), "%d\n" % idp.port)
    sys.stdout.write("READY %d\n" % idp.port)
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        httpd.server_close()
        sys.stdout.flush()
        sys.stderr.flush()
    # Connection threads are daemons possibly stuck in a stall fault; do
    # not wait for them.
    os._exit(0)


if __name__ == "__main__":
    main()
