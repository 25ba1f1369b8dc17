#!/bin/sh
# Issue 18 through the real sshd, su and sudo: an unconfirmed (or
# compromised, reset-required, archived) pool account with an SSH key, a
# throttled pool, a stranger's wrong password, a remembered host over ssh,
# a custom-challenge login offline, a stopped setuid su over the cache
# lock, IdP text with terminal escapes, and the session id in sudo's
# command environment. The host is the one tests/system/local_attacker.sh builds
# (tests/system/attacker_ns.sh); the attacks are in tests/system/pool_attacker_ns.sh.
# Skips (77) when not root or without unshare or sshd.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/system/attacker_lib.sh"
system_test

# Attacks whose fix is not in this tree (id=reason;...): expected
# failures, printed with the reason. ATTACKER_XFAIL= (empty) counts all.
ATTACKER_XFAIL=${ATTACKER_XFAIL-$(attacker_pending)}

chmod 0644 "$MOCK_CA"
attacker_run pool_attacker_ns.sh
finish
