#!/bin/sh
# The inside of tests/system/ssh_keys.sh, in its private mount namespace: the
# test's pam.d over /etc's, cognitoctl over /usr/local/sbin, the real
# libnss_cognito.so.2 on the test's cache (tests/system/ns_nss.sh) filled by a
# sync, sshd started; prints "CASE RESULT" per case (what ssh printed, or
# its exit status when it printed nothing).

set -u
. "$top_srcdir/tests/system/ns_nss.sh"
. "$top_srcdir/tests/system/ns_sshd.sh"
mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || { echo "mount /etc/pam.d failed" >&2; exit 1; }
ns_nss_enable "$MOCK_CACHE_DIR" "$TEST_DIR/ns" || exit 1
# After ns_nss_enable: its cachedir may be an overlay over /usr/local.
mount --bind "$TEST_DIR/sbin" /usr/local/sbin || { echo "mount /usr/local/sbin failed" >&2; exit 1; }

if "$CTL" sync --quiet --config "$MOCK_CONF" >&2; then
	echo "sync ok"
else
	echo "sync failed"
fi
echo "nss_alice $(getent passwd alice | cut -d: -f1)"
for u in alice bob carol; do
	mkdir -p "$TEST_DIR/home/$u" && chown "$u:$u" "$TEST_DIR/home/$u"
done

ns_sshd_start || exit 1
trap 'kill "$sshd" 2>/dev/null' EXIT

# ssh_as CASE USER KEY: runs `id -un` as USER with only KEY, never a prompt.
ssh_as() {
	out=$(timeout 30 ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o PreferredAuthentications=publickey -i "$TEST_DIR/keys/$3" -p "$PORT" \
		"$2@127.0.0.1" id -un 2>>"$TEST_DIR/ssh.log" </dev/null)
	rc=$?
	echo "$1 ${out:-$rc}"
}

ssh_as alice_key alice alice
ssh_as bob_disabled bob bob
ssh_as carol_not_in_group carol carol
ssh_as alice_wrong_key alice carol
# The administrator disables alice in the pool; the next sync carries it.
"$PYTHON3" "$MOCKCTL" "$MOCK_DIR" get-user alice |
	"$PYTHON3" -c 'import json, sys; u = json.load(sys.stdin); u["enabled"] = False; print(json.dumps(u))' |
	"$PYTHON3" "$MOCKCTL" "$MOCK_DIR" put-user - >/dev/null || echo "disabling alice failed" >&2
"$CTL" sync --quiet --config "$MOCK_CONF" >&2 || echo "sync failed" >&2
ssh_as alice_disabled_later alice alice
exit 0
