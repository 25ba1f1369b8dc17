#!/bin/sh
# Fleet hosts (issue 14): `cognitoctl sync` with snapshot_url installs a
# signed snapshot. Real cache files come from `cognitoctl sync` against the
# mock (the exporter's stand-in), published by tests/cli/snapshot_make.py (the
# manifest, signed with the openssl CLI's Ed25519) into a directory that
# hosts read directly or through tests/mock/snapshot_server.py over HTTPS (with
# a real SigV4 check for the s3:// form). Every forged, damaged, replayed,
# truncated or foreign snapshot is refused with the old cache kept byte for
# byte; two hosts resolve every name to the same uid through the NSS module;
# a host's local account wins over a pool user of its name, and says so.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
slow_test
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$NSS_TEST_SO" ] || fail "no $NSS_TEST_SO: build first"
command -v openssl >/dev/null 2>&1 || skip "openssl CLI not found"

KEY=AKIAMOCKADMIN0000001
SECRET='mock/Admin+Secret/Key0123456789abcdefghij'

mock_start
D=$TEST_DIR
openssl genpkey -algorithm ed25519 -out "$D/fleet.key" 2>/dev/null || skip "openssl without Ed25519"
openssl pkey -in "$D/fleet.key" -pubout -out "$D/fleet.pub" || fail "public key"
openssl genpkey -algorithm ed25519 -out "$D/other.key" 2>/dev/null || fail "second key"
chmod 0644 "$D/fleet.pub"

# The pool: four users, two in a group.
cat >"$D/users.json" <<'JSON'
{"users": [
 {"username": "alice", "sub": "sub-alice", "groups": ["devs"], "user_create_date": 1600000000},
 {"username": "bob", "sub": "sub-bob", "groups": ["devs"], "user_create_date": 1600000100},
 {"username": "carol", "sub": "sub-carol", "groups": [], "user_create_date": 1600000200},
 {"username": "dave", "sub": "sub-dave", "groups": [], "user_create_date": 1600000300}]}
JSON
"$PYTHON3" -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import mockctl
mockctl.Mock(sys.argv[2]).request("POST", "/_mock/users/bulk", json.load(open(sys.argv[3])))' \
	"$top_srcdir/tests/mock" "$MOCK_DIR" "$D/users.json" || fail "bulk users"

# Local files: host A has a local account named like the pool user carol.
printf 'root:x:0:0::/root:/bin/sh\n' >"$D/passwd.exp"
printf 'root:x:0:\n' >"$D/group.exp"
printf 'root:x:0:0::/root:/bin/sh\ncarol:x:1001:1001::/home/carol:/bin/sh\n' >"$D/passwd.a"
printf 'root:x:0:\ncarol:x:1001:\n' >"$D/group.a"

# conf NAME CACHE_DIR PASSWD GROUP [LINE...]: a config for one machine.
conf() {
	c_name=$1 c_cache=$2 c_pw=$3 c_gr=$4
	shift 4
	{
		echo "region = $MOCK_REGION"
		echo "user_pool_id = $MOCK_POOL_ID"
		echo "client_id = $MOCK_CLIENT_ID"
		echo "endpoint = $MOCK_ENDPOINT"
		echo "ca_file = $MOCK_CA"
		echo "cache_dir = $c_cache"
		echo "timeout = 5"
		echo "uid_min = 100000"
		echo "uid_max = 199999"
		echo "local_passwd_file = $c_pw"
		echo "local_group_file = $c_gr"
		for l in "$@"; do echo "$l"; done
	} >"$D/$c_name.conf"
	chmod 0644 "$D/$c_name.conf"
	mkdir -p "$c_cache"
}

# The exporter's stand-in: a per-host sync of the pool, then publication.
conf exp "$D/exp" "$D/passwd.exp" "$D/group.exp"
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET "$CTL" sync --config "$D/exp.conf" --quiet ||
	fail "exporter sync"
cp -r "$D/exp" "$D/exp1"
publish() { # SERIAL [ARGS...]
	p_serial=$1
	shift
	"$PYTHON3" "$top_srcdir/tests/cli/snapshot_make.py" --cache "$D/exp" --out "$D/pub" \
		--serial "$p_serial" --pool "$MOCK_POOL_ID" --key "$D/fleet.key" "$@" ||
		fail "publish $p_serial"
}
publish 1

# The HTTPS server over the publication directory.
echo '{}' >"$D/server.ctl"
"$PYTHON3" "$top_srcdir/tests/mock/snapshot_server.py" --dir "$D/pub" --cert "$MOCK_DIR/server.pem" \
	--key "$MOCK_DIR/server.key" --log "$D/server.log" --control "$D/server.ctl" >"$D/server.ready" \
	2>"$D/server.err" &
SERVER_PID=$!
at_exit 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null'
tries=0
while ! grep -q '^READY ' "$D/server.ready" 2>/dev/null; do
	tries=$((tries + 1))
	[ "$tries" -lt 200 ] || fail "snapshot server not ready: $(cat "$D/server.err")"
	sleep 0.05
done
PORT=$(sed -n 's/^READY //p' "$D/server.ready")

sync() { # HOST [ARGS...]
	s_host=$1
	shift
	"$CTL" sync --config "$D/$s_host.conf" "$@" >"$D/out" 2>"$D/err"
	RC=$?
}
host_nss() { # HOST getent ARGS...
	h_saved=$MOCK_CACHE_DIR
	MOCK_CACHE_DIR=$D/$1
	shift
	nss_run "$@"
	MOCK_CACHE_DIR=$h_saved
}
sums() { # HOST: the installed files and state, byte for byte
	(cd "$D/$1" && cat nss.cache accounts.cache keys.cache snapshot.state 2>/dev/null | cksum)
}

# Host A reads the directory; host B the HTTPS URL; host C s3:// with SigV4.
conf a "$D/a" "$D/passwd.a" "$D/group.a" "snapshot_url = $D/pub" "snapshot_public_key = $D/fleet.pub"
conf b "$D/b" "$D/passwd.exp" "$D/group.exp" "snapshot_url = https://127.0.0.1:$PORT/fleet/snap" \
	"snapshot_public_key = $D/fleet.pub"
# Host C also denies the name dave, and has a local account with bob's uid.
nss_files "$(cat "$D/passwd.exp")" "$(cat "$D/group.exp")"
bob_uid=$(host_nss exp getent passwd bob | cut -d: -f3)
[ -n "$bob_uid" ] || fail "no uid for bob at the exporter"
printf 'root:x:0:0::/root:/bin/sh\nops:x:%s:%s::/home/ops:/bin/sh\n' "$bob_uid" "$bob_uid" >"$D/passwd.c"
conf c "$D/c" "$D/passwd.c" "$D/group.exp" "snapshot_url = s3://fleet-bucket/snap" \
	"s3_endpoint = https://127.0.0.1:$PORT" "snapshot_public_key = $D/fleet.pub" "deny_names = dave"

# ---- a good install ----------------------------------------------------------
sync a
expect_eq "host A installs the directory snapshot" 0 "$RC"
check "and says which serial" grep -q "^Installed snapshot 1 " "$D/out"
check "host A logs the dropped pool user carol" grep -q "user 'carol'.*a local user or group has that name; left out" "$D/err"
sync b
expect_eq "host B installs over HTTPS (anonymous GET)" 0 "$RC"
check "host B drops nothing" grep -q "0 left out" "$D/out"
# same_but_notify A B: the same bytes but the header's notify word (bytes
# 217-220, cache_format.h), which a writer bumps in place to wake readers.
same_but_notify() {
	[ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ] &&
		[ -z "$(cmp -l "$1" "$2" | awk '$1 < 217 || $1 > 220')" ]
}
check "host B's nss.cache is the published file, byte for byte" same_but_notify "$D/b/nss.cache" "$D/pub/nss-1.cache"
check "keys.cache too" cmp -s "$D/b/keys.cache" "$D/pub/keys-1.cache"
check "accounts.cache stays root-only" sh -c "[ \"\$(stat -c %a '$D/b/accounts.cache')\" = 600 ]"
check "snapshot.state records serial 1" grep -q '"serial":1,' "$D/b/snapshot.state"
check "and the ETag" grep -q '"etag":"\\"' "$D/b/snapshot.state"

# Two hosts (and the exporter) resolve every pool name to the same uid.
nss_files "$(cat "$D/passwd.exp")" "$(cat "$D/group.exp")"
for n in alice bob carol dave; do
	ub=$(host_nss b getent passwd "$n" | cut -d: -f3)
	ue=$(host_nss exp getent passwd "$n" | cut -d: -f3)
	check "$n has a uid on host B" test -n "$ub"
	expect_eq "$n: host B's uid is the exporter's" "$ue" "$ub"
done
nss_files "$(cat "$D/passwd.a")" "$(cat "$D/group.a")"
for n in alice bob dave; do
	expect_eq "$n: host A's uid is host B's" "$(host_nss b getent passwd "$n" | cut -d: -f3)" \
		"$(host_nss a getent passwd "$n" | cut -d: -f3)"
done
expect_eq "host A's carol is the local account" "carol:x:1001:1001::/home/carol:/bin/sh" \
	"$(host_nss a getent passwd carol)"
check "host A's cache has no carol" sh -c "! '$CTL' --config '$D/a.conf' users 2>/dev/null | grep -q '^carol'"
expect_eq "the group resolves on host A to host B's gid" \
	"$(host_nss b getent group devs | cut -d: -f3,4)" "$(host_nss a getent group devs | cut -d: -f3,4)"

# ---- nothing new -----------------------------------------------------------
# Logins set replaced logins files aside (NAME.aside-K, K < 64); the timer's
# run removes them even when the snapshot is unchanged, and nothing else.
: >"$D/b/nss.logins.aside-5"
: >"$D/b/accounts.logins.aside-63"
: >"$D/b/nss.logins.aside-64"
: >"$D/server.log"
sync b
expect_eq "an unchanged manifest exits 0" 0 "$RC"
check "says nothing to do" grep -q "Snapshot 1 is installed; nothing to do" "$D/out"
check "the files logins set aside are removed" \
	sh -c "! test -e '$D/b/nss.logins.aside-5' && ! test -e '$D/b/accounts.logins.aside-63'"
check "a name outside the ring is left alone" test -e "$D/b/nss.logins.aside-64"
rm -f "$D/b/nss.logins.aside-64"
check "the manifest came back 304" grep -q '^/fleet/snap/manifest.json 304 ' "$D/server.log"
expect_eq "and nothing else was fetched" 1 "$(wc -l <"$D/server.log" | tr -d ' ')"
before_a=$(sums a)
sync a
check "host A (directory, same sha256) has nothing to do" grep -q "nothing to do" "$D/out"
expect_eq "host A's files are untouched" "$before_a" "$(sums a)"

# A cache someone removed is installed again from the same serial.
rm -f "$D/b/nss.cache"
sync b
expect_eq "a removed nss.cache: the same serial is installed again" 0 "$RC"
check "says so" grep -q "^Installed snapshot 1 " "$D/out"
check "nss.cache is back" same_but_notify "$D/b/nss.cache" "$D/pub/nss-1.cache"

# ---- refusals: each keeps the old cache byte for byte ------------------------
# refused HOST EXIT WHAT PATTERN
refused() {
	r_before=$(sums "$1")
	sync "$1"
	expect_eq "$3: exit $2" "$2" "$RC"
	check "$3: one line says why" sh -c "[ \"\$(wc -l <'$D/err')\" -eq 1 ] && grep -q '$4' '$D/err'"
	check "$3: says the cache was not changed" grep -q "the cache was not changed" "$D/err"
	expect_eq "$3: the old cache is byte-identical" "$r_before" "$(sums "$1")"
}
republish() { rm -rf "$D/pub"; publish "$@"; }

republish 2 && "$PYTHON3" "$top_srcdir/tests/cli/snapshot_make.py" --cache "$D/exp" --out "$D/pub" \
	--serial 2 --pool "$MOCK_POOL_ID" --key "$D/other.key"
refused b 1 "a snapshot signed with another key" "signature does not verify"
refused a 1 "the same over a directory" "signature does not verify"

republish 2
printf 'X' | dd of="$D/pub/nss-2.cache" bs=1 seek=200 conv=notrunc 2>/dev/null
refused b 1 "a tampered data file" "nss-2.cache: sha256"

republish 2
sed -i 's/"serial": 2/"serial": 3/' "$D/pub/manifest.json"
refused b 1 "a tampered manifest" "signature does not verify"

republish 2 --pool us-east-1_OtherPool
refused b 1 "another pool's snapshot" "is not this host.s user_pool_id"

republish 2 --format 2
refused b 1 "an unknown format" "format 2"

republish 2
echo '{"truncate": "accounts-2.cache"}' >"$D/server.ctl"
refused b 3 "a truncated download" "snapshot unavailable"
echo '{}' >"$D/server.ctl"
head -c 300 "$D/exp/nss.cache" >"$D/pub/nss-2.cache"
refused a 1 "a truncated file in the directory" "nss-2.cache: 300 bytes"

printf 'not base64\n' >"$D/pub/manifest.json.sig"
refused b 1 "a garbled signature file" "manifest.json.sig"

rm -f "$D/pub/manifest.json"
refused b 3 "no manifest at all (HTTP 404)" "HTTP 404"

chmod 0666 "$D/fleet.pub"
republish 2
refused b 2 "a public key others may write" "writable by group or others"
chmod 0644 "$D/fleet.pub"

# A local passwd file that exists but cannot be read (a directory in its
# place) is no host without local accounts: carol would not be dropped.
republish 2
mv "$D/passwd.a" "$D/passwd.a.kept" && mkdir "$D/passwd.a"
refused a 4 "an unreadable local passwd file (an internal error)" "cannot read $D/passwd.a"
rmdir "$D/passwd.a" && mv "$D/passwd.a.kept" "$D/passwd.a"

# ---- a newer snapshot, then a replay of the older one ------------------------
republish 2
sync b
expect_eq "serial 2 installs" 0 "$RC"
check "snapshot.state says 2" grep -q '"serial":2,' "$D/b/snapshot.state"
sync a
expect_eq "host A takes serial 2 from the directory" 0 "$RC"
check "host A's snapshot.state says 2" grep -q '"serial":2,' "$D/a/snapshot.state"
republish 1
refused b 1 "a replayed older serial" "older than the installed 2"
refused a 1 "a replay over the directory" "older than the installed 2"

# ---- S3 path-style with SigV4 --------------------------------------------------
republish 2
echo "{\"sigv4\": {\"$KEY\": \"$SECRET\"}}" >"$D/server.ctl"
: >"$D/server.log"
sync c
expect_eq "without credentials the bucket refuses: exit 3" 3 "$RC"
check "with a one-line HTTP 403" grep -q "HTTP 403" "$D/err"
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET sync c
expect_eq "s3:// with SigV4 GETs installs" 0 "$RC"
check "every GET was signed and accepted" sh -c "grep -q ' 200 signed' '$D/server.log' && ! grep -q ' 200 anon' '$D/server.log'"
check "path-style: /BUCKET/PREFIX/NAME" grep -q '^/fleet-bucket/snap/nss-2.cache 200 signed' "$D/server.log"
check "host C drops dave (deny_names)" grep -q "user 'dave'.*deny list" "$D/err"
check "and bob, whose uid is a local account's" grep -q "user 'bob' (uid $bob_uid): a local user has that id" "$D/err"
nss_files "$(cat "$D/passwd.c")" "$(cat "$D/group.exp")"
expect_eq "on host C, bob's uid is the local ops" "ops" "$(host_nss c getent passwd "$bob_uid" | cut -d: -f1)"
check "host C shows no dave" sh -c "[ -z \"\$(COGNITO_NSS_CACHE_DIR='$D/c' LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD='$D/passwd.c' NSS_WRAPPER_GROUP='$D/group.exp' NSS_WRAPPER_MODULE_SO_PATH='$NSS_TEST_SO' NSS_WRAPPER_MODULE_FN_PREFIX=cognito getent passwd dave)\" ]"
check "the group lists only alice on host C" sh -c "host_members=\$(COGNITO_NSS_CACHE_DIR='$D/c' LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD='$D/passwd.c' NSS_WRAPPER_GROUP='$D/group.exp' NSS_WRAPPER_MODULE_SO_PATH='$NSS_TEST_SO' NSS_WRAPPER_MODULE_FN_PREFIX=cognito getent group devs | cut -d: -f4); [ \"\$host_members\" = alice ]"
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=wrong-secret sync c
expect_eq "a wrong secret: nothing changes (the 304 path is refused too)" 3 "$RC"
echo '{}' >"$D/server.ctl"

# ---- cognitoctl check-config on a fleet host -----------------------------------
"$CTL" check-config --config "$D/b.conf" >"$D/out" 2>&1
expect_eq "check-config passes on host B" 0 $?
check "it verified the published manifest" grep -q "fleet snapshot.*serial 2 of https://127.0.0.1:$PORT/fleet/snap, signature verified; serial 2 installed" "$D/out"
check "and knows admin credentials are not needed" grep -q "not needed: cognitoctl sync installs the fleet snapshot" "$D/out"
cp "$D/pub/manifest.json.sig" "$D/good.sig"
"$PYTHON3" "$top_srcdir/tests/cli/snapshot_make.py" --cache "$D/exp" --out "$D/pub" --serial 2 \
	--pool "$MOCK_POOL_ID" --key "$D/other.key"
"$CTL" check-config --config "$D/b.conf" >"$D/out" 2>&1
expect_eq "check-config fails for a manifest another key signed" 1 $?
check "and says so" grep -q "fleet snapshot.*signature does not verify" "$D/out"
republish 2

# ---- logins between snapshots, retired by the next one ------------------------
# erin logs in on host B before a snapshot has her; the exporter's next
# snapshot does (her login leaves the logins files, her uid stays). frank
# logs in after that snapshot was made: he stays in the logins files.
mock_add_user erin 'Passw0rd!' sub=sub-erin
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET "$CTL" sync --config "$D/exp.conf" --quiet ||
	fail "exporter sync 3"
# Account facts for a user the NSS file does not show: refused (a keys
# file naming someone else would hand over their SSH logins).
mkdir -p "$D/mixed"
cp "$D/exp1/nss.cache" "$D/mixed/" && cp "$D/exp/accounts.cache" "$D/exp/keys.cache" "$D/mixed/"
rm -rf "$D/pub"
"$PYTHON3" "$top_srcdir/tests/cli/snapshot_make.py" --cache "$D/mixed" --out "$D/pub" --serial 3 \
	--pool "$MOCK_POOL_ID" --key "$D/fleet.key" || fail "publish mixed"
refused b 1 "account facts for a user NSS does not show" "accounts file has .erin."
republish 3 --created "$(($(date +%s) - 5))"
mock_add_user frank 'Passw0rd!' sub=sub-frank
for u in erin frank; do
	printf 'Passw0rd!\n' | "$CTL" login --config "$D/b.conf" --update-cache "$u" >/dev/null 2>"$D/err" ||
		fail "login $u: $(cat "$D/err")"
done
nss_files "$(cat "$D/passwd.exp")" "$(cat "$D/group.exp")"
erin_login=$(host_nss b getent passwd erin | cut -d: -f3)
check "erin resolves on host B from her login" test -n "$erin_login"
check "the logins file has her" grep -q erin "$D/b/nss.logins"
sync b
expect_eq "serial 3 installs over the logins" 0 "$RC"
check "one login retired, one kept" grep -q "1 logins retired, 1 kept" "$D/out"
expect_eq "erin keeps her uid, now from the snapshot" "$erin_login" \
	"$(host_nss b getent passwd erin | cut -d: -f3)"
expect_eq "which is the exporter's" "$(host_nss exp getent passwd erin | cut -d: -f3)" "$erin_login"
check "erin left the logins file" sh -c "! grep -q erin '$D/b/nss.logins'"
check "frank stays in it" grep -q frank "$D/b/nss.logins"
check "and still resolves" test -n "$(host_nss b getent passwd frank)"

# ---- options -----------------------------------------------------------------
t0=$(date +%s)
sync b --splay 0
expect_eq "--splay 0 runs at once" 0 "$RC"
"$CTL" sync --config "$D/b.conf" --splay x >/dev/null 2>&1
expect_eq "--splay needs seconds" 2 $?
sync b --json
check "--json says unchanged" "$PYTHON3" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["unchanged"] and d["snapshot_serial"]==3 else 1)' "$D/out"
[ $(($(date +%s) - t0)) -lt 20 ] || echo "# slow: $(($(date +%s) - t0)) s"
finish
