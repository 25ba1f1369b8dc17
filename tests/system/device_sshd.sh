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

ns_sshd_require alice
. "$top_srcdir/tests/bridge/bridge_lib.sh"

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

ns_sshd_setup "$MODULE config=$MOCK_CONF auth_flow=device" "$MODULE config=$MOCK_CONF"
export CASES BRIDGE_URL NODE NODE_PATH NODE_EXTRA_CA_CERTS MOCK_ENDPOINT MOCK_CLIENT_ID \
	MOCK_CLIENT_SECRET
ns_sshd_unshare sh -c '
	set -u
	. "$top_srcdir/tests/system/ns_sshd.sh"
	ns_sshd_enter alice || exit 1
	for case in $CASES; do
		# The bridge in front of the hosted UI instead of the mock device endpoint.
		[ "$case" != bridge ] ||
			sed -i "s|^device_endpoint = .*|device_endpoint = $BRIDGE_URL|" "$MOCK_CONF"
		if LC_ALL=C.UTF-8 expect "$top_srcdir/tests/system/device_sshd.exp" "$case" >&2; then
			echo "$case ok"
		else
			echo "$case failed"
		fi
	done'

expect_eq "approved: the ssh session opens after Enter" ok "$(ns_sshd_result approved)"
expect_eq "denied: ssh is refused" ok "$(ns_sshd_result denied)"
case " $CASES " in
*" bridge "*)
	expect_eq "through the bridge and a scripted browser: the session opens" ok \
		"$(ns_sshd_result bridge)"
	;;
esac
ns_sshd_finish alice
