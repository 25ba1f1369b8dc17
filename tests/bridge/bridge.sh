#!/bin/sh
# The device-flow bridge (bridge/) under node:test: its handlers served by
# bridge/local.js, its table in dynalite, and the mock IdP's hosted UI
# (tests/mock/mockidp/hostedui.py) as Cognito; with Chromium, one run is
# driven by a real browser (bridge/test/chromium.test.js).
#
# Needs node and the packages of tests/bridge/package.json (installed by
# scripts/deps.sh test, or here by `npm ci` when the tree is writable);
# skips with the reason otherwise.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
slow_test

[ "$NODE" != no ] || skip "node not found"
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
	skip "node 20 or later needed (node:test, fetch)"
MODULES="$top_srcdir/tests/bridge/node_modules"
if [ ! -d "$MODULES/dynalite" ] || [ ! -d "$MODULES/@aws-sdk/client-dynamodb" ]; then
	if [ -w "$top_srcdir/tests/bridge" ] && command -v npm >/dev/null 2>&1; then
		test_dir
		(cd "$top_srcdir/tests/bridge" && npm ci --no-audit --no-fund) >"$TEST_DIR/npm.log" 2>&1 ||
			skip "npm ci in tests/bridge failed (registry unreachable?)"
	else
		skip "tests/bridge/node_modules missing (run scripts/deps.sh test)"
	fi
fi

MOCK_CLIENT_SECRET=${MOCK_CLIENT_SECRET:-bridgetestsecret0123456789abcdefghijklmnopqrstuv}
mock_start --quiet

files="$top_srcdir/bridge/test/bridge.test.js $top_srcdir/bridge/test/hostedui.test.js"
if [ -f "$top_srcdir/bridge/test/chromium.test.js" ] && command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
	files="$files $top_srcdir/bridge/test/chromium.test.js"
else
	echo "# chromium not found: the browser-driven test is skipped"
fi

# shellcheck disable=SC2086
NODE_PATH="$MODULES" NODE_EXTRA_CA_CERTS="$MOCK_CA" NODE_NO_WARNINGS=1 \
	MOCK_ENDPOINT="$MOCK_ENDPOINT" MOCK_CLIENT_ID="$MOCK_CLIENT_ID" MOCK_CLIENT_SECRET="$MOCK_CLIENT_SECRET" \
	MOCK_CA="$MOCK_CA" TEST_DIR="$TEST_DIR" \
	timeout 120 "$NODE" --test --test-concurrency=1 $files
rc=$?
expect_eq "node --test bridge/test" 0 "$rc"

# The helpers other shell tests use (tests/bridge/bridge_lib.sh): the bridge in
# front of the mock, a device that asks and polls with curl, the scripted
# browser.
. "$top_srcdir/tests/bridge/bridge_lib.sh"
bridge_start POLL_INTERVAL=1
mock_add_user frank 'Fr4nk!pass'
DA=$(curl -sS -d client_id="$MOCK_CLIENT_ID" -d host=shelltest "$BRIDGE_URL/device_authorization")
DEVICE_CODE=$(printf '%s' "$DA" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["device_code"])')
URI=$(printf '%s' "$DA" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["verification_uri_complete"])')
expect_eq "scripted browser signs frank in" success "$(bridge_approve "$URI" frank 'Fr4nk!pass')"
sleep 1
TOKEN=$(curl -sS -d grant_type=urn:ietf:params:oauth:grant-type:device_code -d device_code="$DEVICE_CODE" \
	-d client_id="$MOCK_CLIENT_ID" "$BRIDGE_URL/token")
expect_eq "the device gets frank's ID token" frank "$(printf '%s' "$TOKEN" | "$PYTHON3" -c '
import base64, json, sys
t = json.load(sys.stdin)["id_token"].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))["cognito:username"])')"
finish
