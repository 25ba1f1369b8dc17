#!/bin/sh
# cognitoctl export (issue 14, the exporter) against the mock's rate-limited
# admin APIs: a signed snapshot published to a directory; the signature
# checked with openssl's own Ed25519 verify (and refused when a byte flips);
# S3 (s3rver, which checks SigV4) with a right and a wrong secret and with
# the instance role's credentials from a loopback IMDSv2 stand-in;
# uids kept across two exports with a user deleted and one added (no uid is
# given to another sub); the 30 RPS UserList bucket hit and survived; a
# signing key others can read refused.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
slow_test
. "$top_srcdir/tests/nsslib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$NSS_TEST_SO" ] || fail "no $NSS_TEST_SO: build first"

mock_start
command -v base64 >/dev/null 2>&1 || skip "base64 not found"
openssl genpkey -algorithm ed25519 -out "$TEST_DIR/sign.pem" 2>/dev/null ||
	skip "this openssl cannot make Ed25519 keys"
chmod 0600 "$TEST_DIR/sign.pem"
openssl pkey -in "$TEST_DIR/sign.pem" -pubout -out "$TEST_DIR/sign.pub" 2>/dev/null ||
	fail "public key"
SNAP="$TEST_DIR/snap"
# Small ranges make the hash land on a retired uid now and then, so reuse would show.
mock_write_config "snapshot_url = $SNAP" "snapshot_private_key = $TEST_DIR/sign.pem" \
	"export_rps = 25" "uid_min = 100000" "uid_max = 100199"
export AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
export AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
unset AWS_SESSION_TOKEN

mock_ctl raw POST /_mock/users/bulk \
	'{"generate": {"count": 130, "prefix": "u", "groups": ["team"], "created_step": 60}}' \
	>/dev/null || fail "bulk users"

export_() {
	# --full: this test is about full reads (cognitoctl_incremental.sh has the others).
	"$CTL" export --config "$MOCK_CONF" --full "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	RC=$?
}
# mread [FILE]: the manifest's fields as shell variables M_serial, M_format,
# M_pool_id, M_users, M_nss_sha256, M_nss, M_accounts, M_keys, M_retired (the
# uids of the retired_file the manifest names, which sits beside it).
mread() {
	eval "$("$PYTHON3" -c 'import json,sys,shlex
m = json.load(open(sys.argv[1]))
for k in ("serial", "format", "pool_id", "users"):
    print("M_%s=%s" % (k, shlex.quote(str(m[k]))))
for k in ("nss", "accounts", "keys"):
    print("M_%s=%s" % (k, shlex.quote(m["files"][k]["name"])))
print("M_nss_sha256=%s" % m["files"]["nss"]["sha256"])
rf = m.get("retired_file")
uids = []
if rf:
    import os, struct
    b = open(os.path.join(os.path.dirname(sys.argv[1]), rf["name"]), "rb").read()
    uids = struct.unpack("<%dI" % (len(b) // 4), b)
print("M_retired=%s" % shlex.quote(" ".join(str(u) for u in uids)))' \
		"${1:-$SNAP/manifest.json}")"
}
verify() { # MANIFEST SIG
	base64 -d <"$2" >"$TEST_DIR/sig.bin" 2>/dev/null &&
		openssl pkeyutl -verify -pubin -inkey "$TEST_DIR/sign.pub" -rawin \
			-in "$1" -sigfile "$TEST_DIR/sig.bin" >/dev/null 2>&1
}
# uids of a snapshot as NSS answers them (the files installed as a host's cache)
snap_uids() {
	host="$TEST_DIR/host$1"
	mkdir -p "$host"
	mread
	cp "$SNAP/$M_nss" "$host/nss.cache"
	cp "$SNAP/$M_accounts" "$host/accounts.cache"
	cp "$SNAP/$M_keys" "$host/keys.cache"
	chmod 0644 "$host/nss.cache" "$host/keys.cache"
	chmod 0600 "$host/accounts.cache"
	MOCK_CACHE_DIR=$host nss_run getent passwd | awk -F: '$1 ~ /^u[0-9]/ {print $1, $3}' | sort
}
nss_files "root:x:0:0::/root:/bin/sh" "root:x:0:"

# 1. A first export, paced, while the UserList bucket is tight: 3 requests a
# second for everyone, so most of ours are throttled and retried with jitter.
mock_ctl raw POST /_mock/limits '{"userlist_rps": 3}' >/dev/null
export_
expect_eq "export exits 0 through throttling" 0 "$RC"
cat "$TEST_DIR/err" >&2
throttled=$(mock_ctl raw GET /_mock/limits | sed -n 's/.*"throttled": *\([0-9]*\).*/\1/p')
check "the mock's bucket did throttle ($throttled TooManyRequestsException)" [ "$throttled" -gt 0 ]
check "the exporter says it retried throttled requests" grep -q "[1-9][0-9]* throttled requests retried" "$TEST_DIR/out"
mock_ctl raw POST /_mock/limits '{"userlist_rps": 30}' >/dev/null

check "manifest, signature and three data files" test -f "$SNAP/manifest.json" -a -f "$SNAP/manifest.json.sig"
mread
S1=$M_serial
for f in nss accounts keys; do
	check "$f-$S1.cache published" test -f "$SNAP/$f-$S1.cache"
done
expect_eq "format 1" 1 "$M_format"
expect_eq "pool id" "$MOCK_POOL_ID" "$M_pool_id"
expect_eq "130 users" 130 "$M_users"
expect_eq "the nss file's sha256 is the manifest's" "$M_nss_sha256" "$(sha256sum "$SNAP/nss-$S1.cache" | cut -d' ' -f1)"
check "the signature verifies with openssl pkeyutl -rawin" verify "$SNAP/manifest.json" "$SNAP/manifest.json.sig"
sed 's/"format"/"formas"/' "$SNAP/manifest.json" >"$TEST_DIR/flipped.json"
check "(the flipped copy differs in one byte)" [ "$(cmp -l "$SNAP/manifest.json" "$TEST_DIR/flipped.json" | wc -l)" -eq 1 ]
check "one flipped byte does not verify" sh -c "! $(command -v openssl) pkeyutl -verify -pubin -inkey '$TEST_DIR/sign.pub' -rawin -in '$TEST_DIR/flipped.json' -sigfile '$TEST_DIR/sig.bin' >/dev/null 2>&1"
snap_uids 1 >"$TEST_DIR/uids1"
expect_eq "NSS reads the snapshot's users" 130 "$(wc -l <"$TEST_DIR/uids1" | tr -d ' ')"

# 2. A user deleted, a new one added: every kept user keeps their uid, and
# the deleted user's uid goes to nobody.
gone_uid=$(sed -n 's/^u5 //p' "$TEST_DIR/uids1")
mock_ctl raw POST /_mock/users/bulk '{"generate": {"count": 40, "prefix": "new", "start": 0}}' >/dev/null
mock_ctl raw DELETE /_mock/users/u5 >/dev/null || fail "delete u5"
export_
expect_eq "second export exits 0" 0 "$RC"
mread
S2=$M_serial
check "the serial grew ($S1 -> $S2)" [ "$S2" -gt "$S1" ]
check "the second signature verifies" verify "$SNAP/manifest.json" "$SNAP/manifest.json.sig"
snap_uids 2 >"$TEST_DIR/uids2"
check "u5 is gone" sh -c "! grep -q '^u5 ' '$TEST_DIR/uids2'"
grep -v '^u5 ' "$TEST_DIR/uids1" >"$TEST_DIR/kept1"
grep '^u[0-9]' "$TEST_DIR/uids2" >"$TEST_DIR/kept2"
check "every other user keeps their uid" cmp -s "$TEST_DIR/kept1" "$TEST_DIR/kept2"
check "the first snapshot's files stay for hosts still fetching it" test -f "$SNAP/nss-$S1.cache"
MOCK_CACHE_DIR=$TEST_DIR/host2 nss_run getent passwd | awk -F: '{print $3}' | sort | uniq -d >"$TEST_DIR/dups"
check "no uid is given twice" test ! -s "$TEST_DIR/dups"
check "u5's uid is retired in the manifest" sh -c "echo ' $M_retired ' | grep -q ' $gone_uid '"
MOCK_CACHE_DIR=$TEST_DIR/host2 nss_run getent passwd "$gone_uid" >"$TEST_DIR/gone" 2>/dev/null
check "NSS: nobody has u5's uid" test ! -s "$TEST_DIR/gone"

# 3. The signing key must be root-only; --out and --previous.
chmod 0644 "$TEST_DIR/sign.pem"
export_ --out "$TEST_DIR/elsewhere" --previous "$SNAP"
expect_eq "a readable signing key exits 2" 2 "$RC"
check "and says why" grep -q "readable by others" "$TEST_DIR/err"
check "nothing was published" test ! -e "$TEST_DIR/elsewhere/manifest.json"
chmod 0600 "$TEST_DIR/sign.pem"
export_ --out "$TEST_DIR/elsewhere" --previous "$SNAP"
expect_eq "--out with --previous exits 0" 0 "$RC"
mread "$TEST_DIR/elsewhere/manifest.json"
check "its serial is above the previous one" [ "$M_serial" -gt "$S2" ]
export_
expect_eq "a third export exits 0" 0 "$RC"
check "and prunes the files of serials older than the previous one" test ! -e "$SNAP/nss-$S1.cache"
check "but keeps the previous one's" test -f "$SNAP/nss-$S2.cache"

# 3b. The two halves together: a fleet host's `cognitoctl sync` installs
# what the exporter published (signature, sha256, serial), and its NSS
# answers the exporter's uids.
HOSTCONF="$TEST_DIR/fleethost.conf"
grep -v -e '^cache_dir' -e '^snapshot_private_key' -e '^export_rps' "$MOCK_CONF" >"$HOSTCONF"
printf '%s\n' "cache_dir = $TEST_DIR/fleethost" "snapshot_public_key = $TEST_DIR/sign.pub" >>"$HOSTCONF"
mkdir -p "$TEST_DIR/fleethost"
"$CTL" sync --config "$HOSTCONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
RC=$?
expect_eq "a fleet host's sync installs the exported snapshot" 0 "$RC"
[ "$RC" -eq 0 ] || cat "$TEST_DIR/err" >&2
MOCK_CACHE_DIR=$TEST_DIR/fleethost nss_run getent passwd | awk -F: '$1 ~ /^u[0-9]/ {print $1, $3}' |
	sort >"$TEST_DIR/fleethost.uids"
snap_uids e2e >"$TEST_DIR/exported.uids"
check "the host's NSS gives every user the exporter's uid" cmp -s "$TEST_DIR/fleethost.uids" "$TEST_DIR/exported.uids"
check "(and there are users to compare)" [ "$(wc -l <"$TEST_DIR/fleethost.uids")" -gt 100 ]
"$CTL" sync --config "$HOSTCONF" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
expect_eq "the same snapshot again: nothing to do, exit 0" 0 "$?"

# 4. S3: s3rver over TLS (the mock's certificate), SigV4 checked for real.
S3RVER="$top_srcdir/tests/s3/node_modules/.bin/s3rver"
if [ ! -x "$S3RVER" ] && command -v npm >/dev/null 2>&1; then
	(cd "$top_srcdir/tests/s3" && timeout 120 npm ci --no-audit --no-fund) >"$TEST_DIR/npm.log" 2>&1
fi
if ! command -v node >/dev/null 2>&1 || [ ! -x "$S3RVER" ]; then
	echo "ok - # SKIP s3rver not installed (node/npm missing or offline): the S3 part was not run"
	finish
fi
mkdir -p "$TEST_DIR/s3data"
S3_KEY=$AWS_ACCESS_KEY_ID S3_SECRET=$AWS_SECRET_ACCESS_KEY node "$top_srcdir/tests/s3/serve.js" \
	"$TEST_DIR/s3data" snaps "$MOCK_DIR/server.key" "$MOCK_DIR/server.pem" \
	>"$TEST_DIR/s3rver.out" 2>"$TEST_DIR/s3rver.log" &
S3PID=$!
"$PYTHON3" "$top_srcdir/tests/mock/imds_standin.py" "$TEST_DIR" exporter-role "$AWS_ACCESS_KEY_ID" \
	"$AWS_SECRET_ACCESS_KEY" >"$TEST_DIR/imds.out" 2>&1 &
IMDSPID=$!
tries=0
until grep -q '^READY ' "$TEST_DIR/s3rver.out" && [ -s "$TEST_DIR/imds.port" ]; do
	tries=$((tries + 1))
	[ $tries -lt 150 ] || fail "s3rver or the IMDS stand-in did not start: $(cat "$TEST_DIR/s3rver.log")"
	sleep 0.1
done
S3PORT=$(sed -n 's/^READY //p' "$TEST_DIR/s3rver.out")
IMDS="http://127.0.0.1:$(cat "$TEST_DIR/imds.port")"
mock_write_config "snapshot_url = s3://snaps/fleet/eu" "snapshot_private_key = $TEST_DIR/sign.pem" \
	"export_rps = 25" "uid_min = 100000" "uid_max = 100199" \
	"s3_endpoint = https://127.0.0.1:$S3PORT" "imds_endpoint = $IMDS"
s3get() { # KEY: the object through an anonymous GET (s3rver serves it)
	curl -sf --cacert "$MOCK_CA" "https://127.0.0.1:$S3PORT/snaps/fleet/eu/$1"
}

# A wrong secret (the environment's keys serve Cognito and S3 alike; the
# listing goes first, so S3's check is reached through a key only s3rver
# knows wrong: a second key pair, right for the mock, wrong for s3rver).
mock_ctl raw POST /_mock/admin/credentials \
	'{"access_key_id": "AKIAEXPORTWRONGS3KEY", "secret_access_key": "not-the-secret"}' >/dev/null
AWS_ACCESS_KEY_ID=AKIAEXPORTWRONGS3KEY AWS_SECRET_ACCESS_KEY=not-the-secret \
	"$CTL" export --config "$MOCK_CONF" --previous "$TEST_DIR/s3prev" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
RC=$?
check "a wrong secret fails the export (exit $RC)" [ "$RC" -eq 2 ]
check "and says who refused it" grep -q "refused" "$TEST_DIR/err"
check "and never prints the secret" sh -c "! grep -q not-the-secret '$TEST_DIR/err' '$TEST_DIR/out'"
check "no manifest was uploaded" test -z "$(s3get manifest.json)"

"$CTL" export --config "$MOCK_CONF" --previous "$TEST_DIR/s3prev" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
RC=$?
expect_eq "export to s3rver with SigV4 exits 0" 0 "$RC"
[ "$RC" -eq 0 ] || cat "$TEST_DIR/err" >&2
s3get manifest.json >"$TEST_DIR/s3.manifest"
s3get manifest.json.sig >"$TEST_DIR/s3.sig"
check "the uploaded manifest is the exporter's copy" cmp -s "$TEST_DIR/s3.manifest" "$TEST_DIR/s3prev/manifest.json"
check "the uploaded signature verifies" verify "$TEST_DIR/s3.manifest" "$TEST_DIR/s3.sig"
mread "$TEST_DIR/s3.manifest"
s3get "$M_nss" >"$TEST_DIR/s3.nss"
expect_eq "the uploaded nss file has the manifest's sha256" "$M_nss_sha256" "$(sha256sum <"$TEST_DIR/s3.nss" | cut -d' ' -f1)"
S3S1=$M_serial

# No keys in the environment or the config: the instance role through IMDSv2.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	"$CTL" export --config "$MOCK_CONF" --full --previous "$TEST_DIR/s3prev" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
RC=$?
expect_eq "export with IMDSv2 credentials exits 0" 0 "$RC"
[ "$RC" -eq 0 ] || cat "$TEST_DIR/err" >&2
check "asked IMDSv2 for a token first" grep -q "^PUT /latest/api/token 200" "$TEST_DIR/imds.log"
check "then the role's credentials, with the token" grep -q "^GET /latest/meta-data/iam/security-credentials/exporter-role 200" "$TEST_DIR/imds.log"
mread "$(mkdir -p "$TEST_DIR/x" && s3get manifest.json >"$TEST_DIR/x/m" && echo "$TEST_DIR/x/m")"
check "a newer serial reached S3 ($S3S1 -> $M_serial)" [ "$M_serial" -gt "$S3S1" ]
kill "$S3PID" "$IMDSPID" 2>/dev/null
finish
