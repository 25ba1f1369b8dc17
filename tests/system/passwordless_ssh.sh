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

ns_sshd_require ann zed

mock_start
mock_ctl pool 'explicit_auth_flows=["USER_AUTH","USER_SRP_AUTH","REFRESH_TOKEN_AUTH"]' >/dev/null ||
	fail "pool setting"
mock_add_user ann 'Passw0rd!' email=ann@example.com
mock_write_config "state_dir = $TEST_DIR/state" "cache_dir = $NSS_CACHEDIR" \
	"home_template = $TEST_DIR/home/%u" "private_dir = $TEST_DIR/private" \
	"passwordless = email"

ns_sshd_setup "$MODULE config=$MOCK_CONF" pam_permit.so
ns_sshd_unshare sh "$top_srcdir/tests/system/passwordless_ssh_ns.sh"

for case in ssh_code ssh_unknown; do
	expect_eq "$case" ok "$(ns_sshd_result "$case")"
done
ips=$(mock_ctl raw GET /_mock/context | "$PYTHON3" -c 'import json, sys
print(" ".join(sorted({(r.get("UserContextData") or {}).get("IpAddress", "-")
                       for r in json.load(sys.stdin)["requests"] if r["user"] == "ann"})))')
expect_eq "ann's requests carried sshd's PAM_RHOST as UserContextData" "127.0.0.1" "$ips"
ns_sshd_finish ann
