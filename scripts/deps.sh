#!/usr/bin/env bash
# Installs the Debian packages one of the README's commands needs, and no
# more. Idempotent: does nothing (and needs no root) when all are present.
#
#   scripts/deps.sh demo     # build the project and run scripts/demo.sh
#   scripts/deps.sh test     # also every test (scripts/test.sh): Check,
#                            # valgrind, clang, sshd/ssh/sudo/expect, node
#   scripts/deps.sh [demo|test] --list
#                            # print the missing packages, install nothing
#
# Without an argument: test (what scripts/test.sh and .ci/run want).
set -euo pipefail

what=test
list=0
for arg in "$@"; do
  case $arg in
  demo | test) what=$arg ;;
  --list) list=1 ;;
  *)
    echo "usage: $0 [demo|test] [--list]" >&2
    exit 2
    ;;
  esac
done

# The build: compiler, autotools and the libraries the code links.
build=(
  build-essential autoconf automake libtool pkg-config
  libpam0g-dev libcurl4-openssl-dev libjson-c-dev libssl-dev libqrencode-dev libcrypt-dev
  libfido2-dev
)
# The demo: the mock IdP (Python, a CA made with openssl), and cwrap's
# wrappers, which give libpam a private pam.d and getent/id a private NSS.
demo=(
  python3 openssl ca-certificates libpam-wrapper libnss-wrapper
)
# The tests: Check, libpamtest, valgrind, the style and fuzzer toolchain,
# and for tests/system/pam_system.sh real sshd, ssh, su and sudo logins typed by
# expect (openssh-server starts sshd on port 22 when installed).
tests=(
  check libpamtest0-dev curl bc
  valgrind clang-format
  clang libclang-rt-14-dev
  openssh-server openssh-client sudo expect util-linux
)

packages=("${build[@]}" "${demo[@]}")
if [ "$what" = test ]; then
  packages+=("${tests[@]}")
  # Node runs the reference SDK (the oracle); the image may already have a newer one.
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  # Headless Chromium drives the device-flow bridge's pages in one test
  # (tests/bridge/bridge.sh; skipped without it).
  packages+=(chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "$list" = 1 ]; then
  [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the tests, from their committed lock files: the bridge's
# dynalite and test helpers, s3rver for tests/cli/cognitoctl_export.sh, Amplify
# for tests/mock/amplify.sh. A failure is reported; each test then says SKIP.
if [ "$what" = test ] && command -v npm >/dev/null 2>&1; then
  top=$(cd "$(dirname "$0")/.." && pwd)
  for dir in tests/bridge tests/s3 tests/amplify; do
    [ -d "$top/$dir/node_modules" ] && continue
    echo "deps: npm ci in $dir" >&2
    (cd "$top/$dir" && npm ci --no-audit --no-fund >/dev/null) || echo "deps: npm ci in $dir failed" >&2
  done
fi
exit 0
