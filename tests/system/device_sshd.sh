#!/bin/sh
# A device login (RFC 8628, issue 17) through the real sshd: keyboard-
# interactive shows the link and the code with the "Press Enter after
# signing in: " prompt; expect reads the code from the screen, a script
# approves it at the mock's device endpoint, and Enter opens the session.
# Then the same through the real bridge (bridge/, over HTTPS, in front of
# the mock's hosted UI): a scripted browser (bridge/test/approve.js) opens
# the link the screen shows, confirms, signs in at the hosted UI's form. Runs in a private mount and
# PID namespace as tests/system/pam_system.sh does; the host's files are never
# touched.
#
# Skips (77) where that cannot work: not root, no unshare, sshd, ssh or expect.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
system_test
. "$top_srcdir/tests/system/ns_sshd.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace and sshd"
for cmd in unshare expect ssh ssh-keygen; do
	command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
done
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not found"
unshare --mount --pid --fork --mount-proc true 2>/dev/null ||
	skip "cannot make mount and PID namespaces here"
MODULE="$top_builddir/pam_cognito/.libs/pam_cognito.so"
[ -f "$MODULE" ] || fail "no $MODULE: build first"
CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
. "$top_srcdir/tests/system/ns_nss.sh"
. "$top_srcdir/tests/bridge/bridge_lib.sh"
grep -q "^alice:" /etc/passwd /etc/group &&
	skip "this host has a local alice, which would hide the Cognito one"

mock_start
mock_add_user alice 'Passw0rd!' email=alice@example.com name=Alice \
	sub=5f0c1d2e-0000-4000-8000-a11ce0000017
mock_write_config "state_dir = $TEST_DIR/state" "cache_dir = $NSS_CACHEDIR" \
	"home_template = $TEST_DIR/home/%u" "private_dir = $TEST_DIR/private" \
	"device_endpoint = ${MOCK_ENDPOINT}device" "device_timeout = 60"

# The bridge case needs node and tests/bridge's packages; without them it
# is skipped by name (the rest still runs).
CASES="approved denied"
if [ "$NODE" != no ] && [ -d "$BRIDGE_MODULES/dynalite" ]; then
	bridge_start TLS_CERT="$MOCK_DIR/server.pem" TLS_KEY="$MOCK_DIR/server.key"
	CASES="$CASES bridge"
else
	echo "ok - # SKIP the case through the bridge: node or tests/bridge/node_modules missing"
fi
BRIDGE_URL=${BRIDGE_URL:-}
NODE_PATH=$BRIDGE_MODULES NODE_EXTRA_CA_CERTS=$MOCK_CA

chmod 0711 "$TEST_DIR"
mkdir -p "$TEST_DIR/etc/pam.d" "$TEST_DIR/home" "$TEST_DIR/ns"
cat >"$TEST_DIR/etc/pam.d/sshd" <<EOT
auth     required $MODULE config=$MOCK_CONF auth_flow=device
account  required $MODULE config=$MOCK_CONF
password required pam_deny.so
session  required pam_permit.so
EOT
cat >"$TEST_DIR/etc/pam.d/other" <<EOT
auth     required pam_deny.so
account  required pam_deny.so
password required pam_deny.so
session  required pam_deny.so
EOT
ns_sshd_config keyboard-interactive || fail "sshd_config"

AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
export TEST_DIR PORT MOCK_DIR MOCK_CONF MOCK_CACHE_DIR PYTHON3 MOCKCTL top_srcdir top_builddir \
	CTL NSS_MODULE NSS_CACHEDIR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY CASES BRIDGE_URL NODE \
	NODE_PATH NODE_EXTRA_CA_CERTS MOCK_ENDPOINT MOCK_CLIENT_ID MOCK_CLIENT_SECRET
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh -c '
	set -u
	. "$top_srcdir/tests/system/ns_nss.sh"
	. "$top_srcdir/tests/system/ns_sshd.sh"
	mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || exit 1
	ns_nss_enable "$MOCK_CACHE_DIR" "$TEST_DIR/ns" || exit 1
	"$CTL" sync --config "$MOCK_CONF" >&2 && echo "sync ok"
	mkdir -p "$TEST_DIR/home/alice" && chown alice:alice "$TEST_DIR/home/alice"
	ns_sshd_start || exit 1
	trap "kill \$sshd 2>/dev/null" EXIT
	for case in $CASES; do
		# The bridge in front of the hosted UI instead of the mock device endpoint.
		[ "$case" != bridge ] ||
			sed -i "s|^device_endpoint = .*|device_endpoint = $BRIDGE_URL|" "$MOCK_CONF"
		if LC_ALL=C.UTF-8 expect "$top_srcdir/tests/system/device_sshd.exp" "$case" >&2; then
			echo "$case ok"
		else
			echo "$case failed"
		fi
	done' >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
echo "namespace script exited $? (in $TEST_DIR)"

result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}
expect_eq "cognitoctl sync filled the cache" ok "$(result sync)"
expect_eq "approved: the ssh session opens after Enter" ok "$(result approved)"
expect_eq "denied: ssh is refused" ok "$(result denied)"
case " $CASES " in
*" bridge "*) expect_eq "through the bridge and a scripted browser: the session opens" ok "$(result bridge)" ;;
esac
check "sshd logged alice in by keyboard-interactive" \
	grep -q "Accepted keyboard-interactive/pam for alice" "$TEST_DIR/sshd.log"
if [ "$LIB_FAILED" -ne 0 ]; then
	cat "$TEST_DIR/results" "$TEST_DIR/ns.log"
	tail -40 "$TEST_DIR/sshd.log"
fi
finish
