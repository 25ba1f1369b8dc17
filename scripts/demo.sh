#!/usr/bin/env bash
# The README's demo. On a fresh clone: installs the few Debian packages the
# build and the demo need (scripts/deps.sh demo: compiler, autotools, the
# libraries, Python, openssl and cwrap's pam/nss wrappers; it says which
# before it starts), builds in _build_demo, starts the local mock Cognito
# IdP with a pool that requires MFA and a demo user who has no
# authenticator app yet, then:
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
# Nothing else on the machine changes: no service is started or configured,
# nothing is written outside this directory but a temporary directory the
# demo removes at the end (the mock listens on 127.0.0.1
# while the demo runs; PAM and NSS read private copies through the
# wrappers). A login refused because of a typo is asked again. When
# something fails, the mock's log is kept in _build_demo/demo-mock.log.
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

# libnss_cognito.so.2 reads only the cache directory compiled into it. This
# build's is $build/cache, so the demo loads the very module a package
# ships, pointed at a directory the demo owns.
build="$top/_build_demo"
cache="$build/cache"

# -- what it will do, before it does anything ------------------------------------
missing=$(scripts/deps.sh demo --list)
say "what this demo does to this machine"
if [ -n "$missing" ]; then
  echo "   installs $(echo "$missing" | wc -l) Debian packages the build and the demo need"
  echo "   (apt-get, as root or with sudo; about 1-3 minutes, with their own dependencies):"
  echo "$missing" | paste -sd' ' | fold -s -w 70 | indent
else
  echo "   installs nothing: every package it needs is here"
fi
if [ -f "$build/Makefile" ]; then
  echo "   builds what changed in $build (seconds)"
else
  echo "   builds the project once in $build (about 2 minutes on 2 cores)"
fi
echo "   then runs the demo (under a minute, more while you type). Nothing else"
echo "   changes: no service is started, no file written outside $top"
echo "   but a temporary directory it removes at the end"
if [ "$interactive" = 1 ] && [ -n "$missing" ]; then
  read -r -p "   Install those packages and go on? [Y/n] " yn
  case $yn in [nN]*) exit 0 ;; esac
fi
scripts/deps.sh demo

# make (or configure) with one progress line instead of its output, which
# goes to $build/build.log and is shown when it fails.
progress() {
  local n=0 line
  while IFS= read -r line; do
    case $line in
    *" CC "* | *" CCLD "* | *" GEN "*)
      n=$((n + 1))
      if [ -t 1 ]; then
        printf '\r     %3d steps  %-50.50s' "$n" "${line##* }"
      elif [ $((n % 20)) = 0 ]; then
        echo "     $n steps"
      fi
      ;;
    esac
  done
  [ ! -t 1 ] || printf '\r     %3d steps done%50s\n' "$n" ""
}
logged() {
  if ! "$@" 2>&1 | tee -a "$build/build.log" | progress; then
    echo "demo: failed: $*; the end of $build/build.log:" >&2
    tail -40 "$build/build.log" >&2
    exit 1
  fi
}
mkdir -p "$build"
: >"$build/build.log"
if [ ! -f "$build/Makefile" ]; then
  say "configuring (about 30 seconds)"
  [ -x configure ] || logged autoreconf -fi
  (cd "$build" && logged "$top/configure" --with-cachedir="$cache")
fi
say "building in $build"
logged make -C "$build" -j"$(nproc)"
mkdir -p "$cache"
rm -f "$cache"/*

export top_srcdir="$top" top_builddir="$build"
# shellcheck source=../tests/lib.sh
. "$top/tests/lib.sh"

# When something fails, keep the mock's log (lib.sh shows its last lines).
# shellcheck disable=SC2016 # expanded at exit
at_exit 'if [ "$lib_status" -ne 0 ] && [ -f "$TEST_DIR/mock.log" ]; then
  cp "$TEST_DIR/mock.log" "$build/demo-mock.log" &&
    echo "demo: the mock IdP'"'"'s whole log is in $build/demo-mock.log" >&2
fi'

# again CMD...: runs CMD; when you type the answers, a refused login (a typo
# in the password, three wrong codes) is tried again, up to three times.
again() {
  local tries=1
  until "$@"; do
    if [ "$interactive" = 0 ] || [ "$tries" -ge 3 ]; then
      echo "demo: refused $tries times; stopping here" >&2
      return 1
    fi
    tries=$((tries + 1))
    say "refused (a typo?): once more, try $tries of 3"
  done
}

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
    "$build/tests/pam/demo_login" cognito-demo "$DEMO_USER" "${opts[@]}"
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
again pam_login
case "$(mock_ctl get-user "$DEMO_USER")" in
*'"totp_secret"'*) ;;
*)
  echo "the pool has no authenticator app for $DEMO_USER after the enrolment" >&2
  exit 1
  ;;
esac

say "login 2 through PAM: the password, then the new app's code"
echo
again pam_login

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
# cognitoctl reads one answer a line when its input is not a terminal: the
# demo asks you itself, so that it can show the app's code at the code
# prompt, and hands your answers on.
ctl_login() {
  local password code shown
  if [ "$interactive" = 1 ]; then
    read -r -s -p "   Password: " password
    echo
    shown=$(mock_ctl totp "$DEMO_USER")
    echo "   [demo: the authenticator app shows $shown now]"
    read -r -p "   Authenticator code: " code
  else
    password=$DEMO_PASSWORD
    code=$(mock_ctl totp "$DEMO_USER")
  fi
  echo "   \$ cognitoctl login --config $MOCK_CONF $DEMO_USER"
  printf '%s\n%s\n' "$password" "$code" |
    "$build/tools/cognitoctl" login --config "$MOCK_CONF" "$DEMO_USER" 2>&1 | indent
}
again ctl_login

say "the mock saw $(mock_stat requests) requests over $(mock_stat connections) TLS connections"
echo "demo finished"
