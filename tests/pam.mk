# pam_cognito.so through the real Linux-PAM library under pam_wrapper and
# libpamtest, against the mock IdP (tests/pam/check_pam re-runs itself wrapped).
PAM_TEST_SOURCES = tests/pamharness.c tests/pamharness.h tests/totp.c tests/totp.h
PAM_TEST_CFLAGS = $(TEST_CFLAGS) $(QRENCODE_CFLAGS) \
	-DPAM_WRAPPER_MODULES='"$(PAM_WRAPPER_MODULES)"'
PAM_TEST_LIBS = $(TEST_LIBS) $(PAMTEST_LIBS) $(QRENCODE_LIBS) $(PAM_LIBS)

if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_pam
TESTS += tests/pam/check_pam
endif
endif
tests_pam_check_pam_SOURCES = tests/pam/check_pam.c $(PAM_TEST_SOURCES) tests/cachetest.c tests/cachetest.h
tests_pam_check_pam_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_pam_LDADD = $(PAM_TEST_LIBS) -ldl

# The early start (issue 16): InitiateAuth while the password is typed.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_early
TESTS += tests/pam/check_early
endif
endif
tests_pam_check_early_SOURCES = tests/pam/check_early.c $(PAM_TEST_SOURCES)
tests_pam_check_early_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_early_LDADD = $(PAM_TEST_LIBS)
EXTRA_DIST += tests/mock/delay_proxy.py

# Issue 18, in two programs with one fixture (tests/pam/statusfix.c):
# check_status, the account's status, the IdP's words in the conversation,
# remembered devices and remote logins, the session's cleanup;
# check_offline, what an offline login proves and a stranger's failure.
STATUS_TEST_SOURCES = $(PAM_TEST_SOURCES) tests/pam/statusfix.c tests/pam/statusfix.h
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_status tests/pam/check_offline
TESTS += tests/pam/check_status tests/pam/check_offline
endif
endif
tests_pam_check_status_SOURCES = tests/pam/check_status.c $(STATUS_TEST_SOURCES)
tests_pam_check_status_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_status_LDADD = $(PAM_TEST_LIBS)
tests_pam_check_offline_SOURCES = tests/pam/check_offline.c $(STATUS_TEST_SOURCES)
tests_pam_check_offline_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_offline_LDADD = $(PAM_TEST_LIBS)

# A login whose process the user stops while it waits for Cognito: never
# "unreachable", so never an offline login.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_freeze
TESTS += tests/pam/check_freeze
endif
endif
tests_pam_check_freeze_SOURCES = tests/pam/check_freeze.c $(PAM_RUN_SOURCES)
tests_pam_check_freeze_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_freeze_LDADD = $(PAM_TEST_LIBS)

# Many logins in one process, every challenge kind mixed: run under valgrind
# by tests/pam/pam_valgrind.sh (and CI), by hand as `tests/pam/pam_loop [N]`.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/pam_loop
endif
endif
tests_pam_pam_loop_SOURCES = tests/pam/pam_loop.c $(PAM_TEST_SOURCES)
tests_pam_pam_loop_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_pam_loop_LDADD = $(PAM_TEST_LIBS)
EXTRA_DIST += tests/pam/pam_valgrind.sh

# Only the PAM entry points leave the module.
TESTS += tests/pam/pam_exports.sh
# sshd, su and sudo logging in Cognito users through the module, who are Unix
# users through the real libnss_cognito.so.2, in a private mount namespace
# (skips unless root).
TESTS += tests/system/pam_system.sh
EXTRA_DIST += tests/pam/pam_exports.sh tests/system/pam_system.sh tests/system/pam_system_ns.sh \
	tests/system/pam_system.exp tests/system/ns_nss.sh tests/system/ns_sshd.sh
# The man page names every option, key and prompt.
TESTS += tests/pam/pam_manpage.sh
EXTRA_DIST += tests/pam/pam_manpage.sh

# The otpauth:// URI, the QR drawing, the menu's words, server text filtering.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_account
TESTS += tests/unit/check_account
endif
tests_unit_check_account_SOURCES = tests/unit/check_account.c
tests_unit_check_account_CFLAGS = $(TEST_CFLAGS) $(QRENCODE_CFLAGS)
tests_unit_check_account_LDADD = $(TEST_LIBS) $(QRENCODE_LIBS)

# The challenge machine against scripted servers: the SDK's request shapes,
# and a bounded number of requests and prompts whatever a server answers.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_challenges
TESTS += tests/unit/check_challenges
endif
tests_unit_check_challenges_SOURCES = tests/unit/check_challenges.c
tests_unit_check_challenges_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_challenges_LDADD = $(TEST_LIBS)
# The Debian packages installed, used and purged on a throwaway copy of the
# machine (CI runs it on the .debs scripts/deb.sh builds).
EXTRA_DIST += tests/system/pkg_install.sh tests/system/pkg_install_ns.sh

# The PAM application of scripts/demo.sh (built with everything, never installed).
noinst_PROGRAMS += tests/pam/demo_login
tests_pam_demo_login_SOURCES = tests/pam/demo_login.c tests/totp.c tests/totp.h
tests_pam_demo_login_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_pam_demo_login_LDADD = $(PAM_LIBS) $(OPENSSL_LIBS)

# Issue 8's proofs, each login in its own child process (tests/pamrun.c).
PAM_RUN_SOURCES = $(PAM_TEST_SOURCES) tests/pamrun.c tests/pamrun.h
# The fault matrix: every fault at every step of a login; prints the table.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_faults
TESTS += tests/pam/check_faults
endif
endif
tests_pam_check_faults_SOURCES = tests/pam/check_faults.c $(PAM_RUN_SOURCES)
tests_pam_check_faults_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_faults_LDADD = $(PAM_TEST_LIBS)

# DESIGN.md's error table: each Cognito error's PAM result and cognitoctl exit.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_errors
TESTS += tests/pam/check_errors
endif
endif
tests_pam_check_errors_SOURCES = tests/pam/check_errors.c $(PAM_RUN_SOURCES)
tests_pam_check_errors_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_errors_LDADD = $(PAM_TEST_LIBS)

# Hostile user names, passwords, codes, conversations and missing items.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_hostile
TESTS += tests/pam/check_hostile
endif
endif
tests_pam_check_hostile_SOURCES = tests/pam/check_hostile.c $(PAM_RUN_SOURCES)
tests_pam_check_hostile_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_hostile_LDADD = $(PAM_TEST_LIBS)

# 50 concurrent logins with throttling while cognitoctl sync rewrites the cache.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_load
TESTS += tests/pam/check_load
endif
endif
tests_pam_check_load_SOURCES = tests/pam/check_load.c $(PAM_RUN_SOURCES)
tests_pam_check_load_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_load_LDADD = $(PAM_TEST_LIBS)

# No lock a user can freeze: a stopped holder of cache.lock, logins and
# syncs beside it; short writes; who may read the account facts.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_cache_lock
TESTS += tests/pam/check_cache_lock
endif
endif
# The same with the real setuid su, an unprivileged user the attacker
# (root, private mount and PID namespaces; tests/system/freeze_lock.py attacks).
TESTS += tests/system/lock_freeze.sh
EXTRA_DIST += tests/system/lock_freeze.sh tests/system/lock_freeze_ns.sh tests/system/freeze_lock.py
tests_pam_check_cache_lock_SOURCES = tests/pam/check_cache_lock.c $(PAM_RUN_SOURCES) tests/cachetest.c \
	tests/cachetest.h
tests_pam_check_cache_lock_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_cache_lock_LDADD = $(PAM_TEST_LIBS) -ldl

# With debug on, no password, code, TOTP key or token in the logs, the
# cache and state files, the process's environment or its memory after.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_secrets
TESTS += tests/pam/check_secrets
endif
endif
tests_pam_check_secrets_SOURCES = tests/pam/check_secrets.c $(PAM_RUN_SOURCES)
tests_pam_check_secrets_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_secrets_LDADD = $(PAM_TEST_LIBS)

# The heavy ones one after another: fifty logins at once beside the fault
# matrix's four workers starve both of CPU (the other make -j slot still
# runs the lighter tests).
# Through variables, as automake would take a literal target for a rule of
# its own; and only when both run (make check TESTS=tests/pam/check_load runs
# that one alone).
HOSTILE_LOG = tests/pam/check_hostile.log
LOAD_LOG = tests/pam/check_load.log
$(HOSTILE_LOG): $(filter tests/pam/check_faults.log,$(TESTS:=.log))
$(LOAD_LOG): $(filter tests/pam/check_hostile.log,$(TESTS:=.log))

# Issue 15: USER_AUTH, passwordless codes, UserContextData, token rotation.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_userauth
TESTS += tests/pam/check_userauth
endif
endif
tests_pam_check_userauth_SOURCES = tests/pam/check_userauth.c $(PAM_TEST_SOURCES)
tests_pam_check_userauth_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_userauth_LDADD = $(PAM_TEST_LIBS)
# Issue 15: a passwordless e-mail-code login through the real sshd.
TESTS += tests/system/passwordless_ssh.sh
EXTRA_DIST += tests/system/passwordless_ssh.sh tests/system/passwordless_ssh_ns.sh tests/system/passwordless_ssh.exp

# Issue 17: the RFC 8628 device login against the mock's device endpoint.
if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/pam/check_device
TESTS += tests/pam/check_device
endif
endif
tests_pam_check_device_SOURCES = tests/pam/check_device.c $(PAM_TEST_SOURCES)
tests_pam_check_device_CFLAGS = $(PAM_TEST_CFLAGS)
tests_pam_check_device_LDADD = $(PAM_TEST_LIBS)

# Issue 17: a device login through the real sshd (root, namespaces; skips otherwise).
TESTS += tests/system/device_sshd.sh
EXTRA_DIST += tests/system/device_sshd.sh tests/system/device_sshd.exp
