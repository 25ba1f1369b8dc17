#!/bin/sh
# A passwordless e-mail-code login through the real sshd (keyboard-
# interactive: the PAM conversation in sshd's child), typed by expect, in a
# private mount namespace (as tests/system/pam_system.sh): the stack is
# `pam_cognito.so passwordless=email`. ann gets "A code was sent by email."
# and "Email code: " and no password prompt, and her session runs; zed, who
# is in no pool, gets the very same first prompts; the login's
# UserContextData carries sshd's numeric PAM_RHOST (127.0.0.1).
#
# Skips (77) only where that cannot work: not root, no unshare, no sshd,
# ssh or expect.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
system_test
. "$top_srcdir/tests/system/ns_sshd.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace and sshd"
for cmd in unshare expect ssh ssh-keygen; do
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
for name in ann zed; do
	grep -q "^$name:" /etc/passwd /etc/group && skip "this host has a local $name"
done

mock_start
mock_ctl pool 'explicit_auth_flows=["USER_AUTH","USER_SRP_AUTH","REFRESH_TOKEN_AUTH"]' >/dev/null ||
	fail "pool setting"
mock_add_user ann 'Passw0rd!' email=ann@example.com
mock_write_config "state_dir = $TEST_DIR/state" "cache_dir = $NSS_CACHEDIR" \
	"home_template = $TEST_DIR/home/%u" "private_dir = $TEST_DIR/private" \
	"passwordless = email"

chmod 0711 "$TEST_DIR"
mkdir -p "$TEST_DIR/etc/pam.d" "$TEST_DIR/home" "$TEST_DIR/ns"
cat >"$TEST_DIR/etc/pam.d/sshd" <<EOT
auth     required $MODULE config=$MOCK_CONF
account  required pam_permit.so
password required pam_deny.so
session  required pam_permit.so
EOT
cat >"$TEST_DIR/etc/pam.d/other" <<EOT
auth     required pam_deny.so
account  required pam_deny.so
password required pam_deny.so
session  required pam_deny.so
EOT
ns_sshd_config keyboard-interactive || fail "sshd_config"

AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
export TEST_DIR PORT MOCK_DIR MOCK_CONF MOCK_CACHE_DIR PYTHON3 MOCKCTL top_srcdir top_builddir \
	CTL NSS_MODULE NSS_CACHEDIR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh "$top_srcdir/tests/system/passwordless_ssh_ns.sh" \
	>"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
echo "namespace script exited $? (in $TEST_DIR)"

result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}
expect_eq "cognitoctl sync filled the cache" ok "$(result sync)"
for case in ssh_code ssh_unknown; do
	expect_eq "$case" ok "$(result "$case")"
done
check "sshd logged ann in by keyboard-interactive" \
	grep -q "Accepted keyboard-interactive/pam for ann" "$TEST_DIR/sshd.log"
ips=$(mock_ctl raw GET /_mock/context | "$PYTHON3" -c 'import json, sys
print(" ".join(sorted({(r.get("UserContextData") or {}).get("IpAddress", "-")
                       for r in json.load(sys.stdin)["requests"] if r["user"] == "ann"})))')
expect_eq "ann's requests carried sshd's PAM_RHOST as UserContextData" "127.0.0.1" "$ips"
if [ "$LIB_FAILED" -ne 0 ]; then
	cat "$TEST_DIR/results" "$TEST_DIR/ns.log"
	tail -40 "$TEST_DIR/sshd.log"
fi
finish
