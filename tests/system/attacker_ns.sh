# Sourced by the inner scripts of tests/system/local_attacker.sh and
# tests/system/pool_attacker.sh, as root in their private mount namespace (see
# tests/system/attacker_lib.sh): turns the namespace into a host with the
# packages' files in place and the Debian profile enabled, and gives the
# attacks their helpers. Writes only overlays and tmpfs; stdout is the
# results ("ok - [id] ..." / "not ok - [id] ..."), stderr the log.

set -u
: "${TEST_DIR:?}" "${MOCK_DIR:?}" "${COG_CONF:?}" "${NSS_CACHEDIR:?}"
export DEBIAN_FRONTEND=noninteractive PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
layers="$TEST_DIR/layers"
mkdir -p "$layers"
mount -t tmpfs tmpfs "$layers" || { echo "not ok - [setup] tmpfs for the overlays"; exit 1; }
for d in etc usr var home; do
	mkdir -p "$layers/$d.upper" "$layers/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$layers/$d.upper,workdir=$layers/$d.work" "/$d" ||
		{ echo "not ok - [setup] an overlay over /$d"; exit 1; }
done
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "not ok - [setup] a tmpfs over /run"; exit 1; }

# -- the packages' files, where the packages put them ------------------------------
libdir=$(ldd "$(command -v getent)" | sed -n 's/^[[:space:]]*libc\.so\.6 => \(.*\)\/libc\.so\.6 .*/\1/p')
libdir=$(cd -P "$libdir" && pwd -P)
install -m 0644 "$NSS_MODULE" "$libdir/libnss_cognito.so.2" &&
	install -m 0644 "$PAM_MODULE" "$libdir/security/pam_cognito.so" &&
	install -m 0755 "$CTL" /usr/local/sbin/cognitoctl ||
	{ echo "not ok - [setup] install the modules"; exit 1; }
CTL=/usr/local/sbin/cognitoctl
awk '$1 == "passwd:" || $1 == "group:" {
	line = $1; added = 0
	for (i = 2; i <= NF; i++) {
		line = line " " $i
		if ($i == "files" && !added) { line = line " cognito"; added = 1 }
	}
	$0 = added ? line : line " cognito"
} { print }' /etc/nsswitch.conf >"$TEST_DIR/nsswitch.conf" && cp "$TEST_DIR/nsswitch.conf" /etc/nsswitch.conf
mkdir -p "$(dirname "$COG_CONF")" "$NSS_CACHEDIR" && chmod 0755 "$NSS_CACHEDIR"
cp "$top_srcdir/debian/pam-configs/cognito" /usr/share/pam-configs/cognito &&
	pam-auth-update --enable cognito >&2 ||
	{ echo "not ok - [setup] pam-auth-update --enable cognito"; exit 1; }
grep -q 'pam_cognito\.so' /etc/pam.d/common-auth ||
	{ echo "not ok - [setup] the profile is in common-auth"; exit 1; }
grep -v '^#' /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-session | grep . >&2
# su waits FAIL_DELAY seconds after a failure: the attacks fail a lot.
sed -i 's/^FAIL_DELAY.*/FAIL_DELAY 0/' /etc/login.defs

# -- local accounts: a sudoer, the attacker ---------------------------------------------
ALICE_LOCAL_PW='Local-Alice1!'
MALLORY_PW='Mallory-Passw0rd1!'
useradd -u 1500 -G sudo -m -s /bin/sh alice && useradd -u 1600 -m -s /bin/sh mallory &&
	printf '%s\n' "alice:$ALICE_LOCAL_PW" "mallory:$MALLORY_PW" | chpasswd ||
	{ echo "not ok - [setup] local users"; exit 1; }
# Ubuntu's %admin and Red Hat's %wheel besides Debian's %sudo; the
# pool's group admins is the site's own.
printf '%s\n' 'Defaults !lecture, passwd_tries=1, timestamp_timeout=0' \
	'%admin ALL=(ALL:ALL) ALL' '%wheel ALL=(ALL:ALL) ALL' '%admins ALL=(ALL:ALL) ALL' \
	>/etc/sudoers.d/attacker && chmod 0440 /etc/sudoers.d/attacker

# -- helpers -------------------------------------------------------------------------------
# ok ID WHAT / nok ID WHAT; t ID WHAT CMD...: a check passes when CMD does.
ok() { echo "ok - [$1] $2"; }
nok() { echo "not ok - [$1] $2"; }
t() {
	t_id=$1 t_what=$2
	shift 2
	if "$@" >&2; then ok "$t_id" "$t_what"; else nok "$t_id" "$t_what"; fi
}
# tn ID WHAT CMD...: passes when CMD fails.
tn() {
	t_id=$1 t_what=$2
	shift 2
	if "$@" >&2; then nok "$t_id" "$t_what"; else ok "$t_id" "$t_what"; fi
}
mock_ctl() { "$PYTHON3" "$MOCKCTL" "$MOCK_DIR" "$@"; }
log() { echo "=== $(date +%T) $*" >&2; }

# conf [LINE...]: the host's cognito.conf (root's, 0644), the mock's pool.
conf() {
	{
		printf '%s\n' "region = $MOCK_REGION" "user_pool_id = $MOCK_POOL_ID" \
			"client_id = $MOCK_CLIENT_ID" "endpoint = $MOCK_ENDPOINT" "ca_file = $MOCK_CA" \
			"timeout = 4"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$COG_CONF" && chmod 0644 "$COG_CONF"
}
sync_pool() { "$CTL" sync --quiet >&2; }

# reqs_clear; reqs_for NAME: how many requests the mock got naming NAME
# (Username, AuthParameters.USERNAME, ChallengeResponses.USERNAME), any case.
reqs_clear() { mock_ctl raw DELETE /_mock/requests >/dev/null; }
reqs_for() {
	mock_ctl requests | "$PYTHON3" -c 'import json, sys
name, n = sys.argv[1].lower(), 0
for r in json.load(sys.stdin)["requests"]:
    j = r.get("json") if isinstance(r.get("json"), dict) else {}
    vals = [j.get("Username")] + [(j.get(k) or {}).get("USERNAME") for k in ("AuthParameters", "ChallengeResponses")]
    n += any(isinstance(v, str) and v.lower() == name for v in vals)
print(n)' "$1"
}

# as USER ANSWERS CMD...: CMD run by USER (real and effective uid, no
# supplementary groups, an environment of PATH, HOME, USER, LOGNAME, TERM
# plus $ATTACK_ENV, umask $ATTACK_UMASK, `ulimit $ATTACK_ULIMIT`) on
# expect's terminal, each prompt answered from ANSWERS (lines). Output in
# $TEST_DIR/out (and the log); returns CMD's status. Resets the ATTACK_*.
as() {
	as_u=$1 as_a=$2
	shift 2
	log "as $as_u: ${ATTACK_ENV:-} umask ${ATTACK_UMASK:-022} ${ATTACK_ULIMIT:-} $*"
	# shellcheck disable=SC2086 # ATTACK_ENV: words VAR=VALUE
	setpriv --reuid="$as_u" --regid="$as_u" --clear-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="/home/$as_u" USER="$as_u" LOGNAME="$as_u" \
		TERM=dumb LC_ALL=C.UTF-8 ANSWERS="$as_a" ${ATTACK_ENV:-} \
		sh -c 'umask "$1"; [ -z "$2" ] || ulimit $2; shift 2; exec expect "$@"' \
		sh "${ATTACK_UMASK:-022}" "${ATTACK_ULIMIT:-}" "$TEST_DIR/attacker.exp" "$@" \
		>"$TEST_DIR/out" 2>&1 </dev/null
	as_rc=$?
	cat "$TEST_DIR/out" >&2
	echo "--- exit $as_rc" >&2
	ATTACK_ENV='' ATTACK_UMASK='' ATTACK_ULIMIT=''
	return $as_rc
}
# su_as USER TARGET PASSWORD [MORE ANSWERS]: `su TARGET` typed by USER;
# 0 when TARGET's shell ran (it prints session-of-<its name>).
su_as() {
	su_who=$1 su_target=$2
	shift 2
	as "$su_who" "$(printf '%s\n' "$@")" su "$su_target" -s /bin/sh \
		-c 'echo session-of-$(id -un)'
	grep -q "session-of-$su_target" "$TEST_DIR/out"
}
session_of() { grep -q "session-of-$1" "$TEST_DIR/out"; }
mode_of() { stat -c '%a' "$1" 2>/dev/null; }

# ssh_pw USER ANSWERS...: keyboard-interactive login over sshd (PAM_RHOST
# set); 0 when the session ran. ssh_key USER KEYFILE: the same by key only.
ssh_pw() {
	ssh_u=$1
	shift
	ANSWERS=$(printf '%s\n' "$@") expect "$TEST_DIR/attacker.exp" ssh -F /dev/null \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
		-o NumberOfPasswordPrompts=1 -p "$SSHD_PORT" "$ssh_u@127.0.0.1" \
		'echo session-of-$(id -un)' >"$TEST_DIR/out" 2>&1 </dev/null
	cat "$TEST_DIR/out" >&2
	grep -q "session-of-$ssh_u" "$TEST_DIR/out"
}
ssh_key() {
	timeout 30 ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o PreferredAuthentications=publickey -i "$2" -p "$SSHD_PORT" "$1@127.0.0.1" \
		'echo session-of-$(id -un)' >"$TEST_DIR/out" 2>&1 </dev/null
	cat "$TEST_DIR/out" >&2
	grep -q "session-of-$1" "$TEST_DIR/out"
}
# sshd_start [LINE...]: sshd on 127.0.0.1:$SSHD_PORT with Debian's
# /etc/pam.d/sshd, keys from `cognitoctl authorized-keys`.
sshd_start() {
	ssh-keygen -q -t ed25519 -N '' -f "$TEST_DIR/hostkey" </dev/null >&2 || return 1
	{
		printf '%s\n' "Port $SSHD_PORT" "ListenAddress 127.0.0.1" "HostKey $TEST_DIR/hostkey" \
			"PidFile $TEST_DIR/sshd.pid" "UsePAM yes" "KbdInteractiveAuthentication yes" \
			"PasswordAuthentication no" "PubkeyAuthentication yes" "AuthorizedKeysFile none" \
			"AuthorizedKeysCommand $CTL authorized-keys %u" "AuthorizedKeysCommandUser nobody" \
			"PermitRootLogin no" "StrictModes no" "UseDNS no" "PrintMotd no" "PrintLastLog no" \
			"LogLevel VERBOSE"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$TEST_DIR/sshd_config"
	mkdir -p /run/sshd && chmod 0755 /run/sshd
	/usr/sbin/sshd -D -e -f "$TEST_DIR/sshd_config" 2>"$TEST_DIR/sshd.log" </dev/null >/dev/null &
	sshd=$!
	n=0
	until grep -q "Server listening" "$TEST_DIR/sshd.log" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt 100 ] || ! kill -0 "$sshd" 2>/dev/null; then
			cat "$TEST_DIR/sshd.log" >&2
			return 1
		fi
		sleep 0.1
	done
}
