#!/bin/sh
# Every manual page renders without a groff warning, and cognitoctl(1) has a
# section for each command `cognitoctl --help` lists, naming each option
# that command's --help shows: a command or option nobody can look up is a
# defect. (pam_manpage.sh holds pam_cognito(8) to the module's options.)

. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"

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
# The exit statuses cmds.h defines are the ones the page lists.
for n in $(sed -n 's/^ *EXIT_[A-Z]* = \([0-9]\),.*/\1/p' "$top_srcdir/tools/cmds.h"); do
	check "cognitoctl(1) explains exit status $n" \
		sh -c "sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' '$PAGE' | grep -qx '\.B $n'"
done
finish
