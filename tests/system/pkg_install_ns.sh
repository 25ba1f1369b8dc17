#!/bin/sh
# The inside of tests/system/pkg_install.sh, in its private mount namespace: puts
# the overlays over /etc, /usr and /var and a tmpfs over /run, then installs,
# uses and purges the packages, printing one "ok - ..." or "not ok - ..."
# line per check on stdout (everything else goes to stderr).

set -u
: "${TEST_DIR:?}" "${DEBDIR:?}" "${top_srcdir:?}" "${MOCK_PORT:?}"
. "$top_srcdir/tests/system/ns_sshd.sh"
export DEBIAN_FRONTEND=noninteractive
layers="$TEST_DIR/layers"
mkdir -p "$layers"
mount -t tmpfs tmpfs "$layers" || { echo "not ok - tmpfs for the overlays"; exit 1; }
for d in etc usr var; do
	mkdir -p "$layers/$d.upper" "$layers/$d.work"
	mount -t overlay overlay \
		-o "lowerdir=/$d,upperdir=$layers/$d.upper,workdir=$layers/$d.work" "/$d" ||
		{ echo "not ok - an overlay over /$d"; exit 1; }
done
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "not ok - a tmpfs over /run"; exit 1; }

t() {
	t_desc=$1
	shift
	if "$@" >&2; then echo "ok - $t_desc"; else echo "not ok - $t_desc"; fi
}
eq() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1: expected '$2', got '$3'"
	fi
}
# What must come back as it was: nsswitch.conf and every file of /etc/pam.d
# (NAME), or /etc/pam.d alone (NAME.pam).
snapshot() {
	(cd /etc && sha256sum nsswitch.conf pam.d/*) >"$TEST_DIR/$1"
	(cd /etc && sha256sum pam.d/*) >"$TEST_DIR/$1.pam"
}
same_as() {
	snapshot now
	case $1 in
	*.pam) diff -u "$TEST_DIR/$1" "$TEST_DIR/now.pam" >&2 ;;
	*) diff -u "$TEST_DIR/$1" "$TEST_DIR/now" >&2 ;;
	esac
}
# The services a line of nsswitch.conf names, in order.
nss_line() {
	sed -n "s/^$1:[[:space:]]*//p" /etc/nsswitch.conf | sed 's/#.*//; s/[[:space:]]*$//' | tr -s ' \t' ' '
}
debs() {
	for p in "$@"; do
		ls "$DEBDIR/${p}_"*.deb
	done
}
ALL="libpam-cognito libnss-cognito cognito-tools"
# shellcheck disable=SC2046,SC2086
install_all() { dpkg -i $(debs $ALL) >&2; }
# shellcheck disable=SC2086
enabled_in() { grep -q 'pam_cognito\.so' "/etc/pam.d/common-$1"; }

passwd_before=$(nss_line passwd)
group_before=$(nss_line group)
snapshot before

# -- install --------------------------------------------------------------------
t "dpkg -i the three packages" install_all
eq "nsswitch.conf: cognito after what was there (passwd)" "$passwd_before cognito" "$(nss_line passwd)"
eq "nsswitch.conf: cognito after what was there (group)" "$group_before cognito" "$(nss_line group)"
eq "nsswitch.conf: files stays first" files "$(nss_line passwd | cut -d' ' -f1)"
t "the profile is registered" test -f /usr/share/pam-configs/cognito
t "but not enabled: /etc/pam.d as before (no configuration yet)" same_as before.pam
t "the module is where libpam looks" test -f "/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/security/pam_cognito.so"
eq "the config is a conffile users' tools can read" "644 root root" "$(stat -c '%a %U %G' /etc/cognito/cognito.conf)"
t "dpkg knows it as a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' cognito-tools | grep -q ' /etc/cognito/cognito.conf '"
eq "the cache directory" "755 root" "$(stat -c '%a %U' /var/lib/cognito)"
t "the sync timer is not enabled" test ! -e /etc/systemd/system/timers.target.wants/cognito-sync.timer
t "the export timer is shipped, not enabled" sh -c "test -f /lib/systemd/system/cognito-export.timer && test ! -e /etc/systemd/system/timers.target.wants/cognito-export.timer"
t "cognitoctl refuses the unconfigured file" sh -c '! cognitoctl login alice </dev/null'

# -- configure: the admin's steps ------------------------------------------------
cat >/etc/cognito/cognito.conf <<EOT
region = $MOCK_REGION
user_pool_id = $MOCK_POOL_ID
client_id = $MOCK_CLIENT_ID
endpoint = https://127.0.0.1:$MOCK_PORT/
ca_file = $MOCK_CA
timeout = 5
admin_credentials_file = /etc/cognito/admin-credentials
EOT
(umask 077 && printf '%s\n' '[default]' 'aws_access_key_id = AKIAMOCKADMIN0000001' \
	'aws_secret_access_key = mock/Admin+Secret/Key0123456789abcdefghij' \
	>/etc/cognito/admin-credentials)
t "cognitoctl sync fills the cache" cognitoctl sync
eq "alice is a Unix user through nsswitch.conf and the installed module" "alice" \
	"$(getent passwd alice | cut -d: -f1)"
t "id shows her Cognito group" sh -c 'id alice | grep -q "(admins)"'
t "pam-auth-update --enable cognito" pam-auth-update --enable cognito
t "common-auth: pam_unix, then pam_cognito" sh -c \
	"grep -n -E 'pam_(unix|cognito)\\.so' /etc/pam.d/common-auth | cut -d: -f1 | paste -sd' ' |
	 { read -r u c && [ \"\$u\" -lt \"\$c\" ]; }"
t "common-auth: pam_cognito takes the typed password" \
	grep -q -E 'authinfo_unavail=ignore.*pam_cognito\.so try_first_pass' /etc/pam.d/common-auth
t "common-account has pam_cognito" enabled_in account
t "common-password has pam_cognito" enabled_in password
t "common-session: pam_unix, then pam_cognito (optional)" sh -c \
	"grep -n -E 'pam_(unix|cognito)\\.so' /etc/pam.d/common-session | cut -d: -f1 | paste -sd' ' |
	 { read -r u c && [ \"\$u\" -lt \"\$c\" ]; } && grep -q -E '^session[[:space:]]+optional[[:space:]]+pam_cognito\\.so' /etc/pam.d/common-session"
t "but not in the sessions of cron and other non-interactive services" sh -c \
	"! grep -q pam_cognito /etc/pam.d/common-session-noninteractive"
grep -v '^#' /etc/pam.d/common-auth | grep . >&2

# -- logins through the installed stack (Debian's /etc/pam.d/sshd) -------------------
useradd -M -s /bin/sh localu && echo 'localu:Local-Passw0rd!' | chpasswd
ns_sshd_start || echo "not ok - sshd started"
t "no login on record yet" sh -c '! grep -qa alice /var/lib/cognito/nss.logins 2>/dev/null'
# The pool puts alice into a second group after the sync. A login the cache
# already shows writes nothing; hers must bring the group here at once.
mockctl() { "$PYTHON3" "$top_srcdir/tests/mock/mockctl.py" "$MOCK_DIR" "$@"; }
mockctl add-group ops >/dev/null
mockctl get-user alice | "$PYTHON3" -c 'import json, sys
u = json.load(sys.stdin); u["groups"].append("ops"); print(json.dumps(u))' |
	mockctl put-user - >/dev/null
for case in ssh_ok ssh_enrol ssh_wrong_totp ssh_local ssh_local_wrong; do
	echo "=== $case" >&2
	t "ssh: $case" env LC_ALL=C.UTF-8 expect "$top_srcdir/tests/system/pam_system.exp" "$case"
done
kill "$sshd" 2>/dev/null
t "the logins put alice into the user cache at once" grep -qa alice /var/lib/cognito/nss.logins
t "with the group the pool gave her after the sync" sh -c 'id alice | grep -q "(ops)"'
t "login records are root's alone" sh -c '[ "$(stat -c %a /run/cognito)" = 700 ]'

# -- upgrade from 0.1.0's layout: the secret inside a 0600 config -----------------------
# (the same version again: dpkg hands the postinst "configure 0.1.0", as an
# upgrade from 0.1.0 does)
SECRET=mock-app-client-secret-0123456789abcdefghij
cp /etc/cognito/cognito.conf "$TEST_DIR/conf.before"
printf 'client_secret = %s\n' "$SECRET" >>/etc/cognito/cognito.conf
chmod 0600 /etc/cognito/cognito.conf
t "dpkg -i over 0.1.0's layout" sh -c "dpkg -i $(debs $ALL | tr '\n' ' ') >'$TEST_DIR/upgrade.out' 2>&1"
cat "$TEST_DIR/upgrade.out" >&2
eq "upgrade: the secret is alone in a root-only file" "600 root root $SECRET" \
	"$(stat -c '%a %U %G' /etc/cognito/client-secret) $(cat /etc/cognito/client-secret)"
t "upgrade: cognito.conf names that file" \
	grep -q -x 'client_secret_file = /etc/cognito/client-secret' /etc/cognito/cognito.conf
t "upgrade: cognito.conf holds no secret any more" sh -c "! grep -q -e '$SECRET' /etc/cognito/cognito.conf"
t "upgrade: the rest of cognito.conf is as it was" sh -c \
	"grep -v '^client_secret_file = ' /etc/cognito/cognito.conf | diff -u '$TEST_DIR/conf.before' - >&2"
eq "upgrade: cognito.conf is 0644 now" "644 root" "$(stat -c '%a %U' /etc/cognito/cognito.conf)"
t "upgrade: the postinst said what it did" grep -q 'moved client_secret' "$TEST_DIR/upgrade.out"
# Once cognitoctl knows client_secret_file (its page documents it), the
# migrated file must be one it takes.
if zgrep -q 'client_secret_file' /usr/share/man/man5/cognito.conf.5.gz 2>/dev/null; then
	t "upgrade: cognitoctl takes the migrated config (a sync)" cognitoctl sync --quiet
fi
# Where it cannot be done safely (here: the secret file is there already),
# it refuses, says why, and changes nothing.
cp "$TEST_DIR/conf.before" /etc/cognito/cognito.conf
printf 'client_secret = %s\n' "$SECRET" >>/etc/cognito/cognito.conf
chmod 0600 /etc/cognito/cognito.conf
cp /etc/cognito/cognito.conf "$TEST_DIR/conf.old"
t "dpkg -i over 0.1.0's layout with a client-secret file already there" \
	sh -c "dpkg -i $(debs $ALL | tr '\n' ' ') >'$TEST_DIR/upgrade.out' 2>&1"
cat "$TEST_DIR/upgrade.out" >&2
t "refused: cognito.conf unchanged" cmp -s "$TEST_DIR/conf.old" /etc/cognito/cognito.conf
eq "refused: and still 0600" 600 "$(stat -c '%a' /etc/cognito/cognito.conf)"
t "refused: the postinst says why" grep -q 'not moving client_secret.*client-secret exists already' "$TEST_DIR/upgrade.out"
cp "$TEST_DIR/conf.before" /etc/cognito/cognito.conf

# -- reinstall, remove, install again ----------------------------------------------
rm -f /etc/cognito/admin-credentials
cp /etc/nsswitch.conf "$TEST_DIR/nsswitch.installed"
t "dpkg -i again" install_all
t "a reinstall adds cognito only once" cmp -s /etc/nsswitch.conf "$TEST_DIR/nsswitch.installed"
t "and keeps the profile enabled" enabled_in auth
# shellcheck disable=SC2086
t "dpkg -r the three" dpkg -r $ALL
t "remove: nsswitch.conf and /etc/pam.d as before" same_as before
t "remove keeps the changed configuration" test -s /etc/cognito/cognito.conf
t "dpkg -i after a remove" install_all
eq "cognito is back in passwd" "$passwd_before cognito" "$(nss_line passwd)"
t "the profile is registered again, not enabled" same_as before.pam

# -- purge -----------------------------------------------------------------------------
# shellcheck disable=SC2086
t "dpkg --purge the three" dpkg --purge $ALL
t "purge: nsswitch.conf and /etc/pam.d exactly as before" same_as before
t "purge: /etc/cognito is gone (the moved secret too)" test ! -e /etc/cognito
t "purge: the cache is gone" test ! -e /var/lib/cognito
t "purge: the login records are gone" test ! -e /run/cognito
# shellcheck disable=SC2086
eq "purge: dpkg has forgotten them" "" \
	"$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $ALL 2>/dev/null | grep -v '^un ')"

# -- nsswitch.conf written by hand: comments, actions, odd spacing -------------------
cat >/etc/nsswitch.conf <<'EOT'
# hand-written
passwd:   files   systemd   # local first
group:	files [SUCCESS=merge] systemd
shadow: files
hosts: files dns
EOT
cp /etc/nsswitch.conf "$TEST_DIR/nsswitch.hand"
t "libnss-cognito alone on a hand-written nsswitch.conf" dpkg -i "$(debs libnss-cognito)"
eq "before the comment" "files systemd cognito" "$(nss_line passwd)"
eq "after an action" "files [SUCCESS=merge] systemd cognito" "$(nss_line group)"
eq "other lines untouched" "files" "$(nss_line shadow)"
t "purge libnss-cognito" dpkg --purge libnss-cognito
# dh_installnss takes the word out; the blank it put before a comment stays.
t "purge: the same services, comments and lines as before" sh -c \
	"diff -u \"\$1\" /etc/nsswitch.conf >&2 || diff -u -w \"\$1\" /etc/nsswitch.conf >&2" _ "$TEST_DIR/nsswitch.hand"
grep -v '#' "$TEST_DIR/nsswitch.hand" >"$TEST_DIR/nsswitch.hand.nc"
grep -v '#' /etc/nsswitch.conf >"$TEST_DIR/nsswitch.now.nc"
t "purge: byte for byte where no comment follows" \
	diff -u "$TEST_DIR/nsswitch.hand.nc" "$TEST_DIR/nsswitch.now.nc"
exit 0
