# Tests: Check unit tests, the mock IdP, the reference-SDK oracle.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	PYTHON3='$(PYTHON3)'; export PYTHON3; \
	NODE='$(NODE)'; export NODE; \
	CK_DEFAULT_TIMEOUT=60; export CK_DEFAULT_TIMEOUT;

# A little library the C tests share: start/stop the mock, write a config.
check_LTLIBRARIES = tests/libtestutil.la
tests_libtestutil_la_SOURCES = tests/testutil.c tests/testutil.h
tests_libtestutil_la_CFLAGS = $(COGNITO_CFLAGS) $(CHECK_CFLAGS)
tests_libtestutil_la_LIBADD = $(COGNITO_LIBS) $(CHECK_LIBS)

# The software security key (tests/softkey.h): a check library, unless
# --enable-test-hooks links it into libcognito (then built with it); a
# release build does not compile it at all.
if TEST_HOOKS
noinst_LTLIBRARIES += tests/libsoftkey.la
else
check_LTLIBRARIES += tests/libsoftkey.la
endif
tests_libsoftkey_la_SOURCES = tests/softkey.c tests/softkey.h
tests_libsoftkey_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)

TEST_CFLAGS = $(COGNITO_CFLAGS) $(CHECK_CFLAGS)
TEST_LIBS = tests/libtestutil.la $(COGNITO_LIBS) $(CHECK_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_config tests/unit/check_srp tests/unit/check_idp tests/unit/check_jwt tests/unit/check_e2e
TESTS += tests/unit/check_config tests/unit/check_srp tests/unit/check_idp tests/unit/check_jwt tests/unit/check_e2e
endif
tests_unit_check_config_SOURCES = tests/unit/check_config.c
tests_unit_check_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_config_LDADD = $(TEST_LIBS)
tests_unit_check_srp_SOURCES = tests/unit/check_srp.c
tests_unit_check_srp_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_srp_LDADD = $(TEST_LIBS)
tests_unit_check_idp_SOURCES = tests/unit/check_idp.c
tests_unit_check_idp_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_idp_LDADD = $(TEST_LIBS)
tests_unit_check_jwt_SOURCES = tests/unit/check_jwt.c
tests_unit_check_jwt_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_jwt_LDADD = $(TEST_LIBS)
tests_unit_check_e2e_SOURCES = tests/unit/check_e2e.c
tests_unit_check_e2e_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_e2e_LDADD = $(TEST_LIBS)

# The cache, the mapping, SigV4 and the NSS module (the test build, which
# also reads COGNITO_NSS_CACHE_DIR; see nss_cognito.c).
check_LTLIBRARIES += tests/nss/libnss_cognito.la
tests_nss_libnss_cognito_la_SOURCES = nss_cognito/nss_cognito.c nss_cognito/nss_cognito.h
tests_nss_libnss_cognito_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden -DCOG_NSS_TEST_ENV=1
tests_nss_libnss_cognito_la_LIBADD = libcognito/libcogcache.la
tests_nss_libnss_cognito_la_LDFLAGS = $(AM_LDFLAGS) $(NSS_MODULE_LDFLAGS) -rpath $(abs_builddir)/tests/nss
EXTRA_tests_nss_libnss_cognito_la_DEPENDENCIES = $(top_srcdir)/nss_cognito/exports.map

if HAVE_CHECK
check_PROGRAMS += tests/unit/check_sigv4 tests/unit/check_cache tests/unit/check_mapping tests/unit/check_nss \
	tests/unit/check_login_cache tests/unit/check_cache_scale tests/unit/check_cache_retire \
	tests/unit/check_guard tests/unit/check_cache_load tests/unit/check_journal \
	tests/unit/check_cache_fetch tests/unit/check_localnames
TESTS += tests/unit/check_sigv4 tests/unit/check_cache tests/unit/check_mapping tests/unit/check_nss \
	tests/unit/check_login_cache tests/unit/check_cache_scale tests/unit/check_cache_retire \
	tests/unit/check_guard tests/unit/check_cache_load tests/unit/check_journal \
	tests/unit/check_cache_fetch tests/unit/check_localnames
endif
tests_unit_check_sigv4_SOURCES = tests/unit/check_sigv4.c
tests_unit_check_sigv4_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_sigv4_LDADD = $(TEST_LIBS)
tests_unit_check_cache_SOURCES = tests/unit/check_cache.c tests/cachetest.c tests/cachetest.h
tests_unit_check_cache_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_cache_LDADD = $(TEST_LIBS)
tests_unit_check_cache_load_SOURCES = tests/unit/check_cache_load.c tests/cachetest.c tests/cachetest.h
tests_unit_check_cache_load_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_cache_load_LDADD = $(TEST_LIBS)
tests_unit_check_cache_fetch_SOURCES = tests/unit/check_cache_fetch.c tests/cachetest.c tests/cachetest.h
tests_unit_check_cache_fetch_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_cache_fetch_LDADD = $(TEST_LIBS)
tests_unit_check_journal_SOURCES = tests/unit/check_journal.c tests/cachetest.c tests/cachetest.h
tests_unit_check_journal_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_journal_LDADD = $(TEST_LIBS)
tests_unit_check_cache_scale_SOURCES = tests/unit/check_cache_scale.c tests/cachetest.c tests/cachetest.h
tests_unit_check_cache_scale_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_cache_scale_LDADD = $(TEST_LIBS)
tests_unit_check_cache_retire_SOURCES = tests/unit/check_cache_retire.c tests/cachetest.c tests/cachetest.h
tests_unit_check_cache_retire_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_cache_retire_LDADD = $(TEST_LIBS)
tests_unit_check_guard_SOURCES = tests/unit/check_guard.c
tests_unit_check_guard_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_guard_LDADD = $(TEST_LIBS)
tests_unit_check_mapping_SOURCES = tests/unit/check_mapping.c tests/cachetest.c tests/cachetest.h
tests_unit_check_mapping_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_mapping_LDADD = $(TEST_LIBS)
tests_unit_check_nss_SOURCES = tests/unit/check_nss.c tests/cachetest.c tests/cachetest.h
tests_unit_check_nss_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_nss_LDADD = $(TEST_LIBS) -ldl
tests_unit_check_localnames_SOURCES = tests/unit/check_localnames.c tests/cachetest.c tests/cachetest.h
tests_unit_check_localnames_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_localnames_LDADD = $(TEST_LIBS) -ldl
tests_unit_check_login_cache_SOURCES = tests/unit/check_login_cache.c tests/cachetest.c tests/cachetest.h
tests_unit_check_login_cache_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_login_cache_LDADD = $(TEST_LIBS) -ldl
# Where the tests find the test build of the module, the installed one, and
# the cache directory compiled into the installed one.
AM_TESTS_ENVIRONMENT += NSS_TEST_MODULE='$(abs_top_builddir)/tests/nss/.libs/libnss_cognito.so.2'; \
	export NSS_TEST_MODULE; \
	NSS_MODULE='$(abs_top_builddir)/nss_cognito/.libs/libnss_cognito.so.2'; export NSS_MODULE; \
	NSS_CACHEDIR='$(cachedir)'; export NSS_CACHEDIR;

# libnss_cognito.so.2 links only libc and exports only its entry points;
# getent/id through nss_wrapper after a real sync; cognitoctl sync itself.
TESTS += tests/cli/nss_module.sh tests/cli/nss_wrapper.sh tests/cli/cognitoctl_sync.sh
EXTRA_DIST += tests/cli/nss_module.sh tests/cli/nss_wrapper.sh tests/cli/cognitoctl_sync.sh tests/nsslib.sh
TESTS += tests/cli/cognitoctl_admin.sh tests/system/ssh_keys.sh tests/cli/cognitoctl_user.sh tests/cli/cognitoctl_keys.sh
EXTRA_DIST += tests/cli/cognitoctl_admin.sh tests/cli/cognitoctl_user.sh tests/system/ssh_keys.sh tests/system/ssh_keys_ns.sh \
	tests/cli/cognitoctl_keys.sh
# More than 1023 groups through the real cognitoctl sync (issue 12).
TESTS += tests/cli/cognitoctl_sync_scale.sh
EXTRA_DIST += tests/cli/cognitoctl_sync_scale.sh
# Fleet hosts: signed snapshots installed by cognitoctl sync; the manifest's
# emit/parse and Ed25519 sign/verify (issue 14).
TESTS += tests/cli/cognitoctl_snapshot.sh
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_snapshot
TESTS += tests/unit/check_snapshot
endif
tests_unit_check_snapshot_SOURCES = tests/unit/check_snapshot.c
tests_unit_check_snapshot_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_snapshot_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/cli/cognitoctl_snapshot.sh tests/cli/snapshot_make.py tests/mock/snapshot_server.py
# The fleet exporter (issue 14): signed snapshot, uid stability, the UserList bucket.
TESTS += tests/cli/cognitoctl_export.sh
EXTRA_DIST += tests/cli/cognitoctl_export.sh tests/mock/imds_standin.py tests/s3/serve.js tests/s3/package.json \
	tests/s3/package-lock.json
# The incremental export from CloudTrail's LookupEvents (issue 14's stretch).
TESTS += tests/cli/cognitoctl_incremental.sh
EXTRA_DIST += tests/cli/cognitoctl_incremental.sh
# What a pool user wrote reaches cognitoctl's terminal escaped.
TESTS += tests/cli/cognitoctl_escape.sh
EXTRA_DIST += tests/cli/cognitoctl_escape.sh
# Only confirmed accounts get SSH keys from authorized-keys.
TESTS += tests/cli/cognitoctl_status.sh
EXTRA_DIST += tests/cli/cognitoctl_status.sh

# The cognitoctl CLI and the reference SDK against the mock.
TESTS += tests/cli/cognitoctl_login.sh tests/mock/oracle.sh
# Issue 15: AWS's Amplify JS v6 signs in with USER_AUTH against the mock.
TESTS += tests/mock/amplify.sh
EXTRA_DIST += tests/mock/amplify.sh tests/amplify/package.json tests/amplify/package-lock.json \
	tests/amplify/oracle_userauth.js

# Issue 17: cognitoctl login --device.
TESTS += tests/cli/cognitoctl_device.sh
EXTRA_DIST += tests/cli/cognitoctl_device.sh
# The mock IdP checked against the SDK's vectors and independent verifiers.
TESTS += tests/mock/mock_selftest.sh

# The whole mock directory ships: parts add modules to it without touching this file.
# The whole directory is copied from the source tree and then from the build
# tree, which holds the logs of the tests that live in it (tests/mock/*.sh).
dist-hook: dist-hook-mock
dist-hook-mock:
	rm -rf $(distdir)/tests/mock/__pycache__ $(distdir)/tests/mock/mockidp/__pycache__
	rm -f $(distdir)/tests/mock/*.log $(distdir)/tests/mock/*.trs
.PHONY: dist-hook-mock
EXTRA_DIST += tests/mock tests/lib.sh tests/README.md \
	tests/cli/cognitoctl_login.sh tests/mock/oracle.sh tests/mock/mock_selftest.sh \
	tests/oracle/package.json tests/oracle/package-lock.json tests/oracle/oracle_login.js \
	tests/oracle/oracle_device.js tests/oracle/oracle_http.js \
	tests/vectors/srp_vectors.json tests/vectors/sdk_transcripts.json

# After the password: identity-pool credentials, refresh, revocation and
# remembered devices, libcognito against the mock.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_tokens
TESTS += tests/unit/check_tokens
endif
tests_unit_check_tokens_SOURCES = tests/unit/check_tokens.c
tests_unit_check_tokens_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_tokens_LDADD = $(TEST_LIBS)

# Issue 17: the RFC 8628 client against scripted answers.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_device_flow
TESTS += tests/unit/check_device_flow
endif
tests_unit_check_device_flow_SOURCES = tests/unit/check_device_flow.c
tests_unit_check_device_flow_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_device_flow_LDADD = $(TEST_LIBS)

# The idp transport seam: logins driven by scripted answers (tests/fuzz/fixtures.h).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_transport
TESTS += tests/unit/check_transport
endif
tests_unit_check_transport_SOURCES = tests/unit/check_transport.c tests/fuzz/fixtures.h
tests_unit_check_transport_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_transport_LDADD = $(TEST_LIBS)

# The caller's environment, umask and rlimits are not inputs; the proxy key;
# the JWKS cache's maximum age; the SSH key filter.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_env tests/unit/check_sshkey
TESTS += tests/unit/check_env tests/unit/check_sshkey
endif
tests_unit_check_env_SOURCES = tests/unit/check_env.c
tests_unit_check_env_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_env_LDADD = $(TEST_LIBS)
tests_unit_check_sshkey_SOURCES = tests/unit/check_sshkey.c
tests_unit_check_sshkey_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_sshkey_LDADD = $(TEST_LIBS)

# The manual pages render cleanly; cognitoctl(1) covers every command and option.
TESTS += tests/cli/manpages.sh
EXTRA_DIST += tests/cli/manpages.sh
# The configuration template shows every key and parses.
TESTS += tests/cli/conf_template.sh
EXTRA_DIST += tests/cli/conf_template.sh

# Issues 12 and 18: an unprivileged local user (su, sudo, passwd, cognitoctl
# with a hostile environment, umask, rlimits, descriptors and argv) and a
# pool user (status, offline login, remembered hosts, escapes, a stopped su)
# attack the real setuid programs and sshd on a throwaway Debian host in a
# private mount namespace (root only; 77 otherwise). docs/threat-model.md
# lists the attacks. The Debian profile they enable is debian/pam-configs.
TESTS += tests/system/local_attacker.sh tests/system/pool_attacker.sh
EXTRA_DIST += tests/system/local_attacker.sh tests/system/local_attacker_ns.sh tests/system/pool_attacker.sh \
	tests/system/pool_attacker_ns.sh tests/system/attacker_lib.sh tests/system/attacker_ns.sh tests/system/attacker.exp \
	tests/system/attacker_stop.py debian/pam-configs/cognito
# make install into a DESTDIR puts every file where the installed manual
# pages say; make uninstall takes it all away.
TESTS += tests/cli/install_paths.sh
EXTRA_DIST += tests/cli/install_paths.sh
# The AWS setup guide's CloudFormation template: structure, settings, the sync's policy.
TESTS += tests/cli/aws_setup.sh
EXTRA_DIST += tests/cli/aws_setup.sh

# Passkeys: the software key enrolled and verified by the mock as relying party.
check_PROGRAMS += tests/unit/check_webauthn
TESTS += tests/unit/check_webauthn
tests_unit_check_webauthn_SOURCES = tests/unit/check_webauthn.c
tests_unit_check_webauthn_CFLAGS = $(TEST_CFLAGS)
tests_unit_check_webauthn_LDADD = tests/libsoftkey.la $(TEST_LIBS)
TESTS += tests/cli/cognitoctl_passkey.sh
EXTRA_DIST += tests/cli/cognitoctl_passkey.sh

# The device-flow bridge (issue 17): its handlers against dynalite and the
# mock's hosted UI, and once through headless Chromium.
TESTS += tests/bridge/bridge.sh tests/bridge/bridge_template.sh
EXTRA_DIST += tests/bridge/bridge.sh tests/bridge/bridge_template.sh tests/bridge/bridge_template.py \
	tests/bridge/package.json tests/bridge/package-lock.json \
	bridge/README.md bridge/template.yaml bridge/index.js bridge/local.js \
	bridge/lib/app.js bridge/lib/config.js bridge/lib/pages.js bridge/lib/store.js bridge/lib/util.js \
	bridge/test/helpers.js bridge/test/bridge.test.js bridge/test/hostedui.test.js \
	bridge/test/serve.js bridge/test/approve.js tests/bridge/bridge_lib.sh \
	bridge/test/chromium.test.js
