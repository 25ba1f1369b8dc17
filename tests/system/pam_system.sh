#!/bin/sh
# pam_cognito under the real programs: sshd (keyboard-interactive, the PAM
# conversation in sshd's child process), su and sudo, each logging in a
# Cognito user against the mock IdP, typed by expect; the sshd session's shell has the
# identity pool's AWS credentials (ssh_aws). Runs in a private mount
# namespace whose /etc/pam.d and /etc/sudoers are bind-mounted copies, and
# where the Cognito users are Unix users the way they are when installed:
# not in /etc/passwd or /etc/group, but resolved by the real
# libnss_cognito.so.2 from the user cache, which `cognitoctl sync` fills
# (tests/system/ns_nss.sh). The host's files are never touched.
#
# Skips (77) only where that cannot work: not root, no unshare, no sshd,
# ssh, su, sudo or expect.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
system_test
. "$top_srcdir/tests/system/ns_sshd.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace, sshd, su and sudo"
for cmd in unshare expect ssh ssh-keygen setpriv su sudo; do
	command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
done
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not found"
unshare --mount --pid --fork --mount-proc true 2>/dev/null ||
	skip "cannot make mount and PID namespaces here"
MODULE="$top_builddir/pam_cognito/.libs/pam_cognito.so"
[ -f "$MODULE" ] || fail "no $MODULE: build first"
CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
. "$top_srcdir/tests/system/ns_nss.sh"
for name in alice newt carol dave admins devs ops; do
	if grep -q "^$name:" /etc/passwd /etc/group; then
		skip "this host has a local $name, which would hide the Cognito one"
	fi
done

TOTP_SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
mock_start
mock_ctl pool mfa_configuration=ON >/dev/null || fail "pool setting"
ALICE_SUB=5f0c1d2e-0000-4000-8000-a11ce0000001
mock_add_user alice 'Passw0rd!' groups=admins mfa_settings=SOFTWARE_TOKEN_MFA \
	totp_secret=$TOTP_SECRET email=alice@example.com name=Alice sub=$ALICE_SUB
# No MFA yet: enrols a TOTP app at login (MFA_SETUP) through sshd.
mock_add_user newt 'Passw0rd!' groups=admins
# Authenticates, but is in no allowed group: the account phase refuses.
mock_add_user carol 'Passw0rd!' groups=devs mfa_settings=SOFTWARE_TOKEN_MFA \
	totp_secret=$TOTP_SECRET
# The module and cognitoctl sync use the cache directory compiled into
# libnss_cognito.so.2, as installed; in the namespace it is $MOCK_CACHE_DIR.
# The session: alice's AWS credentials from the mock's identity pool.
mock_write_config "state_dir = $TEST_DIR/state" "cache_dir = $NSS_CACHEDIR" \
	"home_template = $TEST_DIR/home/%u" "private_dir = $TEST_DIR/private" \
	"identity_pool_id = us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" \
	"identity_endpoint = $MOCK_ENDPOINT"

# -- what the namespace sees ---------------------------------------------------
chmod 0711 "$TEST_DIR"
mkdir -p "$TEST_DIR/etc/pam.d" "$TEST_DIR/home" "$TEST_DIR/ns"
ARGS="config=$MOCK_CONF"
for svc in sshd su sudo; do
	cat >"$TEST_DIR/etc/pam.d/$svc" <<EOT
auth     required $MODULE $ARGS
account  required $MODULE $ARGS allowed_groups=admins
password required pam_deny.so
session  optional $MODULE $ARGS
session  required pam_permit.so
EOT
done
cat >"$TEST_DIR/etc/pam.d/other" <<EOT
auth     required pam_deny.so
account  required pam_deny.so
password required pam_deny.so
session  required pam_deny.so
EOT
cat >"$TEST_DIR/etc/sudoers" <<EOT
Defaults !lecture, !fqdn, passwd_tries=1, timestamp_timeout=0
root  ALL=(ALL:ALL) ALL
%admins ALL=(ALL:ALL) ALL
EOT
chmod 0440 "$TEST_DIR/etc/sudoers"

ns_sshd_config keyboard-interactive || fail "sshd_config"

# The mock's admin key, for cognitoctl sync in the namespace.
AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
export TEST_DIR PORT MOCK_DIR MOCK_CONF MOCK_CACHE_DIR PYTHON3 MOCKCTL top_srcdir top_builddir \
	CTL NSS_MODULE NSS_CACHEDIR TOTP_SECRET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# A PID namespace too: when this test dies, however it dies, sshd and
# everything else started inside dies with it (--kill-child).
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh "$top_srcdir/tests/system/pam_system_ns.sh" \
	>"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
echo "namespace script exited $? (in $TEST_DIR)"

result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}
expect_eq "cognitoctl sync filled the cache" ok "$(result sync)"
for case in ssh_ok ssh_enrol ssh_wrong_totp ssh_not_in_group su_ok su_wrong_totp sudo_ok \
	sudo_wrong_totp ssh_not_synced ssh_aws; do
	expect_eq "$case" ok "$(result "$case")"
done

# Who the Cognito users were in the namespace (tests/system/pam_system_ns.sh):
# in no file, yet Unix users, with the uid cognito.conf(5)'s rule gives
# alice's sub, computed here independently.
probe() {
	sed -n "s/^$2 //p" "$TEST_DIR/probe.$1"
}
uid=$("$PYTHON3" -c 'import hashlib, sys
h = int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:8], "big")
print(10000000 + h % (1999999999 - 10000000 + 1))' "$ALICE_SUB")
expect_eq "the namespace's passwd file has no Cognito user" "" "$(probe synced files)"
line="alice:*:$uid:$uid:Alice:$TEST_DIR/home/alice:/bin/bash"
expect_eq "getent passwd alice: the module's answer" "$line" "$(probe synced getent)"
expect_eq "getent -s cognito (that module alone) says the same" "$line" "$(probe synced getent-s)"
expect_eq "getent passwd UID finds her" "$line" "$(probe synced getent-uid)"
expect_eq "id alice: her uid and private group" "uid=$uid(alice) gid=$uid(alice)" \
	"$(probe synced id | cut -d' ' -f1-2)"
check "id alice: her Cognito group admins (initgroups)" grep -q '^id .*,[0-9]*(admins)' \
	"$TEST_DIR/probe.synced"
expect_eq "dave, new in the pool since the sync, is no Unix user" "" "$(probe synced dave)"
# A login writes the user's groups into the cache, which the module reads:
# the group alice joined after the sync shows once she has logged in.
check "before her login, alice is not in ops" sh -c "! grep -q '(ops)' '$TEST_DIR/probe.synced'"
check "after it, id alice shows ops" grep -q '^id .*,[0-9]*(ops)' "$TEST_DIR/probe.logged_in"
check "sshd did not know dave" grep -q "Invalid user dave" "$TEST_DIR/sshd.log"
expect_eq "and his attempt left him unknown" "" "$(probe logged_in dave)"
# ssh_aws: the shell had the access key the identity pool issued last.
issued=$("$PYTHON3" "$MOCKCTL" "$MOCK_DIR" raw GET /_mock/identity |
	"$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["issued"][-1]["access_key_id"])')
check "the sshd session's AWS_ACCESS_KEY_ID is the identity pool's ($issued)" \
	grep -q "aws-key-$issued-us-east-1-secret-token" "$TEST_DIR/ns.log"
# Closing a session revoked its login's refresh token: ssh_ok, ssh_enrol
# and su_ok at least (sudo's session is root's, not a Cognito user's, and
# the last sshd session may still be closing when the namespace ends).
revoked=$("$PYTHON3" "$MOCKCTL" "$MOCK_DIR" raw GET /_mock/tokens |
	"$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["revoked"])')
check "closing the sessions revoked their refresh tokens ($revoked)" test "$revoked" -ge 3
# sshd ran keyboard-interactive PAM in a child, then the session as alice.
check "sshd logged the Cognito user in by keyboard-interactive" \
	grep -q "Accepted keyboard-interactive/pam for alice" "$TEST_DIR/sshd.log"
check "the enrolled app is the user's TOTP now" \
	sh -c "mock_ctl() { \"$PYTHON3\" \"$MOCKCTL\" \"$MOCK_DIR\" \"\$@\"; }; mock_ctl get-user newt | grep -q totp_secret"
if [ "$LIB_FAILED" -ne 0 ]; then
	echo "--- results ---"
	cat "$TEST_DIR/results"
	echo "--- what NSS said ---"
	cat "$TEST_DIR/probe.synced" "$TEST_DIR/probe.logged_in"
	echo "--- what the programs printed ---"
	cat "$TEST_DIR/ns.log"
	echo "--- sshd log ---"
	tail -60 "$TEST_DIR/sshd.log"
fi
finish
