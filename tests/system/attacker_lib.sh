# Shared outer half of tests/system/local_attacker.sh and tests/system/pool_attacker.sh:
# source it after tests/lib.sh. It skips (77) where the suites cannot run,
# starts the mock, and runs one inner script (the attacks) in private
# mount and PID namespaces, where tests/system/attacker_ns.sh makes a throwaway
# Debian host with the packages' files "installed": the built
# pam_cognito.so in libpam's directory, libnss_cognito.so.2 beside libc,
# `cognito` in nsswitch.conf, /etc/pam.d written by pam-auth-update from
# debian/pam-configs/cognito, the config at the compiled-in path. Nothing
# of the real host is written (overlays on /etc, /usr and /var, a tmpfs on
# /run).
#
# The inner script prints "ok - [id] what" or "not ok - [id] what" per
# check. ATTACKER_XFAIL (ids, space separated) lists attacks whose fix has
# not landed: their "not ok" is counted as an expected failure, printed
# with the reason, and does not fail the test. An xfail that passes is
# reported (so the list can shrink) but is not an error.

[ "$(id -u)" -eq 0 ] || skip "needs root: a mount namespace, setuid su/sudo/passwd run as another uid"
for cmd in unshare setpriv expect su sudo passwd ssh ssh-keygen pam-auth-update useradd chpasswd; do
	command -v "$cmd" >/dev/null 2>&1 || skip "$cmd not found"
done
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not found"
unshare --mount --pid --fork --mount-proc true 2>/dev/null ||
	skip "cannot make mount and PID namespaces here (unshare)"
[ -f "$top_srcdir/debian/pam-configs/cognito" ] || skip "no debian/pam-configs/cognito"
PAM_MODULE="$top_builddir/pam_cognito/.libs/pam_cognito.so"
NSS_MODULE=${NSS_MODULE:-$top_builddir/nss_cognito/.libs/libnss_cognito.so.2}
CTL="$top_builddir/tools/cognitoctl"
for f in "$PAM_MODULE" "$NSS_MODULE" "$CTL"; do
	[ -f "$f" ] || fail "no $f: build first"
done
# Where the installed programs look: the build's cachedir and sysconfdir.
attacker_make_var() {
	printf 'attacker_var:\n\t@echo $(%s)\n' "$1" |
		make -s --no-print-directory -C "$top_builddir" -f Makefile -f - attacker_var 2>/dev/null |
		grep -v '^make' | tail -n 1
}
[ -n "${NSS_CACHEDIR:-}" ] || NSS_CACHEDIR=$(attacker_make_var cachedir)
COG_SYSCONFDIR=$(attacker_make_var sysconfdir)
case "$NSS_CACHEDIR:$COG_SYSCONFDIR" in
/*:/*) ;;
*) fail "cannot tell the build's cachedir/sysconfdir ('$NSS_CACHEDIR', '$COG_SYSCONFDIR')" ;;
esac
COG_CONF="$COG_SYSCONFDIR/cognito/cognito.conf"
for name in mallory alice pooluser carol dora gina remy keyplain newbie newbie2 cust esc vic eve eve2 eve3; do
	if grep -q "^$name:" /etc/passwd /etc/group; then
		skip "this host has a local $name already"
	fi
done

# The interpreter itself, not a version manager's shim (pyenv's costs
# seconds a call, and the suites call the mock's client a hundred times).
PYTHON3=$("$PYTHON3" -c 'import sys; print(sys.executable)') || fail "python3 does not run"
mock_start
chmod 0711 "$TEST_DIR" # the attacker and sshd's AuthorizedKeysCommandUser look in
AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
SSHD_PORT=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# attacker_run INNER: runs tests/system/INNER in the namespaces, then counts.
attacker_run() {
	cp "$top_srcdir/tests/system/attacker.exp" "$TEST_DIR/attacker.exp" && chmod 0644 "$TEST_DIR/attacker.exp"
	export TEST_DIR MOCK_DIR MOCK_PORT MOCK_CA MOCK_ENDPOINT MOCK_REGION MOCK_POOL_ID MOCK_CLIENT_ID \
		PYTHON3 MOCKCTL top_srcdir top_builddir PAM_MODULE NSS_MODULE CTL NSS_CACHEDIR COG_CONF \
		AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY SSHD_PORT
	t0=$(date +%s)
	unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
		sh "$top_srcdir/tests/system/$1" >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
	rc=$?
	echo "# $1 exited $rc after $(($(date +%s) - t0)) s"
	while IFS= read -r line; do
		id=$(printf '%s\n' "$line" | sed -n 's/^\(not ok\|ok\) - \[\([^]]*\)\].*/\2/p')
		case "$line" in
		"not ok - "*)
			if [ -n "$id" ] && attacker_xfail "$id"; then
				echo "xfail - ${line#not ok - } (expected failure: $(attacker_xfail_reason "$id"))"
				ATTACKER_XFAILED=$((ATTACKER_XFAILED + 1))
			else
				echo "$line"
				LIB_FAILED=$((LIB_FAILED + 1))
			fi
			;;
		"ok - "*)
			if [ -n "$id" ] && attacker_xfail "$id"; then
				echo "$line (passes although [$id] is listed as pending)"
			else
				echo "$line"
			fi
			LIB_PASSED=$((LIB_PASSED + 1))
			;;
		*) echo "$line" ;;
		esac
	done <"$TEST_DIR/results"
	grep -q '^# the end$' "$TEST_DIR/results" || {
		echo "not ok - the namespace script did not get to the end (exit $rc)"
		LIB_FAILED=$((LIB_FAILED + 1))
	}
	echo "# $ATTACKER_XFAILED expected failures (attacks not yet fixed)"
	if [ "$LIB_FAILED" -ne 0 ] || [ "${ATTACKER_VERBOSE:-0}" = 1 ]; then
		echo "--- what the programs printed ---"
		cat "$TEST_DIR/ns.log"
		echo "--- sshd log ---"
		tail -60 "$TEST_DIR/sshd.log" 2>/dev/null
	fi
}
ATTACKER_XFAILED=0

# attacker_pending: the ids whose fix is not in this tree, as
# "id=reason;...", found from what each fix adds (a config key, a file,
# a changed usage line). Once a fix is in, its attacks count in full.
attacker_pending() {
	ap_keys=" $(config_keys | tr '\n' ' ') "
	ap_has() { case "$ap_keys" in *" $1 "*) return 0 ;; esac; return 1; }
	ap_out=
	ap_add() {
		for ap_id in $1; do
			ap_out="$ap_out;$ap_id=$2"
		done
	}
	ap_has proxy || ap_add "keylog proxy proxy-offline" \
		"the caller's environment still reaches libcurl (no proxy key: issue 12, branch env)"
	ap_has ssh_key_options || ap_add "key-options" \
		"authorized-keys prints key options (no ssh_key_options key: issue 12, branch env)"
	"$CTL" confirm-signup --help 2>&1 | grep -q '\[CODE\]' && ap_add "argv-code" \
		"confirm-signup/verify-attribute still take the code on argv (issue 12, branch cli)"
	ap_has deny_names || ap_add "local-name deny-name deny-group" \
		"no local-accounts-win rule or deny list (no deny_names key: issue 12, branch names)"
	[ -f "$top_srcdir/libcognito/cache/cache_lock.c" ] || ap_add "accounts-mode lock" \
		"the cache lock and modes of issue 18 (no cache_lock.c: branch cache)"
	ap_has allowed_user_status || ap_add "status throttle stranger custom-offline escape sudo-env" \
		"UserStatus and offline-login rules of issue 18 (no allowed_user_status key: branch status)"
	ap_has remember_device_remote || ap_add "remember-remote" \
		"remember_device over ssh (no remember_device_remote key: issue 18, branch status)"
	printf '%s\n' "${ap_out#;}"
}

# ATTACKER_XFAIL: "id=reason;id=reason;...", set by the suite.
attacker_xfail() {
	case ";${ATTACKER_XFAIL:-};" in
	*";$1="*) return 0 ;;
	esac
	return 1
}
attacker_xfail_reason() {
	printf '%s\n' "${ATTACKER_XFAIL:-}" | tr ';' '\n' | sed -n "s/^$1=//p"
}
