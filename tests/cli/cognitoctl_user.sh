#!/bin/sh
# cognitoctl's self-service commands against the mock, answers fed on stdin
# one a line (as a script would): every command's success, checked in the
# mock's own state, and the errors users hit, each with Cognito's message
# and a non-zero exit: a weak password, a taken name, a wrong or expired
# code, an attribute the app client may not write or nobody may change, a
# user not confirmed, a refused old password, MFA without its factor.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"

mock_start
mock_write_config "identity_pool_id = us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" \
	"identity_endpoint = $MOCK_ENDPOINT"
mock_add_user alice 'Passw0rd!' email=alice@example.com name=Alice
PW='Passw0rd!'
TF="$TEST_DIR/tokens/alice.json"

# ctl ARGS...: stdin is the answers; output in out/err, exit status in a
# file, read by rc (ctl often ends a pipeline, which runs in a subshell).
ctl() {
	"$CTL" "$@" --config "$MOCK_CONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	echo $? >"$TEST_DIR/rc"
}
rc() { cat "$TEST_DIR/rc"; }
user_field() { # user_field USER PYTHON-EXPR-ON-u
	mock_ctl get-user "$1" | "$PYTHON3" -c "import json, sys; u = json.load(sys.stdin); print($2)"
}
# latest_code USER KIND: waits (5 s at most) until a code of KIND was sent.
latest_code() {
	lib_n=0
	until mock_ctl codes "$1" "$2" 2>/dev/null; do
		lib_n=$((lib_n + 1))
		[ "$lib_n" -lt 100 ] || return 1
		sleep 0.05
	done
}
# codes_sent USER: how many codes USER was sent so far.
codes_sent() {
	mock_ctl codes "$1" | "$PYTHON3" -c 'import json, sys; print(len(json.load(sys.stdin)["messages"]))'
}
# after_new_code USER KIND SENT LINES...: waits until USER was sent more
# than SENT codes (codes_sent, taken before the command starts), prints the
# latest of KIND, then LINES: stdin for a command that sends the code and
# then asks for it.
after_new_code() {
	lib_n=0
	until [ "$(codes_sent "$1")" -gt "$3" ]; do
		lib_n=$((lib_n + 1))
		[ "$lib_n" -lt 200 ] || return 1
		sleep 0.05
	done
	latest_code "$1" "$2"
	shift 3
	for lib_line in "$@"; do
		printf '%s\n' "$lib_line"
	done
}
mentions() { grep -q -- "$1" "$TEST_DIR/err"; }

# -- signup, confirm-signup, resend-code -------------------------------------------
printf 'Passw0rd!\nPassw0rd!\n' | ctl signup -u newbie email=newbie@example.com name=Newbie
expect_eq "signup: exit 0" 0 "$(rc)"
check "says where the code went" grep -q "A confirmation code was sent by EMAIL to n" "$TEST_DIR/out"
expect_eq "the account exists, unconfirmed" "UNCONFIRMED Newbie" "$(user_field newbie 'u["status"], u["attributes"]["name"]')"
printf 'Passw0rd!\nPassw0rd!\n' | ctl signup -u newbie
expect_eq "signup of a taken name: exit 1" 1 "$(rc)"
check "says it exists" mentions "User already exists"
printf 'weakpass\nweakpass\n' | ctl signup -u weakling
expect_eq "a weak password: exit 1" 1 "$(rc)"
check "with the policy's message" mentions "Password did not conform with policy: Password must have uppercase characters"
expect_eq "and no account" "" "$(mock_ctl get-user weakling 2>/dev/null)"
printf 'Passw0rd!\nPassw0rd?\n' | ctl signup -u typo
expect_eq "two different passwords: exit 1" 1 "$(rc)"
check "says so" mentions "The passwords do not match."
printf 'Passw0rd!\nPassw0rd!\n' | ctl signup -u badattr sub=mine
expect_eq "signup with an attribute nobody may set: exit 1" 1 "$(rc)"
check "InvalidParameter's message" mentions "user.sub: Attribute cannot be updated."
printf 'Passw0rd!\nPassw0rd!\n' | ctl signup -u badattr nonsense
expect_eq "an argument that is no name=value: exit 2" 2 "$(rc)"

printf '%s\n' "$PW" | ctl attributes -u newbie
expect_eq "a user not confirmed cannot log in: exit 1" 1 "$(rc)"
check "says so" mentions "User is not confirmed"
check "and what to do" mentions "cognitoctl confirm-signup"

good=$(latest_code newbie ConfirmSignUp)
# A code on argv is where ps shows it to everyone: refused, before any request.
mock_ctl reset-stats >/dev/null
ctl confirm-signup -u newbie "$good" </dev/null
expect_eq "a code on the command line: exit 2" 2 "$(rc)"
check "says why and what to do" mentions "a code is not taken from the command line, where ps shows it"
ctl confirm-signup "$good" </dev/null
expect_eq "a code alone on the command line: exit 2 too" 2 "$(rc)"
expect_eq "and nothing was sent to the pool" 0 "$(mock_stat requests)"
echo 000000 | ctl confirm-signup -u newbie
[ "$good" != 000000 ] || fail "the code happens to be 000000"
expect_eq "a wrong code: exit 1" 1 "$(rc)"
check "CodeMismatch's message" mentions "Invalid verification code provided"
mock_ctl clock offset=3700 >/dev/null
echo "$good" | ctl confirm-signup newbie
expect_eq "an expired code (USER given first, code on stdin): exit 1" 1 "$(rc)"
check "ExpiredCode's message" mentions "Invalid code provided, please request a code again."
mock_ctl clock real >/dev/null
ctl resend-code -u newbie </dev/null
expect_eq "resend-code: exit 0" 0 "$(rc)"
check "says where" grep -q "A new confirmation code was sent by EMAIL" "$TEST_DIR/out"
latest_code newbie ConfirmSignUp | ctl confirm-signup -u newbie
expect_eq "the new code, typed at the prompt: exit 0" 0 "$(rc)"
expect_eq "confirmed" CONFIRMED "$(user_field newbie 'u["status"]')"
ctl resend-code -u newbie </dev/null
expect_eq "resend-code once confirmed: exit 1" 1 "$(rc)"
check "says so" mentions "User is already confirmed."

# -- attributes, set-attribute, verify-attribute, delete-attribute ----------------
printf '%s\n' "$PW" | ctl attributes -u alice --json
expect_eq "attributes: exit 0" 0 "$(rc)"
expect_eq "--json: the attributes" "alice@example.com Alice" \
	"$("$PYTHON3" -c 'import json,sys; d = json.load(open(sys.argv[1])); print(d["email"], d["name"])' "$TEST_DIR/out")"
printf '%s\n' "$PW" | ctl set-attribute -u alice name=Alicia custom:team=blue
expect_eq "set-attribute: exit 0" 0 "$(rc)"
expect_eq "both are set" "Alicia blue" "$(user_field alice 'u["attributes"]["name"], u["attributes"]["custom:team"]')"
mock_ctl raw POST /_mock/pool '{"unwritable_attributes": ["custom:ssh_public_key"]}' >/dev/null
printf '%s\n' "$PW" | ctl set-attribute -u alice 'custom:ssh_public_key=ssh-ed25519 AAAA me'
expect_eq "an attribute the app client may not write: exit 1" 1 "$(rc)"
check "NotAuthorized's message" mentions "A client attempted to write unauthorized attribute"
printf '%s\n' "$PW" | ctl set-attribute -u alice sub=other
expect_eq "an immutable attribute: exit 1" 1 "$(rc)"
check "InvalidParameter's message" mentions "Attribute cannot be updated"
printf '%s\n' "$PW" | ctl set-attribute -u alice email=alice@new.example.com
expect_eq "a new email: exit 0" 0 "$(rc)"
check "a code was sent to verify it" grep -q "email changed: a verification code was sent by EMAIL" "$TEST_DIR/out"
expect_eq "not verified yet" false "$(user_field alice 'u["attributes"]["email_verified"]')"
printf '%s\n' "$PW" | ctl verify-attribute -u alice email 000000
expect_eq "verify-attribute with a code on argv: exit 2" 2 "$(rc)"
check "says why" mentions "where ps shows it"
printf '%s\n000000\n' "$PW" | ctl verify-attribute alice --have-code email
expect_eq "verify-attribute with a wrong code: exit 1" 1 "$(rc)"
check "CodeMismatch's message" mentions "Invalid verification code provided"
sent=$(codes_sent alice)
after_new_code alice VerifyUserAttribute:email "$sent" | {
	printf '%s\n' "$PW"
	cat
} | ctl verify-attribute -u alice email
expect_eq "verify-attribute: a code sent, then typed: exit 0" 0 "$(rc)"
expect_eq "verified" true "$(user_field alice 'u["attributes"]["email_verified"]')"
printf '%s\n' "$PW" | ctl verify-attribute -u alice name
expect_eq "verify-attribute of a name: exit 2" 2 "$(rc)"
printf '%s\n' "$PW" | ctl delete-attribute -u alice custom:team
expect_eq "delete-attribute: exit 0" 0 "$(rc)"
expect_eq "gone" False "$(user_field alice '"custom:team" in u["attributes"]')"
printf '%s\n' "$PW" | ctl delete-attribute -u alice sub
expect_eq "delete-attribute of sub: exit 1" 1 "$(rc)"

# -- one way to name a user: USER first, or -u USER --------------------------------
printf '%s\n' "$PW" | ctl attributes alice
expect_eq "attributes USER: exit 0" 0 "$(rc)"
check "for that user" grep -q "^email=alice@new.example.com$" "$TEST_DIR/out"
printf '%s\n' "$PW" | ctl set-attribute alice custom:team=red
expect_eq "set-attribute USER name=value: exit 0" 0 "$(rc)"
expect_eq "set" red "$(user_field alice 'u["attributes"]["custom:team"]')"
printf '%s\n' "$PW" | ctl mfa alice show
expect_eq "mfa USER show: exit 0" 0 "$(rc)"
printf '%s\n' "$PW" | ctl devices alice
expect_eq "devices USER: exit 0" 0 "$(rc)"
printf '%s\n' "$PW" | ctl login -u alice
expect_eq "login -u USER: exit 0" 0 "$(rc)"
printf '%s\n' "$PW" | ctl attributes alice bob
expect_eq "two users: exit 2" 2 "$(rc)"

# -- change-password, forgot-password -------------------------------------------------
printf 'wrong-Passw0rd!\n' | ctl change-password -u alice
expect_eq "change-password with a wrong password: exit 1" 1 "$(rc)"
printf '%s\nshort\nshort\n' "$PW" | ctl change-password -u alice
expect_eq "change-password to a weak one: exit 1" 1 "$(rc)"
check "the policy's message" mentions "Password did not conform with policy: Password not long enough"
printf '%s\nN3w-Passw0rd!\nN3w-Passw0rd!\n' "$PW" | ctl change-password alice
expect_eq "change-password USER: exit 0" 0 "$(rc)"
printf 'N3w-Passw0rd!\n' | ctl attributes -u alice
expect_eq "the new password logs in" 0 "$(rc)"
PW='N3w-Passw0rd!'
sent=$(codes_sent alice)
after_new_code alice ForgotPassword "$sent" 'weak' 'weak' | ctl forgot-password -u alice
expect_eq "forgot-password with a weak password: exit 1" 1 "$(rc)"
check "the policy's message" mentions "Password did not conform with policy"
check "said where the code went" grep -q "A reset code was sent by EMAIL" "$TEST_DIR/out"
printf '123456\nR3set-Passw0rd!\nR3set-Passw0rd!\n' | ctl forgot-password -u alice
[ "$(latest_code alice ForgotPassword)" != 123456 ] || fail "the code happens to be 123456"
expect_eq "forgot-password with a wrong code: exit 1" 1 "$(rc)"
check "CodeMismatch's message" mentions "Invalid verification code provided"
sent=$(codes_sent alice)
after_new_code alice ForgotPassword "$sent" 'R3set-Passw0rd!' 'R3set-Passw0rd!' | ctl forgot-password -u alice
expect_eq "forgot-password: exit 0" 0 "$(rc)"
PW='R3set-Passw0rd!'
printf '%s\n' "$PW" | ctl attributes -u alice
expect_eq "the reset password logs in" 0 "$(rc)"

# The deadline is per request: a person slower than timeout is no timeout.
mock_write_config "identity_pool_id = us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" \
	"identity_endpoint = $MOCK_ENDPOINT" "timeout = 1"
sent=$(codes_sent alice)
{
	sleep 2
	after_new_code alice ForgotPassword "$sent" 'Sl0w-Passw0rd!' 'Sl0w-Passw0rd!'
} | ctl forgot-password alice
expect_eq "forgot-password, the code typed after 2 s with timeout = 1: exit 0" 0 "$(rc)"
check "no time-out" sh -c "! grep -q 'timed out' '$TEST_DIR/err'"
PW='Sl0w-Passw0rd!'
{
	printf '%s\n' "$PW"
	sleep 2
	printf 'Sl0w-Passw0rd!2\nSl0w-Passw0rd!2\n'
} | ctl change-password alice
expect_eq "change-password, the new password typed after 2 s: exit 0" 0 "$(rc)"
PW='Sl0w-Passw0rd!2'
sent=$(codes_sent alice)
printf '%s\n' "$PW" | ctl set-attribute alice email=alice@slow.example.com
{
	printf '%s\n' "$PW"
	sleep 2
	latest_code alice VerifyUserAttribute:email
} | ctl verify-attribute alice --have-code email
expect_eq "verify-attribute, the code typed after 2 s: exit 0" 0 "$(rc)"
mock_write_config "identity_pool_id = us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9" \
	"identity_endpoint = $MOCK_ENDPOINT"

# -- mfa ------------------------------------------------------------------------------
printf '%s\n' "$PW" | ctl mfa -u alice
expect_eq "mfa show: exit 0" 0 "$(rc)"
check "none yet" grep -q "^preferred: none" "$TEST_DIR/out"
printf '%s\n' "$PW" | ctl mfa -u alice enable totp
expect_eq "enabling TOTP without an app: exit 1" 1 "$(rc)"
check "says why" mentions "User has not verified software token mfa"
printf '%s\n' "$PW" | ctl mfa -u alice enable sms
expect_eq "enabling SMS without a phone number: exit 1" 1 "$(rc)"
check "says why" mentions "delivery config set to turn on SMS_MFA"
# setup-totp: the first code of the app, from the secret the mock now holds.
{
	printf '%s\n' "$PW"
	n=0
	until secret=$(user_field alice 'u["pending_totp_secret"]' 2>/dev/null); do
		n=$((n + 1))
		[ "$n" -lt 100 ] || break
		sleep 0.05
	done
	"$PYTHON3" -c 'import sys, time; sys.path.insert(0, sys.argv[1]); from mockidp import totp
print(totp.code_at(sys.argv[2], time.time()))' "$top_srcdir/tests/mock" "$secret"
} | ctl mfa -u alice setup-totp
expect_eq "mfa setup-totp: exit 0" 0 "$(rc)"
check "a QR code was shown" grep -q "Scan this QR code" "$TEST_DIR/err"
check "and the otpauth link" grep -q "otpauth://totp/" "$TEST_DIR/err"
expect_eq "TOTP is enabled and preferred" "['SOFTWARE_TOKEN_MFA'] SOFTWARE_TOKEN_MFA" \
	"$(user_field alice 'u["mfa_settings"], u["preferred_mfa"]')"
# From now on a login asks for the code too.
login_answers() {
	printf '%s\n' "$PW"
	mock_ctl totp alice
}
login_answers | ctl mfa -u alice --json
expect_eq "mfa show after an MFA login: exit 0" 0 "$(rc)"
expect_eq "--json: preferred" SOFTWARE_TOKEN_MFA \
	"$("$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["preferred"])' "$TEST_DIR/out")"
{
	printf '%s\n' "$PW"
	mock_ctl totp alice wrong
	mock_ctl totp alice wrong
	mock_ctl totp alice wrong
} | ctl mfa -u alice
expect_eq "a login with wrong TOTP codes: exit 1" 1 "$(rc)"
login_answers | ctl mfa -u alice disable totp
expect_eq "mfa disable totp: exit 0" 0 "$(rc)"
expect_eq "disabled" "[] None" "$(user_field alice 'u["mfa_settings"], u.get("preferred_mfa")')"
ctl mfa -u alice frobnicate </dev/null
expect_eq "mfa with a bad action: exit 2" 2 "$(rc)"

# -- devices --------------------------------------------------------------------------
printf '%s\n' "$PW" | ctl devices -u alice
expect_eq "devices: exit 0" 0 "$(rc)"
check "none remembered" grep -q "No remembered devices" "$TEST_DIR/out"
printf '%s\n' "$PW" | ctl devices -u alice forget us-east-1_nosuchdevice
expect_eq "forgetting an unknown device: exit 1" 1 "$(rc)"
# A remembered device of alice's, confirmed as a host with remember_device
# (or the SDK) confirms one: sign-in with device tracking on, ConfirmDevice.
mock_ctl pool device_tracking=ALWAYS >/dev/null
key=$("$PYTHON3" - "$MOCK_PORT" "$MOCK_CA" "$MOCK_CLIENT_ID" "$PW" <<'EOT'
import base64, http.client, json, os, ssl, sys
port, ca, client, pw = sys.argv[1:]
def call(op, body):
    c = http.client.HTTPSConnection("127.0.0.1", int(port), timeout=10,
                                    context=ssl.create_default_context(cafile=ca))
    c.request("POST", "/", json.dumps(body), {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService." + op})
    r = c.getresponse()
    out = json.loads(r.read())
    if r.status != 200:
        sys.exit("%s: %s" % (op, out))
    return out
res = call("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                            "AuthParameters": {"USERNAME": "alice", "PASSWORD": pw}})
res = res["AuthenticationResult"]
key = res["NewDeviceMetadata"]["DeviceKey"]
b64 = lambda n: base64.b64encode(b"\x01" + os.urandom(n)).decode()
call("ConfirmDevice", {"AccessToken": res["AccessToken"], "DeviceKey": key, "DeviceName": "kiosk-7",
                       "DeviceSecretVerifierConfig": {"PasswordVerifier": b64(383), "Salt": b64(15)}})
print(key)
EOT
)
mock_ctl pool device_tracking=OFF >/dev/null
check "a device was confirmed" test -n "$key"
printf '%s\n' "$PW" | ctl devices -u alice
expect_eq "devices with one remembered: exit 0" 0 "$(rc)"
check "lists it by key" grep -q -F "$key" "$TEST_DIR/out"
check "and by name" grep -q "kiosk-7" "$TEST_DIR/out"
printf '%s\n' "$PW" | ctl devices -u alice --json
expect_eq "devices --json: exit 0" 0 "$(rc)"
check "--json carries the key" grep -q -F "\"$key\"" "$TEST_DIR/out"
printf '%s\n' "$PW" | ctl devices -u alice forget "$key"
expect_eq "forgetting it: exit 0" 0 "$(rc)"
expect_eq "the pool no longer has it" 0 \
	"$(mock_ctl raw GET /_mock/devices/alice | "$PYTHON3" -c 'import json, sys; print(len(json.load(sys.stdin)["devices"]))')"
printf '%s\n' "$PW" | ctl devices -u alice forget "$key"
expect_eq "forgetting it again: exit 1" 1 "$(rc)"

# -- the token file, refresh, sign-out --------------------------------------------------
printf '%s\n' "$PW" | ctl login alice --cache-tokens --token-file "$TF"
expect_eq "login --cache-tokens: exit 0" 0 "$(rc)"
expect_eq "the token file is the user's alone" "600 700" \
	"$(stat -c %a "$TF") $(stat -c %a "$(dirname "$TF")")"
ctl refresh --token-file "$TF" </dev/null
expect_eq "refresh: exit 0" 0 "$(rc)"
check "says until when" grep -q "^New tokens for alice, valid until 20" "$TEST_DIR/out"
ctl refresh --token-file "$TF" --json aws </dev/null
expect_eq "refresh aws --json: exit 0" 0 "$(rc)"
expect_eq "credential_process shape" "1 ASIA True" \
	"$("$PYTHON3" -c 'import json,sys; d = json.load(open(sys.argv[1])); print(d["Version"], d["AccessKeyId"][:4], "Expiration" in d and "SessionToken" in d)' "$TEST_DIR/out")"
"$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh_token"])' "$TF" >"$TEST_DIR/rt"
ctl refresh --refresh-token-stdin -u alice <"$TEST_DIR/rt"
expect_eq "refresh from stdin: exit 0" 0 "$(rc)"
ctl attributes --use-cached --token-file "$TF" </dev/null
expect_eq "a command with the cached tokens, no password: exit 0" 0 "$(rc)"
"$PYTHON3" -c 'import json, sys; d = json.load(open(sys.argv[1])); d["expires_at"] = 0
json.dump(d, open(sys.argv[1], "w"))' "$TF"
ctl attributes --use-cached --token-file "$TF" </dev/null
expect_eq "expired cached tokens are refreshed first: exit 0" 0 "$(rc)"
check "and the file holds the new expiry" "$PYTHON3" -c 'import json, sys, time
sys.exit(json.load(open(sys.argv[1]))["expires_at"] < time.time())' "$TF"
printf '%s\nN3w-R3set-Passw0rd!\nN3w-R3set-Passw0rd!\n' "$PW" | ctl change-password --use-cached --token-file "$TF"
expect_eq "change-password with the cached tokens asks the current password: exit 0" 0 "$(rc)"
check "it did" mentions "Current password: "
PW='N3w-R3set-Passw0rd!'
printf '%s\n' "$PW" | ctl attributes -u alice
expect_eq "the new password logs in" 0 "$(rc)"
chmod 0644 "$TF"
ctl refresh --token-file "$TF" </dev/null
expect_eq "a token file others can read: exit 1" 1 "$(rc)"
check "says why" mentions "readable by others"
chmod 0600 "$TF"
ctl sign-out --use-cached --token-file "$TF" </dev/null
expect_eq "sign-out without --global: exit 2" 2 "$(rc)"
ctl sign-out --global --use-cached --token-file "$TF" </dev/null
expect_eq "sign-out --global: exit 0" 0 "$(rc)"
check "the token file is gone" test ! -e "$TF"
ctl refresh --refresh-token-stdin -u alice <"$TEST_DIR/rt"
expect_eq "the refresh token is revoked: exit 1" 1 "$(rc)"

# SMS MFA for newbie: a phone number, then preferred; the next login asks
# for the texted code, which turns it off again.
printf 'Passw0rd!\n' | ctl set-attribute -u newbie phone_number=+15555550100
expect_eq "a phone number: exit 0" 0 "$(rc)"
printf 'Passw0rd!\n' | ctl mfa -u newbie prefer sms
expect_eq "mfa prefer sms: exit 0" 0 "$(rc)"
expect_eq "SMS is enabled and preferred" "['SMS_MFA'] SMS_MFA" \
	"$(user_field newbie 'u["mfa_settings"], u["preferred_mfa"]')"
sent=$(codes_sent newbie)
after_new_code newbie SMS_MFA "$sent" | {
	printf 'Passw0rd!\n'
	cat
} | ctl mfa -u newbie disable sms
expect_eq "a login with the texted code, then mfa disable sms: exit 0" 0 "$(rc)"
expect_eq "SMS is off" "[] None" "$(user_field newbie 'u["mfa_settings"], u.get("preferred_mfa")')"

# -- delete-account -------------------------------------------------------------------
printf '%s\nnot-newbie\n' 'Passw0rd!' | ctl delete-account -u newbie
expect_eq "delete-account not confirmed: exit 1" 1 "$(rc)"
check "nothing deleted" sh -c "mock_ctl() { \"$PYTHON3\" \"$MOCKCTL\" \"$MOCK_DIR\" \"\$@\"; }; mock_ctl get-user newbie >/dev/null"
printf '%s\nnewbie\n' 'Passw0rd!' | ctl delete-account -u newbie
expect_eq "delete-account confirmed: exit 0" 0 "$(rc)"
expect_eq "the account is gone" "" "$(mock_ctl get-user newbie 2>/dev/null)"

# -- every command: --help, a bad option, the service down ------------------------------
for cmd in signup confirm-signup resend-code forgot-password change-password attributes \
	set-attribute delete-attribute verify-attribute mfa devices sign-out delete-account refresh; do
	"$CTL" "$cmd" --help >"$TEST_DIR/out" 2>&1
	expect_eq "$cmd --help: exit 0" 0 $?
	"$CTL" "$cmd" --bogus --config "$MOCK_CONF" </dev/null >/dev/null 2>&1
	expect_eq "$cmd --bogus: exit 2" 2 $?
done
mock_ctl fault '*' status status=503 count=-1 >/dev/null
printf '%s\n' "$PW" | ctl attributes -u alice
expect_eq "the service down: exit 3" 3 "$(rc)"
check "says so" mentions "service unavailable"
mock_ctl clear-faults >/dev/null
finish
