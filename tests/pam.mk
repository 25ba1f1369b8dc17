# pam_cognito.so through the real Linux-PAM library under pam_wrapper and
# libpamtest, against the mock IdP (tests/check_pam re-runs itself wrapped).
PAM_TEST_SOURCES = tests/pamharness.c tests/pamharness.h tests/totp.c tests/totp.h
PAM_TEST_CFLAGS = $(TEST_CFLAGS) $(QRENCODE_CFLAGS) \
	-DPAM_WRAPPER_MODULES='"$(PAM_WRAPPER_MODULES)"'
PAM_TEST_LIBS = $(TEST_LIBS) $(PAMTEST_LIBS) $(QRENCODE_LIBS) $(PAM_LIBS)

if HAVE_CHECK
if HAVE_PAMTEST
check_PROGRAMS += tests/check_pam
TESTS += tests/check_pam
endif
endif
tests_check_pam_SOURCES = tests/check_pam.c $(PAM_TEST_SOURCES)
tests_check_pam_CFLAGS = $(PAM_TEST_CFLAGS)
tests_check_pam_LDADD = $(PAM_TEST_LIBS)
