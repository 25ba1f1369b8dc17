#!/bin/sh
# The inside of tests/system/lock_freeze.sh, in its private mount and PID
# namespaces: prints "NAME value" result lines.

set -u
. "$top_srcdir/tests/system/ns_nss.sh"
mount --bind "$TEST_DIR/etc/pam.d" /etc/pam.d || { echo "mount /etc/pam.d failed" >&2; exit 1; }
ns_nss_enable "$MOCK_CACHE_DIR" "$TEST_DIR/ns" || exit 1

mock_ctl() {
	"$PYTHON3" "$MOCKCTL" "$MOCK_DIR" "$@"
}
ms() {
	date +%s%3N
}
keys() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CTL" authorized-keys --config "$MOCK_CONF" "$1" 2>>"$TEST_DIR/keys.err"
}
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

if "$CTL" sync --config "$MOCK_CONF" --quiet >&2; then echo "sync ok"; else echo "sync failed"; fi
echo "key_before $(keys frank)"
LOCK="$NSS_CACHEDIR/cache.lock"
# The attacker's own Python: one an unprivileged user can run.
ATTACK_PY=$PYTHON3
[ -x /usr/bin/python3 ] && ATTACK_PY=/usr/bin/python3

# The attack, a few tries: the lock is held for milliseconds per login.
# The attacker keeps su stopped, if it could stop it, until $TEST_DIR/release
# exists.
RELEASE=$TEST_DIR/release
for try in 1 2 3 4 5; do
	# A login the cache already shows writes nothing and takes no lock: a
	# user who changes their own SSH key before each login makes one that does.
	mock_ctl get-user frank | "$PYTHON3" -c 'import json, sys
u = json.load(sys.stdin); u["attributes"]["custom:ssh"] += " try'$try'"; print(json.dumps(u))' |
		mock_ctl put-user - >/dev/null
	out=$TEST_DIR/attack.$try
	as_nobody "$ATTACK_PY" "$top_srcdir/tests/system/freeze_lock.py" "$LOCK" 15 'Passw0rd!' \
		"$RELEASE" -- su frank -c true >"$out" 2>&1 &
	attacker=$!
	until grep -q '^command stopped\|^command refused\|^command ended' "$out" 2>/dev/null; do
		sleep 0.05
	done
	grep -q '^holder ' "$out" && break
	wait "$attacker"
done
sed "s/^/attack /" "$out" >&2
su_pid=$(sed -n 's/^command \([0-9]*\)$/\1/p' "$out")
state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$su_pid/status" 2>/dev/null)
[ "$state" = T ] && echo "su_state stopped" || echo "su_state ${state:-gone}"

# The pool disables frank; the next sync must get through.
mock_ctl get-user frank | "$PYTHON3" -c 'import json, sys
u = json.load(sys.stdin); u["enabled"] = False; print(json.dumps(u))' |
	mock_ctl put-user - >/dev/null
t0=$(ms)
timeout 60 "$CTL" sync --config "$MOCK_CONF" --quiet >&2
echo "sync2_rc $?"
echo "sync2_ms $(($(ms) - t0))"
echo "key_after $(keys frank)"

# Another user's login beside the attacked su.
t0=$(ms)
printf 'Passw0rd!\n' | timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups \
	su grace -c true >&2
echo "grace_rc $?"
echo "grace_ms $(($(ms) - t0))"

# Released, su ends.
touch "$RELEASE"
wait "$attacker"
sed "s/^/attack /" "$out"
exit 0
