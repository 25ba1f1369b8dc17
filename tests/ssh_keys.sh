#!/bin/sh
# sshd logs a Cognito user in with an SSH key taken from the user pool:
# `cognitoctl sync` carries the keys of ssh_key_attribute into the cache,
# sshd asks `cognitoctl authorized-keys %u` (as the unprivileged
# AuthorizedKeysCommandUser, never reaching the network), and pam_cognito
# still runs the account phase (Enabled, allowed_groups) from the cache.
# A disabled user, one outside allowed_groups, a wrong key, and a user the
# administrator disables in the pool (then syncs) are all refused.
#
# Runs in private mount and PID namespaces (tests/ssh_keys_ns.sh) whose
# /etc/passwd, /etc/group and /etc/pam.d are bind-mounted copies: the
# users resolve through the passwd copy (the harness that resolves them
# through libnss_cognito is branch sysnss's). Skips (77) when not root or
# without unshare, sshd or ssh.

. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/nsslib.sh"

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
for f in "$MODULE" "$CTL" "$NSS_TEST_SO"; do
	[ -f "$f" ] || fail "no $f: build first"
done

mock_start
chmod 0711 "$TEST_DIR" # AuthorizedKeysCommandUser reads the config and the cache
mkdir -p "$TEST_DIR/keys" "$TEST_DIR/etc/pam.d" "$TEST_DIR/home" "$TEST_DIR/sbin"
for u in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$u@laptop" -f "$TEST_DIR/keys/$u" || fail "ssh-keygen"
done
mock_ctl add-group admins >/dev/null
mock_add_user alice 'Passw0rd!' groups=admins "custom:ssh_public_key=$(cat "$TEST_DIR/keys/alice.pub")"
mock_add_user bob 'Passw0rd!' groups=admins enabled=false \
	"custom:ssh_public_key=$(cat "$TEST_DIR/keys/bob.pub")"
mock_add_user carol 'Passw0rd!' "custom:ssh_public_key=$(cat "$TEST_DIR/keys/carol.pub")"
# The host's own accounts, which the mapping must not collide with: not the
# namespace's passwd, where the copies below stand in for the NSS module.
cp /etc/passwd "$TEST_DIR/passwd"
cp /etc/group "$TEST_DIR/group"
mock_write_config "state_dir = $TEST_DIR/state" "ssh_key_attribute = custom:ssh_public_key" \
	"local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group"
export AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001 AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"

# The Unix users the cache made, as a passwd copy (uids from the module itself).
cp "$TEST_DIR/passwd" "$TEST_DIR/etc/passwd"
cp "$TEST_DIR/group" "$TEST_DIR/etc/group"
for u in alice bob carol; do
	line=$(nss_run getent passwd "$u") || fail "the cache has no $u"
	uid=$(echo "$line" | cut -d: -f3)
	mkdir -p "$TEST_DIR/home/$u"
	chown "$uid:$uid" "$TEST_DIR/home/$u"
	echo "$u:x:$uid:$uid::$TEST_DIR/home/$u:/bin/sh" >>"$TEST_DIR/etc/passwd"
	echo "$u:x:$uid:" >>"$TEST_DIR/etc/group"
done

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

PORT=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$TEST_DIR/ssh_host_ed25519_key" || fail "ssh-keygen"
cat >"$TEST_DIR/sshd_config" <<EOT
Port $PORT
ListenAddress 127.0.0.1
HostKey $TEST_DIR/ssh_host_ed25519_key
PidFile $TEST_DIR/sshd.pid
UsePAM yes
PubkeyAuthentication yes
AuthenticationMethods publickey
KbdInteractiveAuthentication no
PasswordAuthentication no
AuthorizedKeysFile none
AuthorizedKeysCommand /usr/local/sbin/cognitoctl authorized-keys --config $MOCK_CONF %u
AuthorizedKeysCommandUser nobody
PermitRootLogin no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
EOT

export TEST_DIR PORT MOCK_DIR MOCK_CONF PYTHON3 MOCKCTL CTL top_srcdir
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh "$top_srcdir/tests/ssh_keys_ns.sh" >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
echo "namespace script exited $? (in $TEST_DIR)"

result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}
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
