#!/bin/sh
# `make install` from this build tree into a DESTDIR puts every file where
# the installed manual pages say it is, and `make uninstall` takes all of it
# away again:
#
#   - each installed file (module, library, program, config, units,
#     tmpfiles entry) is named by its full path in an installed page, and the
#     four pages are installed;
#   - each path the pages' FILES sections name is installed, unless it is
#     made at run time (the cache's files, /run, a user's home);
#   - the paths compiled into the programs (the config file, the cache
#     directory of libnss_cognito.so.2) are the ones the pages name;
#   - the config is 0644 (users' tools read it; secrets live in files of
#     their own), a second install keeps an administrator's config, and
#     uninstall leaves nothing but that changed config.
#
# Under `make distcheck` it checks the prefix distcheck chose the same way.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
test_dir
D="$TEST_DIR/root"

# A make of our own, not the jobs and targets of the `make check` that runs us.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u TESTS make -C "$top_builddir" -s "$@" \
		DESTDIR="$D" >>"$TEST_DIR/make.log" 2>&1
}
files_in() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort); }

mk install || {
	cat "$TEST_DIR/make.log"
	fail "make install DESTDIR=$D"
}
files_in "$D" >"$TEST_DIR/installed"
sed 's/^/installed: /' "$TEST_DIR/installed"

# -- the pages ------------------------------------------------------------------
for page in man1/cognitoctl.1 man5/cognito.conf.5 man8/pam_cognito.8 man8/nss_cognito.8; do
	check "$page is installed" grep -q "/$page\$" "$TEST_DIR/installed"
done
pages=$(grep -E '/man[1-8]/[^/]+\.[1-8]$' "$TEST_DIR/installed" | sed "s|^|$D|")
[ -n "$pages" ] || fail "no manual page installed"
# Their text with troff's escaped hyphens made plain.
# shellcheck disable=SC2086
cat $pages | sed 's/\\-/-/g' >"$TEST_DIR/pages.txt"
# The paths of ours their FILES sections name (each has "cognito" in it), one a line.
for p in $pages; do
	sed -n '/^\.SH FILES/,/^\.SH /p' "$p"
done | sed 's/\\-/-/g' | grep -o '[~]\{0,1\}/[A-Za-z0-9_./-]*cognito[A-Za-z0-9_./-]*' | sort -u >"$TEST_DIR/files_paths"

# -- every installed file is where a page says ------------------------------------
grep -v -E '/man[1-8]/[^/]+\.[1-8]$' "$TEST_DIR/installed" >"$TEST_DIR/named"
check "make install installed the modules, cognitoctl and the config" \
	test "$(grep -c -E '/(pam_cognito\.so|libnss_cognito\.so\.2|cognitoctl|cognito\.conf)$' "$TEST_DIR/named")" = 4
while read -r f; do
	check "a page names $f" grep -q -F -- "$f" "$TEST_DIR/pages.txt"
done <"$TEST_DIR/named"

# -- every path of the pages' FILES sections is installed or made at run time -------
n=0
while read -r p; do
	case $p in
	~* | /run/* | */private* | */nss.* | */accounts.* | */jwks-* | */cache.lock | */sessions/* | */.cache/* | */snapshot.state | /var/lib/cognito-export)
		continue ;; # made at run time
	esac
	case $p in */) p=${p%/} ;; esac
	n=$((n + 1))
	check "$p (a page's FILES) is installed" test -e "$D$p"
done <"$TEST_DIR/files_paths"
check "the pages' FILES name the installed paths ($n)" test "$n" -ge 6

# -- what is compiled in agrees with the pages --------------------------------------
conf=$(grep '/cognito/cognito\.conf$' "$TEST_DIR/installed")
ctl=$(grep '/cognitoctl$' "$TEST_DIR/installed")
nss=$(grep '/libnss_cognito\.so\.2$' "$TEST_DIR/installed")
check "cognitoctl reads the config the pages name ($conf)" \
	sh -c 'tr -c "[:print:]" "\n" <"$1" | grep -q -x -F "$2"' _ "$D$ctl" "$conf"
nss_page="$D$(grep '/nss_cognito\.8$' "$TEST_DIR/installed")"
cachedir=$(sed -n '/^usually$/{n;s/^\.IR* //;s/ \.$//;p;q;}' "$nss_page")
check "nss_cognito(8) names the cache directory ($cachedir)" test -n "$cachedir"
check "libnss_cognito.so.2 reads that directory" \
	sh -c 'tr -c "[:print:]" "\n" <"$1" | grep -q -x -F "$2"' _ "$D$nss" "$cachedir"
check "the cache directory is installed" test -d "$D$cachedir"

# -- modes -------------------------------------------------------------------------
expect_eq "the config is 0644: users' tools read it" 644 "$(stat -c %a "$D$conf")"
expect_eq "the cache directory is 0755" 755 "$(stat -c %a "$D$cachedir")"
pam=$(grep '/pam_cognito\.so$' "$TEST_DIR/installed")
check "pam_cognito.so is writable by its owner only" \
	sh -c '[ -z "$(find "$1" -perm /022)" ]' _ "$D$pam"
check "no libtool archive is installed" sh -c '! grep -q "\.la\$" "$1"' _ "$TEST_DIR/installed"

# -- uninstall ------------------------------------------------------------------------
mk uninstall || fail "make uninstall"
files_in "$D" >"$TEST_DIR/left"
check "make uninstall leaves no file" test ! -s "$TEST_DIR/left"
cat "$TEST_DIR/left"
check "nor the config or cache directory" sh -c '[ ! -e "$1" ] && [ ! -e "$2" ]' _ \
	"$D$(dirname "$conf")" "$D$cachedir"

# -- an administrator's config survives install and uninstall ---------------------------
mk install || fail "make install (again)"
echo "region = eu-west-1" >>"$D$conf"
cp "$D$conf" "$TEST_DIR/admin.conf"
mk install || fail "make install over a changed config"
check "a second install keeps the changed config" cmp -s "$TEST_DIR/admin.conf" "$D$conf"
mk uninstall || fail "make uninstall (again)"
files_in "$D" >"$TEST_DIR/left"
expect_eq "uninstall leaves the changed config, and nothing else" "$conf" "$(cat "$TEST_DIR/left")"
finish
