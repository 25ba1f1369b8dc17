#!/bin/sh
# libnss_cognito.so.2 as installed: named so glibc finds it, links nothing
# but libc, exports only the _nss_cognito_* entry points, and calls nothing
# that opens a socket or asks NSS itself (it is loaded into every process,
# and a lookup that recursed into NSS could loop back into this module).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

MOD="$top_builddir/nss_cognito/.libs/libnss_cognito.so.2"
[ -f "$MOD" ] || fail "no $MOD: build first"
command -v readelf >/dev/null 2>&1 || skip "readelf not found"
command -v nm >/dev/null 2>&1 || skip "nm not found"
test_dir
# A sanitizer build links the sanitizer runtimes on purpose.
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
	skip "sanitizer build"
fi

readelf -d "$MOD" >"$TEST_DIR/dyn"
expect_eq "soname is libnss_cognito.so.2" "libnss_cognito.so.2" \
	"$(sed -n 's/.*Library soname: \[\(.*\)\]/\1/p' "$TEST_DIR/dyn")"
needed=$(sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' "$TEST_DIR/dyn" | grep -v '^ld-linux' | sort | tr '\n' ' ')
expect_eq "NEEDED is libc.so.6 alone" "libc.so.6 " "$needed"

nm -D --defined-only "$MOD" | awk '{print $3}' | grep -v '^$' | sort >"$TEST_DIR/exports"
check "exports only _nss_cognito_* symbols" sh -c "! grep -v '^_nss_cognito_' '$TEST_DIR/exports'"
for fn in getpwnam_r getpwuid_r setpwent getpwent_r endpwent getgrnam_r getgrgid_r setgrent \
	getgrent_r endgrent initgroups_dyn; do
	check "exports _nss_cognito_$fn" grep -qx "_nss_cognito_$fn" "$TEST_DIR/exports"
done

nm -D --undefined-only "$MOD" | awk '{print $2}' | sed 's/@.*//' >"$TEST_DIR/imports"
for bad in socket connect getaddrinfo curl_easy_init SSL_new json_tokener_parse \
	getpwnam getpwnam_r getpwuid getpwuid_r getgrnam getgrnam_r getgrgid getgrgid_r \
	getgrouplist initgroups getenv fopen dlopen syslog; do
	check "does not call $bad" sh -c "! grep -qx '$bad' '$TEST_DIR/imports'"
done
# The test build may read its directory from the environment; this one may not.
check "has no COGNITO_NSS_CACHE_DIR" sh -c "! grep -q COGNITO_NSS_CACHE_DIR '$MOD'"
check "the test build has it" grep -q COGNITO_NSS_CACHE_DIR "$top_builddir/tests/nss/.libs/libnss_cognito.so.2"
finish
