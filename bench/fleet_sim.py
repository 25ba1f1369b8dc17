#!/usr/bin/env python3
"""bench/fleet --measured: the fleet at reduced scale, for real, in a
compressed day (standard library only).

The mock IdP (tests/mock, its admin APIs behind the shared 30 RPS UserList
bucket, which counts in wall-clock seconds) holds USERS users in NGROUPS
groups; s3rver (tests/s3/serve.js, logging a line per request with the key
that signed it) is the bucket. One simulated hour lasts HOUR_S wall seconds. Each
setup runs the real binaries:

  today:     HOSTS hosts, each with its own cache directory and config, run
             `cognitoctl sync` against Cognito every SYNC_HOURS simulated
             hours (a random phase each, as --splay gives), paced at
             export_rps (default 5), all sharing the one bucket;
  snapshot:  one exporter runs `cognitoctl export` to s3:// every EXPORT_MIN
             simulated minutes (back to back when a read takes longer); the
             hosts run `cognitoctl sync` with snapshot_url every POLL_MIN
             simulated minutes, each signing its S3 GETs with a key of its
             own so that s3rver's log tells them apart;
  incremental (only when `cognitoctl export --help` lists --incremental):
             the snapshot setup with the exporter's CloudTrail reader on.

Meanwhile CHANGE_PCT % of the users a simulated day are new, made at random
times; after the day (which alone is counted) the fleet runs on until every
new user resolves on every host (at most SETTLE_HOURS). Whenever a host has
installed a new cache, its NSS module (libnss_cognito through nss_wrapper, the test build)
is asked for the users it did not resolve yet. Measured: Cognito requests
by operation (the mock's /_mock/stats and /_mock/limits), S3 GETs per host
per simulated hour (s3rver's log), and the worst time from a user's creation
to being resolvable on every host. bench/fleet prints the model beside it
(FLEET_TSV=1: its rows as data), at this scale and at full scale.
"""

import argparse
import heapq
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(SRC, "tests", "mock"))
import mockctl  # noqa: E402

POOL = "us-east-1_MockPool1"
CLIENT = "mockclient0123456789abcdef"
ADMIN_KEY = "AKIAMOCKADMIN0000001"
ADMIN_SECRET = "mock/Admin+Secret/Key0123456789abcdefghij"
BUCKET = "snaps"


def env_num(name, default, kind=int):
    return kind(os.environ.get(name, default))


class Fleet:
    def __init__(self, args):
        self.a = args
        self.ctl = os.path.join(args.builddir, "tools", "cognitoctl")
        self.nss_so = os.path.join(args.builddir, "tests", "nss", ".libs", "libnss_cognito.so.2")
        self.dir = tempfile.mkdtemp(prefix="cognito-fleet.")
        self.procs = []
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)

    # -- the servers --------------------------------------------------------

    def start(self):
        ready = open(os.path.join(self.dir, "mock.ready"), "w")
        mock = subprocess.Popen(
            [sys.executable, os.path.join(SRC, "tests", "mock", "mock_idp.py"), "--dir", self.dir,
             "--region", "us-east-1", "--pool-id", POOL, "--client-id", CLIENT, "--quiet",
             "--lifetime", "900"],
            stdout=ready, stderr=open(os.path.join(self.dir, "mock.log"), "w"))
        self.procs.append(mock)
        self.port = self._ready(os.path.join(self.dir, "mock.ready"), mock, "mock_idp")
        self.mock = mockctl.Mock(self.dir)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.keys = {"AKIAFLEETHOST%06d" % i: "host-secret-%d" % i for i in range(self.a.hosts)}
        self.s3log = os.path.join(self.dir, "s3.log")
        os.makedirs(os.path.join(self.dir, "s3data"))
        env = dict(os.environ, S3_KEYS=" ".join(
            "%s:%s" % kv for kv in [(ADMIN_KEY, ADMIN_SECRET)] + list(self.keys.items())))
        s3 = subprocess.Popen(
            ["node", os.path.join(SRC, "tests", "s3", "serve.js"), os.path.join(self.dir, "s3data"),
             BUCKET,
             os.path.join(self.dir, "server.key"), os.path.join(self.dir, "server.pem"), self.s3log],
            stdout=open(os.path.join(self.dir, "s3.ready"), "w"),
            stderr=open(os.path.join(self.dir, "s3.err"), "w"), env=env)
        self.procs.append(s3)
        self.s3port = self._ready(os.path.join(self.dir, "s3.ready"), s3, "s3rver")
        key = os.path.join(self.dir, "sign.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True,
                       stderr=subprocess.DEVNULL)
        os.chmod(key, 0o600)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out",
                        os.path.join(self.dir, "sign.pub")], check=True)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("root:x:0:0::/root:/bin/sh\n")
        with open(os.path.join(self.dir, "group"), "w") as f:
            f.write("root:x:0:\n")

    def _ready(self, path, proc, what):
        for _ in range(600):
            with open(path) as f:
                for line in f:
                    if line.startswith("READY "):
                        return int(line.split()[1])
            if proc.poll() is not None:
                sys.exit("bench/fleet: %s exited before READY (see %s)" % (what, self.dir))
            time.sleep(0.05)
        sys.exit("bench/fleet: %s not READY" % what)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("KEEP_TEST_DIR") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def seed(self):
        a = self.a
        self.group_names = ["team%03d" % g for g in range(a.groups)]
        users = [{"username": "user%05d" % i, "sub": "sub-%05d" % i,
                  "groups": [self.group_names[(i + k) % a.groups] for k in range(a.memberships)],
                  "user_create_date": 1600000000 + i} for i in range(a.users)]
        self.mock.request("POST", "/_mock/users/bulk", {"users": users})

    # -- configs --------------------------------------------------------------

    def conf(self, name, *lines):
        path = os.path.join(self.dir, name + ".conf")
        base = ["region = us-east-1", "user_pool_id = " + POOL, "client_id = " + CLIENT,
                "endpoint = https://127.0.0.1:%d/" % self.port, "ca_file = " + self.ca,
                "timeout = 10", "uid_min = 100000", "uid_max = 999999",
                "local_passwd_file = " + os.path.join(self.dir, "passwd"),
                "local_group_file = " + os.path.join(self.dir, "group")]
        with open(path, "w") as f:
            f.write("\n".join(base + list(lines)) + "\n")
        os.chmod(path, 0o644)
        return path

    def host_dir(self, setup, i):
        d = os.path.join(self.dir, setup, "host%03d" % i)
        os.makedirs(d, exist_ok=True)
        return d

    # -- the day ----------------------------------------------------------------

    def hours(self, h):
        return h * self.a.hour_s

    def reset_counters(self):
        # CloudTrail's record of the set-up: in a real fleet it happened long
        # before the day, not within the incremental export's 20 real minutes
        # of overlap (which do not shrink with the simulated hour).
        self.mock.request("POST", "/_mock/cloudtrail/clear")
        self.mock.request("POST", "/_mock/stats/reset")
        self.mock.request("POST", "/_mock/limits", {"userlist_rps": self.a.quota_rps})

    def counters(self):
        stats = self.mock.request("GET", "/_mock/stats")
        limits = self.mock.request("GET", "/_mock/limits")
        return stats["ops"], limits

    def resolve(self, host_dir, names):
        """The names this host's NSS module answers (nss_wrapper, getent)."""
        env = dict(os.environ, LD_PRELOAD="libnss_wrapper.so",
                   NSS_WRAPPER_PASSWD=os.path.join(self.dir, "passwd"),
                   NSS_WRAPPER_GROUP=os.path.join(self.dir, "group"),
                   NSS_WRAPPER_MODULE_SO_PATH=self.nss_so,
                   NSS_WRAPPER_MODULE_FN_PREFIX="cognito", COGNITO_NSS_CACHE_DIR=host_dir)
        out = subprocess.run(["getent", "passwd"] + names, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
        return {line.split(":", 1)[0] for line in out.splitlines() if ":" in line}

    def run_setup(self, setup, nhosts, hours, settle_h, host_conf, host_period_h, exporter=None,
                  prime=None):
        """One simulated day: hosts run `cognitoctl sync` every host_period_h
        simulated hours; exporter (a command) every export interval; new
        users at random times. With prime (a command), the fleet is in its
        steady state first: prime publishes a snapshot, every host installs
        it (neither counted). Returns the measurements."""
        a = self.a
        hosts = []
        for i in range(nhosts):
            d = self.host_dir(setup, i)
            env = dict(os.environ, AWS_ACCESS_KEY_ID=ADMIN_KEY, AWS_SECRET_ACCESS_KEY=ADMIN_SECRET)
            env.pop("AWS_SESSION_TOKEN", None)
            if exporter is not None:  # snapshot hosts sign S3 GETs with their own key
                key = "AKIAFLEETHOST%06d" % i
                env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=self.keys[key])
            hosts.append({"dir": d, "conf": host_conf(i, d), "env": env, "busy": False,
                          "started": 0, "runs": 0, "ok": 0, "installs": 0, "skipped": 0,
                          "proc": None})
        if prime is not None:
            subprocess.run(prime, check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, AWS_ACCESS_KEY_ID=ADMIN_KEY,
                                    AWS_SECRET_ACCESS_KEY=ADMIN_SECRET))
            with ThreadPoolExecutor(max_workers=a.workers) as pool:
                for h in hosts:
                    pool.submit(subprocess.run, [self.ctl, "sync", "--config", h["conf"], "--quiet"],
                                env=h["env"])
        self.reset_counters()
        with open(self.s3log, "a"):
            pass
        time.sleep(0.2)  # s3rver's log lines of the priming are written
        s3_start = os.path.getsize(self.s3log)
        n_new = max(1, round(a.users * a.change_pct / 100 * hours / 24))
        new_users = {}  # name -> created (wall)
        seen = {}       # (host, name) -> resolvable since (wall)
        t0 = time.monotonic()
        end = t0 + self.hours(hours)
        # After the day (counted), the fleet runs on uncounted until every
        # new user resolves on every host, at most settle_h simulated hours.
        settle = end + self.hours(settle_h)
        events = []
        for i in range(nhosts):
            t = t0 + self.rng.uniform(0, self.hours(host_period_h))
            while t < settle:
                heapq.heappush(events, (t, "host", i))
                t += self.hours(host_period_h)
        for k in range(n_new):
            at = t0 + self.rng.uniform(0, self.hours(hours))
            heapq.heappush(events, (at, "user", "new%s%03d" % (setup[0], k)))
        exports = []
        stop = threading.Event()
        exporting = {}

        def export_loop():
            nxt = t0
            while not stop.is_set() and nxt < settle:
                wait = nxt - time.monotonic()
                if wait > 0 and stop.wait(wait):
                    break
                s = time.monotonic()
                p = subprocess.Popen(exporter, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=dict(os.environ, AWS_ACCESS_KEY_ID=ADMIN_KEY,
                                                         AWS_SECRET_ACCESS_KEY=ADMIN_SECRET))
                exporting["p"] = p
                out = p.communicate()[0]
                e = time.monotonic()
                if not stop.is_set():  # one cut short at the very end does not count
                    exports.append({"start": s, "end": e, "rc": p.returncode, "out": out})
                nxt = max(nxt + self.hours(a.export_min / 60), e)

        def poll(i):
            h = hosts[i]
            s = time.monotonic()
            p = subprocess.Popen([self.ctl, "sync", "--config", h["conf"], "--json"], env=h["env"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            h["proc"] = p
            out, err = p.communicate()
            done = time.monotonic()
            if stop.is_set():  # cut short at the very end
                h["busy"] = False
                return
            installed = False
            if p.returncode == 0:
                try:
                    j = json.loads(out)
                except ValueError:
                    j = {}
                installed = not j.get("unchanged", False)
            with self.lock:
                if s < end:
                    h["runs"] += 1
                    h["ok"] += p.returncode == 0
                    h["installs"] += installed
                    if p.returncode:  # why, not "the cache was not changed"
                        why = [x for x in err.splitlines() if "was not changed" not in x]
                        h["last_err"] = why[-1:] or err.strip().splitlines()[-1:]
                pending = [n for n, c in new_users.items() if c < done and (i, n) not in seen]
            if installed and pending:
                for n in self.resolve(h["dir"], pending):
                    with self.lock:
                        seen[(i, n)] = done
            with self.lock:
                h["busy"] = False

        def all_seen():
            with self.lock:
                return len(new_users) == n_new and len(seen) == n_new * nhosts

        ex = None
        if exporter is not None:
            ex = threading.Thread(target=export_loop)
            ex.start()
        counted = None
        with ThreadPoolExecutor(max_workers=a.workers if exporter else nhosts) as pool:
            while events:
                at, kind, arg = heapq.heappop(events)
                if counted is None and at >= end:
                    time.sleep(max(0.0, end - time.monotonic()))
                    counted = self.counters() + (time.monotonic() - t0, os.path.getsize(self.s3log))
                if at >= end and all_seen():
                    break
                wait = at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if kind == "user":
                    self.mock.request("POST", "/_mock/users", {
                        "username": arg, "groups": [self.rng.choice(self.group_names)]})
                    with self.lock:
                        new_users[arg] = time.monotonic()
                    continue
                h = hosts[arg]
                with self.lock:
                    if h["busy"]:  # a timer does not start a unit that is still running
                        h["skipped"] += at < end
                        continue
                    h["busy"] = True
                    h["started"] += at < end
                pool.submit(poll, arg)
            if counted is None:
                time.sleep(max(0.0, end - time.monotonic()))
                counted = self.counters() + (time.monotonic() - t0, os.path.getsize(self.s3log))
            finished = time.monotonic()
            stop.set()
            for p in [h["proc"] for h in hosts] + [exporting.get("p")]:
                if p is not None and p.poll() is None:
                    p.terminate()
        if ex is not None:
            ex.join()
        ops, limits, wall, s3_end = counted
        with open(self.s3log) as f:
            f.seek(s3_start)
            s3 = [line.split() for line in f.read(s3_end - s3_start).splitlines()]
        host_keys = set(self.keys)
        gets = [x for x in s3 if len(x) == 4 and x[0] in host_keys and x[1] == "GET"]
        worst, never = 0.0, 0
        for n, c in new_users.items():
            times = [seen.get((i, n)) for i in range(nhosts)]
            if None in times:
                never += 1
                worst = max(worst, finished - c)
            else:
                worst = max(worst, max(times) - c)
        exports = [e for e in exports if e["start"] < t0 + wall]
        return {"ops": ops, "limits": limits, "wall": wall, "hosts": hosts, "exports": exports,
                "nhosts": nhosts, "settled_h": (finished - t0 - wall) / a.hour_s,
                "gets": gets, "new": len(new_users), "never": never,
                "worst_h": worst / a.hour_s, "sim_h": wall / a.hour_s}

    # -- the setups ---------------------------------------------------------------

    def today(self):
        def conf(i, d):
            return self.conf("today%03d" % i, "cache_dir = " + d)
        return self.run_setup("today", self.a.today_hosts, self.a.today_hours, 0, conf,
                              self.a.sync_hours)

    def snapshot(self, incremental=False):
        setup = "incremental" if incremental else "snapshot"
        url = "s3://%s/%s" % (BUCKET, setup)
        s3 = "https://127.0.0.1:%d" % self.s3port
        extra = []
        if incremental:
            extra = ["cloudtrail_endpoint = https://127.0.0.1:%d/" % self.port,
                     "export_full_hours = %d" % (self.a.inc_hours * 10)]
        exp = [("cache_dir = " + self.host_dir(setup, 9999)), "snapshot_url = " + url,
               "s3_endpoint = " + s3, "snapshot_private_key = " + os.path.join(self.dir, "sign.pem")]
        prev = os.path.join(self.dir, setup + "-prev")
        os.makedirs(prev, exist_ok=True)
        # The first snapshot, made before the day at the whole quota (not counted).
        first = self.conf(setup + "-first", *exp, "export_rps = %d" % self.a.quota_rps, *extra)
        exp = self.conf(setup + "-exporter", *exp, "export_rps = %d" % self.a.export_rps, *extra)
        prime = [self.ctl, "export", "--config", first, "--previous", prev, "--quiet"]
        cmd = [self.ctl, "export", "--config", exp, "--previous", prev]

        def conf(i, d):
            return self.conf("%s%03d" % (setup, i), "cache_dir = " + d, "snapshot_url = " + url,
                             "s3_endpoint = " + s3,
                             "snapshot_public_key = " + os.path.join(self.dir, "sign.pub"))
        hours = self.a.inc_hours if incremental else self.a.snap_hours
        return self.run_setup(setup, self.a.hosts, hours, self.a.settle_hours, conf,
                              self.a.poll_min / 60, exporter=cmd, prime=prime)


def userlist(r):
    return r["ops"].get("ListUsers", 0) + r["ops"].get("ListUsersInGroup", 0)


def model(args, full):
    """bench/fleet's rows (FLEET_TSV=1) at full scale or at this run's."""
    env = dict(os.environ, FLEET_TSV="1", POLL_MIN=str(args.poll_min),
               EXPORT_MIN=str(args.export_min), SYNC_HOURS=str(args.sync_hours),
               CHANGE_PCT=str(args.change_pct))
    if not full:
        # The bucket counts wall seconds: one simulated hour has HOUR_S of them.
        k = args.hour_s / 3600.0
        env.update(HOSTS=str(args.today_hosts), USERS=str(args.users), NGROUPS=str(args.groups),
                   MEMBERSHIPS=str(args.memberships), QUOTA_RPS=repr(args.quota_rps * k),
                   EXPORT_RPS=repr(args.export_rps * k), FULL_EVERY_H=str(args.inc_hours * 10))
    out = subprocess.run([os.path.join(HERE, "fleet")], env=env, stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        kind, label, req, share, gets, stale = line.split("\t")
        rows.setdefault(kind, []).append((label, float(req), float(share), float(gets), stale))
    return rows


def dur_h(h):
    return "%.0f min" % (h * 60) if h < 2 else "%.1f h" % h


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=SRC)
    ap.add_argument("--seed", type=int, default=env_num("SEED", 14))
    args = ap.parse_args()
    # Today's hosts mostly wait (paced reads): many are cheap. A snapshot
    # host's poll is a process, a TLS handshake and an s3rver answer, about
    # 65 ms of CPU: 12 an hour for a day is what bounds their number here.
    args.today_hosts = env_num("M_TODAY_HOSTS", 20)
    args.hosts = env_num("M_HOSTS", 4)
    args.users = env_num("M_USERS", 1800)
    args.groups = env_num("M_NGROUPS", 36)  # 50 a group: new members add no page
    args.memberships = env_num("M_MEMBERSHIPS", 1)
    args.hour_s = env_num("HOUR_S", 2.5, float)
    # Today's setup is over quota at once: half a day (two rounds of its
    # 6-hour timer) shows it and keeps the whole run within about 3 minutes.
    args.today_hours = env_num("TODAY_HOURS", 12)
    args.snap_hours = env_num("SNAP_HOURS", 24)
    args.settle_hours = env_num("SETTLE_HOURS", 16)
    args.poll_min = env_num("POLL_MIN", 5)
    args.export_min = env_num("EXPORT_MIN", 60)
    args.sync_hours = env_num("SYNC_HOURS", 6)
    args.change_pct = env_num("CHANGE_PCT", 1, float)
    args.export_rps = env_num("EXPORT_RPS", 5)
    args.quota_rps = env_num("QUOTA_RPS", 30)
    args.workers = env_num("WORKERS", 6)
    ctl = os.path.join(args.builddir, "tools", "cognitoctl")
    for need, what in ((ctl, "tools/cognitoctl"),
                       (os.path.join(args.builddir, "tests/nss/.libs/libnss_cognito.so.2"),
                        "the test build of libnss_cognito")):
        if not os.access(need, os.R_OK):
            sys.exit("bench/fleet --measured: no %s in %s: build first" % (what, args.builddir))
    if not os.path.isdir(os.path.join(SRC, "tests", "s3", "node_modules", "s3rver")):
        sys.exit("bench/fleet --measured: s3rver is not installed (scripts/deps.sh test, or "
                 "cd tests/s3 && npm ci): not measured")
    if shutil.which("node") is None or shutil.which("openssl") is None:
        sys.exit("bench/fleet --measured: node and openssl are needed: not measured")
    helptext = subprocess.run([ctl, "export", "--help"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True).stdout
    incremental = "--incremental" in helptext
    # The incremental setup, when there is one, runs half a day too.
    args.inc_hours = env_num("INC_HOURS", 12)

    f = Fleet(args)
    results = {}
    try:
        f.start()
        f.seed()
        print("Measured at reduced scale: %d users in %d groups (%d per user), %g %% of them new "
              "a day; one simulated hour = %.1f s of wall time. today: %d hosts, %d h; snapshot: "
              "%d hosts, %d h. The mock's UserList bucket: %d req per wall second; the exporter "
              "at export_rps %d; today's hosts at the default export_rps (5)."
              % (args.users, args.groups, args.memberships, args.change_pct, args.hour_s,
                 args.today_hosts, args.today_hours, args.hosts, args.snap_hours,
                 args.quota_rps, args.export_rps), flush=True)
        results["today"] = f.today()
        results["snapshot"] = f.snapshot()
        if incremental:
            try:
                results["incremental"] = f.snapshot(incremental=True)
            except subprocess.CalledProcessError as exc:
                print("incremental: its first export failed (exit %d): not measured"
                      % exc.returncode, flush=True)
    finally:
        f.stop()
    report(args, results, incremental)


def report(args, results, incremental):
    small, full = model(args, False), model(args, True)
    print("Scale factors to full scale (10,000 hosts, 1M users): users x%g, hosts x%g (today) "
          "and x%g (snapshot), time x%g (1 simulated hour = %.1f s), so the 30 req/s bucket is "
          "%.0f req per simulated hour here, not 108,000: the shares of the quota compare, the "
          "request counts scale with users (pages of 60)."
          % (1e6 / args.users, 10000 / args.today_hosts, 10000 / args.hosts, 3600 / args.hour_s,
             args.hour_s, args.quota_rps * args.hour_s))
    print()
    fmt = "%-34s %-11s %14s %10s %9s %16s"
    print(fmt % ("", "", "Cognito req/h", "of quota", "S3 GET/h", "new user, worst"))
    names = {"today": "today: per-host sync every %g h" % args.sync_hours,
             "snapshot": "snapshot: export every %g min" % args.export_min,
             "incremental": "+ incremental (CloudTrail)"}
    per_h = args.quota_rps * args.hour_s
    for kind in ("today", "snapshot", "incremental"):
        r = results.get(kind)
        if r is not None:
            req_h = userlist(r) / r["sim_h"]
            gets_h = len(r["gets"]) / r["nhosts"] / r["sim_h"]
            stale = dur_h(r["worst_h"])
            if r["never"]:
                stale = "> %s (%d never)" % (stale, r["never"])
            print(fmt % (names[kind], "measured", "%.0f" % req_h, "%.2f %%" % (100 * req_h / per_h),
                         "%.1f" % gets_h, stale))
        elif kind == "incremental":
            print(fmt % (names[kind], "measured", "-", "-", "-", "not measured"))
        mkey = "incremental" if kind == "incremental" else kind
        for scale, rows in (("model", small), ("full scale", full)):
            for label, req, share, gets, stale in rows.get(mkey, []):
                print(fmt % (label if kind == "incremental" and scale != "model" else "", scale,
                             "%.0f" % req, "%.2f %%" % share, "%.0f" % gets, stale))
    print("Cognito req/h: UserList requests sent (ListUsers + ListUsersInGroup, throttled ones "
          "included), a share of what the bucket allows; the model: what the setup asks for.")
    print()
    for kind, r in results.items():
        ops = ", ".join("%s %d" % kv for kv in sorted(r["ops"].items()))
        hosts = r["hosts"]
        tot = {k: sum(h[k] for h in hosts) for k in ("started", "runs", "ok", "installs", "skipped")}
        print("%s: %.0f s of wall time = %.1f simulated h; Cognito requests by operation: %s; "
              "the UserList bucket served %d (%.0f %% of what it allows) and throttled %d "
              "(TooManyRequestsException)."
              % (kind, r["wall"], r["sim_h"], ops or "none", r["limits"]["served"],
                 100 * r["limits"]["served"] / (args.quota_rps * r["wall"]),
                 r["limits"]["throttled"]))
        print("  %d hosts' `cognitoctl sync`: %d started (%.1f a host an hour), %d ended in the "
              "day: %d ok (%d installed a new cache), %d failed; %d not started (the host's "
              "previous one still running)"
              % (r["nhosts"], tot["started"], tot["started"] / r["nhosts"] / r["sim_h"],
                 tot["runs"], tot["ok"], tot["installs"], tot["runs"] - tot["ok"],
                 tot["skipped"]))
        if r["settled_h"] > 0.01:
            print("  then %.1f simulated h more (not counted) until every new user resolved"
                  % r["settled_h"])
        if r["exports"]:
            took = [(e["end"] - e["start"]) / args.hour_s for e in r["exports"]]
            print("  exports: %d (%d ok), each %.1f to %.1f simulated h"
                  % (len(took), sum(e["rc"] == 0 for e in r["exports"]), min(took), max(took)))
        if r["gets"]:
            m304 = sum(1 for g in r["gets"] if g[2].endswith("/manifest.json") and g[3] == "304")
            print("  S3 GETs from hosts: %d (%d manifest polls answered 304), %.2f a poll: at %d "
                  "polls an hour %.1f a host an hour"
                  % (len(r["gets"]), m304, len(r["gets"]) / max(1, tot["started"]),
                     60 / args.poll_min, len(r["gets"]) / max(1, tot["started"]) * 60 / args.poll_min))
        fails = [h["last_err"][0] for h in hosts if h.get("last_err")]
        if fails:
            print("  a failed host sync said: %s" % fails[0])
        print("  new users: %d; resolvable on every host within %s%s"
              % (r["new"], dur_h(r["worst_h"]),
                 " (%d not on every host by the end)" % r["never"] if r["never"] else ""))
    if not incremental:
        print("incremental: not measured (this cognitoctl export has no --incremental).")
    elif "incremental" in results:
        print("incremental: the exporter's read is by CloudTrail's LookupEvents on the mock; "
              "LookupEvents is CloudTrail's own quota (2 a second), not UserList.")
        print("incremental: each export also re-reads the last 20 real minutes of events "
              "(CloudTrail delivers late), which here is the whole compressed day: every "
              "export re-reads every change made so far, so the measured share is above the "
              "model's (at full scale the overlap is a third of the hour between exports).")


if __name__ == "__main__":
    main()
