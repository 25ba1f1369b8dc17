# libcognito: the Cognito client, internal and static (a libtool convenience
# library, built PIC so the PAM module can link it).
noinst_LTLIBRARIES += libcognito/libcognito.la
libcognito_libcognito_la_SOURCES = \
	libcognito/error.c libcognito/error.h \
	libcognito/util.c libcognito/util.h \
	libcognito/config.c libcognito/config.h \
	libcognito/http.c libcognito/http.h \
	libcognito/idp.c libcognito/idp.h \
	libcognito/srp.c libcognito/srp.h \
	libcognito/jwt.c libcognito/jwt.h \
	libcognito/auth.c libcognito/auth.h libcognito/auth_internal.h \
	libcognito/auth_text.c libcognito/auth_mfa.c libcognito/auth_challenges.c \
	libcognito/auth_recover.c \
	libcognito/account.c libcognito/account.h \
	libcognito/qr.c libcognito/qr.h
libcognito_libcognito_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS) \
	$(QRENCODE_CFLAGS)
libcognito_libcognito_la_LIBADD = $(CURL_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS) $(QRENCODE_LIBS) \
	$(PTHREAD_LIBS)

# What a program linking libcognito needs.
COGNITO_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
COGNITO_LIBS = libcognito/libcognito.la
