#!/bin/sh
# cognitoctl's fleet commands against the mock and the cache a real sync
# wrote: authorized-keys (sshd's AuthorizedKeysCommand: keys of enabled
# users only, never the network, also as an unprivileged user), users (what
# NSS gives, checked against libnss_cognito itself), cache (show, verify
# that catches damage and a loose mode, drop that hides a user at once) and
# check-config (a good file, a wrong pool, an unreachable pool, refused
# admin credentials, a bad file).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
for f in "$CTL" "$NSS_TEST_SO"; do
	[ -f "$f" ] || fail "no $f: build first"
done
# The mock's admin credentials (tests/mock/README.md).
KEY=AKIAMOCKADMIN0000001 SECRET='mock/Admin+Secret/Key0123456789abcdefghij'
K1='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlice1 alice@laptop'
K2='ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQAlice2 alice@desk'
KB='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBob bob@laptop'

mock_start
nss_files "root:x:0:0::/root:/bin/sh" "root:x:0:
sudo:x:27:"
WITH_KEYS="ssh_key_attribute = custom:ssh_public_key"
mock_write_config "$WITH_KEYS" "local_passwd_file = $TEST_DIR/passwd" \
	"local_group_file = $TEST_DIR/group" "group_map = admins:sudo"
mock_ctl add-group admins >/dev/null
# Two keys and a line that is no key (a control character): the cache keeps the keys.
mock_add_user alice 'Passw0rd!' groups=admins name='Alice A' \
	"custom:ssh_public_key=$K1
  $K2  
bad$(printf '\001')key"
mock_add_user bob 'Passw0rd!' enabled=false "custom:ssh_public_key=$KB"
mock_add_user carol 'Passw0rd!'

ctl() {
	"$CTL" "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
}
json() {
	"$PYTHON3" -c "import json, sys; d = json.load(open(sys.argv[1])); print($1)" "$TEST_DIR/out"
}

# -- before any sync ------------------------------------------------------------
ctl authorized-keys --config "$MOCK_CONF" alice
expect_eq "no cache yet: authorized-keys exits 3 (sshd ignores its output)" 3 "$RC"
check "and prints no key" test ! -s "$TEST_DIR/out"
check "and says why" grep -q "no cache yet" "$TEST_DIR/err"
ctl cache verify --config "$MOCK_CONF"
expect_eq "cache verify without a cache exits 1" 1 "$RC"

export AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET"
"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"

# -- authorized-keys --------------------------------------------------------------
mock_ctl reset-stats >/dev/null
ctl authorized-keys --config "$MOCK_CONF" alice
expect_eq "alice's keys: exit 0" 0 "$RC"
printf '%s\n%s\n' "$K1" "$K2" >"$TEST_DIR/want"
check "both of alice's keys, one a line, trimmed, the bad line left out" \
	cmp -s "$TEST_DIR/want" "$TEST_DIR/out"
ctl authorized-keys --config "$MOCK_CONF" bob
expect_eq "a disabled user: exit 0" 0 "$RC"
check "and no key, though the pool holds one" test ! -s "$TEST_DIR/out"
ctl authorized-keys --config "$MOCK_CONF" carol
expect_eq "a user without keys: exit 0" 0 "$RC"
check "and nothing printed" test ! -s "$TEST_DIR/out"
ctl authorized-keys --config "$MOCK_CONF" nosuchuser
expect_eq "an unknown user: exit 0" 0 "$RC"
check "and nothing printed, nothing said" sh -c "test ! -s '$TEST_DIR/out' && test ! -s '$TEST_DIR/err'"
ctl authorized-keys --config "$MOCK_CONF" "$(printf 'ali\033ce')"
expect_eq "a name that is no user name: exit 2" 2 "$RC"
ctl authorized-keys --config "$MOCK_CONF"
expect_eq "no user: exit 2" 2 "$RC"
# A local alice appears after the sync: local accounts win over the cache.
cp "$TEST_DIR/passwd" "$TEST_DIR/passwd.saved"
echo "alice:x:1501:1501::/home/alice:/bin/sh" >>"$TEST_DIR/passwd"
ctl authorized-keys --config "$MOCK_CONF" alice
expect_eq "a local alice over a cached one: exit 0" 0 "$RC"
check "and not the pool alice's keys" test ! -s "$TEST_DIR/out"
check "and says why" grep -q "alice is not a Cognito user here: a local user" "$TEST_DIR/err"
mv "$TEST_DIR/passwd.saved" "$TEST_DIR/passwd"
expect_eq "authorized-keys made no request to the pool" 0 "$(mock_stat requests)"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 0711 "$TEST_DIR"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CTL" authorized-keys --config "$MOCK_CONF" alice >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	expect_eq "as nobody (AuthorizedKeysCommandUser): exit 0" 0 $?
	check "as nobody: the same keys" cmp -s "$TEST_DIR/want" "$TEST_DIR/out"
	# An ordinary user's self-service reads the 0644 config (no secret)...
	chmod 0644 "$MOCK_CA"
	printf 'Passw0rd!\n' | setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
		"$CTL" attributes -u carol --config "$MOCK_CONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	expect_eq "as nobody, a 0644 config: attributes works (exit 0)" 0 $?
	# ...and with the secret in a root-only file: refused before any request,
	# saying why, while authorized-keys (no secret needed) goes on.
	printf 'rootOnlySecret0123\n' >"$TEST_DIR/client_secret"
	chmod 0600 "$TEST_DIR/client_secret"
	mock_write_config "$WITH_KEYS" "local_passwd_file = $TEST_DIR/passwd" \
		"local_group_file = $TEST_DIR/group" "group_map = admins:sudo" \
		"client_secret_file = $TEST_DIR/client_secret"
	printf 'Passw0rd!\n' | setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent \
		"$CTL" attributes -u carol --config "$MOCK_CONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	expect_eq "as nobody, a root-only client_secret_file: attributes exits 2" 2 $?
	check "names the file and says only root can use the client" \
		grep -q "client_secret_file $TEST_DIR/client_secret is root's" "$TEST_DIR/err"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CTL" authorized-keys --config "$MOCK_CONF" alice >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	expect_eq "as nobody, the same config: authorized-keys exits 0" 0 $?
	check "with the keys" cmp -s "$TEST_DIR/want" "$TEST_DIR/out"
	chmod 0644 "$TEST_DIR/client_secret"
	ctl check-config --config "$MOCK_CONF"
	expect_eq "root: a client_secret_file others can read: exit 2" 2 "$RC"
	check "names config line and secret file" \
		grep -q "cognito.conf:[0-9]*: key 'client_secret_file': $TEST_DIR/client_secret: holds the client secret but group or others may read it" "$TEST_DIR/err"
	mock_write_config "$WITH_KEYS" "local_passwd_file = $TEST_DIR/passwd" \
		"local_group_file = $TEST_DIR/group" "group_map = admins:sudo" "client_secret = inTheConfig0"
	ctl check-config --config "$MOCK_CONF"
	expect_eq "a client_secret line in a 0644 config: exit 2" 2 "$RC"
	check "names file:line and the fix" \
		grep -q "cognito.conf:[0-9]*: client_secret in a file others can read: .*client_secret_file" "$TEST_DIR/err"
	mock_write_config "$WITH_KEYS" "local_passwd_file = $TEST_DIR/passwd" \
		"local_group_file = $TEST_DIR/group" "group_map = admins:sudo"
else
	echo "ok - # SKIP not root: cannot run as an unprivileged user"
fi

# -- users -------------------------------------------------------------------------
ctl users --config "$MOCK_CONF"
expect_eq "users lists: exit 0" 0 "$RC"
nss_uid() { nss_run getent passwd "$1" | cut -d: -f3; }
ALICE_UID=$(nss_uid alice)
[ -n "$ALICE_UID" ] || fail "NSS does not know alice"
check "alice is listed with the uid NSS gives" \
	grep -Eq "^alice +$ALICE_UID +$ALICE_UID +CONFIRMED +yes$" "$TEST_DIR/out"
check "bob is listed as disabled" grep -Eq "^bob +$(nss_uid bob) .* no$" "$TEST_DIR/out"
ctl users --config "$MOCK_CONF" --json
expect_eq "users --json: three users" "alice bob carol" \
	"$(json '" ".join(sorted(u["name"] for u in d))')"
ctl users show alice --config "$MOCK_CONF" --json
expect_eq "show: exit 0" 0 "$RC"
expect_eq "show: the uid NSS gives" "$ALICE_UID" "$(json 'd["uid"]')"
expect_eq "show: the gecos NSS gives" "$(nss_run getent passwd alice | cut -d: -f5)" "$(json 'd["gecos"]')"
expect_eq "show: the groups NSS gives (private, Cognito, group_map's local)" "admins alice sudo" \
	"$(json '" ".join(sorted(d["unix_groups"]))')"
expect_eq "show: the Cognito groups" "admins" "$(json '" ".join(d["cognito_groups"])')"
expect_eq "show: both keys" 2 "$(json 'len(d["ssh_keys"])')"
expect_eq "show: the sub" "$(mock_ctl get-user alice | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["attributes"]["sub"])')" \
	"$(json 'd["sub"]')"
ctl users show bob --config "$MOCK_CONF"
check "show in text says disabled" grep -Eq "^enabled +false$" "$TEST_DIR/out"
ctl users show nosuchuser --config "$MOCK_CONF"
expect_eq "show of an unknown user exits 1" 1 "$RC"
check "and says so" grep -q "no user 'nosuchuser' in the cache" "$TEST_DIR/err"
ctl users frobnicate --config "$MOCK_CONF"
expect_eq "users with a bad argument exits 2" 2 "$RC"

# -- cache ----------------------------------------------------------------------------
ctl cache --config "$MOCK_CONF"
expect_eq "cache show: exit 0" 0 "$RC"
check "names the full file, its state and counts" \
	grep -q "^$MOCK_CACHE_DIR/nss.cache: ok, [0-9]* bytes, built .*, 3 records, 1 groups$" "$TEST_DIR/out"
check "and the absent logins file" grep -q "^$MOCK_CACHE_DIR/nss.logins: absent$" "$TEST_DIR/out"
ctl cache verify --config "$MOCK_CONF" --json
expect_eq "cache verify of a sound cache: exit 0" 0 "$RC"
expect_eq "--json: one entry per file, and the journal" 5 "$(json 'len(d)')"
expect_eq "no login yet: no journal" "absent" "$(json 'd[4]["state"]')"
: >"$MOCK_CACHE_DIR/logins.journal"
chmod 0644 "$MOCK_CACHE_DIR/logins.journal"
ctl cache verify --config "$MOCK_CONF"
expect_eq "a journal others can read: verify exits 1" 1 "$RC"
check "and calls it untrusted" grep -q "logins.journal: untrusted" "$TEST_DIR/out"
rm -f "$MOCK_CACHE_DIR/logins.journal"
cp "$MOCK_CACHE_DIR/accounts.cache" "$TEST_DIR/accounts.good"
size=$(wc -c <"$MOCK_CACHE_DIR/accounts.cache")
printf 'X' | dd of="$MOCK_CACHE_DIR/accounts.cache" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
ctl cache verify --config "$MOCK_CONF"
expect_eq "a damaged byte: verify exits 1" 1 "$RC"
check "and names the file" grep -q "accounts.cache: damaged" "$TEST_DIR/out"
cp "$TEST_DIR/accounts.good" "$MOCK_CACHE_DIR/accounts.cache"
chmod 0666 "$MOCK_CACHE_DIR/nss.cache"
ctl cache verify --config "$MOCK_CONF"
expect_eq "a cache file others can write: verify exits 1" 1 "$RC"
check "and calls it untrusted" grep -q "nss.cache: untrusted" "$TEST_DIR/out"
chmod 0644 "$MOCK_CACHE_DIR/nss.cache"
ctl cache verify --config "$MOCK_CONF"
expect_eq "restored: verify exits 0" 0 "$RC"

ctl cache drop alice --config "$MOCK_CONF"
expect_eq "cache drop: exit 0" 0 "$RC"
ctl authorized-keys --config "$MOCK_CONF" alice
check "a dropped user has no keys at once" test ! -s "$TEST_DIR/out"
expect_eq "NSS no longer knows the dropped user" "" "$(nss_run getent passwd alice)"
expect_eq "nor its uid" "" "$(nss_run getent passwd "$ALICE_UID")"
expect_eq "others stay" "carol" "$(nss_run getent passwd carol | cut -d: -f1)"
ctl users show alice --config "$MOCK_CONF"
expect_eq "users show: gone" 1 "$RC"
ctl cache drop alice --config "$MOCK_CONF"
expect_eq "dropping an unknown user exits 1" 1 "$RC"
"$CTL" sync --quiet --config "$MOCK_CONF" || fail "sync"
expect_eq "the next sync brings the user back, same uid" "$ALICE_UID" "$(nss_uid alice)"
ctl authorized-keys --config "$MOCK_CONF" alice
check "with the keys" cmp -s "$TEST_DIR/want" "$TEST_DIR/out"
ctl cache fold --config "$MOCK_CONF"
expect_eq "an unknown cache action exits 2" 2 "$RC"

# -- check-config ----------------------------------------------------------------------
# Each misconfiguration has its own message and a non-zero exit; warnings do not fail.
ctl check-config --config "$MOCK_CONF"
expect_eq "check-config of a good file: exit 0" 0 "$RC"
check "reached the pool's key set" grep -q "^ok    the user pool answers: .*jwks.json has [1-9][0-9]* signing keys" "$TEST_DIR/out"
check "the app client exists (DescribeUserPoolClient)" grep -q "^ok    app client exists: $MOCK_CLIENT_ID in pool $MOCK_POOL_ID$" "$TEST_DIR/out"
check "its auth flow is on" grep -q "^ok    auth flow: USER_SRP_AUTH$" "$TEST_DIR/out"
check "no secret on either side" grep -q "^ok    client secret: none" "$TEST_DIR/out"
check "and the admin credentials" grep -q "^ok    admin credentials: the environment" "$TEST_DIR/out"
check "warns: users may write ssh_key_attribute" \
	grep -q "^WARN  ssh_key_attribute: custom:ssh_public_key is among the app client's WriteAttributes" "$TEST_DIR/out"
check "says the verdict" grep -q "^verdict: ok$" "$TEST_DIR/out"
ctl check-config --config "$MOCK_CONF" --json
expect_eq "--json: no check failed" "True" "$(json 'all(c["ok"] for c in d)')"
expect_eq "--json: the warning is there" "WARN" \
	"$(json '[c["level"] for c in d if c["check"] == "ssh_key_attribute"][0]')"
mock_ctl pool 'unwritable_attributes=["custom:ssh_public_key"]' >/dev/null
ctl check-config --config "$MOCK_CONF"
check "an attribute users cannot write: no warning" \
	grep -q "^ok    ssh_key_attribute: custom:ssh_public_key: users cannot write it" "$TEST_DIR/out"
mock_write_config "$WITH_KEYS" "username_attribute = preferred_username"
ctl check-config --config "$MOCK_CONF"
expect_eq "a writable username_attribute is a warning, not a failure: exit 0" 0 "$RC"
check "warns that a pool user picks their Unix name" \
	grep -q "^WARN  username_attribute: preferred_username is among .*their Unix name" "$TEST_DIR/out"
mock_write_config "$WITH_KEYS"

AWS_SECRET_ACCESS_KEY=wrong ctl check-config --config "$MOCK_CONF"
expect_eq "refused admin credentials: exit 2 (configuration)" 2 "$RC"
check "says so" grep -q "^FAIL  admin credentials: .*InvalidSignatureException" "$TEST_DIR/out"
check "without the secret" sh -c "! grep -q wrong '$TEST_DIR/out' '$TEST_DIR/err'"
check "and the verdict" grep -q "^verdict: FAIL$" "$TEST_DIR/out"
mock_ctl fault jwks status status=503 count=-1 >/dev/null
ctl check-config --config "$MOCK_CONF"
expect_eq "a pool that answers 503: exit 3" 3 "$RC"
mock_ctl clear-faults >/dev/null

# The auth flow switched off in the app client: with and without admin credentials.
mock_ctl pool 'explicit_auth_flows=["USER_PASSWORD_AUTH","REFRESH_TOKEN_AUTH"]' >/dev/null
ctl check-config --config "$MOCK_CONF"
expect_eq "flow off (DescribeUserPoolClient): exit 2" 2 "$RC"
check "names the flow and the fix" \
	grep -q "^FAIL  auth flow: USER_SRP_AUTH flow not enabled for this client: add ALLOW_USER_SRP_AUTH" "$TEST_DIR/out"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; ctl check-config --config "$MOCK_CONF"; echo "$RC" >"$TEST_DIR/rc")
expect_eq "flow off (probe, no admin credentials): exit 2" 2 "$(cat "$TEST_DIR/rc")"
check "the probe's answer names it" \
	grep -q "^FAIL  app client: USER_SRP_AUTH flow not enabled for this client (InvalidParameterException)" "$TEST_DIR/out"
check "and says attributes were not checked" \
	grep -q "^WARN  ssh_key_attribute: custom:ssh_public_key: could not check" "$TEST_DIR/out"
mock_ctl pool 'explicit_auth_flows=["USER_SRP_AUTH","REFRESH_TOKEN_AUTH"]' >/dev/null
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; ctl check-config --config "$MOCK_CONF"; echo "$RC" >"$TEST_DIR/rc")
expect_eq "flow on again (probe): exit 0" 0 "$(cat "$TEST_DIR/rc")"
check "the probe says the client is there" grep -q "^ok    app client exists: .*probed with a made-up user" "$TEST_DIR/out"

# An app client the pool does not have.
mock_write_config "$WITH_KEYS" "client_id = noSuchClient42"
ctl check-config --config "$MOCK_CONF"
expect_eq "an unknown client (DescribeUserPoolClient): exit 2" 2 "$RC"
check "says it does not exist" grep -q "^FAIL  app client exists: User pool client noSuchClient42 does not exist" "$TEST_DIR/out"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; ctl check-config --config "$MOCK_CONF"; echo "$RC" >"$TEST_DIR/rc")
expect_eq "an unknown client (probe): exit 2" 2 "$(cat "$TEST_DIR/rc")"
check "the probe says it does not exist" grep -q "^FAIL  app client: User pool client noSuchClient42 does not exist" "$TEST_DIR/out"

# A secret the app client does not have.
printf 'notTheClientsSecret0\n' >"$TEST_DIR/client_secret"
chmod 0600 "$TEST_DIR/client_secret"
mock_write_config "$WITH_KEYS" "client_secret_file = $TEST_DIR/client_secret"
ctl check-config --config "$MOCK_CONF"
expect_eq "a secret the client does not have: exit 2" 2 "$RC"
check "says so" grep -q "^FAIL  client secret: the configuration has a secret and the app client none" "$TEST_DIR/out"
check "without the secret" sh -c "! grep -q notTheClientsSecret '$TEST_DIR/out' '$TEST_DIR/err'"

# The cache: damaged or loose is a failure.
mock_write_config "$WITH_KEYS"
chmod 0666 "$MOCK_CACHE_DIR/nss.cache"
ctl check-config --config "$MOCK_CONF"
expect_eq "a cache file others can write: exit 2" 2 "$RC"
check "says the cache is untrusted" grep -q "^FAIL  user cache: .*damaged or untrusted" "$TEST_DIR/out"
chmod 0644 "$MOCK_CACHE_DIR/nss.cache"

mock_write_config "$WITH_KEYS" "user_pool_id = us-east-1_NoSuchPool"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
ctl check-config --config "$MOCK_CONF"
expect_eq "a wrong pool id: exit 2" 2 "$RC"
check "says the key set is missing" grep -q "without a key set (wrong user_pool_id or endpoint?)" "$TEST_DIR/out"
mock_write_config "endpoint = https://127.0.0.1:1/"
ctl check-config --config "$MOCK_CONF"
expect_eq "nothing listening: exit 3" 3 "$RC"
mock_write_config "no_such_key = 1"
ctl check-config --config "$MOCK_CONF"
expect_eq "an unknown key: exit 2" 2 "$RC"
check "names the file and line" grep -q "cognito.conf:[0-9]*: unknown key 'no_such_key'" "$TEST_DIR/err"

for cmd in users authorized-keys cache check-config; do
	"$CTL" "$cmd" --help >"$TEST_DIR/out"
	expect_eq "$cmd --help exits 0" 0 $?
done
finish
