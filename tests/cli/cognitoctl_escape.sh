#!/bin/sh
# What a pool user wrote never drives the terminal of whoever runs
# cognitoctl: an attribute holding an escape sequence that clears the
# screen and forges a "[sudo] password for root:" prompt, C1 controls and
# bidi overrides come out escaped (cog_text_escape), in text and in JSON,
# in `attributes`, in `login`'s token claims and in `devices`.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"

mock_start
mock_write_config
ESC=$(printf '\033')
CSI=$(printf '\302\233')  # U+009B
RLO=$(printf '\342\200\256') # U+202E
LRI=$(printf '\342\201\246') # U+2066
FORGED="${ESC}[2J${ESC}[H[sudo] password for root: ${CSI}1m${RLO}gpj.exe${LRI}"
mock_add_user mallory 'Passw0rd!' "name=$FORGED" "custom:team=ops"
PW='Passw0rd!'

ctl() {
	"$CTL" "$@" --config "$MOCK_CONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	echo $? >"$TEST_DIR/rc"
}
rc() { cat "$TEST_DIR/rc"; }
# raw FILE: the output holds a byte of the forged text unescaped.
raw() { grep -q -e "$ESC" -e "$CSI" -e "$RLO" -e "$LRI" "$1"; }

printf '%s\n' "$PW" | ctl attributes -u mallory
expect_eq "attributes: exit 0" 0 "$(rc)"
check "attributes: no raw control or bidi override" sh -c "! grep -q -e '$ESC' -e '$CSI' -e '$RLO' -e '$LRI' '$TEST_DIR/out'"
check "attributes: the value, escaped" grep -qF 'name=\u001b[2J\u001b[H[sudo] password for root: \u009b1m\u202egpj.exe\u2066' "$TEST_DIR/out"
check "attributes: a plain value is as it was" grep -qx 'custom:team=ops' "$TEST_DIR/out"

printf '%s\n' "$PW" | ctl attributes -u mallory --json
expect_eq "attributes --json: exit 0" 0 "$(rc)"
check "--json: no raw control or bidi override" sh -c "! grep -q -e '$ESC' -e '$CSI' -e '$RLO' -e '$LRI' '$TEST_DIR/out'"
expect_eq "--json: still JSON, with the very value" "$FORGED" \
	"$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$TEST_DIR/out")"

printf '%s\n' "$PW" | ctl login mallory
expect_eq "login: exit 0" 0 "$(rc)"
check "login's claims: no raw control or bidi override" sh -c "! grep -q -e '$ESC' -e '$CSI' -e '$RLO' -e '$LRI' '$TEST_DIR/out' '$TEST_DIR/err'"
check "login's claims: the name, escaped" grep -qF '\u001b[2J' "$TEST_DIR/out"
# Control: a bare control byte in the test's own pattern would be caught.
printf 'x%sy\n' "$ESC" >"$TEST_DIR/control"
check "control: the check sees a raw ESC" raw "$TEST_DIR/control"
finish
