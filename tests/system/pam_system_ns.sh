#!/bin/sh
# The inside of tests/system/pam_system.sh, run in its private mount namespace: puts
# the test's pam.d and sudoers over /etc's, makes the real libnss_cognito.so.2
# resolve users from the test's cache (tests/system/ns_nss.sh), fills that cache with
# cognitoctl sync, starts sshd, and prints one "CASE ok" (or "CASE failed")
# line per expect case. What NSS answers goes to $TEST_DIR/probe.*.

set -u
. "$top_srcdir/tests/system/ns_nss.sh"
. "$top_srcdir/tests/system/ns_sshd.sh"
mount --bind "$TEST_DIR/etc/sudoers" /etc/sudoers || { echo "mount /etc/sudoers failed" >&2; exit 1; }
mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || { echo "mount /etc/pam.d failed" >&2; exit 1; }
ns_nss_enable "$MOCK_CACHE_DIR" "$TEST_DIR/ns" || exit 1

mock_ctl() {
	"$PYTHON3" "$MOCKCTL" "$MOCK_DIR" "$@"
}

# The users come from the pool, as on a host: sync, then their homes.
if "$CTL" sync --config "$MOCK_CONF" >&2; then
	echo "sync ok"
else
	echo "sync failed"
fi
for u in alice newt carol; do
	mkdir -p "$TEST_DIR/home/$u" && chown "$u:$u" "$TEST_DIR/home/$u"
done

# Then the pool changes, and the cache does not know yet: alice joins ops,
# dave is new.
mock_ctl get-user alice | "$PYTHON3" -c 'import json, sys
u = json.load(sys.stdin); u["groups"].append("ops"); print(json.dumps(u))' |
	mock_ctl put-user - >/dev/null
mock_ctl add-user dave 'Passw0rd!' groups=admins mfa_settings=SOFTWARE_TOKEN_MFA \
	totp_secret="$TOTP_SECRET" >/dev/null

# probe NAME: what NSS says about the users now, one "what answer" a line.
probe() {
	{
		echo "files $(grep -E '^(alice|newt|carol|dave|admins|devs|ops):' /etc/passwd /etc/group)"
		echo "getent $(getent passwd alice)"
		echo "getent-s $(getent -s cognito passwd alice)"
		echo "getent-uid $(getent passwd "$(id -u alice)")"
		echo "id $(id alice)"
		echo "dave $(getent passwd dave)"
	} >"$TEST_DIR/probe.$1" 2>&1
}
probe synced

ns_sshd_start || exit 1
trap 'kill "$sshd" 2>/dev/null' EXIT

for case in ssh_ok ssh_enrol ssh_wrong_totp ssh_not_in_group su_ok su_wrong_totp sudo_ok \
	sudo_wrong_totp ssh_not_synced ssh_aws; do
	echo "=== $case" >&2
	if LC_ALL=C.UTF-8 expect "$top_srcdir/tests/system/pam_system.exp" "$case" >&2; then
		echo "$case ok"
	else
		echo "$case failed"
	fi
done
probe logged_in
exit 0
