#!/bin/sh
# No lock a user can freeze (issue 18), with the real setuid su: an
# unprivileged local user runs `su frank` (a Cognito user) with the right
# password and, the moment /proc/locks shows cache.lock held, sends SIGSTOP
# to whoever holds it and to su (tests/system/freeze_lock.py). The holder is su
# itself, in the module's guard (real uid 0 while it holds the lock), or,
# in a process with other threads, the module's child: either way that user
# may not signal it. Then `cognitoctl sync` and another user's su login must each end
# within their deadline, and the sync must reach the cache: a user disabled
# in the pool meanwhile loses their SSH key. Runs in private mount and PID
# namespaces with the real libnss_cognito.so.2 (tests/system/ns_nss.sh); the host's
# files are never touched.
#
# Skips (77) where that cannot work: not root, no unshare, su or setpriv.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
system_test

[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace and su"
for cmd in unshare setpriv su; do
	command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
done
unshare --mount --pid --fork --mount-proc true 2>/dev/null ||
	skip "cannot make mount and PID namespaces here"
MODULE="$top_builddir/pam_cognito/.libs/pam_cognito.so"
[ -f "$MODULE" ] || fail "no $MODULE: build first"
CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
. "$top_srcdir/tests/system/ns_nss.sh"
for name in frank grace; do
	grep -q "^$name:" /etc/passwd /etc/group && skip "this host has a local $name"
done

TIMEOUT=4
KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZyYW5rZnJhbmtmcmFua2ZyYW5rZnJhbmtmcmFua2Zy frank@laptop"
mock_start
mock_add_user frank 'Passw0rd!' "custom:ssh=$KEY"
mock_add_user grace 'Passw0rd!'
mock_write_config "state_dir = $TEST_DIR/state" "cache_dir = $NSS_CACHEDIR" \
	"home_template = $TEST_DIR/home/%u" "timeout = $TIMEOUT" "ssh_key_attribute = custom:ssh"

chmod 0711 "$TEST_DIR"
chmod 0644 "$MOCK_CONF"
mkdir -p "$TEST_DIR/etc/pam.d" "$TEST_DIR/ns"
cat >"$TEST_DIR/etc/pam.d/su" <<EOT
auth     required $MODULE config=$MOCK_CONF
account  required $MODULE config=$MOCK_CONF
password required pam_deny.so
session  required pam_permit.so
EOT
cat >"$TEST_DIR/etc/pam.d/other" <<EOT
auth     required pam_deny.so
account  required pam_deny.so
password required pam_deny.so
session  required pam_deny.so
EOT

AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
export TEST_DIR MOCK_DIR MOCK_CONF MOCK_CACHE_DIR PYTHON3 MOCKCTL top_srcdir top_builddir \
	CTL NSS_MODULE NSS_CACHEDIR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY TIMEOUT
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh "$top_srcdir/tests/system/lock_freeze_ns.sh" >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
echo "namespace script exited $? (in $TEST_DIR)"

result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}
expect_eq "cognitoctl sync filled the cache" ok "$(result sync)"
expect_eq "frank's key before the attack" "$KEY" "$(result key_before)"
check "the attacker saw cache.lock held during su's login" grep -q '^attack holder ' \
	"$TEST_DIR/results"
check "and could not stop its holder" sh -c "! grep -q '^attack holder [0-9]* stopped' \
	'$TEST_DIR/results'"
su_pid=$(sed -n 's/^attack command \([0-9]*\)$/\1/p' "$TEST_DIR/results")
check "su $su_pid held it itself (guarded, no fork) and refused the SIGSTOP" grep -q \
	"^attack holder $su_pid refused EPERM" "$TEST_DIR/results"
echo "su after the attack: $(result su_state)"
expect_eq "a sync after the attack ends, and well" 0 "$(result sync2_rc)"
check "within its deadline ($(result sync2_ms) ms)" test "$(result sync2_ms)" -lt $((TIMEOUT * 3000))
expect_eq "grace logs in by su beside it" 0 "$(result grace_rc)"
check "within the timeout ($(result grace_ms) ms)" test "$(result grace_ms)" -lt $((TIMEOUT * 1000 + 3000))
expect_eq "frank, disabled in the pool, has no key after that sync" "" "$(result key_after)"
# (Its login, proved before the pool disabled frank, may still succeed.)
check "su, never stopped or continued, ends" grep -q '^attack command ended [0-9]' "$TEST_DIR/results"
if [ "$LIB_FAILED" -ne 0 ]; then
	echo "--- results ---"
	cat "$TEST_DIR/results"
	echo "--- namespace log ---"
	tail -40 "$TEST_DIR/ns.log"
fi
finish
