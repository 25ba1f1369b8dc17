#!/bin/sh
# The inside of tests/system/passwordless_ssh.sh, in its private mount namespace:
# the test's pam.d over /etc's, libnss_cognito resolving ann from the cache
# cognitoctl sync fills, sshd, and one "CASE ok" / "CASE failed" line per
# expect case.

set -u
. "$top_srcdir/tests/system/ns_nss.sh"
. "$top_srcdir/tests/system/ns_sshd.sh"
mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || { echo "mount /etc/pam.d failed" >&2; exit 1; }
ns_nss_enable "$MOCK_CACHE_DIR" "$TEST_DIR/ns" || exit 1
if "$CTL" sync --config "$MOCK_CONF" >&2; then
	echo "sync ok"
else
	echo "sync failed"
fi
mkdir -p "$TEST_DIR/home/ann" && chown ann:ann "$TEST_DIR/home/ann"
ns_sshd_start || exit 1
trap 'kill "$sshd" 2>/dev/null' EXIT
for case in ssh_code ssh_unknown; do
	echo "=== $case" >&2
	if LC_ALL=C.UTF-8 expect "$top_srcdir/tests/system/passwordless_ssh.exp" "$case" >&2; then
		echo "$case ok"
	else
		echo "$case failed"
	fi
done
exit 0
