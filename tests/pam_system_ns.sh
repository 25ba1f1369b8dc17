#!/bin/sh
# The inside of tests/pam_system.sh, run in its private mount namespace: puts
# the test's passwd, group, pam.d and sudoers over /etc's, starts sshd, and
# prints one "CASE ok" (or "CASE failed") line per expect case.

set -u
for f in passwd group sudoers; do
	mount --bind "$TEST_DIR/etc/$f" "/etc/$f" || { echo "mount /etc/$f failed" >&2; exit 1; }
done
mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || { echo "mount /etc/pam.d failed" >&2; exit 1; }
# sshd's privilege-separation directory (the package makes it at boot).
mkdir -p /run/sshd && chmod 0755 /run/sshd

/usr/sbin/sshd -D -e -f "$TEST_DIR/sshd_config" 2>"$TEST_DIR/sshd.log" </dev/null >/dev/null &
sshd=$!
trap 'kill "$sshd" 2>/dev/null' EXIT
tries=0
until grep -q "Server listening" "$TEST_DIR/sshd.log" 2>/dev/null; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ] || ! kill -0 "$sshd" 2>/dev/null; then
		echo "sshd did not start" >&2
		cat "$TEST_DIR/sshd.log" >&2
		exit 1
	fi
	sleep 0.1
done

for case in ssh_ok ssh_enrol ssh_wrong_totp ssh_not_in_group su_ok su_wrong_totp sudo_ok \
	sudo_wrong_totp ssh_aws; do
	echo "=== $case" >&2
	if LC_ALL=C.UTF-8 expect "$top_srcdir/tests/pam_system.exp" "$case" >&2; then
		echo "$case ok"
	else
		echo "$case failed"
	fi
done
exit 0
