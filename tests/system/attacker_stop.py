#!/usr/bin/env python3
"""The attacker's SIGSTOP, for tests/system/pool_attacker.sh (issue 18).

    attacker_stop.py LOCKFILE MARK CMD [ARGS...]

Run as the unprivileged attacker. Starts CMD (a setuid su typed by
expect) up to five times, watching /proc/locks as it runs; the moment a
process named su holds a lock on LOCKFILE, stops it with SIGSTOP (which
its real uid allows) and writes "su PID stopped holding LOCKFILE" to
MARK. If no try catches su holding it, MARK says "never held" (what a
login that holds no such lock looks like). Then waits; on SIGTERM it lets
the stopped su go on (SIGCONT) and exits.
"""

import os
import signal
import subprocess
import sys
import time


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return ""


def holder(inode):
    with open("/proc/locks", encoding="ascii", errors="replace") as f:
        for line in f:
            parts = line.split()
            # "1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF" ("->" for waiters)
            if len(parts) < 6 or parts[1] == "->":
                continue
            if parts[5].rsplit(":", 1)[-1] == inode and parts[4].isdigit():
                pid = int(parts[4])
                if comm(pid) == "su":
                    return pid
    return None


def main():
    lockfile, mark, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    stopped = []

    def resume(*_):
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, resume)
    what = "never held"
    for _ in range(5):
        try:
            inode = str(os.stat(lockfile).st_ino)
        except OSError:
            inode = None
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline and not stopped:
            if inode is None:
                try:
                    inode = str(os.stat(lockfile).st_ino)
                except OSError:
                    pass
            pid = holder(inode) if inode else None
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
                    what = "su %d stopped holding %s" % (pid, lockfile)
                except OSError as e:
                    what = "cannot stop su %d: %s" % (pid, e)
        if stopped:
            break
        proc.wait()
    with open(mark, "w", encoding="utf-8") as f:
        f.write(what + "\n")
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
