# sshd for the tests that log in through it inside a private mount
# namespace (pam_system, ssh_keys, pkg_install). Source it; outside the
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
