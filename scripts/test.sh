#!/usr/bin/env bash
# The README's test command: installs what is missing, builds from scratch
# with -Werror, and runs every test (`make check`), the reference-SDK oracle
# included.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scripts/deps.sh
autoreconf -fi >/dev/null 2>&1
build="${BUILD_DIR:-$top/_build}"
rm -rf "$build"
mkdir -p "$build"
cd "$build"
# --enable-test-hooks: the passkey tests swap the FIDO2 key for a software
# one ($COGNITO_TEST_SOFTKEY); release and Debian builds leave it out.
"$top/configure" --enable-werror --enable-test-hooks -q
make -j"$(nproc)" -s
export COGNITO_REQUIRE_ORACLE=1

# Each skipped test and why: the "SKIP: reason" line a test that exits 77
# prints (tests/lib.sh's skip), and the "# SKIP" checks inside tests that
# ran; a skip without a reason is named as such.
skips() {
  local trs log why
  for trs in $(find . -name '*.trs' -newer Makefile | sort); do
    log="${trs%.trs}.log"
    if grep -q '^:test-result: SKIP' "$trs"; then
      why=$(sed -n 's/^SKIP: *//p' "$log" 2>/dev/null | head -1)
      echo "skipped: ${trs#./}: ${why:-(the test gave no reason)}" | sed 's/\.trs:/:/'
    fi
    sed -n 's/^ok - \(.*\)# SKIP *\(.*\)$/partly skipped: \1(\2)/p' "$log" 2>/dev/null |
      sed "s|^partly skipped: |partly skipped: ${trs#./}: |; s|\.trs: |: |"
  done
}
if ! make -j"$(nproc)" check; then
  # A .trs says ":test-result: FAIL"; the failing tests' logs go last, where
  # a reader of the CI output's tail finds them.
  for f in $(find . -name '*.trs' -newer Makefile); do
    grep -q -E '^:test-result: (FAIL|ERROR)' "$f" && {
      echo "=== ${f%.trs}.log"; tail -60 "${f%.trs}.log"
      echo "=== ${f%.trs}.log: its failed checks"; grep -E '^[^ ]+:[0-9]+:[FE]:' "${f%.trs}.log" || true; }
  done
  skips
  exit 1
fi
# One plain closing line for whoever reads the output.
pass=$(sed -n 's/^# PASS: *//p' test-suite.log | head -1)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log | head -1)
skip=$(sed -n 's/^# SKIP: *//p' test-suite.log | head -1)
checks=$(cat tests/unit/check_*.log tests/pam/check_*.log 2>/dev/null | sed -n 's/^100%: Checks: \([0-9]*\).*/\1/p' | paste -sd+ | bc)
echo "make check: ${pass:-0} test programs, ${checks:-0} Check unit tests"
echo "${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
skips
