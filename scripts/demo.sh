#!/usr/bin/env bash
# The README's demo. On a fresh clone: installs what it needs, builds, starts
# the local mock Cognito IdP with a pool that requires MFA and a demo user
# who has no authenticator app yet, then:
#
#   1. logs the user in through the real Linux-PAM stack (pam_wrapper):
#      the password, then the QR code to enrol an authenticator app, then
#      the app's first code;
#   2. logs in again: the password and the app's code;
#   3. looks the user up with getent and id through libnss_cognito.so.2,
#      which the login filled;
#   4. logs in with `cognitoctl login`, the way to check a configuration.
#
#   scripts/demo.sh                    # you type the answers (the codes are shown)
#   scripts/demo.sh --non-interactive  # the script answers the prompts itself
#
# Scan the QR code with a real authenticator app if you like: its codes
# work as well as the ones the demo prints.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

interactive=1
[ "${1:-}" = "--non-interactive" ] && interactive=0
[ -t 0 ] || interactive=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/     /'; }

scripts/deps.sh
# libnss_cognito.so.2 reads only the cache directory compiled into it. This
# build's is $build/cache, so the demo loads the very module a package
# ships, pointed at a directory the demo owns.
build="$top/_build_demo"
cache="$build/cache"
if [ ! -f "$build/Makefile" ]; then
  say "building (once) in $build"
  [ -x configure ] || autoreconf -fi >/dev/null 2>&1
  mkdir -p "$build"
  (cd "$build" && "$top/configure" -q --with-cachedir="$cache")
fi
make -C "$build" -s -j"$(nproc)" >/dev/null
mkdir -p "$cache"
rm -f "$cache"/*

export top_srcdir="$top" top_builddir="$build"
# shellcheck source=../tests/lib.sh
. "$top/tests/lib.sh"

DEMO_USER=demo
DEMO_PASSWORD='Demo-Passw0rd!'
export DEMO_PASSWORD
say "starting the mock Cognito IdP (HTTPS on 127.0.0.1, a test CA made just now)"
mock_start --quiet
mock_ctl pool mfa_configuration=ON >/dev/null
mock_add_user "$DEMO_USER" "$DEMO_PASSWORD" email=demo@example.com name='Demo User' groups=developers
mock_write_config "cache_dir = $cache" "totp_issuer = pam_cognito-demo"
echo "   user pool $MOCK_POOL_ID at $MOCK_ENDPOINT: MFA required"
echo "   user '$DEMO_USER', password '$DEMO_PASSWORD', no authenticator app yet"
echo "   /etc/cognito/cognito.conf for it ($MOCK_CONF):"
grep -v '^#' "$MOCK_CONF" | indent

# The PAM side: pam_wrapper makes the real libpam read this directory
# instead of /etc/pam.d, so nothing on this machine changes.
mkdir -p "$TEST_DIR/pam.d" "$TEST_DIR/state"
chmod 0700 "$TEST_DIR/state"
module="$build/pam_cognito/.libs/pam_cognito.so"
args="config=$MOCK_CONF state_dir=$TEST_DIR/state"
printf '%s\n' "auth required pam_deny.so" "account required pam_deny.so" >"$TEST_DIR/pam.d/other"
cat >"$TEST_DIR/pam.d/cognito-demo" <<EOF
auth     required  $module $args
account  required  $module $args
EOF
pam_login() {
  local opts=(--key-file "$TEST_DIR/totp-key")
  [ "$interactive" = 1 ] || opts+=(--non-interactive)
  LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$TEST_DIR/pam.d" \
    "$build/tests/demo_login" cognito-demo "$DEMO_USER" "${opts[@]}"
}
# The NSS side: nss_wrapper gives getent and id copies of /etc/passwd and
# /etc/group first, then the module.
cp /etc/passwd "$TEST_DIR/passwd"
cp /etc/group "$TEST_DIR/group"
nss() {
  LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$TEST_DIR/passwd" NSS_WRAPPER_GROUP="$TEST_DIR/group" \
    NSS_WRAPPER_MODULE_SO_PATH="$build/nss_cognito/.libs/libnss_cognito.so.2" \
    NSS_WRAPPER_MODULE_FN_PREFIX=cognito "$@"
}

say "before any login, '$DEMO_USER' is no Unix user: getent passwd $DEMO_USER"
if nss getent passwd "$DEMO_USER"; then
  echo "the cache in $cache already knows $DEMO_USER: it should be empty" >&2
  exit 1
fi
echo "   (not found)"

say "login 1 through PAM: pam_authenticate, pam_acct_mgmt for '$DEMO_USER' (service file:)"
indent <"$TEST_DIR/pam.d/cognito-demo"
[ "$interactive" = 0 ] || echo "   Type the password '$DEMO_PASSWORD', then the code the demo shows (or scan the QR code)."
echo
pam_login
case "$(mock_ctl get-user "$DEMO_USER")" in
*'"totp_secret"'*) ;;
*)
  echo "the pool has no authenticator app for $DEMO_USER after the enrolment" >&2
  exit 1
  ;;
esac

say "login 2 through PAM: the password, then the new app's code"
echo
pam_login

say "'$DEMO_USER' is a Unix user now (the login wrote the cache libnss_cognito.so.2 reads)"
for cmd in "getent passwd $DEMO_USER" "id $DEMO_USER" "getent group developers"; do
  echo "   \$ $cmd"
  # shellcheck disable=SC2086
  nss $cmd | indent
done
entry=$(nss getent passwd "$DEMO_USER")
case "$entry" in
"$DEMO_USER:*:"*":Demo User:/home/$DEMO_USER:/bin/bash") ;;
*)
  echo "unexpected passwd entry: $entry" >&2
  exit 1
  ;;
esac

say "cognitoctl login $DEMO_USER: the same login from the command line (how an admin checks a config)"
code=$(mock_ctl totp "$DEMO_USER")
if [ "$interactive" = 1 ]; then
  echo "   [demo: the authenticator app shows $code now]"
  "$build/tools/cognitoctl" login --config "$MOCK_CONF" "$DEMO_USER" | indent
else
  printf '%s\n%s\n' "$DEMO_PASSWORD" "$code" |
    "$build/tools/cognitoctl" login --config "$MOCK_CONF" "$DEMO_USER" 2>&1 | indent
fi

say "the mock saw $(mock_stat requests) requests over $(mock_stat connections) TLS connections"
echo "demo finished"
