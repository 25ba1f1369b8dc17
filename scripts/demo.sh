#!/usr/bin/env bash
# The README's demo: builds pam_cognito, starts the local mock Cognito IdP
# with a demo user, and logs that user in through `cognitoctl login` (SRP:
# the password never leaves this host).
#
#   scripts/demo.sh                    # you type the password at the prompt
#   scripts/demo.sh --non-interactive  # the script answers the prompts itself
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

interactive=1
[ "${1:-}" = "--non-interactive" ] && interactive=0
[ -t 0 ] || interactive=0

scripts/deps.sh
build="$top/_build"
if [ ! -x "$build/tools/cognitoctl" ]; then
  echo "== building (once) in $build"
  autoreconf -fi >/dev/null 2>&1
  mkdir -p "$build"
  (cd "$build" && "$top/configure" -q && make -j"$(nproc)" -s)
fi

export top_srcdir="$top" top_builddir="$build"
# shellcheck source=../tests/lib.sh
. "$top/tests/lib.sh"

DEMO_USER=demo
DEMO_PASSWORD='Demo-Passw0rd!'
echo "== starting the mock Cognito IdP (HTTPS on 127.0.0.1, a test CA made just now)"
mock_start --quiet
mock_add_user "$DEMO_USER" "$DEMO_PASSWORD" email=demo@example.com name='Demo User' groups=developers
echo "   endpoint $MOCK_ENDPOINT, user pool $MOCK_POOL_ID"
echo "   config:"
sed 's/^/     /' "$MOCK_CONF"
echo
echo "== cognitoctl login $DEMO_USER"
if [ "$interactive" = 1 ]; then
  echo "   (the demo user's password is: $DEMO_PASSWORD)"
  "$build/tools/cognitoctl" login --config "$MOCK_CONF" "$DEMO_USER"
else
  printf '%s\n' "$DEMO_PASSWORD" | "$build/tools/cognitoctl" login --config "$MOCK_CONF" "$DEMO_USER"
fi
echo
echo "== the mock saw $(mock_stat requests) requests over $(mock_stat connections) TLS connection(s)"
echo "demo finished"
