#!/bin/sh
# The inside of tests/system/passwordless_ssh.sh, in its private mount namespace:
# the test's pam.d over /etc's, libnss_cognito resolving ann from the cache
# cognitoctl sync fills, sshd, and one "CASE ok" / "CASE failed" line per
# expect case.

set -u
. "$top_srcdir/tests/system/ns_sshd.sh"
ns_sshd_enter ann || exit 1
for case in ssh_code ssh_unknown; do
	echo "=== $case" >&2
	if LC_ALL=C.UTF-8 expect "$top_srcdir/tests/system/passwordless_ssh.exp" "$case" >&2; then
		echo "$case ok"
	else
		echo "$case failed"
	fi
done
exit 0
