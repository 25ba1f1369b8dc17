#!/bin/sh
# Issue 12 through the real setuid programs: a local unprivileged user
# (uid 1600, mallory) runs su, sudo and passwd with pam_cognito in their
# stacks as the Debian profile (debian/pam-configs/cognito, enabled with
# pam-auth-update) writes them, and NSS resolves pool users through glibc
# and the built libnss_cognito.so.2, against the mock IdP. Every attack is
# tried and must fail; each has a control that the legitimate login works.
# The attacks are in tests/system/local_attacker_ns.sh; docs/threat-model.md
# lists them. Skips (77) when not root or without unshare.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/system/attacker_lib.sh"
system_test

# Attacks whose fix is not in this tree (id=reason;...): expected
# failures, printed with the reason. ATTACKER_XFAIL= (empty) counts all.
ATTACKER_XFAIL=${ATTACKER_XFAIL-$(attacker_pending)}

chmod 0644 "$MOCK_CA"
attacker_run local_attacker_ns.sh
finish
