#!/bin/sh
# pam_cognito.so exports the PAM entry points and nothing else (its version
# script): libcognito, and the libraries linked into it, stay private, so
# another module's symbols can never bind to ours or ours to theirs.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

MODULE="$top_builddir/pam_cognito/.libs/pam_cognito.so"
[ -f "$MODULE" ] || fail "no $MODULE: build first"
command -v readelf >/dev/null 2>&1 || skip "readelf not found"
test_dir

# Defined (not UND), global or weak, dynamic symbols.
readelf --dyn-syms --wide "$MODULE" |
	awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") && $8 != "" { print $8 }' |
	sed 's/@.*//' | sort >"$TEST_DIR/exported"
printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session \
	pam_sm_open_session pam_sm_setcred \
	>"$TEST_DIR/wanted"
expect_eq "exactly the six pam_sm_* entry points are exported" \
	"$(cat "$TEST_DIR/wanted")" "$(cat "$TEST_DIR/exported")"
if command -v nm >/dev/null 2>&1; then
	expect_eq "nm -D agrees" "$(cat "$TEST_DIR/wanted")" \
		"$(nm -D --defined-only "$MODULE" | awk '{ print $3 }' | sort)"
fi
check "no cog_ symbol is visible" sh -c "! nm -D '$MODULE' | grep -q ' cog_'"
check "it stays loaded after dlclose (-z nodelete)" \
	sh -c "readelf -d '$MODULE' | grep -q 'Flags:.*NODELETE'"
finish
