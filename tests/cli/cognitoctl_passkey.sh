#!/bin/sh
# cognitoctl passkey add | list | remove against the mock as relying party,
# with the software security key (tests/softkey.c) standing in for a FIDO2
# key: the mock decodes the attestation, stores the public key, lists and
# deletes it; the key's PIN is asked (echo off) when the key has one.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
slow_test

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
if ! grep -q '^#define COG_TEST_HOOKS 1' "$top_builddir/build-config.h"; then
	# A build without the hooks (release, Debian) must not even know the variable.
	for bin in "$CTL" "$top_builddir/pam_cognito/.libs/pam_cognito.so"; do
		[ ! -f "$bin" ] || ! grep -q COGNITO_TEST_SOFTKEY "$bin" ||
			fail "$bin honours COGNITO_TEST_SOFTKEY in a build without --enable-test-hooks"
	done
	skip "built without --enable-test-hooks: no software key to enrol (scripts/test.sh turns it on)"
fi

mock_start
mock_write_config
mock_add_user alice 'Passw0rd!' sub=7d3c0a51-54b4-4a5e-9f51-0c3e1c9e2a10
mock_ctl raw POST /_mock/webauthn/rp '{"rp_id":"auth.mock.example"}' >/dev/null || fail "rp"
PW='Passw0rd!'
COGNITO_TEST_SOFTKEY="$TEST_DIR/softkey.json"
export COGNITO_TEST_SOFTKEY

ctl() {
	"$CTL" "$@" --config "$MOCK_CONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	echo $? >"$TEST_DIR/rc"
}
rc() { cat "$TEST_DIR/rc"; }
mock_creds() { # the mock's stored credential ids of alice, one a line
	mock_ctl raw GET /_mock/webauthn/credentials/alice |
		"$PYTHON3" -c 'import json, sys; [print(c["id"]) for c in json.load(sys.stdin)["credentials"]]'
}

# -- add ----------------------------------------------------------------------------
printf '%s\n' "$PW" | ctl passkey alice add
expect_eq "passkey add: exit 0" 0 "$(rc)"
check "add says to touch the key" grep -q 'Touch your security key\.' "$TEST_DIR/err"
id=$(sed -n 's/^Added passkey //p' "$TEST_DIR/out")
check "add prints the credential id" test -n "$id"
expect_eq "the mock stored that credential" "x$id" "x$(mock_creds)"
check "the id is not empty" test -n "$id"
check "the key kept its state 0600" test "$(stat -c %a "$COGNITO_TEST_SOFTKEY")" = 600
expect_eq "the key file names the id" "$id" \
	"$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["cred_id"])' "$COGNITO_TEST_SOFTKEY")"

# -- list ---------------------------------------------------------------------------
printf '%s\n' "$PW" | ctl passkey alice
expect_eq "passkey (list): exit 0" 0 "$(rc)"
check "list shows the id and attachment" grep -q "^$id cross-platform Security key 1\$" "$TEST_DIR/out"
printf '%s\n' "$PW" | ctl passkey alice list --json
expect_eq "passkey list --json: exit 0" 0 "$(rc)"
expect_eq "--json lists the credential" "$id auth.mock.example" \
	"$("$PYTHON3" -c 'import json, sys; c = json.load(open(sys.argv[1]))[0]; print(c["CredentialId"], c["RelyingPartyId"])' "$TEST_DIR/out")"

# -- a key with a PIN: asked, echo off, given to the key --------------------------------
printf '{"pin": "2468"}\n' >"$COGNITO_TEST_SOFTKEY"
chmod 600 "$COGNITO_TEST_SOFTKEY"
printf '%s\n%s\n' "$PW" 2468 | ctl passkey alice add
expect_eq "add with a PIN: exit 0" 0 "$(rc)"
check "the PIN was asked" grep -q 'Security key PIN: ' "$TEST_DIR/err"
check "the PIN is not echoed" sh -c "! grep -q 2468 '$TEST_DIR/err' '$TEST_DIR/out'"
expect_eq "two credentials now" 2 "$(mock_creds | wc -l)"
id2=$(sed -n 's/^Added passkey //p' "$TEST_DIR/out")

# -- remove -------------------------------------------------------------------------
printf '%s\n' "$PW" | ctl passkey alice remove -- "$id"
expect_eq "passkey remove: exit 0" 0 "$(rc)"
expect_eq "the mock forgot it" "$id2" "$(mock_creds)"
printf '%s\n' "$PW" | ctl passkey alice remove -- "$id"
# ResourceNotFoundException: a bad argument, as cognitoctl(1) maps it.
expect_eq "removing it again: exit 2" 2 "$(rc)"
check "says the credential is not there" grep -q 'not found' "$TEST_DIR/err"
printf '%s\n' "$PW" | ctl passkey alice remove -- "$id2"
printf '%s\n' "$PW" | ctl passkey alice list
check "list says none" grep -qx 'No passkeys' "$TEST_DIR/out"

# -- usage and a refused password ------------------------------------------------------
ctl passkey alice frobnicate
expect_eq "unknown passkey verb: exit 2" 2 "$(rc)"
# A credential id may start with '-' (base64url): after "--" it is one.
ctl passkey alice remove -68lbl68dnJx1JBCcTl
expect_eq "an id like an option, without --: exit 2" 2 "$(rc)"
check "the refusal says to put it after --" grep -q "goes after --" "$TEST_DIR/err"
printf '%s\n' "$PW" | ctl passkey alice remove -- -68lbl68dnJx1JBCcTl
check "after --, it is an id the pool does not have" grep -q 'not found' "$TEST_DIR/err"
printf 'wrong\n' | ctl passkey alice add
expect_eq "wrong password: exit 1" 1 "$(rc)"
expect_eq "nothing enrolled" "" "$(mock_creds)"

finish
