#!/bin/sh
# cognitoctl login --device against the mock's RFC 8628 endpoint
# (tests/mock/mockidp/device.py): the link and code shown, Enter read one
# line at a time from a pipe, the verified claims printed, and a token for
# another user refused.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"

mock_start
mock_write_config "device_endpoint = ${MOCK_ENDPOINT}device"
mock_add_user alice 'Passw0rd!' email=alice@example.com
mock_add_user bob 'Passw0rd!'

# device AUTO_JSON ENTERS [ARGS...]: a device login whose end the mock
# decides by itself (device.py "auto"); sets OUT, ERR and RC.
device() {
	mock_ctl raw POST /_mock/device/reset '{}' >/dev/null || fail "device reset"
	mock_ctl raw POST /_mock/device/config \
		"{\"interval\":0,\"user_code\":\"BCDF-GHJK\",\"auto\":$1}" >/dev/null ||
		fail "device config"
	enters=$2
	shift 2
	printf "$enters" | "$CTL" login --config "$MOCK_CONF" --device "$@" \
		>"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
	OUT=$(cat "$TEST_DIR/out")
}

device '{"action":"approve","username":"alice","after_polls":2}' '\n\n'
expect_eq "approved after one pending poll exits 0" 0 "$RC"
expect_eq "says who logged in" "Logged in as alice" "$(echo "$OUT" | head -1)"
check "shows the link and the code" \
	grep -q "^To sign in, open ${MOCK_ENDPOINT}device and enter the code BCDF-GHJK.$" "$TEST_DIR/err"
check "asks for Enter" grep -q "Press Enter after signing in: " "$TEST_DIR/err"
check "says it is not finished yet" grep -q "The sign-in is not finished yet." "$TEST_DIR/err"
check "prints the verified email claim" grep -q '^  email  *alice@example.com$' "$TEST_DIR/out"

device '{"action":"approve","username":"bob","after_polls":1}' '\n' alice
expect_eq "bob's token for alice exits 1" 1 "$RC"
check "bob's token prints no claims" test ! -s "$TEST_DIR/out"

device '{"action":"deny","after_polls":1}' '\n'
expect_eq "declined exits 1" 1 "$RC"
check "declined says so" grep -q "The sign-in was declined." "$TEST_DIR/err"

finish
