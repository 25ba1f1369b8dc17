# pam_cognito.so: the PAM module. Only the pam_sm_* entry points are exported
# (pam_cognito.map). -z nodelete keeps it (and libcurl, OpenSSL) loaded after
# pam_end's dlclose: their one-time initialisation must not be redone, and
# leaked, by every PAM transaction of a long-lived process.
pam_LTLIBRARIES = pam_cognito/pam_cognito.la
pam_cognito_pam_cognito_la_SOURCES = \
	pam_cognito/pam_cognito.c pam_cognito/login.h pam_cognito/chauthtok.c \
	pam_cognito/args.c pam_cognito/args.h \
	pam_cognito/conv.c pam_cognito/conv.h \
	pam_cognito/state.c pam_cognito/state.h \
	pam_cognito/acct.c pam_cognito/acct.h \
	pam_cognito/who.c pam_cognito/who.h \
	pam_cognito/store.c pam_cognito/store.h \
	pam_cognito/session.c pam_cognito/session.h \
	pam_cognito/lifecycle.c pam_cognito/lifecycle.h \
	pam_cognito/aws.c pam_cognito/aws.h \
	pam_cognito/device.c pam_cognito/device.h \
	pam_cognito/device_login.c pam_cognito/device_login.h \
	pam_cognito/offline.c pam_cognito/offline.h \
	pam_cognito/refusal.c pam_cognito/refusal.h \
	pam_cognito/userauth.c pam_cognito/userauth.h
pam_cognito_pam_cognito_la_CFLAGS = $(COGNITO_CFLAGS)
pam_cognito_pam_cognito_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -no-undefined \
	-Wl,--version-script=$(srcdir)/pam_cognito/pam_cognito.map -Wl,-z,nodelete
pam_cognito_pam_cognito_la_LIBADD = $(COGNITO_LIBS) $(PAM_LIBS) $(CRYPT_LIBS)
EXTRA_pam_cognito_pam_cognito_la_DEPENDENCIES = pam_cognito/pam_cognito.map
EXTRA_DIST += pam_cognito/pam_cognito.map


# A PAM module is loaded by path, never linked: its libtool archive has no
# use once installed.
install-data-hook: install-data-hook-pam
install-data-hook-pam:
	rm -f $(DESTDIR)$(pamdir)/pam_cognito.la
uninstall-hook: uninstall-hook-pam
uninstall-hook-pam:
	rm -f $(DESTDIR)$(pamdir)/pam_cognito.so
.PHONY: install-data-hook-pam uninstall-hook-pam
