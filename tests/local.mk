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

TEST_CFLAGS = $(COGNITO_CFLAGS) $(CHECK_CFLAGS)
TEST_LIBS = tests/libtestutil.la $(COGNITO_LIBS) $(CHECK_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/check_config tests/check_srp tests/check_idp tests/check_jwt tests/check_e2e
TESTS += tests/check_config tests/check_srp tests/check_idp tests/check_jwt tests/check_e2e
endif
tests_check_config_SOURCES = tests/check_config.c
tests_check_config_CFLAGS = $(TEST_CFLAGS)
tests_check_config_LDADD = $(TEST_LIBS)
tests_check_srp_SOURCES = tests/check_srp.c
tests_check_srp_CFLAGS = $(TEST_CFLAGS)
tests_check_srp_LDADD = $(TEST_LIBS)
tests_check_idp_SOURCES = tests/check_idp.c
tests_check_idp_CFLAGS = $(TEST_CFLAGS)
tests_check_idp_LDADD = $(TEST_LIBS)
tests_check_jwt_SOURCES = tests/check_jwt.c
tests_check_jwt_CFLAGS = $(TEST_CFLAGS)
tests_check_jwt_LDADD = $(TEST_LIBS)
tests_check_e2e_SOURCES = tests/check_e2e.c
tests_check_e2e_CFLAGS = $(TEST_CFLAGS)
tests_check_e2e_LDADD = $(TEST_LIBS)

# AWS Signature V4 against AWS's published test-suite vectors.
if HAVE_CHECK
check_PROGRAMS += tests/check_sigv4
TESTS += tests/check_sigv4
endif
tests_check_sigv4_SOURCES = tests/check_sigv4.c
tests_check_sigv4_CFLAGS = $(TEST_CFLAGS)
tests_check_sigv4_LDADD = $(TEST_LIBS)

# The cognitoctl CLI and the reference SDK against the mock.
TESTS += tests/cognitoctl_login.sh tests/oracle.sh
# The mock IdP checked against the SDK's vectors and independent verifiers.
TESTS += tests/mock_selftest.sh

# The whole mock directory ships: parts add modules to it without touching this file.
dist-hook: dist-hook-mock
dist-hook-mock:
	rm -rf $(distdir)/tests/mock/__pycache__ $(distdir)/tests/mock/mockidp/__pycache__
.PHONY: dist-hook-mock
EXTRA_DIST += tests/mock tests/lib.sh \
	tests/cognitoctl_login.sh tests/oracle.sh tests/mock_selftest.sh \
	tests/oracle/package.json tests/oracle/package-lock.json tests/oracle/oracle_login.js \
	tests/vectors/srp_vectors.json tests/vectors/sdk_transcripts.json
