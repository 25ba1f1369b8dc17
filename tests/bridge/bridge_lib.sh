# Shell helpers to run the device-flow bridge in a test (source after
# tests/lib.sh, call after mock_start):
#
#   bridge_start [VAR=VALUE...]   # dynalite + bridge/local.js in front of the
#                                 # mock; settings as env (POLL_INTERVAL=1 ...;
#                                 # TLS_CERT=... TLS_KEY=...: HTTPS)
#   ...device_endpoint = $BRIDGE_URL in the config...
#   bridge_approve "$VERIFICATION_URI_COMPLETE" alice 'Passw0rd!'   # prints success
#   bridge_approve URL alice '' deny                                 # prints denied
#
# Skips (77) when node 20 or the packages of tests/bridge are missing.
# Sets BRIDGE_PID, BRIDGE_PORT, BRIDGE_URL (http://127.0.0.1:PORT; the
# device's client id is the mock's client id). Stopped at exit.

BRIDGE_MODULES="$top_srcdir/tests/bridge/node_modules"

bridge_env() {
	NODE_PATH="$BRIDGE_MODULES" NODE_EXTRA_CA_CERTS="$MOCK_CA" NODE_NO_WARNINGS=1 \
		MOCK_ENDPOINT="$MOCK_ENDPOINT" MOCK_CLIENT_ID="$MOCK_CLIENT_ID" \
		MOCK_CLIENT_SECRET="$MOCK_CLIENT_SECRET" "$@"
}

bridge_start() {
	[ "$NODE" != no ] || skip "node not found"
	[ -d "$BRIDGE_MODULES/dynalite" ] || skip "tests/bridge/node_modules missing (scripts/deps.sh test)"
	rm -f "$TEST_DIR/bridge.ready"
	# exec: the background subshell becomes node, so BRIDGE_PID is node's
	# pid and the kill at exit stops the bridge (it used to stop only the
	# subshell and leave node running).
	bridge_env exec env "$@" "$NODE" "$top_srcdir/bridge/test/serve.js" \
		>"$TEST_DIR/bridge.ready" 2>"$TEST_DIR/bridge.log" &
	BRIDGE_PID=$!
	at_exit 'kill "$BRIDGE_PID" 2>/dev/null; wait "$BRIDGE_PID" 2>/dev/null'
	lib_tries=0
	while ! grep -q '^READY ' "$TEST_DIR/bridge.ready" 2>/dev/null; do
		kill -0 "$BRIDGE_PID" 2>/dev/null || fail "bridge exited: $(cat "$TEST_DIR/bridge.log")"
		lib_tries=$((lib_tries + 1))
		[ "$lib_tries" -lt 300 ] || fail "bridge not READY after 15 s"
		sleep 0.05
	done
	BRIDGE_PORT=$(sed -n 's/^READY \([0-9][0-9]*\).*/\1/p' "$TEST_DIR/bridge.ready")
	case " $* " in
	*" TLS_CERT="*) BRIDGE_URL="https://127.0.0.1:$BRIDGE_PORT" ;;
	*) BRIDGE_URL="http://127.0.0.1:$BRIDGE_PORT" ;;
	esac
	export BRIDGE_PORT BRIDGE_URL
}

# bridge_approve URL USERNAME PASSWORD [approve|deny]: the scripted browser.
bridge_approve() {
	bridge_env "$NODE" "$top_srcdir/bridge/test/approve.js" "$@"
}
