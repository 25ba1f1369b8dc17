#!/bin/sh
# cognitoctl sync against the mock's admin APIs, which check the SigV4
# signature for real (the mock's own self-test, run first, pins that check
# to AWS's published test-suite vectors): a pool of 1200 users paged through (60 a page), uids
# that collide by the data's design, settled as cognito.conf(5) says (the
# expected uids are computed here, independently, in Python), a failed sync
# that keeps the old cache, refused and missing credentials.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$NSS_TEST_SO" ] || fail "no $NSS_TEST_SO: build first"

KEY=AKIAMOCKADMIN0000001
SECRET='mock/Admin+Secret/Key0123456789abcdefghij'
N=1200
UID_MIN=100000
UID_MAX=104999

test_dir
TMPDIR=$TEST_DIR "$PYTHON3" "$top_srcdir/tests/mock/test_mock_admin.py" >"$TEST_DIR/selftest" 2>&1 ||
	cat "$TEST_DIR/selftest" >&2
check "the mock's SigV4 check and admin APIs pass their self-test" \
	grep -q '^[0-9]* passed, 0 failed$' "$TEST_DIR/selftest"

mock_start
nss_files "root:x:0:0::/root:/bin/sh
localuser:x:1000:1000::/home/localuser:/bin/sh" "root:x:0:
sudo:x:27:
localuser:x:1000:"
# A budget of 10 requests a second (export_rps) under a UserList bucket of 12.
BUDGET=10
mock_write_config "local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group" \
	"uid_min = $UID_MIN" "uid_max = $UID_MAX" "group_map = team:sudo" "export_rps = $BUDGET"
mock_ctl raw POST /_mock/limits '{"userlist_rps": 12}' >/dev/null || fail "limits"

# N users; the later one in the listing is the older account, so "first
# come" and "first created" disagree wherever two uids collide.
"$PYTHON3" - "$N" >"$TEST_DIR/users.json" <<'PY'
import json, sys
n = int(sys.argv[1])
users = [{"username": "user%04d" % i, "sub": "sub-%05d" % i,
          "attributes": {"name": "User %d" % i}, "groups": ["team"] if i % 3 == 0 else [],
          "user_create_date": 1600000000 + (n - i) * 60} for i in range(n)]
print(json.dumps({"users": users}))
PY
"$PYTHON3" -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import mockctl
mockctl.Mock(sys.argv[2]).request("POST", "/_mock/users/bulk", json.load(open(sys.argv[3])))' \
	"$top_srcdir/tests/mock" "$MOCK_DIR" "$TEST_DIR/users.json" || fail "bulk users"

# The expected mapping, from the rule in cognito.conf(5): oldest first, each
# takes H(sub) or, when taken, the first free H(sub "#" i).
"$PYTHON3" - "$N" "$UID_MIN" "$UID_MAX" >"$TEST_DIR/expected" <<'PY'
import hashlib, sys
n, lo, hi = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def h(key, i):
    msg = key if i == 0 else "%s#%d" % (key, i)
    return lo + int.from_bytes(hashlib.sha256(msg.encode()).digest()[:8], "big") % (hi - lo + 1)
taken = {0, 1000, 27, 65534}
got, collisions = {}, 0
for i in sorted(range(n), key=lambda i: (n - i, "sub-%05d" % i)):
    sub, probe = "sub-%05d" % i, 0
    while h(sub, probe) in taken:
        probe += 1
    collisions += probe > 0
    taken.add(h(sub, probe))
    got["user%04d" % i] = h(sub, probe)
print("collisions %d" % collisions)
for name in sorted(got):
    print("%s %d" % (name, got[name]))
PY
[ "$(sed -n 's/^collisions //p' "$TEST_DIR/expected")" -gt 10 ] || fail "the data should collide"

nss_getent() {
	nss_run getent "$@"
}

sync() {
	"$CTL" sync --config "$MOCK_CONF" "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
}

export AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY="$SECRET"
unset AWS_SESSION_TOKEN
mock_ctl reset-stats >/dev/null
t0=$(date +%s%3N)
sync
t1=$(date +%s%3N)
expect_eq "sync exits 0" 0 "$RC"
# Paced, not only backing off: never throttled at a budget below the
# bucket, and the requests a second (every admin request, the whole run's
# wall time) within the budget plus 10 %.
expect_eq "paced at export_rps: the bucket never throttled" 0 \
	"$(mock_ctl raw GET /_mock/limits | sed -n 's/.*"throttled": *\([0-9]*\).*/\1/p')"
check "and the sync says so" grep -q "0 throttled requests retried" "$TEST_DIR/out"
reqs=$(mock_stat requests)
echo "# $reqs admin requests in $((t1 - t0)) ms at export_rps = $BUDGET"
check "$reqs requests in $((t1 - t0)) ms: at most $BUDGET a second (+10 %)" \
	[ $((reqs * 1000 * 100)) -le $(((t1 - t0) * BUDGET * 110)) ]
mock_ctl raw POST /_mock/limits '{"userlist_rps": 30}' >/dev/null
mock_write_config "local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group" \
	"uid_min = $UID_MIN" "uid_max = $UID_MAX" "group_map = team:sudo" "export_rps = 30"
check "says what it did" grep -q "^Synced $N users and 1 groups into $MOCK_CACHE_DIR" "$TEST_DIR/out"
expect_eq "ListUsers paged 60 at a time" $(((N + 59) / 60)) "$(mock_stat ops.ListUsers)"
expect_eq "ListUsersInGroup paged too" $(((N / 3 + 59) / 60)) "$(mock_stat ops.ListUsersInGroup)"
expect_eq "one ListGroups" 1 "$(mock_stat ops.ListGroups)"
check "logs each uid collision" grep -q "probing" "$TEST_DIR/err"
check "logs who got which uid" grep -q "gets uid" "$TEST_DIR/err"

nss_getent passwd >"$TEST_DIR/passwd.all"
awk -F: '$1 ~ /^user/ {print $1, $3}' "$TEST_DIR/passwd.all" | sort >"$TEST_DIR/actual"
sed -n '/^user/p' "$TEST_DIR/expected" >"$TEST_DIR/expected.uids"
check "every uid is the one the rule gives" cmp -s "$TEST_DIR/expected.uids" "$TEST_DIR/actual"
expect_eq "getent enumerates every user" "$N" "$(wc -l <"$TEST_DIR/actual" | tr -d ' ')"
check "and the local ones" grep -q '^localuser:' "$TEST_DIR/passwd.all"
expect_eq "gecos from name" "User 7" "$(nss_getent passwd user0007 | cut -d: -f5)"
# Mapped local groups come from initgroups, which only glibc asks modules for.
glibc_run id user0003 >"$TEST_DIR/id3"
case $? in
77) echo "ok - # SKIP no mount namespace for glibc's own NSS" ;;
*)
	check "a team member is in sudo (glibc)" grep -q '27(sudo)' "$TEST_DIR/id3"
	glibc_run id user0004 >"$TEST_DIR/id4"
	check "others are not" sh -c "! grep -q '27(sudo)' '$TEST_DIR/id4'"
	;;
esac

sync --json
expect_eq "--json exits 0" 0 "$RC"
expect_eq "--json counts users" "$N" \
	"$("$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["users"])' <"$TEST_DIR/out")"
nss_getent passwd | awk -F: '$1 ~ /^user/ {print $1, $3}' | sort >"$TEST_DIR/actual2"
check "uids are stable across syncs" cmp -s "$TEST_DIR/actual" "$TEST_DIR/actual2"

# A sync that fails half way keeps the cache as it was.
sum_before=$(cksum <"$MOCK_CACHE_DIR/nss.cache")
mock_ctl fault ListUsers status status=503 count=-1 after=3 >/dev/null
mock_ctl reset-stats >/dev/null
sync
expect_eq "a failed sync exits 3" 3 "$RC"
expect_eq "a 503 is retried 4 times, then given up" 8 "$(mock_stat ops.ListUsers)"
check "says the service is unavailable" grep -q "service unavailable" "$TEST_DIR/err"
check "says the cache is unchanged" grep -q "the cache was not changed" "$TEST_DIR/err"
expect_eq "the old cache is intact" "$sum_before" "$(cksum <"$MOCK_CACHE_DIR/nss.cache")"
expect_eq "and still answers" "user0007" "$(nss_getent passwd user0007 | cut -d: -f1)"
mock_ctl clear-faults >/dev/null

# Credentials and output, on a small pool (a thousand users per sync is slow
# in a Python mock and proves nothing more here).
mock_ctl reset >/dev/null
mock_ctl raw POST /_mock/users/bulk '{"generate": {"count": 3, "prefix": "small"}}' >/dev/null

# Credentials.
AWS_SECRET_ACCESS_KEY=not-the-secret sync
expect_eq "a wrong secret exits 2 (configuration)" 2 "$RC"
check "a wrong secret says so" grep -q "AWS refused the credentials from the environment (InvalidSignatureException)" "$TEST_DIR/err"
check "and never prints the secret" sh -c "! grep -q not-the-secret '$TEST_DIR/err' '$TEST_DIR/out'"
AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY000001 sync
expect_eq "an unknown key exits 2 (configuration)" 2 "$RC"
check "an unknown key says so" grep -q "UnrecognizedClientException" "$TEST_DIR/err"
expect_eq "refusals leave the cache" "$sum_before" "$(cksum <"$MOCK_CACHE_DIR/nss.cache")"

mock_ctl raw POST /_mock/admin/credentials \
	'{"access_key_id": "ASIATEMPORARY0000001", "secret_access_key": "tmp-secret", "session_token": "tok/en+1"}' >/dev/null
AWS_ACCESS_KEY_ID=ASIATEMPORARY0000001 AWS_SECRET_ACCESS_KEY=tmp-secret AWS_SESSION_TOKEN='tok/en+1' sync
expect_eq "temporary credentials with a session token work" 0 "$RC"
AWS_ACCESS_KEY_ID=ASIATEMPORARY0000001 AWS_SECRET_ACCESS_KEY=tmp-secret AWS_SESSION_TOKEN=wrong sync
expect_eq "a wrong session token exits 2 (configuration)" 2 "$RC"

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
sync
expect_eq "no credentials exits 2" 2 "$RC"
check "no credentials says where to put them" grep -q "admin_credentials_file" "$TEST_DIR/err"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$KEY" "$SECRET" >"$TEST_DIR/creds"
chmod 0644 "$TEST_DIR/creds"
mock_write_config "local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group" \
	"uid_min = $UID_MIN" "uid_max = $UID_MAX" "admin_credentials_file = $TEST_DIR/creds"
sync
expect_eq "a credentials file others can read exits 2" 2 "$RC"
check "and says why" grep -q "readable by others (chmod 0600)" "$TEST_DIR/err"
chmod 0600 "$TEST_DIR/creds"
sync --quiet
expect_eq "the root-only credentials file works" 0 "$RC"
check "--quiet prints nothing" test ! -s "$TEST_DIR/out"

# On a terminal, a progress line (carriage returns) on stderr.
if command -v script >/dev/null 2>&1; then
	script -qec "'$CTL' sync --config '$MOCK_CONF' 2>&1" /dev/null >"$TEST_DIR/tty" </dev/null
	check "a progress line on a terminal" grep -q "$(printf '\r')cognitoctl sync: 3 users, 0 groups, 0 memberships read" "$TEST_DIR/tty"
fi
sync
check "no progress line when stderr is a file" sh -c "! grep -q 'memberships read' '$TEST_DIR/err'"

"$CTL" sync --help >"$TEST_DIR/out"
expect_eq "--help exits 0" 0 $?
check "--help names the credentials" grep -q AWS_ACCESS_KEY_ID "$TEST_DIR/out"
"$CTL" sync --bogus >/dev/null 2>&1
expect_eq "an unknown option exits 2" 2 $?
finish
