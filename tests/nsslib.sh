# Shell helpers for tests that look users up through libnss_cognito.so.2
# (the test build: it reads COGNITO_NSS_CACHE_DIR). Source after lib.sh.
#
#   nss_files PASSWD_LINES GROUP_LINES   local files in $TEST_DIR
#   nss_run CMD...     CMD under nss_wrapper: local files, then the module
#   glibc_run CMD...   CMD through glibc's own NSS in a private mount
#                      namespace (nsswitch.conf, passwd and group bind-mounted
#                      over /etc's, the module found on LD_LIBRARY_PATH);
#                      returns 77 when namespaces are not permitted
#
# nss_wrapper answers getgrouplist (so `id`) from group members alone and
# never calls a module's initgroups_dyn; glibc calls it. Mapped local groups
# (group_map) exist only in initgroups, so `id` shows them only via glibc_run.

NSS_TEST_LIBDIR="$top_builddir/tests/nss/.libs"
NSS_TEST_SO="$NSS_TEST_LIBDIR/libnss_cognito.so.2"

nss_files() {
	printf '%s\n' "$1" >"$TEST_DIR/passwd"
	printf '%s\n' "$2" >"$TEST_DIR/group"
	printf 'passwd: files cognito\ngroup: files cognito\nshadow: files\n' >"$TEST_DIR/nsswitch.conf"
}

nss_run() {
	LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$TEST_DIR/passwd" \
		NSS_WRAPPER_GROUP="$TEST_DIR/group" NSS_WRAPPER_MODULE_SO_PATH="$NSS_TEST_SO" \
		NSS_WRAPPER_MODULE_FN_PREFIX=cognito COGNITO_NSS_CACHE_DIR="$MOCK_CACHE_DIR" "$@"
}

glibc_ok() {
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
		unshare --mount --propagation private true 2>/dev/null
}

glibc_run() {
	glibc_ok || return 77
	unshare --mount --propagation private sh -c '
		mount --bind "$1/passwd" /etc/passwd &&
		mount --bind "$1/group" /etc/group &&
		mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf || exit 125
		shift
		exec "$@"' glibc_run "$TEST_DIR" \
		env LD_LIBRARY_PATH="$NSS_TEST_LIBDIR" COGNITO_NSS_CACHE_DIR="$MOCK_CACHE_DIR" "$@"
}
