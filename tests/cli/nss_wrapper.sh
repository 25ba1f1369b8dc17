#!/bin/sh
# What getent and id show once `cognitoctl sync` filled the cache from the
# mock: under nss_wrapper (local files first, then the module), and through
# glibc's own NSS in a private mount namespace, where initgroups brings in
# the mapped local groups. Then a missing, truncated and damaged cache:
# lookups fail cleanly and local users still resolve.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$NSS_TEST_SO" ] || fail "no $NSS_TEST_SO: build first"
[ "$(uname -s)" = Linux ] || skip "Linux only"

mock_start
nss_files "root:x:0:0:root:/root:/bin/sh
localuser:x:1000:1000:Local User:/home/localuser:/bin/sh" "root:x:0:
sudo:x:27:localuser
localuser:x:1000:"
mock_write_config "local_passwd_file = $TEST_DIR/passwd" "local_group_file = $TEST_DIR/group" \
	"group_map = admins:sudo" "home_template = /home/%u"
mock_add_user alice - sub=11111111-1111-4111-8111-111111111111 name='Alice Liddell' groups=admins,devs
mock_add_user bob - sub=22222222-2222-4222-8222-222222222222 given_name=Bob family_name=Builder groups=devs
mock_add_user carol - sub=33333333-3333-4333-8333-333333333333
AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001 AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij' \
	"$CTL" sync --config "$MOCK_CONF" --quiet || fail "sync failed"

# The ids the rule gives (cognito.conf(5)), computed here independently.
hashed() {
	"$PYTHON3" -c 'import hashlib, sys
k, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
print(lo + int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], "big") % (hi - lo + 1))' "$@"
}
A=$(hashed 11111111-1111-4111-8111-111111111111 10000000 1999999999)
B=$(hashed 22222222-2222-4222-8222-222222222222 10000000 1999999999)
ADMINS=$(hashed admins 2000000000 2099999999)
DEVS=$(hashed devs 2000000000 2099999999)

expect_eq "getent passwd alice" "alice:*:$A:$A:Alice Liddell:/home/alice:/bin/bash" \
	"$(nss_run getent passwd alice)"
expect_eq "getent passwd by uid" "bob:*:$B:$B:Bob Builder:/home/bob:/bin/bash" \
	"$(nss_run getent passwd "$B")"
expect_eq "local users first" "localuser:x:1000:1000:Local User:/home/localuser:/bin/sh" \
	"$(nss_run getent passwd localuser)"
expect_eq "getent group admins" "admins:*:$ADMINS:alice" "$(nss_run getent group admins)"
expect_eq "getent group by gid" "devs:*:$DEVS:alice,bob" "$(nss_run getent group "$DEVS")"
expect_eq "a private group" "alice:*:$A:" "$(nss_run getent group "$A")"
expect_eq "the local sudo group stays the local one" "sudo:x:27:localuser" "$(nss_run getent group sudo)"

nss_run getent passwd >"$TEST_DIR/all"
expect_eq "enumeration: local and Cognito users" "root localuser alice bob carol" \
	"$(cut -d: -f1 "$TEST_DIR/all" | tr '\n' ' ' | sed 's/ $//')"
nss_run getent group >"$TEST_DIR/allg"
expect_eq "enumeration: groups" "root sudo localuser admins devs alice bob carol" \
	"$(cut -d: -f1 "$TEST_DIR/allg" | tr '\n' ' ' | sed 's/ $//')"

# id's line with the groups in numeric order (id prints them as NSS gave them).
id_sorted() {
	"$@" | awk '{ n = split(substr($3, 8), g, ","); printf "%s %s groups=", $1, $2
		cmd = "sort -n | paste -sd,"; for (i = 1; i <= n; i++) print g[i] | cmd; close(cmd) }'
}
sorted_list() {
	printf '%s\n' "$@" | sort -n | paste -sd,
}
expect_eq "id alice (nss_wrapper): Cognito groups" \
	"uid=$A(alice) gid=$A(alice) groups=$(sorted_list "$A(alice)" "$ADMINS(admins)" "$DEVS(devs)")" \
	"$(id_sorted nss_run id alice)"

# glibc itself: initgroups_dyn adds group_map's local group.
if glibc_run true; then
	expect_eq "id alice (glibc): Cognito and mapped local groups" \
		"uid=$A(alice) gid=$A(alice) groups=$(sorted_list "$A(alice)" "27(sudo)" "$ADMINS(admins)" "$DEVS(devs)")" \
		"$(id_sorted glibc_run id alice)"
	expect_eq "id bob (glibc): no sudo" "uid=$B(bob) gid=$B(bob) groups=$B(bob),$DEVS(devs)" \
		"$(glibc_run id bob)"
	expect_eq "getent through glibc" "carol" "$(glibc_run getent passwd carol | cut -d: -f1)"
else
	echo "ok - # SKIP no private mount namespace here: glibc's own NSS not tried"
fi

# A user the sync never saw logs in (cognitoctl login --update-cache stores
# the verified claims as pam_cognito does): NSS resolves them right after.
mock_add_user dave 'Passw0rd!' sub=44444444-4444-4444-8444-444444444444 groups=devs,admins
D=$(hashed 44444444-4444-4444-8444-444444444444 10000000 1999999999)
expect_eq "dave is not known before the login" 2 "$(nss_run getent passwd dave >/dev/null; echo $?)"
full_inode=$(stat -c %i "$MOCK_CACHE_DIR/nss.cache")
printf 'Passw0rd!\n' | "$CTL" login --config "$MOCK_CONF" --update-cache dave >/dev/null 2>"$TEST_DIR/err"
expect_eq "login --update-cache exits 0" 0 $?
expect_eq "dave resolves right after" "dave:*:$D:$D::/home/dave:/bin/bash" "$(nss_run getent passwd dave)"
expect_eq "with his groups" "devs:*:$DEVS:alice,bob,dave" "$(nss_run getent group devs)"
expect_eq "the full cache was not rewritten for it" "$full_inode" "$(stat -c %i "$MOCK_CACHE_DIR/nss.cache")"
check "the logins file has him" test -s "$MOCK_CACHE_DIR/nss.logins"
if glibc_run true; then
	expect_eq "and glibc gives him sudo through admins" \
		"uid=$D(dave) gid=$D(dave) groups=$(sorted_list "$D(dave)" "27(sudo)" "$ADMINS(admins)" "$DEVS(devs)")" \
		"$(id_sorted glibc_run id dave)"
fi

# Lookups that fail: exit 2 from getent, never a signal.
nss_run getent passwd nosuchuser >/dev/null
expect_eq "an unknown user: not found" 2 $?
nss_run getent passwd 4000000 >/dev/null
expect_eq "an unknown uid: not found" 2 $?

mv "$MOCK_CACHE_DIR/nss.cache" "$TEST_DIR/nss.cache.saved"
nss_run getent passwd alice >/dev/null
expect_eq "no cache: alice is not found" 2 $?
expect_eq "no cache: local users still resolve" "root" "$(nss_run getent passwd root | cut -d: -f1)"
nss_run getent passwd >"$TEST_DIR/all"
expect_eq "no cache: enumeration shows the local users" 2 "$(wc -l <"$TEST_DIR/all" | tr -d ' ')"

size=$(wc -c <"$TEST_DIR/nss.cache.saved" | tr -d ' ')
head -c $((size / 2)) "$TEST_DIR/nss.cache.saved" >"$MOCK_CACHE_DIR/nss.cache"
nss_run getent passwd alice >/dev/null
expect_eq "truncated cache: not found, no crash" 2 $?
nss_run getent group devs >/dev/null
expect_eq "truncated cache: groups too" 2 $?

# Damage the middle of the file many ways: every run ends with 0 or 2.
crashes=0
for seed in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	"$PYTHON3" -c 'import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
rnd = random.Random(int(sys.argv[3]))
for _ in range(rnd.randint(1, 16)):
    data[rnd.randrange(256, len(data))] = rnd.randrange(256)
open(sys.argv[2], "wb").write(data)' "$TEST_DIR/nss.cache.saved" "$MOCK_CACHE_DIR/nss.cache" "$seed"
	for q in "passwd alice" "passwd $A" "group devs" "group $DEVS" "passwd" "group"; do
		# shellcheck disable=SC2086
		nss_run getent $q >/dev/null 2>&1
		rc=$?
		[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || crashes=$((crashes + 1))
	done
	nss_run id alice >/dev/null 2>&1
	[ $? -le 1 ] || crashes=$((crashes + 1))
done
expect_eq "damaged caches never crash a lookup" 0 "$crashes"
cp "$TEST_DIR/nss.cache.saved" "$MOCK_CACHE_DIR/nss.cache"
expect_eq "the restored cache answers again" "alice" "$(nss_run getent passwd alice | cut -d: -f1)"
finish
