#!/bin/sh
# man/pam_cognito.8 renders cleanly and names every option the module takes
# and every configuration key: an option nobody can look up is a defect.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

PAGE="$top_srcdir/man/pam_cognito.8"
[ -f "$PAGE" ] || fail "no $PAGE"
test_dir

if command -v groff >/dev/null 2>&1; then
	groff -man -ww -z "$PAGE" 2>"$TEST_DIR/groff.err"
	check "groff renders it without warnings" test ! -s "$TEST_DIR/groff.err"
	cat "$TEST_DIR/groff.err"
fi
# The flags args.c knows, and its key=value options.
flags=$(sed -n 's/^ *{"\([a-z_]*\)", offsetof(struct pc_args.*/\1/p' "$top_srcdir/pam_cognito/args.c")
[ -n "$flags" ] || fail "found no flags in pam_cognito/args.c"
for opt in $flags config= allowed_groups= authtok_type=; do
	check "documents $opt" grep -q -- "$opt" "$PAGE"
done
# Every configuration key (each can be overridden on the PAM line) is
# documented here or in cognito.conf(5).
CONF_PAGE="$top_srcdir/man/cognito.conf.5"
keys=$(config_keys)
[ -n "$keys" ] || fail "found no keys in libcognito/core/config.c"
for key in $keys; do
	check "documents the config key $key" grep -q -- "$key" "$PAGE" "$CONF_PAGE"
done
# The prompts the tests assert are the ones the page promises.
for text in '"Password: "' '"SMS code: "' '"Email code: "' '"Authenticator code: "' \
	'"Choice \[1-2\]: "' '"New password: "' '"Retype new password: "' \
	'"Password reset code: "' '"Confirmation code: "' '"Current password: "'; do
	check "shows the prompt $text" grep -q -- "$text" "$PAGE"
done
finish
