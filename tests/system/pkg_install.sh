#!/bin/sh
# The three Debian packages installed on a throwaway copy of this machine:
# in a private mount namespace, /etc, /usr and /var are overlays (the real
# directories below, a tmpfs above) and /run is a fresh tmpfs, so dpkg,
# pam-auth-update and the maintainer scripts change only what vanishes with
# the namespace. Inside (tests/system/pkg_install_ns.sh): install, enable the
# profile with pam-auth-update, sync the cache from the mock IdP, ssh logins
# of Cognito and local users through the installed stack (Debian's own
# /etc/pam.d/sshd), reinstall, remove, purge; /etc/nsswitch.conf and
# /etc/pam.d must end as they began.
#
#   tests/system/pkg_install.sh DEBDIR     (DEBDIR holds the .debs, e.g. _build_deb)
#
# Skips (77) where that cannot work: not root, no overlayfs or namespaces,
# no sshd, ssh or expect.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/system/ns_sshd.sh"

DEBDIR=$(cd "${1:?usage: $0 DEBDIR}" && pwd) || fail "no directory $1"
for p in libpam-cognito libnss-cognito cognito-tools; do
	ls "$DEBDIR/${p}_"*.deb >/dev/null 2>&1 || fail "no $p .deb in $DEBDIR"
done
[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace, dpkg and sshd"
for cmd in unshare expect ssh ssh-keygen dpkg pam-auth-update; do
	command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
done
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not found"
unshare --mount --propagation private sh -c \
	'mount -t tmpfs tmpfs /mnt && mkdir /mnt/u /mnt/w &&
	 mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/u,workdir=/mnt/w /etc' 2>/dev/null ||
	skip "cannot put an overlay on /etc in a mount namespace here"

TOTP_SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
mock_start
mock_ctl pool mfa_configuration=ON >/dev/null || fail "pool setting"
mock_add_user alice 'Passw0rd!' groups=admins mfa_settings=SOFTWARE_TOKEN_MFA \
	totp_secret=$TOTP_SECRET email=alice@example.com name='Alice Liddell'
# No MFA yet: enrols an authenticator app at login (the QR code).
mock_add_user newt 'Passw0rd!' groups=admins
chmod 0711 "$TEST_DIR"

ns_sshd_config keyboard-interactive || fail "sshd_config"

export TEST_DIR PORT MOCK_DIR MOCK_PORT MOCK_CA MOCK_REGION MOCK_POOL_ID MOCK_CLIENT_ID PYTHON3 \
	top_srcdir DEBDIR
unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
	sh "$top_srcdir/tests/system/pkg_install_ns.sh" >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
rc=$?
cat "$TEST_DIR/results"
# shellcheck disable=SC2034 # finish (lib.sh) reads it
LIB_PASSED=$(grep -c '^ok ' "$TEST_DIR/results")
LIB_FAILED=$(grep -c '^not ok ' "$TEST_DIR/results")
grep -q '^ok - purge: ' "$TEST_DIR/results" || {
	echo "not ok - the namespace script did not get to the end (exit $rc)"
	LIB_FAILED=$((LIB_FAILED + 1))
}
if [ "$LIB_FAILED" -ne 0 ]; then
	echo "--- what the programs printed ---"
	cat "$TEST_DIR/ns.log"
	echo "--- sshd log ---"
	tail -60 "$TEST_DIR/sshd.log" 2>/dev/null
fi
finish
