# libcognito: the Cognito client, internal and static (a libtool convenience
# library, built PIC so the PAM module can link it).
noinst_LTLIBRARIES += libcognito/libcognito.la
libcognito_libcognito_la_SOURCES = \
	libcognito/error.c libcognito/error.h \
	libcognito/util.c libcognito/util.h \
	libcognito/config.c libcognito/config_file.c libcognito/config.h \
	libcognito/http.c libcognito/http.h \
	libcognito/idp.c libcognito/idp.h \
	libcognito/srp.c libcognito/srp.h \
	libcognito/jwt.c libcognito/jwt.h \
	libcognito/auth.c libcognito/auth.h libcognito/auth_internal.h \
	libcognito/auth_text.c libcognito/auth_mfa.c libcognito/auth_challenges.c \
	libcognito/auth_device.c libcognito/identity.c libcognito/identity.h \
	libcognito/auth_recover.c libcognito/auth_early.c \
	libcognito/account.c libcognito/account.h \
	libcognito/qr.c libcognito/qr.h \
	libcognito/device_flow.c libcognito/device_flow.h \
	libcognito/buf.c libcognito/buf.h \
	libcognito/arena.c libcognito/arena.h \
	libcognito/idmap.c libcognito/idmap.h \
	libcognito/sigv4.c libcognito/sigv4.h \
	libcognito/mapping.c libcognito/mapping.h libcognito/mapping_internal.h \
	libcognito/mapping_config.c libcognito/mapping_pool.c libcognito/mapping_names.c \
	libcognito/mapping_ids.c libcognito/mapping_emit.c \
	libcognito/localnames.c libcognito/localnames.h \
	libcognito/cache_write.c libcognito/cache_store.c libcognito/cache_store.h \
	libcognito/cache_sync.c libcognito/cache_account.c libcognito/cache_lock.c \
	libcognito/cache_detach.c libcognito/cache_file.c \
	libcognito/admin.c libcognito/admin.h \
	libcognito/sshkey.c libcognito/sshkey.h
libcognito_libcognito_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS) \
	$(QRENCODE_CFLAGS)
libcognito_libcognito_la_LIBADD = libcognito/libcogcache.la \
	$(CURL_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS) $(QRENCODE_LIBS) $(PTHREAD_LIBS)

# The cache reader alone, libc only: the NSS module links just this.
noinst_LTLIBRARIES += libcognito/libcogcache.la
libcognito_libcogcache_la_SOURCES = \
	libcognito/cache_read.c libcognito/cache.h libcognito/cache_format.h
libcognito_libcogcache_la_CFLAGS = $(AM_CFLAGS)

# What a program linking libcognito needs.
COGNITO_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
COGNITO_LIBS = libcognito/libcognito.la
