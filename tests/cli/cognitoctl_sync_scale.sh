#!/bin/sh
# Scale is not a denial of service (issue 12): the real `cognitoctl sync`
# against the mock's SigV4-checking admin APIs with 1,100 groups. Before the
# fix the cache writer spun for ever from the 1,025th distinct name on,
# holding cache.lock; here the sync must finish under a watchdog and every
# group must resolve through libnss_cognito.so.2 (nss_wrapper). Prints the
# time. (The 100,000-user, 5,000-group run is tests/unit/check_cache_scale, in C:
# a pool that size in a Python mock would cost CI minutes, not the writer.)
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
slow_test
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$NSS_TEST_SO" ] || fail "no $NSS_TEST_SO: build first"
G=1100

test_dir
mock_start
nss_files "root:x:0:0::/root:/bin/sh" "root:x:0:"
# The whole UserList quota for this one sync (export_rps paces it).
mock_write_config "local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group" \
	"export_rps = 30"
# G users, user i in team i and team (i + 1) % G: every group has two members.
"$PYTHON3" - "$G" >"$TEST_DIR/users.json" <<'PY'
import json, sys
g = int(sys.argv[1])
print(json.dumps({"users": [{"username": "member%04d" % i, "sub": "sub-%05d" % i,
                             "groups": ["team%04d" % i, "team%04d" % ((i + 1) % g)]}
                            for i in range(g)]}))
PY
"$PYTHON3" -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import mockctl
mockctl.Mock(sys.argv[2]).request("POST", "/_mock/users/bulk", json.load(open(sys.argv[3])))' \
	"$top_srcdir/tests/mock" "$MOCK_DIR" "$TEST_DIR/users.json" || fail "bulk users"

export AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
export AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
start=$(date +%s%3N)
timeout 120 "$CTL" sync --config "$MOCK_CONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
rc=$?
took=$(($(date +%s%3N) - start))
echo "cognitoctl sync of $G users in $G groups: exit $rc in $took ms"
expect_eq "the sync ends (124: the watchdog killed it)" 0 "$rc"
check "and says so" grep -q "^Synced $G users and $G groups" "$TEST_DIR/out"
check "within the watchdog's bound" test "$took" -lt 120000
nss_run getent group >"$TEST_DIR/groups"
expect_eq "getent enumerates every group" "$G" "$(grep -c '^team' "$TEST_DIR/groups")"
expect_eq "the last group has its two members" "member1098,member1099" \
	"$(nss_run getent group team1099 | cut -d: -f4 | tr ',' '\n' | sort | paste -sd,)"
expect_eq "a user's groups: their private one and two teams" 3 \
	"$(nss_run id -G member0500 | wc -w | tr -d ' ')"
if [ "$LIB_FAILED" -ne 0 ]; then
	tail -20 "$TEST_DIR/err"
fi
finish
