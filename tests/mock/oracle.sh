#!/bin/sh
# The reference SDK against the mock IdP. amazon-cognito-identity-js
# (pinned in tests/oracle/package.json) runs its USER_SRP_AUTH login
# against the mock's server-side SRP: a good password must succeed, a bad
# one must fail with NotAuthorizedException, an unknown user with
# UserNotFoundException; after an MFA login it confirms a device and logs
# in again with DEVICE_SRP_AUTH. pam_cognito's own SRP is tested against the same
# server, so if both pass, both do Cognito's SRP.
#
# Needs node and, the first time, npm (to fetch the SDK by the committed
# lock file). Without them the test is skipped (77), unless
# COGNITO_REQUIRE_ORACLE=1 says CI must run it.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

oracle_unavailable() {
	if [ "${COGNITO_REQUIRE_ORACLE:-0}" = 1 ]; then
		fail "oracle required (COGNITO_REQUIRE_ORACLE=1) but $*"
	fi
	skip "$*"
}

ORACLE_SRC="$top_srcdir/tests/oracle"
SDK_VERSION=6.3.21

# oracle_installed DIR: the pinned SDK is in DIR/node_modules.
oracle_installed() {
	grep -q "\"version\": *\"$SDK_VERSION\"" \
		"$1/node_modules/amazon-cognito-identity-js/package.json" 2>/dev/null
}

# npm_ci DIR: install the locked dependencies in DIR.
npm_ci() {
	NPM=${NPM:-$(command -v npm)}
	[ -n "$NPM" ] || oracle_unavailable "npm not found"
	if command -v flock >/dev/null 2>&1; then
		# Several build trees may run this test at once against one
		# source tree: one installs, the others wait and then reuse it.
		(cd "$1" && flock . sh -c "grep -q '\"version\": *\"$SDK_VERSION\"' \
			node_modules/amazon-cognito-identity-js/package.json 2>/dev/null ||
			'$NPM' ci --no-audit --no-fund") >"$TEST_DIR/npm.log" 2>&1
	else
		(cd "$1" && "$NPM" ci --no-audit --no-fund) >"$TEST_DIR/npm.log" 2>&1
	fi
}

[ "$NODE" != no ] || oracle_unavailable "node not found"
test_dir

# dir_writable DIR: writable, and not deliberately made read-only (root
# can write anywhere, so the mode bits are asked too).
dir_writable() {
	[ -w "$1" ] && [ -n "$(find "$1" -maxdepth 0 -perm -u+w 2>/dev/null)" ]
}

ORACLE_DIR=$ORACLE_SRC
if ! oracle_installed "$ORACLE_DIR"; then
	if ! dir_writable "$ORACLE_SRC"; then
		# A read-only source tree (make distcheck): install in a copy.
		ORACLE_DIR="$TEST_DIR/oracle"
		mkdir -p "$ORACLE_DIR"
		cp "$ORACLE_SRC/package.json" "$ORACLE_SRC/package-lock.json" \
			"$ORACLE_SRC/oracle_login.js" "$ORACLE_SRC/oracle_device.js" \
			"$ORACLE_SRC/oracle_http.js" "$ORACLE_DIR/" || fail "cannot copy the oracle"
	fi
	if ! npm_ci "$ORACLE_DIR" || ! oracle_installed "$ORACLE_DIR"; then
		cat "$TEST_DIR/npm.log" >&2
		oracle_unavailable "npm ci failed in $ORACLE_DIR (registry unreachable?)"
	fi
fi

mock_start
mock_add_user alice 'Passw0rd!' email=alice@example.com name=Alice groups=admins
# Username is a UUID and the user signs in by email: USER_ID_FOR_SRP differs
# from what was typed. The password is not ASCII.
mock_add_user 3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6 'pä$$wörd€ 1' email=bob@example.com

# oracle USERNAME PASSWORD: sets ORACLE_OUT and ORACLE_RC.
oracle() {
	ORACLE_OUT=$(NODE_EXTRA_CA_CERTS="$MOCK_CA" "$NODE" "$ORACLE_DIR/oracle_login.js" \
		"$MOCK_ENDPOINT" "$MOCK_POOL_ID" "$MOCK_CLIENT_ID" "$1" "$2" 2>"$TEST_DIR/node.err")
	ORACLE_RC=$?
	if [ -s "$TEST_DIR/node.err" ]; then
		cat "$TEST_DIR/node.err" >&2
	fi
}

ORACLE_VERIFY_TOKENS=1
export ORACLE_VERIFY_TOKENS
oracle alice 'Passw0rd!'
expect_eq "SDK login with the right password (tokens verified with node:crypto)" "0 alice" "$ORACLE_RC $ORACLE_OUT"

oracle alice 'Passw0rd?'
expect_eq "SDK login with a wrong password" "1 NotAuthorizedException" "$ORACLE_RC $ORACLE_OUT"

oracle nobody 'Passw0rd!'
expect_eq "SDK login as an unknown user" "1 UserNotFoundException" "$ORACLE_RC $ORACLE_OUT"

oracle BOB@example.com 'pä$$wörd€ 1'
expect_eq "SDK login by email alias, UUID username, non-ASCII password" \
	"0 3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6" "$ORACLE_RC $ORACLE_OUT"

ORACLE_VERIFY_TOKENS=0
mock_ctl reset-stats >/dev/null
oracle alice 'Passw0rd!'
expect_eq "a login is InitiateAuth + RespondToAuthChallenge" \
	"0 2 1 1" "$ORACLE_RC $(mock_stat requests) $(mock_stat ops.InitiateAuth) $(mock_stat ops.RespondToAuthChallenge)"

mock_ctl pool prevent_user_existence_errors=true >/dev/null
oracle nobody 'Passw0rd!'
expect_eq "unknown user when the pool hides existence" "1 NotAuthorizedException" "$ORACLE_RC $ORACLE_OUT"

# A remembered device: the SDK confirms it after an SMS MFA login, then
# logs in with DEVICE_SRP_AUTH, which the mock checks against the verifier
# the SDK made; the pool skips MFA for it.
mock_ctl pool device_tracking=ALWAYS >/dev/null
mock_add_user sam 'Passw0rd!' mfa_settings=SMS_MFA phone_number=+15555551111
mock_ctl reset-stats >/dev/null
DEVICE_OUT=$(NODE_EXTRA_CA_CERTS="$MOCK_CA" "$NODE" "$ORACLE_DIR/oracle_device.js" \
	"$MOCK_ENDPOINT" "$MOCK_POOL_ID" "$MOCK_CLIENT_ID" sam 'Passw0rd!' 2>"$TEST_DIR/node.err")
DEVICE_RC=$?
[ -s "$TEST_DIR/node.err" ] && cat "$TEST_DIR/node.err" >&2
DEVICE_KEY=$(printf '%s\n' "$DEVICE_OUT" | sed -n 's/^confirmed //p')
check "SDK confirms a device after MFA" test -n "$DEVICE_KEY"
expect_eq "SDK logs in on the remembered device without the MFA code" \
	"0 confirmed $DEVICE_KEY device-login $DEVICE_KEY" "$DEVICE_RC $(printf '%s' "$DEVICE_OUT" | tr '\n' ' ')"
# Password verifier, SMS code; password verifier, DEVICE_SRP_AUTH,
# DEVICE_PASSWORD_VERIFIER: no second code.
expect_eq "one ConfirmDevice; five answers, no second SMS code" "1 5" \
	"$(mock_stat ops.ConfirmDevice) $(mock_stat ops.RespondToAuthChallenge)"

finish
