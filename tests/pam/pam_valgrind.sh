#!/bin/sh
# tests/pam/pam_loop under valgrind: 200 PAM transactions in one process, every
# challenge kind mixed (password, MFA by SMS/email/TOTP, the MFA menu, TOTP
# enrolment with its QR code, new password, custom challenges, reset and
# confirm flows, wrong codes, a prompt that fails while the early start's
# InitiateAuth is under way, the account phase, chauthtok). Passes only with
# 0 bytes definitely or indirectly lost and no memory error. libcurl's and
# OpenSSL's one-time set-up may stay "still reachable"; that is not a leak.
#
#   BUILDDIR=_build tests/pam/pam_valgrind.sh [ROUNDS]
# Not part of `make check` (a few minutes); .ci/run runs it.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-${BUILDDIR:-$top_srcdir/_build}}
export top_srcdir top_builddir
. "$top_srcdir/tests/lib.sh"

command -v valgrind >/dev/null 2>&1 || skip "valgrind not found"
LOOP="$top_builddir/tests/pam/pam_loop"
[ -x "$LOOP" ] || (cd "$top_builddir" && make -s tests/pam/pam_loop) || fail "cannot build $LOOP"
test_dir
rounds=${1:-200}

COGNITO_PAMTEST_RUNNER="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
--error-exitcode=42 --num-callers=30 --log-file=$TEST_DIR/valgrind.%p.log"
export COGNITO_PAMTEST_RUNNER
start=$(date +%s)
"$LOOP" "$rounds" >"$TEST_DIR/out" 2>&1
rc=$?
took=$(($(date +%s) - start))
grep -v '^mock_idp:' "$TEST_DIR/out" | grep -v 'PWRAP' | tail -20
log=$(ls "$TEST_DIR"/valgrind.*.log 2>/dev/null | head -1)
[ -n "$log" ] || fail "valgrind wrote no log"
sed -n '/HEAP SUMMARY/,$p' "$log"
expect_eq "pam_loop exits 0 under valgrind" 0 "$rc"
check "$rounds transactions done" grep -q "^100%: Checks: 1, Failures: 0" "$TEST_DIR/out"
check "0 bytes definitely lost" grep -q "definitely lost: 0 bytes in 0 blocks" "$log"
check "0 bytes indirectly lost" grep -q "indirectly lost: 0 bytes in 0 blocks" "$log"
check "no memory errors" grep -q "ERROR SUMMARY: 0 errors" "$log"
echo "$rounds transactions under valgrind in $took s"
finish
