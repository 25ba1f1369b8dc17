#!/bin/sh
# conf/cognito.conf, the commented file `make install` and the package put
# in /etc/cognito: it names every configuration key; as shipped it is
# refused only for the required keys it leaves unset; and with every
# "#key = value" line taken in, the parser accepts it.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

CTL="$top_builddir/tools/cognitoctl"
TEMPLATE="$top_builddir/conf/cognito.conf"
[ -x "$CTL" ] || fail "no $CTL: build first"
[ -f "$TEMPLATE" ] || fail "no $TEMPLATE: build first"
test_dir

keys=$(config_keys)
[ -n "$keys" ] || fail "found no keys in libcognito/core/config.c"
# remember_device makes the host a user's second factor (cognito.conf(5)):
# the example leaves it, and its remote variant, out on purpose (issue 18),
# and says so.
for key in $keys; do
	case "$key" in
	remember_device | remember_device_remote)
		check "the template names $key only to say it is left out" \
			sh -c "grep -q '$key' '$TEMPLATE' && ! grep -q '^#*$key *=' '$TEMPLATE'"
		continue
		;;
	esac
	check "the template shows $key" grep -q "^#$key = " "$TEMPLATE"
done
check "no @placeholder@ is left" sh -c "! grep -q '@[a-z]*@' '$TEMPLATE'"

# cognitoctl login reads the configuration first, then the password: with
# no password on stdin, a file the parser accepts ends in 1 (no answer),
# one it refuses in 2 with the reason.
try_login() {
	cp "$1" "$TEST_DIR/cognito.conf"
	chmod 0600 "$TEST_DIR/cognito.conf"
	"$CTL" login --config "$TEST_DIR/cognito.conf" alice </dev/null >/dev/null 2>"$TEST_DIR/err"
	echo $?
}
expect_eq "as shipped: refused (exit 2)" 2 "$(try_login "$TEMPLATE")"
check "as shipped: only because the required keys are unset" \
	grep -q "region.*required\|required.*region" "$TEST_DIR/err"
cat "$TEST_DIR/err"

# client_secret_file names a file this host does not have, and excludes client_secret.
sed -e '/^#client_secret_file = /d' -e 's/^#\([a-z_]* = \)/\1/' "$TEMPLATE" >"$TEST_DIR/all"
expect_eq "every example taken in: accepted (exit 1, no password)" 1 "$(try_login "$TEST_DIR/all")"
cat "$TEST_DIR/err"
finish
