# Shell helpers for pam_cognito's shell tests. Source it:
#
#   . "${top_srcdir:-.}/tests/lib.sh"
#   mock_start                      # mock IdP in a fresh temp dir, config written
#   mock_add_user alice 'Passw0rd!' email=alice@example.com groups=admins
#   ...run something with --config "$MOCK_CONF"...
#   check "login works" some_command args
#   finish                          # prints "N passed, N failed", exits 0/1
#
# POSIX sh (make runs tests with $(SHELL), often dash). Everything a test
# makes lives in $TEST_DIR, removed at exit (KEEP_TEST_DIR=1 keeps it);
# the mock is killed at exit however the test ends. When a test fails, the
# tail of the mock's log goes to stderr, which lands in the test's .log.
#
# Set before mock_start to change: MOCK_REGION, MOCK_POOL_ID,
# MOCK_CLIENT_ID, MOCK_CLIENT_SECRET (empty = no secret). Extra arguments
# to mock_start go to mock_idp.py (e.g. --seed FILE).
#
# After mock_start: TEST_DIR (= MOCK_DIR), MOCK_PID, MOCK_PORT,
# MOCK_ENDPOINT (https://127.0.0.1:PORT/), MOCK_CA, MOCK_CONF,
# MOCK_CACHE_DIR.

# -- environment from the harness (AM_TESTS_ENVIRONMENT), defaulted ----------

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
if [ -z "${PYTHON3:-}" ] || [ "$PYTHON3" = no ]; then
	PYTHON3=$(command -v python3 || echo no)
fi
if [ -z "${NODE:-}" ] || [ "$NODE" = no ]; then
	NODE=$(command -v node || echo no)
fi
export top_srcdir top_builddir PYTHON3 NODE
# Keep the source tree free of __pycache__ (and quiet when it is read-only).
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

MOCK_IDP="$top_srcdir/tests/mock/mock_idp.py"
MOCKCTL="$top_srcdir/tests/mock/mockctl.py"
MOCK_REGION=${MOCK_REGION:-us-east-1}
MOCK_POOL_ID=${MOCK_POOL_ID:-us-east-1_MockPool1}
MOCK_CLIENT_ID=${MOCK_CLIENT_ID:-mockclient0123456789abcdef}
MOCK_CLIENT_SECRET=${MOCK_CLIENT_SECRET:-}

LIB_PASSED=0
LIB_FAILED=0
LIB_AT_EXIT=
TEST_DIR=
MOCK_PID=

# -- results --------------------------------------------------------------------

# skip REASON: exit 77, which automake counts as SKIP.
skip() {
	echo "SKIP: $*"
	exit 77
}

# system_test: the tests that build a throwaway host in a mount namespace
# (real sshd, su, sudo, the attacker suites) call this first. CI runs them
# once, in scripts/test.sh; the second and third `make check` of the same
# tree (make distcheck, the package build) set COGNITO_SKIP_SYSTEM_TESTS so
# those minutes are not spent again, and the summary says so.
system_test() {
	[ -z "${COGNITO_SKIP_SYSTEM_TESTS:-}" ] ||
		skip "a system test; COGNITO_SKIP_SYSTEM_TESTS is set (this tree's scripts/test.sh ran it)"
}

# slow_test: the tests that take half a minute or more without being
# system tests (the fleet's export and snapshot suites, the bridge with
# Chromium, Amplify, the sync at scale) call this first. Like the system
# tests they run once in CI, in scripts/test.sh; make distcheck and the
# package build of the same tree set COGNITO_SKIP_SLOW_TESTS.
slow_test() {
	[ -z "${COGNITO_SKIP_SLOW_TESTS:-}" ] ||
		skip "a slow test; COGNITO_SKIP_SLOW_TESTS is set (this tree's scripts/test.sh ran it)"
}

# fail REASON: stop the test now.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# check DESCRIPTION COMMAND [ARGS...]: runs COMMAND, counts and reports.
check() {
	lib_desc=$1
	shift
	if "$@"; then
		LIB_PASSED=$((LIB_PASSED + 1))
		echo "ok - $lib_desc"
	else
		LIB_FAILED=$((LIB_FAILED + 1))
		echo "not ok - $lib_desc"
	fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		LIB_PASSED=$((LIB_PASSED + 1))
		echo "ok - $1"
	else
		LIB_FAILED=$((LIB_FAILED + 1))
		echo "not ok - $1: expected '$2', got '$3'"
	fi
}

# finish: the closing line CI reads, and the exit status.
finish() {
	echo "$LIB_PASSED passed, $LIB_FAILED failed"
	[ "$LIB_FAILED" -eq 0 ] || exit 1
	exit 0
}

# config_keys: every key libcognito/core/config.c knows, one a line.
config_keys() {
	sed -n 's/^ *{"\([a-z_]*\)", [A-Z]*.*/\1/p' "$top_srcdir/libcognito/core/config.c" | sort -u
}

# -- cleanup -------------------------------------------------------------------

# at_exit COMMAND: run COMMAND (with eval) when the test exits.
at_exit() {
	LIB_AT_EXIT="$LIB_AT_EXIT
$1"
}

lib_cleanup() {
	lib_status=$?
	set +e
	eval "$LIB_AT_EXIT"
	mock_stop
	if [ "$lib_status" -ne 0 ] && [ "$lib_status" -ne 77 ] && [ -n "$TEST_DIR" ] &&
		[ -f "$TEST_DIR/mock.log" ]; then
		echo "--- last lines of the mock's log ($TEST_DIR/mock.log) ---" >&2
		tail -n 40 "$TEST_DIR/mock.log" >&2
	fi
	if [ -n "$TEST_DIR" ] && [ "${KEEP_TEST_DIR:-0}" != 1 ]; then
		rm -rf "$TEST_DIR"
	fi
	exit "$lib_status"
}
trap lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# test_dir: make $TEST_DIR (once). Call it directly, not in $(...): a
# subshell's TEST_DIR would never be cleaned up.
test_dir() {
	if [ -z "$TEST_DIR" ]; then
		TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cognito-test.XXXXXX") || fail "mktemp"
	fi
}

# -- the mock IdP ------------------------------------------------------------------

# mock_start [MOCK_IDP_ARGS...]: start the mock, wait for READY, write
# the config. Skips the test (77) when python3 is missing.
mock_start() {
	[ "$PYTHON3" != no ] || skip "python3 not found"
	command -v openssl >/dev/null 2>&1 || skip "openssl CLI not found"
	test_dir
	MOCK_DIR=$TEST_DIR
	set -- --dir "$MOCK_DIR" --region "$MOCK_REGION" --pool-id "$MOCK_POOL_ID" \
		--client-id "$MOCK_CLIENT_ID" "$@"
	if [ -n "$MOCK_CLIENT_SECRET" ]; then
		set -- "$@" --client-secret "$MOCK_CLIENT_SECRET"
	fi
	rm -f "$MOCK_DIR/ready"
	"$PYTHON3" "$MOCK_IDP" "$@" >"$MOCK_DIR/ready" 2>"$MOCK_DIR/mock.log" &
	MOCK_PID=$!
	# The first start makes a CA and two RSA keys: allow for a slow machine.
	lib_tries=0
	while ! grep -q '^READY ' "$MOCK_DIR/ready" 2>/dev/null; do
		if ! kill -0 "$MOCK_PID" 2>/dev/null; then
			MOCK_PID=
			fail "mock_idp exited before READY: $(cat "$MOCK_DIR/mock.log")"
		fi
		lib_tries=$((lib_tries + 1))
		[ "$lib_tries" -lt 600 ] || fail "mock_idp not READY after 30 s"
		sleep 0.05
	done
	MOCK_PORT=$(sed -n 's/^READY \([0-9][0-9]*\).*/\1/p' "$MOCK_DIR/ready")
	MOCK_ENDPOINT="https://127.0.0.1:$MOCK_PORT/"
	MOCK_CA="$MOCK_DIR/ca.pem"
	MOCK_CACHE_DIR="$MOCK_DIR/cache"
	MOCK_CONF="$MOCK_DIR/cognito.conf"
	mkdir -p "$MOCK_CACHE_DIR"
	export MOCK_DIR MOCK_PORT MOCK_ENDPOINT MOCK_CA MOCK_CONF MOCK_CACHE_DIR
	mock_write_config
}

# mock_stop: stop the mock (also done at exit).
mock_stop() {
	if [ -n "$MOCK_PID" ]; then
		kill "$MOCK_PID" 2>/dev/null
		wait "$MOCK_PID" 2>/dev/null
		MOCK_PID=
	fi
}

# mock_write_config [LINE...]: (re)write $MOCK_CONF for the running mock;
# each extra argument is one more "key = value" line. An extra line for a
# key the defaults set (e.g. "timeout = 2") replaces the default, since the
# config parser refuses a key given twice.
mock_write_config() {
	lib_extra_keys=" "
	for lib_line in "$@"; do
		lib_key=$(printf '%s\n' "$lib_line" | sed -n 's/^[[:space:]]*\([A-Za-z0-9_]*\)[[:space:]]*=.*/\1/p')
		lib_extra_keys="$lib_extra_keys$lib_key "
	done
	{
		echo "# written by tests/lib.sh for the mock IdP on port $MOCK_PORT"
		lib_default region "$MOCK_REGION"
		lib_default user_pool_id "$MOCK_POOL_ID"
		lib_default client_id "$MOCK_CLIENT_ID"
		if [ -n "$MOCK_CLIENT_SECRET" ]; then
			lib_default client_secret "$MOCK_CLIENT_SECRET"
		fi
		lib_default endpoint "$MOCK_ENDPOINT"
		lib_default ca_file "$MOCK_CA"
		lib_default cache_dir "$MOCK_CACHE_DIR"
		lib_default timeout 5
		for lib_line in "$@"; do
			echo "$lib_line"
		done
	} >"$MOCK_CONF.tmp" || fail "cannot write $MOCK_CONF"
	# The module refuses a config writable by others; the file belongs to
	# whoever runs the test.
	chmod 0644 "$MOCK_CONF.tmp"
	mv -f "$MOCK_CONF.tmp" "$MOCK_CONF"
}

lib_default() {
	case "$lib_extra_keys" in
	*" $1 "*) ;;
	*) echo "$1 = $2" ;;
	esac
}

# mock_ctl VERB [ARGS...]: tests/mock/mockctl.py against the running mock.
mock_ctl() {
	"$PYTHON3" "$MOCKCTL" "$MOCK_DIR" "$@"
}

# mock_add_user NAME PASSWORD [k=v ...]: see mockctl.py add-user.
mock_add_user() {
	mock_ctl add-user "$@" >/dev/null || fail "cannot add user $1"
}

# mock_stat FIELD: one number from the stats (connections, requests, ops.X).
mock_stat() {
	mock_ctl stats "$1"
}
