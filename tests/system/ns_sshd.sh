# sshd for the tests that log in through it inside a private mount
# namespace (pam_system, ssh_keys, pkg_install, device_sshd,
# passwordless_ssh). Source it; outside the
# namespace ns_sshd_config (below) writes the config, inside it
#
#   ns_sshd_start || <fail as the caller fails>
#
# makes sshd's privilege-separation directory, starts /usr/sbin/sshd with
# $TEST_DIR/sshd_config in the foreground (logging to $TEST_DIR/sshd.log),
# leaves its pid in $sshd and returns once it listens; 1, with its log on
# stderr, when it exits or does not listen within 10 s.

ns_sshd_start() {
	mkdir -p /run/sshd && chmod 0755 /run/sshd
	/usr/sbin/sshd -D -e -f "$TEST_DIR/sshd_config" 2>"$TEST_DIR/sshd.log" </dev/null >/dev/null &
	sshd=$!
	ns_sshd_tries=0
	until grep -q "Server listening" "$TEST_DIR/sshd.log" 2>/dev/null; do
		ns_sshd_tries=$((ns_sshd_tries + 1))
		if [ "$ns_sshd_tries" -gt 100 ] || ! kill -0 "$sshd" 2>/dev/null; then
			echo "sshd did not start" >&2
			cat "$TEST_DIR/sshd.log" >&2
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# ns_sshd_config METHOD [LINE...]: before the namespace, picks a free port
# ($PORT), makes a host key and writes $TEST_DIR/sshd_config for an sshd on
# 127.0.0.1 that logs in by METHOD (keyboard-interactive: PAM asks every
# question; publickey: keys only), plus any further LINEs.
ns_sshd_config() {
	PORT=$("$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	rm -f "$TEST_DIR/ssh_host_ed25519_key" "$TEST_DIR/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -f "$TEST_DIR/ssh_host_ed25519_key" || return 1
	case $1 in
	keyboard-interactive) kbd=yes pubkey=no ;;
	publickey) kbd=no pubkey=yes ;;
	*) echo "ns_sshd_config: unknown method $1" >&2; return 1 ;;
	esac
	{
		printf '%s\n' "Port $PORT" "ListenAddress 127.0.0.1" \
			"HostKey $TEST_DIR/ssh_host_ed25519_key" "PidFile $TEST_DIR/sshd.pid" "UsePAM yes" \
			"KbdInteractiveAuthentication $kbd" "PasswordAuthentication no" \
			"PubkeyAuthentication $pubkey" "AuthenticationMethods $1" "AuthorizedKeysFile none" \
			"PermitRootLogin no" "StrictModes no" "UseDNS no" "PrintMotd no" "PrintLastLog no" \
			"LogLevel VERBOSE"
		shift
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$TEST_DIR/sshd_config"
}

# The tests that log Cognito users in through sshd by keyboard-interactive
# (device_sshd, passwordless_ssh) go in these steps around their own:
#
#   ns_sshd_require USER...      skips (77) where that cannot work: not root,
#                                no unshare, sshd, ssh or expect, a local USER;
#                                sets $MODULE and $CTL (fails unbuilt) and
#                                sources ns_nss.sh
#   ns_sshd_setup AUTH ACCOUNT   after mock_start: $TEST_DIR/etc/pam.d/sshd
#                                with AUTH and ACCOUNT (module and arguments)
#                                as its auth and account lines, pam.d/other
#                                all pam_deny, sshd_config, and the variables
#                                the namespace needs exported
#   ns_sshd_unshare CMD...       CMD in a private mount and PID namespace,
#                                its stdout in $TEST_DIR/results ("CASE ok"
#                                lines), its stderr in $TEST_DIR/ns.log
#   ns_sshd_enter USER           (inside) the test's pam.d over /etc's,
#                                libnss_cognito resolving from the cache
#                                cognitoctl sync fills ("sync ok"), USER's
#                                home, sshd started and killed on exit
#   ns_sshd_result CASE          (after) what the namespace said of CASE
#   ns_sshd_finish USER          the checks every one ends with (the sync,
#                                sshd logged USER in), the logs on failure,
#                                then lib.sh's finish

ns_sshd_require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for a mount namespace and sshd"
	for ns_sshd_cmd in unshare expect ssh ssh-keygen; do
		command -v "$ns_sshd_cmd" >/dev/null 2>&1 || skip "$ns_sshd_cmd not found"
	done
	[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not found"
	unshare --mount --pid --fork --mount-proc true 2>/dev/null ||
		skip "cannot make mount and PID namespaces here"
	MODULE="$top_builddir/pam_cognito/.libs/pam_cognito.so"
	[ -f "$MODULE" ] || fail "no $MODULE: build first"
	CTL="$top_builddir/tools/cognitoctl"
	[ -x "$CTL" ] || fail "no $CTL: build first"
	. "$top_srcdir/tests/system/ns_nss.sh"
	for ns_sshd_user in "$@"; do
		grep -q "^$ns_sshd_user:" /etc/passwd /etc/group &&
			skip "this host has a local $ns_sshd_user, which would hide the Cognito one"
	done
	return 0
}

ns_sshd_setup() {
	chmod 0711 "$TEST_DIR"
	mkdir -p "$TEST_DIR/etc/pam.d" "$TEST_DIR/home" "$TEST_DIR/ns"
	printf '%s\n' "auth     required $1" "account  required $2" "password required pam_deny.so" \
		"session  required pam_permit.so" >"$TEST_DIR/etc/pam.d/sshd"
	printf '%s\n' "auth     required pam_deny.so" "account  required pam_deny.so" \
		"password required pam_deny.so" "session  required pam_deny.so" >"$TEST_DIR/etc/pam.d/other"
	ns_sshd_config keyboard-interactive || fail "sshd_config"
	AWS_ACCESS_KEY_ID=AKIAMOCKADMIN0000001
	AWS_SECRET_ACCESS_KEY='mock/Admin+Secret/Key0123456789abcdefghij'
	export TEST_DIR PORT MOCK_DIR MOCK_CONF MOCK_CACHE_DIR PYTHON3 MOCKCTL top_srcdir top_builddir \
		CTL NSS_MODULE NSS_CACHEDIR AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

ns_sshd_unshare() {
	unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
		"$@" >"$TEST_DIR/results" 2>"$TEST_DIR/ns.log"
	echo "namespace script exited $? (in $TEST_DIR)"
}

ns_sshd_enter() {
	. "$top_srcdir/tests/system/ns_nss.sh"
	mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || { echo "mount /etc/pam.d failed" >&2; return 1; }
	ns_nss_enable "$MOCK_CACHE_DIR" "$TEST_DIR/ns" || return 1
	if "$CTL" sync --config "$MOCK_CONF" >&2; then
		echo "sync ok"
	else
		echo "sync failed"
	fi
	mkdir -p "$TEST_DIR/home/$1" && chown "$1:$1" "$TEST_DIR/home/$1"
	ns_sshd_start || return 1
	trap 'kill "$sshd" 2>/dev/null' EXIT
}

ns_sshd_result() {
	sed -n "s/^$1 //p" "$TEST_DIR/results"
}

ns_sshd_finish() {
	expect_eq "cognitoctl sync filled the cache" ok "$(ns_sshd_result sync)"
	check "sshd logged $1 in by keyboard-interactive" \
		grep -q "Accepted keyboard-interactive/pam for $1" "$TEST_DIR/sshd.log"
	if [ "$LIB_FAILED" -ne 0 ]; then
		cat "$TEST_DIR/results" "$TEST_DIR/ns.log"
		tail -40 "$TEST_DIR/sshd.log"
	fi
	finish
}
