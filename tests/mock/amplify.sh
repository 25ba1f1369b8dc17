#!/bin/sh
# AWS's own client as the oracle for USER_AUTH: Amplify JS v6 (aws-amplify,
# pinned in tests/amplify/package.json) signs in to the mock with
# authFlowType USER_AUTH and preferredChallenge EMAIL_OTP, and with
# SELECT_CHALLENGE then PASSWORD_SRP. The requests it makes are the shapes
# the mock's USER_AUTH checks, and pam_cognito's own USER_AUTH (check_userauth)
# passes against the same mock; the last check holds Amplify's request keys
# to the ones auth_userauth.c sends for the same steps.
#
# Needs node and, the first time, npm (scripts/deps.sh test installs it;
# npm ci fetches Amplify by the committed lock file). Without them the test
# is skipped (77), unless COGNITO_REQUIRE_ORACLE=1 says CI must run it.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
slow_test

unavailable() {
	if [ "${COGNITO_REQUIRE_ORACLE:-0}" = 1 ]; then
		fail "Amplify oracle required (COGNITO_REQUIRE_ORACLE=1) but $*"
	fi
	skip "$*"
}

SRC="$top_srcdir/tests/amplify"
AMPLIFY_VERSION=6.15.9

installed() {
	grep -q "\"version\": *\"$AMPLIFY_VERSION\"" "$1/node_modules/aws-amplify/package.json" 2>/dev/null
}

[ "$NODE" != no ] || unavailable "node not found"
test_dir

DIR=$SRC
if ! installed "$DIR"; then
	NPM=${NPM:-$(command -v npm)}
	[ -n "$NPM" ] || unavailable "npm not found (scripts/deps.sh test installs it)"
	if [ ! -w "$SRC" ]; then
		DIR="$TEST_DIR/amplify"
		mkdir -p "$DIR"
		cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC/oracle_userauth.js" "$DIR/" ||
			fail "cannot copy the Amplify oracle"
	fi
	if ! (cd "$DIR" && flock . "$NPM" ci --no-audit --no-fund) >"$TEST_DIR/npm.log" 2>&1 ||
		! installed "$DIR"; then
		cat "$TEST_DIR/npm.log" >&2
		unavailable "npm ci failed in $DIR (registry unreachable?)"
	fi
fi

mock_start
mock_ctl pool 'explicit_auth_flows=["USER_AUTH","USER_SRP_AUTH","REFRESH_TOKEN_AUTH"]' >/dev/null ||
	fail "cannot turn USER_AUTH on"
mock_add_user ann 'Passw0rd!' email=ann@example.com

# amplify MODE USER [PASSWORD]: sets OUT and RC.
amplify() {
	OUT=$(NODE_EXTRA_CA_CERTS="$MOCK_CA" "$NODE" "$DIR/oracle_userauth.js" \
		"$MOCK_ENDPOINT" "$MOCK_POOL_ID" "$MOCK_CLIENT_ID" "$@" 2>"$TEST_DIR/node.err")
	RC=$?
	grep -v "custom Amazon Amazon Cognito User Pool endpoint" "$TEST_DIR/node.err" >&2
}

mock_ctl reset-stats >/dev/null
amplify email ann
expect_eq "Amplify: USER_AUTH with preferredChallenge EMAIL_OTP" \
	"0 CONFIRM_SIGN_IN_WITH_EMAIL_CODE DONE ann" "$RC $OUT"
expect_eq "... is one InitiateAuth and one EMAIL_OTP answer" "1 1" \
	"$(mock_stat ops.InitiateAuth) $(mock_stat ops.RespondToAuthChallenge)"

amplify select-srp ann 'Passw0rd!'
expect_eq "Amplify: SELECT_CHALLENGE, then PASSWORD_SRP and the password" \
	"0 CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION PASSWORD,PASSWORD_SRP,EMAIL_OTP CONFIRM_SIGN_IN_WITH_PASSWORD DONE ann" \
	"$RC $OUT"

amplify select-srp ann 'Wrong-pass1'
expect_eq "Amplify: a wrong password after SELECT_CHALLENGE is refused" \
	"1 error NotAuthorizedException" "$RC $(printf '%s' "$OUT" | tail -n 1)"

# The keys Amplify put in each request, next to what pam_cognito's auth
# machine sends for the same steps (auth_userauth.c): the same sets.
mock_ctl requests | "$PYTHON3" -c '
import json, sys
seen = set()
for r in json.load(sys.stdin)["requests"]:
    b = r.get("body", r)
    b = json.loads(b) if isinstance(b, str) else b
    if not isinstance(b, dict):
        continue
    if b.get("AuthFlow") == "USER_AUTH":
        seen.add("InitiateAuth:" + ",".join(sorted(b["AuthParameters"])))
    elif b.get("ChallengeName") in ("SELECT_CHALLENGE", "EMAIL_OTP"):
        seen.add(b["ChallengeName"] + ":" + ",".join(sorted(b["ChallengeResponses"])))
print(" ".join(sorted(seen)))' >"$TEST_DIR/keys" || fail "cannot read the requests"
expect_eq "Amplify's request keys" \
	"EMAIL_OTP:EMAIL_OTP_CODE,USERNAME InitiateAuth:PREFERRED_CHALLENGE,USERNAME InitiateAuth:USERNAME SELECT_CHALLENGE:ANSWER,SRP_A,USERNAME" \
	"$(cat "$TEST_DIR/keys")"

finish
