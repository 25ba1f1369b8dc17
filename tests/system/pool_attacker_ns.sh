#!/bin/sh
# The inside of tests/system/pool_attacker.sh (issue 18): what a pool user, a
# stranger on the network and a local user can do to each other's state,
# through the real sshd, su and sudo. Each attack must fail; each has a
# control that the legitimate path still works.

. "$top_srcdir/tests/system/attacker_ns.sh"

PW='Pool-Passw0rd1!'
TOTP_SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
ssh-keygen -q -t ed25519 -N '' -C pool@laptop -f "$TEST_DIR/key" </dev/null >&2
chmod 0600 "$TEST_DIR/key"
KEY=$(cat "$TEST_DIR/key.pub")
mock_ctl add-group admins >/dev/null
mock_ctl add-user pooluser "$PW" groups=admins >/dev/null
mock_ctl add-user carol 'Old-Passw0rd1!' >/dev/null
CAROL_SUB=$(mock_ctl get-user carol | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["sub"])')
mock_ctl add-user keyplain "$PW" "custom:ssh_public_key=$KEY" >/dev/null
for s in UNCONFIRMED COMPROMISED RESET_REQUIRED ARCHIVED UNKNOWN; do
	mock_ctl add-user "st$(echo "$s" | tr 'A-Z_' 'a-z-' | cut -c1-8)" "$PW" status=$s \
		"custom:ssh_public_key=$KEY" >/dev/null
done
mock_ctl add-user remy "$PW" mfa_settings=SOFTWARE_TOKEN_MFA totp_secret=$TOTP_SECRET >/dev/null
mock_ctl add-user esc "$PW" \
	"name=$(printf '\033[2J\033[H[sudo] password for root: \342\200\256gnp.x\302\233')" >/dev/null
printf '%s' "{\"username\": \"cust\", \"password\": \"$PW\", \"custom_challenges\": [
	{\"params\": {\"question\": \"Colour:\"}, \"answer\": \"blue\", \"tries\": 1}]}" |
	mock_ctl put-user - >/dev/null
conf "offline_login = password" "ssh_key_attribute = custom:ssh_public_key" "remember_device = yes"
t setup "cognitoctl sync fills the cache" sync_pool
sshd_start || { nok setup "sshd started"; echo "# the end"; exit 0; }
trap 'kill "$sshd" 2>/dev/null' EXIT

# -- only confirmed accounts log in ------------------------------------------------------
t control-status "control: a CONFIRMED user's pool key opens sshd" ssh_key keyplain "$TEST_DIR/key"
for u in $(mock_ctl users | "$PYTHON3" -c 'import json, sys
print(" ".join(u["username"] for u in json.load(sys.stdin)["users"] if u["username"].startswith("st")))'); do
	st=$(mock_ctl get-user "$u" | "$PYTHON3" -c 'import json, sys; print(json.load(sys.stdin)["status"])')
	tn status "a $st account's pool key gets no shell over sshd ($u)" ssh_key "$u" "$TEST_DIR/key"
	t status "... and authorized-keys prints nothing for it" \
		test -z "$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" authorized-keys "$u")"
done

# -- a remembered host is not a second factor for everyone --------------------------------
# The pool remembers devices; remy's first login, at the console, makes
# this host remembered (control: the next su needs no code).
mock_ctl pool device_tracking=ALWAYS >/dev/null
t control-remember "control: remy logs in by su with password and code" \
	su_as mallory remy "$PW" "$(mock_ctl totp remy)"
t control-remember "control: at the console the remembered host stands in for the code" \
	su_as mallory remy "$PW"
tn remember-remote "over ssh (PAM_RHOST set) the password alone does not log remy in" \
	ssh_pw remy "$PW"
t control-remember "control: over ssh with the code, remy logs in" ssh_pw remy "$PW" "$(mock_ctl totp remy)"

# -- offline login proves what the online login proved --------------------------------------
t control-offline "control: carol logs in online (an offline verifier is kept)" \
	su_as mallory carol 'Old-Passw0rd1!'
mock_ctl add-user carol 'New-Passw0rd2!' sub="$CAROL_SUB" >/dev/null
mock_ctl fault InitiateAuth throttle count=-1 >/dev/null
tn throttle "with the pool throttled (TooManyRequestsException), carol's OLD password does not log in" \
	su_as mallory carol 'Old-Passw0rd1!'
mock_ctl clear-faults >/dev/null
t control-offline "control: carol's new password logs in online" su_as mallory carol 'New-Passw0rd2!'
su_as mallory carol 'Wrong-Passw0rd9!'
mock_ctl fault '*' reset count=-1 >/dev/null
t stranger "after a stranger's wrong password, carol still logs in offline when Cognito is down" \
	su_as mallory carol 'New-Passw0rd2!'
mock_ctl clear-faults >/dev/null

# -- PAM_COGNITO_SESSION stays out of sudo's command ------------------------------------------
as pooluser "$PW" sudo -k env
t control-sudo-env "control: pooluser (in admins) runs sudo env" grep -q '^SUDO_USER=pooluser' "$TEST_DIR/out"
tn sudo-env "PAM_COGNITO_SESSION is not in sudo's command environment" grep -q PAM_COGNITO_SESSION "$TEST_DIR/out"

# -- what the IdP wrote is escaped before a terminal sees it -----------------------------------
as mallory "$PW" "$CTL" attributes -u esc
t control-escape "control: cognitoctl attributes shows esc's name" grep -q 'gnp' "$TEST_DIR/out"
tn escape "no ESC, CSI or bidi override from the attribute reaches the terminal" \
	"$PYTHON3" -c 'import sys
data = open(sys.argv[1], "rb").read()
sys.exit(0 if any(b in data for b in (b"\x1b[2J", b"\xe2\x80\xae", b"\xc2\x9b")) else 1)' "$TEST_DIR/out"

# -- a user's own stopped su holds no lock others wait for --------------------------------------
# sync and a login with a SIGSTOPped su of mallory's in the middle of its
# login (stopped while holding cache.lock if it ever takes it).
cp "$top_srcdir/tests/system/attacker_stop.py" "$TEST_DIR/attacker_stop.py"
mkdir -p "$TEST_DIR/m" && chown mallory "$TEST_DIR/m"
setpriv --reuid=mallory --regid=mallory --clear-groups env -i PATH=/usr/bin:/bin ANSWERS="$PW" \
	python3 "$TEST_DIR/attacker_stop.py" "$NSS_CACHEDIR/cache.lock" "$TEST_DIR/m/stopped" \
	expect "$TEST_DIR/attacker.exp" su pooluser -c true >&2 &
stopper=$!
n=0
while [ ! -e "$TEST_DIR/m/stopped" ] && [ "$n" -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
cat "$TEST_DIR/m/stopped" >&2
t0=$(date +%s)
timeout 15 "$CTL" sync --quiet >&2
rc=$?
t lock "with a stopped su ($(cat "$TEST_DIR/m/stopped" 2>/dev/null)), cognitoctl sync finishes in time (exit $rc, $(($(date +%s) - t0)) s)" \
	test "$rc" -ne 124
t0=$(date +%s)
su_as mallory carol 'New-Passw0rd2!'
t1=$(date +%s)
t lock "... and carol logs in meanwhile" session_of carol
t lock "... without waiting out timeout (4 s) for the lock ($((t1 - t0)) s)" test $((t1 - t0)) -lt 4
kill "$stopper" 2>/dev/null # it lets the stopped su go on

# -- custom challenges: the password alone is not the online login ---------------------------------
conf "offline_login = password" "auth_flow = CUSTOM_AUTH"
t control-custom "control: cust logs in with password and the custom challenge's answer" \
	su_as mallory cust "$PW" blue
mock_ctl fault '*' reset count=-1 >/dev/null
tn custom-offline "Cognito down: cust's password alone (no challenge) does not log in offline" \
	su_as mallory cust "$PW"
mock_ctl clear-faults >/dev/null
echo "# the end"
