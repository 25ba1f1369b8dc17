# libcognito: the Cognito client, internal and static (a libtool convenience
# library, built PIC so the PAM module can link it).
noinst_LTLIBRARIES += libcognito/libcognito.la
libcognito_libcognito_la_SOURCES = \
	libcognito/error.c libcognito/error.h \
	libcognito/util.c libcognito/util.h \
	libcognito/config.c libcognito/config_file.c libcognito/config.h \
	libcognito/config_values.c libcognito/config_values.h \
	libcognito/http.c libcognito/http.h \
	libcognito/json.c libcognito/json.h \
	libcognito/idp.c libcognito/idp.h \
	libcognito/srp.c libcognito/srp.h \
	libcognito/jwt.c libcognito/jwt.h \
	libcognito/auth.c libcognito/auth.h libcognito/auth_internal.h \
	libcognito/auth_text.c libcognito/auth_mfa.c libcognito/auth_challenges.c \
	libcognito/auth_device.c libcognito/identity.c libcognito/identity.h \
	libcognito/auth_recover.c libcognito/auth_early.c libcognito/auth_userauth.c libcognito/auth_rotate.c libcognito/auth_prompt.c \
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
	libcognito/cache_retire.c libcognito/cache_retire.h \
	libcognito/admin.c libcognito/admin.h \
	libcognito/sshkey.c libcognito/sshkey.h \
	libcognito/pool_reader.c libcognito/pool_reader.h \
	libcognito/cloudtrail.c libcognito/cloudtrail.h \
	libcognito/export_delta.c libcognito/export_delta.h \
	libcognito/export_state.c libcognito/export_state.h \
	libcognito/s3.c libcognito/s3.h \
	libcognito/snapshot_manifest.c libcognito/snapshot_manifest.h \
	libcognito/snapshot_build.c libcognito/snapshot_build.h \
	libcognito/snapshot_fetch.c libcognito/snapshot_fetch.h \
	libcognito/snapshot_local.c libcognito/snapshot_local.h \
	libcognito/snapshot_install.c libcognito/snapshot_install.h \
	libcognito/webauthn.c libcognito/webauthn.h libcognito/webauthn_internal.h \
	libcognito/webauthn_reg.c libcognito/webauthn_fido2.c libcognito/webauthn_default.c
libcognito_libcognito_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS) \
	$(QRENCODE_CFLAGS) $(FIDO2_CFLAGS)
libcognito_libcognito_la_LIBADD = libcognito/libcogcache.la \
	$(CURL_LIBS) $(JSONC_LIBS) $(OPENSSL_LIBS) $(QRENCODE_LIBS) $(FIDO2_LIBS) $(PTHREAD_LIBS)

# The software authenticator of the tests (tests/softkey.c, built in
# tests/local.mk): linked into libcognito only with --enable-test-hooks.
if TEST_HOOKS
libcognito_libcognito_la_LIBADD += tests/libsoftkey.la
endif

# The cache reader alone, libc only: the NSS module links just this.
noinst_LTLIBRARIES += libcognito/libcogcache.la
libcognito_libcogcache_la_SOURCES = \
	libcognito/cache_read.c libcognito/cache.h libcognito/cache_format.h
libcognito_libcogcache_la_CFLAGS = $(AM_CFLAGS)

# What a program linking libcognito needs.
COGNITO_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
COGNITO_LIBS = libcognito/libcognito.la
