#!/bin/sh
# Every manual page renders without a groff warning, and cognitoctl(1) has a
# section for each command `cognitoctl --help` lists, naming each option
# that command's --help shows: a command or option nobody can look up is a
# defect. (pam_manpage.sh holds pam_cognito(8) to the module's options.)

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
[ -x "$CTL" ] || fail "no $CTL: build first"
test_dir

if command -v groff >/dev/null 2>&1; then
	for page in "$top_srcdir"/man/*.[1-8]; do
		groff -man -ww -z "$page" >"$TEST_DIR/groff.err" 2>&1
		check "$(basename "$page") renders without warnings" test ! -s "$TEST_DIR/groff.err"
		cat "$TEST_DIR/groff.err"
	done
else
	echo "ok - # SKIP groff not installed: pages not rendered"
fi

PAGE="$top_srcdir/man/cognitoctl.1"
commands=$("$CTL" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || fail "cognitoctl --help lists no commands"
for cmd in $commands; do
	check "cognitoctl(1) has a section for $cmd" grep -q "^\.SS $cmd\$" "$PAGE"
	# The section's text: from its .SS to the next .SS or .SH.
	sed -n "/^\.SS $cmd\$/,/^\.S[SH] /p" "$PAGE" | sed 's/\\-/-/g' >"$TEST_DIR/section"
	"$CTL" "$cmd" --help >"$TEST_DIR/help" || fail "cognitoctl $cmd --help failed"
	for opt in $(grep -o -- '--[a-z][a-z-]*' "$TEST_DIR/help" | sort -u); do
		case "$opt" in
		--config | --json | --help) continue ;; # global options, in their own section
		esac
		check "cognitoctl(1) documents $cmd $opt" grep -q -- "$opt" "$TEST_DIR/section"
	done
done
# And the other way round: each command the page has a section for is one
# `cognitoctl --help` lists, and each option a section names is one that
# command's --help shows (or a global one).
sections=$(sed -n 's/^\.SS \([a-z][a-z-]*\)$/\1/p' "$PAGE")
for cmd in $sections; do
	check "cognitoctl --help lists $cmd, which cognitoctl(1) has a section for" \
		sh -c 'printf "%s\n" $1 | grep -q -x -- "$2"' _ "$commands" "$cmd"
	printf '%s\n' $commands | grep -q -x -- "$cmd" || continue
	sed -n "/^\.SS $cmd\$/,/^\.S[SH] /p" "$PAGE" | sed 's/\\-/-/g' >"$TEST_DIR/section"
	"$CTL" "$cmd" --help >"$TEST_DIR/help" 2>&1
	for opt in $(grep -o -- '--[a-z][a-z-]*' "$TEST_DIR/section" | sort -u); do
		case "$opt" in
		--config | --json | --help | --version) continue ;;
		esac
		check "cognitoctl $cmd --help shows $opt, which cognitoctl(1) documents" \
			grep -q -- "$opt" "$TEST_DIR/help"
	done
done
for opt in --config --json; do
	check "cognitoctl --help shows the global $opt" sh -c '"$1" --help | grep -q -- "$2"' _ "$CTL" "$opt"
	check "cognitoctl(1) documents the global $opt" \
		sh -c "sed -n '/^\.SH GLOBAL OPTIONS/,/^\.SH /p' '$PAGE' | sed 's/\\\\-/-/g' | grep -q -- '$opt'"
done

# One footer: every page names the same date and "pam_cognito VERSION",
# this release's version.
version=$(sed -n 's/^AC_INIT(\[[^]]*\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
for page in "$top_srcdir"/man/*.[1-8]; do
	th=$(sed -n '1s/^\.TH [^ ]* [1-8] //p' "$page")
	expect_eq "$(basename "$page"): the footer of every page" \
		"\"$(sed -n '1s/^\.TH [^ ]* [1-8] "\([^"]*\)".*/\1/p' "$top_srcdir/man/pam_cognito.8")\" \"pam_cognito $version\" \"pam_cognito Manual\"" \
		"$th"
done
# pam_cognito(8) sends its reader to cognito.conf(5) for the keys.
check "pam_cognito(8) points at cognito.conf(5) for the keys" \
	grep -q -A2 'every key is in' "$top_srcdir/man/pam_cognito.8"

# The exit statuses cmds.h defines are the ones the page lists.
for n in $(sed -n 's/^ *EXIT_[A-Z]* = \([0-9]\),.*/\1/p' "$top_srcdir/tools/cmds.h"); do
	check "cognitoctl(1) explains exit status $n" \
		sh -c "sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' '$PAGE' | grep -qx '\.B $n'"
done
finish
