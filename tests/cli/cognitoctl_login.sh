#!/bin/sh
# cognitoctl login against the mock: answers read one per line from a pipe,
# what it prints, and its exit statuses (0 in, 1 refused, 2 usage or config,
# 3 unavailable).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"

mock_start
mock_add_user alice 'Passw0rd!' email=alice@example.com name='Alice A' groups=admins

# login PASSWORD [ARGS...]: runs cognitoctl login, answers on stdin; sets
# OUT, ERR and RC.
login() {
	pw=$1
	shift
	printf '%s\n' "$pw" | "$CTL" login --config "$MOCK_CONF" "$@" \
		>"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
	OUT=$(cat "$TEST_DIR/out")
	ERR=$(cat "$TEST_DIR/err")
}

login 'Passw0rd!' alice
expect_eq "good password exits 0" 0 "$RC"
expect_eq "says who logged in" "Logged in as alice" "$(echo "$OUT" | head -1)"
check "prints the verified email claim" grep -q '^  email  *alice@example.com$' "$TEST_DIR/out"
check "prints the groups claim" grep -q '^  cognito:groups  *\["admins"\]$' "$TEST_DIR/out"
check "prompted for the password on stderr" grep -q '^Password: $' "$TEST_DIR/err"
check "never prints a token unasked" sh -c "! grep -q 'eyJ' '$TEST_DIR/out' '$TEST_DIR/err'"
check "never echoes the password" sh -c "! grep -q 'Passw0rd' '$TEST_DIR/out' '$TEST_DIR/err'"

login 'Passw0rd!' --show-tokens alice
expect_eq "--show-tokens exits 0" 0 "$RC"
check "--show-tokens prints the ID token" grep -q '^ID token: *eyJ' "$TEST_DIR/out"

login 'Passw0rd!' --json alice
expect_eq "--json exits 0" 0 "$RC"
expect_eq "--json names the user" alice \
	"$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["username"])' <"$TEST_DIR/out")"
expect_eq "--json carries the claims" alice@example.com \
	"$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["claims"]["email"])' <"$TEST_DIR/out")"

login 'wrong' alice
expect_eq "wrong password exits 1" 1 "$RC"
expect_eq "wrong password says why" "cognitoctl login: Incorrect username or password." \
	"$(tail -1 "$TEST_DIR/err")"
check "wrong password prints no claims" test ! -s "$TEST_DIR/out"

login 'Passw0rd!' nobody
expect_eq "unknown user exits 1" 1 "$RC"
check "unknown user says so" grep -q 'User does not exist' "$TEST_DIR/err"

"$CTL" login --config "$MOCK_CONF" </dev/null >/dev/null 2>"$TEST_DIR/err"
expect_eq "missing user is a usage error" 2 $?
"$CTL" login --config "$TEST_DIR/nope.conf" alice </dev/null >/dev/null 2>"$TEST_DIR/err"
expect_eq "missing config exits 2" 2 $?
check "missing config names the file" grep -q "nope.conf" "$TEST_DIR/err"
printf 'region = us-east-1\nbogus = 1\n' >"$TEST_DIR/bad.conf"
"$CTL" login --config "$TEST_DIR/bad.conf" alice </dev/null >/dev/null 2>"$TEST_DIR/err"
expect_eq "bad config exits 2" 2 $?
check "bad config names file and line" grep -q "bad.conf:2: unknown key 'bogus'" "$TEST_DIR/err"
"$CTL" login --config "$MOCK_CONF" alice </dev/null >/dev/null 2>"$TEST_DIR/err"
expect_eq "no answer on stdin is refused" 1 $?

# Twice: the InitiateAuth sent while the password is typed (early start)
# and the one sent again after Enter.
mock_ctl fault InitiateAuth status status=503 count=2 >/dev/null
login 'Passw0rd!' alice
expect_eq "a 503 exits 3" 3 "$RC"
check "a 503 says service unavailable" grep -q "service unavailable" "$TEST_DIR/err"
mock_ctl fault InitiateAuth throttle count=2 >/dev/null
login 'Passw0rd!' alice
expect_eq "throttling exits 3" 3 "$RC"
# Once: the early request took it, the one after Enter works.
mock_ctl reset-stats >/dev/null
mock_ctl fault InitiateAuth throttle count=1 >/dev/null
login 'Passw0rd!' alice
expect_eq "throttling of the early InitiateAuth only: logged in" "0 2" \
	"$RC $(mock_stat ops.InitiateAuth)"

# The early start: InitiateAuth is answered while the password is typed
# (here, a second before it arrives on stdin); early_start = no waits.
# early_login CONF: sets RC and BEFORE (InitiateAuth requests by Enter).
early_login() {
	mock_ctl reset-stats >/dev/null
	(
		sleep 1
		mock_stat ops.InitiateAuth >"$TEST_DIR/before"
		printf 'Passw0rd!\n'
	) | "$CTL" login --config "$1" alice >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
	BEFORE=$(cat "$TEST_DIR/before")
}
early_login "$MOCK_CONF"
expect_eq "early start: logged in, InitiateAuth answered before Enter" "0 1" "$RC $BEFORE"
expect_eq "early start: one InitiateAuth, one claim, one connection" "1 1 1" \
	"$(mock_stat ops.InitiateAuth) $(mock_stat ops.RespondToAuthChallenge) $(mock_stat connections)"
{
	cat "$MOCK_CONF"
	echo "early_start = no"
} >"$TEST_DIR/late.conf"
early_login "$TEST_DIR/late.conf"
expect_eq "early_start = no: logged in, nothing sent before Enter" "0 0" "$RC $BEFORE"

# A challenge on the terminal: the TOTP code is the second line of input.
mock_add_user tom 'Passw0rd!' mfa_settings=SOFTWARE_TOKEN_MFA totp_secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
login "$(printf 'Passw0rd!\n%s' "$(mock_ctl totp tom)")" tom
expect_eq "password + TOTP exits 0" 0 "$RC"
check "asked for the authenticator code" grep -q '^Authenticator code: $' "$TEST_DIR/err"
login "$(printf 'Passw0rd!\n%s\n%s\n%s' "$(mock_ctl totp tom wrong)" "$(mock_ctl totp tom wrong)" \
	"$(mock_ctl totp tom wrong)")" tom
expect_eq "three wrong TOTP codes exit 1" 1 "$RC"
check "says the code was wrong" grep -q '^That code is wrong or has expired. Try again.$' "$TEST_DIR/err"

# On a terminal: the password typed before the prompt shows (a fast typist,
# expect) is kept, not flushed away with the echo switched off.
if command -v expect >/dev/null 2>&1; then
	cat >"$TEST_DIR/typeahead.exp" <<'EOT'
set timeout 20
spawn [lindex $argv 0] login --config [lindex $argv 1] alice
send "Passw0rd!\r"
expect {
	"Logged in as alice" {}
	timeout { exit 1 }
}
expect eof
exit [lindex [wait] 3]
EOT
	expect "$TEST_DIR/typeahead.exp" "$CTL" "$MOCK_CONF" >"$TEST_DIR/tty" 2>&1
	expect_eq "a password typed ahead on a terminal logs in" 0 $?
fi

"$CTL" --help >"$TEST_DIR/out"
expect_eq "--help exits 0" 0 $?
check "--help lists login" grep -q '^  login' "$TEST_DIR/out"
"$CTL" frobnicate >/dev/null 2>&1
expect_eq "unknown command exits 2" 2 $?

finish
