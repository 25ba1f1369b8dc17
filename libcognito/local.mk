# libcognito: the Cognito client, internal and static (a libtool convenience
# library, built PIC so the PAM module can link it).
noinst_LTLIBRARIES += libcognito/libcognito.la
# By part; a part includes only the parts before it (core < wire < signin;
# core < cache < mapping < snapshot, which also uses wire).
#   core/: errors, strings, buffers, the configuration
#   wire/: the wire client, HTTPS, the cognito-idp JSON API, SigV4, S3, the identity pool
#   signin/: the sign-in logic, SRP, the challenge state machine, MFA, passkeys, the device grant
#   cache/: the cache files, format, writer, lock (its reader is libcogcache below)
#   mapping/: the pool mapped to Unix users and groups, and into the cache
#   snapshot/: the fleet snapshot, build (a full read, or CloudTrail's changes), sign, fetch, verify, install
libcognito_libcognito_la_SOURCES = \
	libcognito/core/arena.c libcognito/core/arena.h libcognito/core/buf.c libcognito/core/buf.h \
	libcognito/core/config.c libcognito/core/config.h libcognito/core/config_file.c \
	libcognito/core/config_mapping.c libcognito/core/config_mapping.h \
	libcognito/core/config_values.c libcognito/core/config_values.h libcognito/core/error.c \
	libcognito/core/error.h libcognito/core/json.c libcognito/core/json.h libcognito/core/util.c \
	libcognito/core/util.h \
	libcognito/wire/http.c libcognito/wire/http.h libcognito/wire/identity.c \
	libcognito/wire/identity.h libcognito/wire/idp.c libcognito/wire/idp.h libcognito/wire/s3.c \
	libcognito/wire/s3.h libcognito/wire/sigv4.c libcognito/wire/sigv4.h \
	libcognito/signin/account.c libcognito/signin/account.h libcognito/signin/auth.c \
	libcognito/signin/auth.h libcognito/signin/auth_challenges.c libcognito/signin/auth_device.c \
	libcognito/signin/auth_early.c libcognito/signin/auth_internal.h libcognito/signin/auth_mfa.c \
	libcognito/signin/auth_prompt.c libcognito/signin/auth_recover.c \
	libcognito/signin/auth_rotate.c libcognito/signin/auth_text.c \
	libcognito/signin/auth_userauth.c libcognito/signin/device_flow.c \
	libcognito/signin/device_flow.h libcognito/signin/jwt.c libcognito/signin/jwt.h \
	libcognito/signin/qr.c libcognito/signin/qr.h libcognito/signin/srp.c libcognito/signin/srp.h \
	libcognito/signin/srp_device.c libcognito/signin/srp_internal.h libcognito/signin/srp_text.c \
	libcognito/signin/webauthn.c libcognito/signin/webauthn.h \
	libcognito/signin/webauthn_default.c libcognito/signin/webauthn_fido2.c \
	libcognito/signin/webauthn_internal.h libcognito/signin/webauthn_reg.c \
	libcognito/cache/cache_account.c libcognito/cache/cache_detach.c \
	libcognito/cache/cache_fetch.c libcognito/cache/cache_file.c libcognito/cache/cache_journal.c \
	libcognito/cache/cache_lock.c libcognito/cache/cache_write.c \
	libcognito/cache/cache_image.c libcognito/cache/cache_image.h \
	libcognito/cache/idmap.c libcognito/cache/idmap.h libcognito/cache/sshkey.c \
	libcognito/cache/sshkey.h \
	libcognito/mapping/admin.c libcognito/mapping/admin.h libcognito/mapping/cache_retire.c \
	libcognito/mapping/cache_retire.h libcognito/mapping/cache_login.c libcognito/mapping/cache_store.c \
	libcognito/mapping/cache_store.h libcognito/mapping/cache_sync.c \
	libcognito/mapping/localnames.c libcognito/mapping/localnames.h libcognito/mapping/mapping.c \
	libcognito/mapping/mapping.h libcognito/mapping/mapping_emit.c \
	libcognito/mapping/mapping_ids.c libcognito/mapping/mapping_internal.h \
	libcognito/mapping/mapping_names.c libcognito/mapping/mapping_pool.c \
	libcognito/mapping/pool_reader.c libcognito/mapping/pool_reader.h \
	libcognito/snapshot/cloudtrail.c libcognito/snapshot/cloudtrail.h \
	libcognito/snapshot/export_delta.c libcognito/snapshot/export_delta.h \
	libcognito/snapshot/export_state.c libcognito/snapshot/export_state.h \
	libcognito/snapshot/snapshot_build.c libcognito/snapshot/snapshot_build.h \
	libcognito/snapshot/snapshot_fetch.c libcognito/snapshot/snapshot_fetch.h \
	libcognito/snapshot/snapshot_install.c libcognito/snapshot/snapshot_install.h \
	libcognito/snapshot/snapshot_local.c libcognito/snapshot/snapshot_local.h \
	libcognito/snapshot/snapshot_manifest.c libcognito/snapshot/snapshot_manifest.h
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
	libcognito/cache/cache_map.c libcognito/cache/cache_read.c libcognito/cache/cache.h \
	libcognito/cache/cache_format.h
libcognito_libcogcache_la_CFLAGS = $(AM_CFLAGS)

# What a program linking libcognito needs.
COGNITO_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
COGNITO_LIBS = libcognito/libcognito.la
