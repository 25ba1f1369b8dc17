# sshd for the tests that log in through it inside a private mount
# namespace (pam_system, ssh_keys, pkg_install). Source it, then
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
