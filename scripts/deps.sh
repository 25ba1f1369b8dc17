#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need.
# Idempotent: does nothing (and needs no root) when all are present.
set -euo pipefail

packages=(
  build-essential autoconf automake libtool pkg-config
  libpam0g-dev libcurl4-openssl-dev libjson-c-dev libssl-dev libqrencode-dev libcrypt-dev
  check libpam-wrapper libnss-wrapper libpamtest0-dev
  openssl ca-certificates python3 curl bc
  valgrind clang-format
  clang libclang-rt-14-dev
  # tests/pam_system.sh: real sshd, ssh, su and sudo logins typed by expect
  openssh-server openssh-client sudo expect util-linux
)
# Node runs the reference SDK (the oracle); the image may already have a newer one.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
