#!/bin/sh
# `cognitoctl authorized-keys` hands sshd plain public keys only: the key
# attribute is often one the pool user edits, and an authorized_keys line
# with options (command=, environment=, from=, cert-authority, ...) would
# let them choose what a key may do. Such lines and lines that are no key
# are left out with a log line, unless ssh_key_options = allow.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -f "$CTL" ] || fail "no $CTL: build first"
KEY=AKIAMOCKADMIN0000001 SECRET='mock/Admin+Secret/Key0123456789abcdefghij'
ED='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKLXFSI9rBvnckdsQxgNuNerlMt1fx2Twd0ZdZ5ML9GF mallory@laptop'
EC='ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI2i70S3os8TRA2iruBVXUcbEvb+inqQSG/kGKNw1BeDV99l/5mnQjs0SlYp1OSc1B5Fdc4To3E+FlBi+q1GNiI='
CMD="command=\"/bin/sh -c 'cp /bin/sh /tmp/x; chmod 4755 /tmp/x'\" $ED"
ENVL="environment=\"LD_PRELOAD=/tmp/evil.so\" $EC"
CA="cert-authority,principals=\"root\" $ED"
FROM="from=\"*\",no-pty $EC"
CERT='ssh-ed25519-cert-v01@openssh.com AAAAC3NzaC1lZDI1NTE5AAAAIKLXFSI9rBvnckdsQxgNuNerlMt1fx2Twd0ZdZ5ML9GF'
MISMATCH='ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKLXFSI9rBvnckdsQxgNuNerlMt1fx2Twd0ZdZ5ML9GF'
JUNK='not a key at all'

mock_start
nss_files "root:x:0:0::/root:/bin/sh" "root:x:0:"
mock_write_config "ssh_key_attribute = custom:ssh_public_key" \
	"local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group"
mock_add_user mallory 'Passw0rd!' "custom:ssh_public_key=$ED
$CMD
$ENVL
$CA
$FROM
$CERT
$MISMATCH
$JUNK
$EC"

ctl() {
	"$CTL" "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
}

AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET" \
	"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"

# -- the default: plain keys only ------------------------------------------------------
ctl authorized-keys --config "$MOCK_CONF" mallory
expect_eq "authorized-keys: exit 0" 0 "$RC"
printf '%s\n%s\n' "$ED" "$EC" >"$TEST_DIR/want"
check "only the two plain keys, in order" cmp -s "$TEST_DIR/want" "$TEST_DIR/out"
check "no option reaches sshd" sh -c "! grep -Eq 'command=|environment=|cert-authority|from=' '$TEST_DIR/out'"
expect_eq "each left-out line is named (by number, not by content)" 7 \
	"$(grep -c 'authorized-keys: key [0-9]* of mallory left out' "$TEST_DIR/err")"
check "options are told from junk" grep -q "key 2 of mallory left out: has options" "$TEST_DIR/err"
check "a certificate is no plain key" grep -q "key 6 of mallory left out: not a known public key type" "$TEST_DIR/err"
check "a blob of another type is no key" grep -q "key 7 of mallory left out: key data" "$TEST_DIR/err"
check "the log does not echo the line" sh -c "! grep -q 'LD_PRELOAD' '$TEST_DIR/err'"

# -- ssh_key_options = allow: options pass, junk still does not --------------------------
mock_write_config "ssh_key_attribute = custom:ssh_public_key" "ssh_key_options = allow" \
	"local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group"
ctl authorized-keys --config "$MOCK_CONF" mallory
expect_eq "allow: exit 0" 0 "$RC"
printf '%s\n' "$ED" "$CMD" "$ENVL" "$CA" "$FROM" "$EC" >"$TEST_DIR/want"
check "allow: the plain keys and the option lines, in order" cmp -s "$TEST_DIR/want" "$TEST_DIR/out"
expect_eq "allow: the certificate, the mismatch and the junk are still left out" 3 \
	"$(grep -c 'left out' "$TEST_DIR/err")"

mock_write_config "ssh_key_attribute = custom:ssh_public_key" "ssh_key_options = maybe"
ctl authorized-keys --config "$MOCK_CONF" mallory
check "a bad ssh_key_options value is a config error" test "$RC" -ne 0
check "naming the key" grep -q "ssh_key_options" "$TEST_DIR/err"
finish
