#!/bin/sh
# The inside of tests/system/local_attacker.sh (issue 12): a local unprivileged
# user, mallory, drives the real setuid su, sudo and passwd, and the
# non-setuid cognitoctl, with a hostile environment, umask, rlimits,
# file descriptors and argv, and a pool user tries to become someone else.
# Each attack must fail; each has a control that the legitimate login works.

. "$top_srcdir/tests/system/attacker_ns.sh"

PW='Pool-Passw0rd1!'
KEYS="$TEST_DIR/keys"
mkdir -p "$KEYS"
ssh-keygen -q -t ed25519 -N '' -C plain@laptop -f "$KEYS/k" </dev/null >&2
KEY=$(cat "$KEYS/k.pub")
mock_ctl add-group admins >/dev/null
for u in pooluser carol; do
	mock_ctl add-user "$u" "$PW" groups=admins >/dev/null
done
# Pool users named like local accounts and privileged names.
for u in alice nobody root admin mallory; do
	mock_ctl add-user "$u" "$PW" >/dev/null
done
mock_ctl add-user gina "$PW" groups=wheel,sudo,docker,systemd-x,admin,shadow >/dev/null
mock_ctl add-user dora "$PW" sub=0d0a0000-0000-4000-8000-000000000001 >/dev/null
mock_ctl add-user keyplain "$PW" "custom:ssh_public_key=$KEY" >/dev/null
for o in 'command="/bin/sh -c id"' 'from="10.0.0.0/8"' 'environment="LD_PRELOAD=/tmp/x.so"' \
	'cert-authority'; do
	i=$((${i:-0} + 1))
	mock_ctl add-user "keyopt$i" "$PW" "custom:ssh_public_key=$o $KEY" >/dev/null
done
for u in newbie newbie2; do
	mock_ctl add-user "$u" "$PW" status=UNCONFIRMED email="$u@example.com" >/dev/null
done
conf "offline_login = password" "ssh_key_attribute = custom:ssh_public_key"
t setup "cognitoctl sync fills the cache" sync_pool

# -- the environment is not an input -------------------------------------------------
t control-su "control: mallory's su pooluser with the pool password logs in" su_as mallory pooluser "$PW"
mkdir -p /etc/profile.d
ATTACK_ENV="SSLKEYLOGFILE=/etc/profile.d/x.sh" ATTACK_UMASK=000
su_as mallory pooluser "$PW"
t keylog "SSLKEYLOGFILE=/etc/profile.d/x.sh (umask 0) su: no file written as root" \
	test ! -e /etc/profile.d/x.sh
ls -l /etc/profile.d/x.sh >&2 2>/dev/null

# A proxy that does not answer: the login still reaches Cognito.
PROXY=http://127.0.0.1:9
PROXIES="https_proxy=$PROXY HTTPS_PROXY=$PROXY ALL_PROXY=$PROXY all_proxy=$PROXY http_proxy=$PROXY NO_PROXY= no_proxy="
t control-offline "control: carol logs in online (her offline verifier is kept)" su_as mallory carol "$PW"
mock_ctl add-user carol 'Changed-Passw0rd2!' groups=admins \
	sub="$(mock_ctl get-user carol | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["sub"])')" >/dev/null
reqs_clear
ATTACK_ENV=$PROXIES
su_as mallory pooluser "$PW"
t proxy "https_proxy/HTTPS_PROXY/ALL_PROXY=$PROXY su: the login still went to Cognito" \
	test "$(reqs_for pooluser)" -gt 0
t proxy "... and logged in" session_of pooluser
ATTACK_ENV=$PROXIES
tn proxy-offline "with the proxy variables, carol's OLD password (offline_login=password) does not log in" \
	su_as mallory carol "$PW"
ATTACK_ENV=$PROXIES
t proxy-offline "control: carol's new password does" su_as mallory carol 'Changed-Passw0rd2!'

# Stopping one's own su while it waits for Cognito: carol's password changes
# again in the pool (the host's verifier keeps 'Changed-Passw0rd2!', now
# old), Cognito stalls, and mallory SIGSTOPs the su each time a sign-in
# request for carol arrives, for longer than the module's timeout (4 s).
# The time ran out in a stopped process: that is no outage, so no offline
# login with the old password.
mock_ctl add-user carol 'Third-Passw0rd3!' groups=admins \
	sub="$(mock_ctl get-user carol | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["sub"])')" >/dev/null
mock_ctl fault InitiateAuth stall seconds=30 count=-1 >/dev/null
initiations() { mock_ctl stats | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["ops"].get("InitiateAuth", 0))'; }
# stop_su_on_request COUNT: in the background, until $TEST_DIR/stop-done
# exists, mallory stops the newest su for 6 s each time InitiateAuth's
# count passes COUNT (taken before the su starts: its request comes fast).
stop_su_on_request() {
	ss_seen=$1
	for _ in $(seq 1 400); do
		[ -e "$TEST_DIR/stop-done" ] && return 0
		ss_now=$(initiations)
		ss_pid=$(pgrep -n -u root -x su || true)
		if [ "$ss_now" -gt "$ss_seen" ] && [ -n "$ss_pid" ]; then
			ss_seen=$ss_now
			setpriv --reuid=mallory --regid=mallory --clear-groups kill -STOP "$ss_pid" &&
				log "mallory stopped su ($ss_pid)" && touch "$TEST_DIR/su-stopped"
			sleep 6
			setpriv --reuid=mallory --regid=mallory --clear-groups kill -CONT "$ss_pid"
		fi
		sleep 0.1
	done
}
rm -f "$TEST_DIR/stop-done" "$TEST_DIR/su-stopped"
ss_before=$(initiations)
stop_su_on_request "$ss_before" &
ss_bg=$!
tn freeze-offline "carol's su stopped by mallory while Cognito stalls: her OLD password does not log in offline" \
	su_as mallory carol 'Changed-Passw0rd2!'
touch "$TEST_DIR/stop-done"
wait "$ss_bg"
t freeze-offline "... the su was stopped (mallory could signal it)" test -e "$TEST_DIR/su-stopped"
t freeze-offline "control: the same stall without a stop is an outage, and the cached password opens" \
	su_as mallory carol 'Changed-Passw0rd2!'
mock_ctl clear-faults >/dev/null
# Carol's password as the later attacks expect it.
mock_ctl add-user carol 'Changed-Passw0rd2!' groups=admins \
	sub="$(mock_ctl get-user carol | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["sub"])')" >/dev/null

# The same through sudo (setuid too), typed by pooluser, a sudoer (admins).
reqs_clear
ATTACK_ENV="SSLKEYLOGFILE=/etc/profile.d/y.sh $PROXIES"
ATTACK_UMASK=000
as pooluser "$PW" sudo -k -p 'Password: ' sh -c 'echo session-of-$(id -un)'
t control-sudo "control: pooluser's sudo works with those variables" session_of root
t keylog "SSLKEYLOGFILE through sudo: no file written as root" test ! -e /etc/profile.d/y.sh
t proxy "proxy variables through sudo: the login still went to Cognito" \
	test "$(reqs_for pooluser)" -gt 0

# OpenSSL's and curl's files: FIFOs that tell whether anyone opened them
# (an open for reading lets the writer go, which leaves a mark).
printf '%s\n' 'openssl_conf = attacker' '[attacker]' 'engines = attacker_engines' \
	'[attacker_engines]' 'attacker = attacker_engine' '[attacker_engine]' \
	'dynamic_path = /home/mallory/attacker.so' 'init = 1' >"$TEST_DIR/attacker.cnf"
TRANSPORT_VARS="OPENSSL_CONF SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE CURL_HOME OPENSSL_ENGINES OPENSSL_MODULES"
ATTACK_ENV=
for v in $TRANSPORT_VARS; do
	f="/home/mallory/$v"
	rm -f "$f" "$TEST_DIR/opened.$v"
	mkfifo -m 0644 "$f" && chown mallory "$f"
	(timeout 60 sh -c "cat '$TEST_DIR/attacker.cnf' >'$f'" && touch "$TEST_DIR/opened.$v") &
	ATTACK_ENV="$ATTACK_ENV $v=$f"
done
su_as mallory pooluser "$PW"
t transport-env "control: the login worked beside them" session_of pooluser
for v in $TRANSPORT_VARS; do
	t transport-env "$v=attacker's file: never opened by su's login" test ! -e "$TEST_DIR/opened.$v"
	timeout 5 cat "/home/mallory/$v" >/dev/null 2>&1 # let the writer go
	rm -f "/home/mallory/$v"
done

# -- local accounts win, always ---------------------------------------------------------------------
reqs_clear
tn local-name "su alice (local, uid 1500, in sudo) with pool alice's password: refused" \
	su_as mallory alice "$PW"
t local-name "... and no request to Cognito named alice" test "$(reqs_for alice)" -eq 0
t control-local "control: su alice with her local password" su_as mallory alice "$ALICE_LOCAL_PW"
for u in nobody root; do
	reqs_clear
	su_as mallory "$u" "$PW"
	tn local-name "su $u with pool $u's password: no session" session_of "$u"
	t local-name "... and no request to Cognito named $u" test "$(reqs_for "$u")" -eq 0
done
# The attacker's own name in the pool too (a self sign-up): sudo typed
# with that pool password is not a Cognito login for local mallory.
reqs_clear
as mallory "$PW" sudo -k -p 'Password: ' true
t local-name "sudo by local mallory with pool mallory's password: no request to Cognito" \
	test "$(reqs_for mallory)" -eq 0
reqs_clear
as mallory "$(printf '%s\n' "$MALLORY_PW" 'Mallory-New-Passw0rd2!' 'Mallory-New-Passw0rd2!')" passwd
t local-passwd "control: passwd changes local mallory's password" grep -q 'updated successfully' "$TEST_DIR/out"
t local-passwd "passwd of a local account: no request to Cognito" test "$(reqs_for mallory)" -eq 0
MALLORY_PW='Mallory-New-Passw0rd2!'

# -- no privileged name from the pool ---------------------------------------------------------------
for u in admin root nobody; do
	t deny-name "getent -s cognito passwd $u: the module gives no pool $u" \
		test -z "$(getent -s cognito passwd "$u")"
done
for g in wheel sudo docker systemd-x admin shadow; do
	t deny-group "getent -s cognito group $g: the pool's group $g is not a Unix group" \
		test -z "$(getent -s cognito group "$g")"
done
t deny-group "id gina: none of her privileged pool groups" \
	sh -c "! id gina 2>/dev/null | grep -E '\((wheel|sudo|docker|systemd-x|admin|shadow)\)'"
tn deny-name "su admin with pool admin's password: refused" su_as mallory admin "$PW"
t control-deny "control: gina (a fine name) logs in" su_as mallory gina "$PW"

# -- a name re-used by a new pool account ---------------------------------------------------------
t control-sub "control: dora logs in" su_as mallory dora "$PW"
mock_ctl del-user dora >/dev/null
mock_ctl add-user dora 'Other-Passw0rd3!' sub=0d0a0000-0000-4000-8000-0000000000ff >/dev/null
tn sub-reuse "a new pool account named dora (another sub) does not become Unix dora" \
	su_as mallory dora 'Other-Passw0rd3!'

# -- umask, rlimits, closed descriptors around su -----------------------------------------------------
# writable_by_others: files of the cache, state and private directories
# that group or others may write, one a line.
writable_by_others() {
	find "$NSS_CACHEDIR" /run/cognito -perm /022 ! -type l 2>/dev/null
}
ATTACK_UMASK=000
su_as mallory carol 'Changed-Passw0rd2!'
t control-umask "control: carol's login with umask 0" session_of carol
writable=$(writable_by_others)
t umask "umask 0 around su: no cache or state file writable by others${writable:+ ($writable)}" \
	test -z "$writable"
ATTACK_ULIMIT="-f 1"
su_as mallory pooluser "$PW"
t fsize "RLIMIT_FSIZE 1 block around su: cognitoctl cache verify still passes" "$CTL" cache verify
t fsize "... and pooluser still resolves" test -n "$(getent passwd pooluser)"
# RLIMIT_NOFILE set for su alone (prlimit execs the setuid su): with few
# descriptors left, the module's reads of the local files and its NSS
# lookups fail with EMFILE. A local file that cannot be read counts as
# holding the name, never as empty: at no limit does pool alice's password
# open local alice, or reach Cognito. Control: at the same limits pooluser
# gets in wherever su and the module have the descriptors a login needs.
nofile_in=""
for n in 10 12 14 16 18 20 21 22 23 24 32 64; do
	reqs_clear
	as mallory "$PW" prlimit --nofile="$n" su alice -s /bin/sh -c 'echo session-of-$(id -un)'
	tn nofile "RLIMIT_NOFILE $n, su alice with pool alice's password: no session" session_of alice
	t nofile "... and no request to Cognito named alice" test "$(reqs_for alice)" -eq 0
	as mallory "$PW" prlimit --nofile="$n" su pooluser -s /bin/sh -c 'echo session-of-$(id -un)'
	! session_of pooluser || nofile_in="$nofile_in $n"
done
t control-nofile "control: pooluser logs in at RLIMIT_NOFILE 64 (got in at:${nofile_in:- none})" \
	sh -c "echo ' $nofile_in ' | grep -q ' 64 '"
# su's prompt would go to the closed stderr: the password comes on stdin.
as mallory "" sh -c 'exec 2>&- 3>&- 4>&-; printf "%s\n" "$0" |
	su pooluser -s /bin/sh -c "echo session-of-\$(id -un)"' "$PW"
t control-closed-fds "control: pooluser's login with stderr closed" session_of pooluser
t closed-fds "stderr closed around su: cognitoctl cache verify still passes" "$CTL" cache verify
t closed-fds "... and no cache file got su's messages" \
	sh -c "! grep -l -e 'Password' -e 'su:' '$NSS_CACHEDIR'/* 2>/dev/null | grep ."

# -- argv: names that are paths, long names, other cases -----------------------------------------------
for n in ../../etc/passwd pool/user "$(printf 'p%.0s' $(seq 1 300))" ALICE Alice 'alice ' \
	"$(printf 'alice\342\200\256')" "$(printf 'alic\303\251')"; do
	su_as mallory "$n" "$PW"
	tn odd-name "su '$(printf '%.40s' "$n")' with a pool password: no session" grep -q session-of "$TEST_DIR/out"
done

# -- no secret or code on argv ---------------------------------------------------------------------------
as mallory "" "$CTL" resend-code -u newbie
code=$(mock_ctl codes newbie ConfirmSignUp 2>/dev/null)
reqs_clear
as mallory "" "$CTL" confirm-signup -u newbie "$code"
t argv-code "cognitoctl confirm-signup CODE (on argv): refused" \
	test "$(mock_ctl get-user newbie | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["status"])')" = UNCONFIRMED
t argv-code "... without a request to Cognito" test "$(reqs_for newbie)" -eq 0
as mallory "" "$CTL" resend-code -u newbie2
code=$(mock_ctl codes newbie2 ConfirmSignUp 2>/dev/null)
as mallory "$code" "$CTL" confirm-signup -u newbie2
t control-argv "control: the code typed at the prompt confirms newbie2" \
	test "$(mock_ctl get-user newbie2 | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["status"])')" = CONFIRMED
reqs_clear
as mallory "$PW" "$CTL" verify-attribute -u newbie email 123456
t argv-code "cognitoctl verify-attribute email CODE (on argv): refused before any VerifyUserAttribute" \
	sh -c "! '$PYTHON3' '$MOCKCTL' '$MOCK_DIR' requests | grep -q VerifyUserAttribute"

# -- SSH keys are keys -----------------------------------------------------------------------------------
t control-keys "control: authorized-keys prints a plain key" \
	sh -c "'$CTL' authorized-keys keyplain | grep -qF '$KEY'"
for i in 1 2 3 4; do
	t key-options "authorized-keys prints no key line with options (keyopt$i)" \
		sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups '$CTL' authorized-keys keyopt$i | grep ."
done

# -- what the cache shows everyone ----------------------------------------------------------------------
t accounts-mode "accounts.cache is not world-readable ($(mode_of "$NSS_CACHEDIR/accounts.cache"))" \
	sh -c "[ -e '$NSS_CACHEDIR/accounts.cache' ] && ! setpriv --reuid=mallory --regid=mallory --clear-groups cat '$NSS_CACHEDIR/accounts.cache' >/dev/null 2>&1"
t control-accounts "control: NSS still answers mallory for pooluser" \
	sh -c "setpriv --reuid=mallory --regid=mallory --clear-groups getent passwd pooluser | grep -q ^pooluser:"

# -- attributes a pool user writes do not take another's name or uid -------------------------------
# The mapping from attributes the app client lets users write: vic
# (custom:uid 20001) is the victim; eve, eve2 and eve3 edit their own.
EPW='Eve-Passw0rd1!'
mock_ctl add-user vic "$PW" preferred_username=vic custom:uid=20001 >/dev/null
i=0
for u in eve eve2 eve3; do
	i=$((i + 1))
	mock_ctl add-user "$u" "$EPW" preferred_username="$u" custom:uid=$((20010 + i)) >/dev/null
done
conf "username_attribute = preferred_username" "uid_attribute = custom:uid" "uid_min = 1000"
sync_pool
t control-attr "control: a sync maps vic to uid 20001" \
	sh -c "getent -s cognito passwd vic | cut -d: -f3 | grep -qx 20001"
as mallory "$EPW" "$CTL" set-attribute -u eve custom:uid=1500
as mallory "$EPW" "$CTL" set-attribute -u eve2 preferred_username=vic
as mallory "$EPW" "$CTL" set-attribute -u eve3 custom:uid=20001
t setup "the sync after the edits" sync_pool
t attr-uid "vic keeps name and uid 20001" sh -c "getent -s cognito passwd vic | cut -d: -f3 | grep -qx 20001"
t attr-uid "uid 20001 is vic's alone" sh -c "[ \"\$(getent -s cognito passwd 20001 | cut -d: -f1)\" = vic ]"
t attr-uid "no pool user has local alice's uid 1500" test -z "$(getent -s cognito passwd 1500)"
su_as mallory eve "$EPW"
tn attr-uid "su eve (custom:uid=1500) does not give alice's uid" grep -q session-of-alice "$TEST_DIR/out"
tn attr-name "su vic with eve2's password (preferred_username=vic) is refused" su_as mallory vic "$EPW"
t control-attr "control: su vic with vic's password" su_as mallory vic "$PW"

echo "# the end"
