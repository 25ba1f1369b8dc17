#!/usr/bin/env bash
# Builds the Debian packages libpam-cognito, libnss-cognito and
# cognito-tools from this tree, the way a build daemon would: from a clean
# copy of the tracked (and new, not ignored) files, with
# `dpkg-buildpackage -us -uc`, which runs `make check`; then lintian, which
# must report no error and no warning (debian/*.lintian-overrides hold the
# justified exceptions). Installs the Build-Depends and lintian first when
# some are missing.
#
#   scripts/deb.sh [OUTDIR]        # the .debs land in OUTDIR (default _build_deb)
#   DEB_BUILD_OPTIONS=nocheck scripts/deb.sh    # without make check
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
out=$(realpath -m "${1:-$top/_build_deb}")

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v lintian >/dev/null 2>&1 || ! command -v dpkg-checkbuilddeps >/dev/null 2>&1 ||
  ! dpkg-checkbuilddeps 2>/dev/null; then
  echo "deb: installing the Build-Depends and lintian" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends build-essential dpkg-dev lintian >/dev/null
  $SUDO apt-get build-dep -y -qq --no-install-recommends "$top" >/dev/null
fi

# A release names one version in both places.
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
upstream=$(sed -n 's/^AC_INIT(\[[^]]*\], \[\([^]]*\)\].*/\1/p' configure.ac)
if [ "$version" != "$upstream" ]; then
  echo "deb: debian/changelog says $version, configure.ac says $upstream" >&2
  exit 1
fi

src="$out/pam-cognito-$version"
rm -rf "$out"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ ! -e "$f" ] || printf '%s\0' "$f"; done |
  xargs -0 cp --parents -t "$src"
cd "$src"
DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)"
export DEB_BUILD_OPTIONS
dpkg-buildpackage -us -uc >"$out/build.log" 2>&1 || {
  tail -80 "$out/build.log"
  # Which test failed, with its own log (the summary alone does not say):
  # the FAIL and ERROR sections of the test-suite.log make check wrote.
  find "$src" -name test-suite.log -print0 | xargs -0 -r awk '
    /^(FAIL|ERROR): / { show = 1 }
    /^(SKIP|PASS|XFAIL|XPASS): / { show = 0 }
    show' | tail -300
  echo "deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
  exit 1
}
cd "$out"
ls -1 ./*.deb ./*.changes
changes=$(ls ./*.changes)
# The .changes names the source package and every .deb.
echo "deb: lintian $changes"
status=0
lintian --fail-on error,warning "$changes" >lintian.log 2>&1 || status=$?
grep -v '^running with root privileges' lintian.log || true
if [ "$status" -ne 0 ]; then
  echo "deb: lintian reports errors or warnings (above)" >&2
  exit 1
fi
echo "deb: lintian: no errors, no warnings"
