#!/bin/sh
# sshd logs a Cognito user in with an SSH key taken from the user pool:
# `cognitoctl sync` carries the keys of ssh_key_attribute into the cache,
# sshd asks `cognitoctl authorized-keys %u` (as the unprivileged
# AuthorizedKeysCommandUser, never reaching the network), and pam_cognito
# still runs the account phase (Enabled, allowed_groups) from the cache.
# A disabled user, one outside allowed_groups, a wrong key, and a user the
# administrator disables in the pool (then syncs) are all refused.
#
# Runs in private mount and PID namespaces (tests/system/ssh_keys_ns.sh) where
# /etc/pam.d is a copy and the users are resolved by the real
# libnss_cognito.so.2 from the cache the sync wrote (tests/system/ns_nss.sh), as
# installed. Skips (77) when not root or without unshare, sshd or ssh.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
system_test
. "$top_srcdir/tests/system/ns_sshd.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace and sshd"
for cmd in unshare ssh ssh-keygen; do
	command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
done
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not found"
[ -d /usr/local/sbin ] || skip "no /usr/local/sbin to mount the command over"
unshare --mount --pid --fork --mount-proc true 2>/dev/null ||
	skip "cannot make mount and PID namespaces here"
MODULE="$(cd "$top_builddir" && pwd)/pam_cognito/.libs/pam_cognito.so"
CTL="$top_builddir/tools/cognitoctl"
for f in "$MODULE" "$CTL"; do
	[ -f "$f" ] || fail "no $f: build first"
done

. "$top_srcdir/tests/system/ns_nss.sh"
for name in alice bob carol admins; do
	if grep -q "^$name:" /etc/passwd /etc/group; then
		skip "this host has a local $name, which would hide the Cognito one"
	fi
done

mock_start
chmod 0711 "$TEST_DIR" # AuthorizedKeysCommandUser reads the config and the cache
mkdir -p "$TEST_DIR/keys" "$TEST_DIR/etc/pam.d" "$TEST_DIR/home" "$TEST_DIR/sbin" "$TEST_DIR/ns"
for u in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$u@laptop" -f "$TEST_DIR/keys/$u" || fail "ssh-keygen"
done
mock_ctl add-group admins >/dev/null
mock_add_user alice 'Passw0rd!' groups=admins "custom:ssh_public_key=$(cat "$TEST_DIR/keys/alice.pub")"
mock_add_user bob 'Passw0rd!' groups=admins enabled=false \
	"custom:ssh_public_key=$(cat "$TEST_DIR/keys/bob.pub")"
mock_add_user carol 'Passw0rd!' "custom:ssh_public_key=$(cat "$TEST_DIR/keys/carol.pub")"
# One cache for the sync, pam_cognito, the module and authorized-keys: the
# module's compiled-in directory, which is $MOCK_CACHE_DIR in the namespace.
mock_write_config "state_dir = $TEST_DIR/state" "ssh_key_attribute = custom:ssh_public_key" \
	"cache_dir = $NSS_CACHEDIR" "home_template = $TEST_DIR/home/%u"
AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'

# sshd runs an AuthorizedKeysCommand only from a root-owned path nobody
# else can write: a copy, mounted over /usr/local/sbin inside the namespace.
chmod 0755 "$TEST_DIR/sbin"
cp "$CTL" "$TEST_DIR/sbin/cognitoctl"
cat >"$TEST_DIR/etc/pam.d/sshd" <<EOT
auth     required pam_deny.so
account  required $MODULE config=$MOCK_CONF allowed_groups=admins
password required pam_deny.so
session  required pam_permit.so
EOT
cp "$TEST_DIR/etc/pam.d/sshd" "$TEST_DIR/etc/pam.d/other"

ns_sshd_config publickey \
	"AuthorizedKeysCommand /usr/local/sbin/cognitoctl authorized-keys --config $MOCK_CONF %u" \
	"AuthorizedKeysCommandUser nobody" || fail "sshd_config"

export TEST_DIR PORT MOCK_DIR MOCK_CONF MOCK_CACHE_DIR PYTHON3 MOCKCTL CTL top_srcdir top_builddir \
	NSS_MODULE NSS_CACHEDIR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh "$top_srcdir/tests/system/ssh_keys_ns.sh" >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
echo "namespace script exited $? (in $TEST_DIR)"

result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}
expect_eq "cognitoctl sync filled the cache" ok "$(result sync)"
expect_eq "alice is no file's user, NSS gives her" "alice" "$(result nss_alice)"
expect_eq "alice logs in with the key from the pool" "alice" "$(result alice_key)"
expect_eq "bob, disabled in the pool, is refused" "255" "$(result bob_disabled)"
expect_eq "carol's key is good, but the account phase refuses her (allowed_groups)" "255" \
	"$(result carol_not_in_group)"
expect_eq "alice with carol's key is refused" "255" "$(result alice_wrong_key)"
expect_eq "alice, disabled by the administrator and synced, is refused" "255" \
	"$(result alice_disabled_later)"
check "sshd accepted alice's key" grep -q "Accepted publickey for alice" "$TEST_DIR/sshd.log"
check "pam_cognito's account phase refused carol after her key" \
	grep -q "Access denied for user carol by PAM account configuration" "$TEST_DIR/sshd.log"
check "sshd never accepted bob's key" sh -c "! grep -q 'Accepted publickey for bob' '$TEST_DIR/sshd.log'"
check "nor alice's once disabled" \
	test "$(grep -c 'Accepted publickey for alice' "$TEST_DIR/sshd.log")" -eq 1
if [ "$LIB_FAILED" -ne 0 ]; then
	echo "--- results ---"
	cat "$TEST_DIR/results"
	echo "--- namespace log ---"
	cat "$TEST_DIR/ns.log"
	echo "--- sshd log ---"
	tail -60 "$TEST_DIR/sshd.log"
fi
finish
