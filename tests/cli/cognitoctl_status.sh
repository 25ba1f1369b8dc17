#!/bin/sh
# Only confirmed accounts get SSH keys from `cognitoctl authorized-keys`
# (sshd's AuthorizedKeysCommand): an unconfirmed self sign-up, a
# reset-required, compromised or force-change-password account gets none,
# though the pool holds its key; allowed_user_status adds a status by name;
# a user whose status changes loses the keys at the next sync, and gets
# them back when confirmed again.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
export AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
export AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'

mock_start
mock_write_config "ssh_key_attribute = custom:ssh_public_key"
cp "$MOCK_CONF" "$TEST_DIR/fcp.conf"
echo "allowed_user_status = FORCE_CHANGE_PASSWORD" >>"$TEST_DIR/fcp.conf"
# A well-formed ed25519 key per user (authorized-keys prints only real keys).
key() {
	echo "ssh-ed25519 $("$PYTHON3" -c 'import base64, sys
n = sys.argv[1].encode()
print(base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + (n * 32)[:32]).decode())' "$1") $1@laptop"
}
for u in conf:CONFIRMED fed:EXTERNAL_PROVIDER unc:UNCONFIRMED rst:RESET_REQUIRED \
	cmp:COMPROMISED fcp:FORCE_CHANGE_PASSWORD; do
	mock_add_user "${u%%:*}" 'Passw0rd!' "status=${u#*:}" "custom:ssh_public_key=$(key "${u%%:*}")"
done
"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"

keys() { # keys CONF USER: what authorized-keys prints
	"$CTL" authorized-keys --config "$1" "$2" || echo "exit $?"
}
expect_eq "CONFIRMED: its key" "$(key conf)" "$(keys "$MOCK_CONF" conf)"
expect_eq "EXTERNAL_PROVIDER: its key" "$(key fed)" "$(keys "$MOCK_CONF" fed)"
for u in unc rst cmp fcp; do
	expect_eq "$u: no key" "" "$(keys "$MOCK_CONF" $u)"
done
expect_eq "allowed_user_status adds FORCE_CHANGE_PASSWORD" "$(key fcp)" "$(keys "$TEST_DIR/fcp.conf" fcp)"
expect_eq "and nothing else" "" "$(keys "$TEST_DIR/fcp.conf" unc)"

# The status changes in the pool: refused from the next sync on.
mock_add_user conf 'Passw0rd!' status=RESET_REQUIRED "custom:ssh_public_key=$(key conf)"
expect_eq "until the sync, the cache speaks" "$(key conf)" "$(keys "$MOCK_CONF" conf)"
"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"
expect_eq "after the sync: no key" "" "$(keys "$MOCK_CONF" conf)"
mock_add_user conf 'Passw0rd!' status=CONFIRMED "custom:ssh_public_key=$(key conf)"
"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"
expect_eq "confirmed again: the key is back" "$(key conf)" "$(keys "$MOCK_CONF" conf)"
finish
