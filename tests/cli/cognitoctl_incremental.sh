#!/bin/sh
# cognitoctl export between full reads (issue 14's stretch): CloudTrail's
# LookupEvents (the mock records its user and group writes as Cognito's
# CloudTrail records) names what changed, and only those users are read
# again. After a full export: a user created, one moved between groups, one
# deleted; the incremental export publishes them with a higher serial
# (full_at kept, events_until advanced) in a handful of UserList requests;
# the new user gets the uid the full rule gives, the deleted one's uid is
# retired; running it again over the same events (the overlap window), with
# sign-in, read, failed and other-pool events besides and two
# ThrottlingExceptions, finds nothing changed and publishes nothing; CloudTrail refusing makes it a full
# read that says why; a forced --full gives the same users and groups; a fleet host's
# sync installs it; an event that names its user only by a masked username
# makes it a full read (and --incremental exits 2).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$NSS_TEST_SO" ] || fail "no $NSS_TEST_SO: build first"

mock_start
command -v curl >/dev/null 2>&1 || skip "curl not found"
# mc METHOD PATH [JSON]: the mock's control API (curl: a Python start per call
# costs a second on a loaded machine)
mc() {
	curl -sf --cacert "$MOCK_CA" -X "$1" -H 'Content-Type: application/json' \
		--data-binary "${3:-}" "https://127.0.0.1:$MOCK_PORT$2"
}
openssl genpkey -algorithm ed25519 -out "$TEST_DIR/sign.pem" 2>/dev/null ||
	skip "this openssl cannot make Ed25519 keys"
chmod 0600 "$TEST_DIR/sign.pem"
openssl pkey -in "$TEST_DIR/sign.pem" -pubout -out "$TEST_DIR/sign.pub" 2>/dev/null ||
	fail "public key"
SNAP="$TEST_DIR/snap"
UID_MIN=100000
UID_MAX=1999999
mock_write_config "snapshot_url = $SNAP" "snapshot_private_key = $TEST_DIR/sign.pem" \
	"export_rps = 25" "uid_min = $UID_MIN" "uid_max = $UID_MAX" \
	"cloudtrail_endpoint = $MOCK_ENDPOINT"
export AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
export AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
unset AWS_SESSION_TOKEN

mc POST /_mock/users/bulk \
	'{"generate": {"count": 150, "prefix": "u", "groups": ["team"], "created_step": 60}}' \
	>/dev/null || fail "bulk users"
mc POST /_mock/admin/groups '{"name": "ops"}' >/dev/null || fail "group ops"
MOVER_SUB=0b0e6a5c-1111-4222-8333-944445555666
mc POST /_mock/users "{\"username\": \"mover\", \"sub\": \"$MOVER_SUB\", \"groups\": [\"team\"]}" \
	>/dev/null || fail "user mover"

export_() {
	"$CTL" export --config "$MOCK_CONF" "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
}
# mfield FIELD [MANIFEST]: a number (or the retired list) of a manifest, which
# json-c writes on one line
mfield() {
	case $1 in
	retired) # the uids of the retired_file the manifest names, beside it
		"$PYTHON3" -c 'import json, os, struct, sys
m = json.load(open(sys.argv[1])); rf = m.get("retired_file")
b = open(os.path.join(os.path.dirname(sys.argv[1]), rf["name"]), "rb").read() if rf else b""
print(" ".join(str(u) for u in struct.unpack("<%dI" % (len(b) // 4), b)))' "${2:-$SNAP/manifest.json}" ;;
	*) sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "${2:-$SNAP/manifest.json}" ;;
	esac
}
userlist_served() {
	mc GET /_mock/limits | sed -n 's/.*"served": *\([0-9]*\).*/\1/p'
}
lookups() {
	mc GET /_mock/stats | sed -n 's/.*"LookupEvents": *\([0-9]*\).*/\1/p'
}
# install SNAPDIR HOSTDIR: a snapshot's files as a host's cache
install_snap() {
	mkdir -p "$2"
	for part in nss accounts keys; do
		name=$(sed -n "s/.*\"$part\":{\"name\":\"\([a-z]*-[0-9]*\.cache\)\".*/\1/p" "$1/manifest.json")
		cp "$1/$name" "$2/$part.cache" || fail "no $part file in $1"
	done
	chmod 0644 "$2/nss.cache" "$2/keys.cache"
	chmod 0600 "$2/accounts.cache"
}
# dump HOSTDIR: every user and group NSS gives from that cache, sorted
dump() {
	{
		MOCK_CACHE_DIR=$1 nss_run getent passwd | grep -v '^root:'
		MOCK_CACHE_DIR=$1 nss_run getent group | grep -v '^root:'
	} | sort
}
nss_files "root:x:0:0::/root:/bin/sh" "root:x:0:"

# 1. No previous snapshot: a full read.
export_
expect_eq "the first export exits 0" 0 "$RC"
cat "$TEST_DIR/err" >&2
check "it says it read the whole pool (no previous snapshot)" grep -q "Full read of the pool: there is no previous snapshot" "$TEST_DIR/out"
S1=$(mfield serial)
FULL1=$(mfield full_at)
UNTIL1=$(mfield events_until)
check "the manifest has full_at and events_until" [ -n "$FULL1" -a -n "$UNTIL1" ]
expect_eq "151 users" 151 "$(mfield users)"
check "the exporter's listing is kept beside its copy, root-only" \
	sh -c "[ \"\$(stat -c %a '$SNAP/export-state.json')\" = 600 ]"
install_snap "$SNAP" "$TEST_DIR/h1"
dump "$TEST_DIR/h1" >"$TEST_DIR/dump1"
GONE_UID=$(awk -F: '$1 == "u5" && NF == 7 {print $3}' "$TEST_DIR/dump1")
check "u5 has a uid" [ -n "$GONE_UID" ]

# The set-up's own events are older than the test in real life.
mc POST /_mock/cloudtrail/clear >/dev/null
sleep 1

# 2. Changes: a new user, a user moved from team to ops, a user deleted.
mc POST /_mock/users '{"username": "newbie", "attributes": {"name": "New Bie"}}' >/dev/null ||
	fail "user newbie"
NEW_SUB=$(mc GET /_mock/users/newbie | sed -n 's/.*"sub": *"\([0-9a-f-]*\)".*/\1/p')
mc POST /_mock/users "{\"username\": \"mover\", \"sub\": \"$MOVER_SUB\", \"groups\": [\"ops\"]}" \
	>/dev/null || fail "move mover"
mc DELETE /_mock/users/u5 >/dev/null || fail "delete u5"
mc POST /_mock/limits '{"userlist_rps": 30}' >/dev/null # counters from zero

START=$(date +%s.%N)
export_
END=$(date +%s.%N)
expect_eq "the incremental export exits 0" 0 "$RC"
cat "$TEST_DIR/err" >&2
check "it says it was incremental" grep -q "^Incremental: " "$TEST_DIR/out"
check "and did not read the whole pool" sh -c "! grep -q 'Full read' '$TEST_DIR/out'"
SERVED=$(userlist_served)
check "a handful of UserList requests ($SERVED), not a full read (>= 4 pages)" [ "$SERVED" -ge 1 -a "$SERVED" -le 4 ]
echo "# incremental export: $SERVED UserList requests, $(echo "$END - $START" | bc 2>/dev/null || echo '?') s"
S2=$(mfield serial)
check "the serial grew ($S1 -> $S2)" [ "$S2" -gt "$S1" ]
expect_eq "full_at is unchanged" "$FULL1" "$(mfield full_at)"
check "events_until advanced" [ "$(mfield events_until)" -gt "$UNTIL1" ]
install_snap "$SNAP" "$TEST_DIR/h2"
dump "$TEST_DIR/h2" >"$TEST_DIR/dump2"
want_uid=$("$PYTHON3" -c 'import hashlib,sys
sub, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h = int.from_bytes(hashlib.sha256(sub.encode()).digest()[:8], "big")
print(lo + h % (hi - lo + 1))' "$NEW_SUB" "$UID_MIN" "$UID_MAX")
expect_eq "newbie has the uid the full rule gives its sub" "$want_uid" \
	"$(awk -F: '$1 == "newbie" && NF == 7 {print $3}' "$TEST_DIR/dump2")"
check "newbie's GECOS came along" grep -q "^newbie:[^:]*:[0-9]*:[0-9]*:New Bie:" "$TEST_DIR/dump2"
check "mover is in ops" grep -Eq '^ops:[^:]*:[0-9]+:(.*,)?mover(,|$)' "$TEST_DIR/dump2"
check "mover left team" sh -c "! grep -Eq '^team:[^:]*:[0-9]+:(.*,)?mover(,|\$)' '$TEST_DIR/dump2'"
check "u5 is gone" sh -c "! grep -q '^u5:' '$TEST_DIR/dump2'"
check "u5's uid is retired in the manifest" sh -c "echo ' $(mfield retired) ' | grep -q ' $GONE_UID '"
grep -v -e '^u5:' -e '^newbie:' -e '^ops:' -e '^team:' "$TEST_DIR/dump1" >"$TEST_DIR/kept1"
grep -v -e '^newbie:' -e '^ops:' -e '^team:' "$TEST_DIR/dump2" >"$TEST_DIR/kept2"
check "every other user and group is as it was" cmp -s "$TEST_DIR/kept1" "$TEST_DIR/kept2"

# 3. Again over the same events (they are inside the overlap window): the
# same listing, so nothing is published (hosts download nothing). CloudTrail throttles twice
# (ThrottlingException): the reader backs off and goes on.
mc POST /_mock/faults '{"op": "LookupEvents", "kind": "throttle", "type": "ThrottlingException", "count": 2}' \
	>/dev/null || fail "fault"
LOOKUPS0=$(lookups)
# Events that change nothing here: a sign-in (username masked), a read, a
# failed call, and a deletion in another pool of the account.
rawev() { # NAME EXTRA-JSON-MEMBERS
	mc POST /_mock/cloudtrail/events "{\"name\": \"$1\", \"record\": {\"eventSource\": \"cognito-idp.amazonaws.com\",
		\"eventName\": \"$1\", $2}}" >/dev/null || fail "raw event $1"
}
rawev InitiateAuth '"readOnly": false, "requestParameters": {"authFlow": "USER_SRP_AUTH", "clientId": "x", "authParameters": "HIDDEN_DUE_TO_SECURITY_REASONS"}'
rawev ListUsers "\"readOnly\": true, \"requestParameters\": {\"userPoolId\": \"$MOCK_POOL_ID\"}"
rawev AdminDeleteUser "\"readOnly\": false, \"errorCode\": \"UserNotFoundException\", \"requestParameters\": {\"userPoolId\": \"$MOCK_POOL_ID\", \"username\": \"HIDDEN_DUE_TO_SECURITY_REASONS\"}"
rawev AdminDeleteUser '"readOnly": false, "requestParameters": {"userPoolId": "us-east-1_Another", "username": "HIDDEN_DUE_TO_SECURITY_REASONS"}'
export_
expect_eq "a second incremental export exits 0" 0 "$RC"
check "(incremental again)" grep -q "^Incremental: " "$TEST_DIR/out"
check "it finds nothing changed and publishes nothing" grep -q "^Nothing changed: serial $S2 stays" "$TEST_DIR/out"
expect_eq "hosts keep serial $S2 (no download for nothing)" "$S2" "$(mfield serial)"
install_snap "$SNAP" "$TEST_DIR/h3"
dump "$TEST_DIR/h3" >"$TEST_DIR/dump3"
check "re-applying the same events changes nothing" cmp -s "$TEST_DIR/dump2" "$TEST_DIR/dump3"
check "through two ThrottlingExceptions (LookupEvents asked $(($(lookups) - LOOKUPS0)) times)" \
	[ "$(($(lookups) - LOOKUPS0))" -ge 3 ]
S3=$(mfield serial)

# 4. A fleet host's sync installs the incremental snapshot: newbie resolves.
HOSTCONF="$TEST_DIR/fleethost.conf"
grep -v -e '^cache_dir' -e '^snapshot_private_key' -e '^export_rps' -e '^cloudtrail_endpoint' \
	"$MOCK_CONF" >"$HOSTCONF"
printf '%s\n' "cache_dir = $TEST_DIR/fleethost" "snapshot_public_key = $TEST_DIR/sign.pub" >>"$HOSTCONF"
mkdir -p "$TEST_DIR/fleethost"
"$CTL" sync --config "$HOSTCONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
RC=$?
expect_eq "a fleet host's sync installs the incremental snapshot" 0 "$RC"
[ "$RC" -eq 0 ] || cat "$TEST_DIR/err" >&2
expect_eq "the host resolves the new user to the exporter's uid" "$want_uid" \
	"$(MOCK_CACHE_DIR=$TEST_DIR/fleethost nss_run getent passwd newbie | cut -d: -f3)"

# 5. A forced --full read gives the same users and groups.
export_ --full --out "$TEST_DIR/full" --previous "$SNAP"
expect_eq "export --full exits 0" 0 "$RC"
check "it says why it read the whole pool" grep -q "Full read of the pool: --full" "$TEST_DIR/out"
install_snap "$TEST_DIR/full" "$TEST_DIR/h4"
dump "$TEST_DIR/h4" >"$TEST_DIR/dump4"
check "a full read gives the same users, uids, groups and members" cmp -s "$TEST_DIR/dump3" "$TEST_DIR/dump4"
diff "$TEST_DIR/dump3" "$TEST_DIR/dump4" >&2
check "(and there is something to compare)" [ "$(wc -l <"$TEST_DIR/dump4")" -gt 150 ]

# 5b. CloudTrail refusing (the export's role lacks cloudtrail:LookupEvents):
# the snapshot still goes out, from a full read that says why;
# --incremental refuses instead.
mc POST /_mock/faults '{"op": "LookupEvents", "kind": "throttle", "type": "AccessDeniedException", "message": "not authorized to perform: cloudtrail:LookupEvents", "count": 2}' \
	>/dev/null || fail "fault"
export_ --incremental
expect_eq "--incremental with CloudTrail down exits 2" 2 "$RC"
export_
expect_eq "a plain export with CloudTrail down exits 0" 0 "$RC"
check "from a full read that says why" grep -q "Full read of the pool: the incremental read failed" "$TEST_DIR/out"
mc POST /_mock/faults/clear >/dev/null
install_snap "$SNAP" "$TEST_DIR/h5"
dump "$TEST_DIR/h5" >"$TEST_DIR/dump5"
check "with the same users and groups" cmp -s "$TEST_DIR/dump3" "$TEST_DIR/dump5"
S3=$(mfield serial)
FULL1=$(mfield full_at)

# 6. An event naming its user by a masked username only cannot be resolved:
# --incremental refuses (exit 2, nothing published); a plain export falls
# back to a full read and says why.
mc POST /_mock/cloudtrail/events "{\"name\": \"AdminUpdateUserAttributes\", \"record\": {
	\"eventSource\": \"cognito-idp.amazonaws.com\", \"eventName\": \"AdminUpdateUserAttributes\",
	\"readOnly\": false, \"requestParameters\": {\"userPoolId\": \"$MOCK_POOL_ID\",
	\"username\": \"HIDDEN_DUE_TO_SECURITY_REASONS\"}, \"additionalEventData\": {}}}" >/dev/null ||
	fail "raw event"
export_ --incremental
expect_eq "--incremental with an unresolvable event exits 2" 2 "$RC"
check "and says which event" grep -q "AdminUpdateUserAttributes: names its user by neither sub nor username" "$TEST_DIR/err"
expect_eq "nothing was published" "$S3" "$(mfield serial)"
sleep 1 # full_at is in seconds
export_
expect_eq "a plain export falls back to a full read" 0 "$RC"
check "and says why" grep -q "Full read of the pool: CloudTrail event AdminUpdateUserAttributes" "$TEST_DIR/out"
check "a full read moves full_at" [ "$(mfield full_at)" -gt "$FULL1" ]
finish
