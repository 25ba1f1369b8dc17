# libnss_cognito.so.2: passwd, group and initgroups from the user cache.
# Links only the libc-only cache reader. glibc loads it by the exact name
# libnss_cognito.so.2: -shrext with -avoid-version makes that the file name
# and the soname, and the libtool archive is not installed.
# -z defs proves the module needs nothing but libc, except in sanitizer
# builds: clang leaves the sanitizer runtime to the executable.
if SANITIZERS
NSS_MODULE_DEFS =
else
if FUZZERS
NSS_MODULE_DEFS =
else
NSS_MODULE_DEFS = -Wl,-z,defs
endif
endif
NSS_MODULE_LDFLAGS = -module -avoid-version -shrext .so.2 -no-undefined \
	-Wl,--version-script=$(top_srcdir)/nss_cognito/exports.map \
	$(NSS_MODULE_DEFS) -Wl,-z,relro -Wl,-z,now
nss_LTLIBRARIES = nss_cognito/libnss_cognito.la
nss_cognito_libnss_cognito_la_SOURCES = nss_cognito/nss_cognito.c nss_cognito/nss_cognito.h
nss_cognito_libnss_cognito_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
nss_cognito_libnss_cognito_la_LIBADD = libcognito/libcogcache.la
nss_cognito_libnss_cognito_la_LDFLAGS = $(AM_LDFLAGS) $(NSS_MODULE_LDFLAGS)
EXTRA_nss_cognito_libnss_cognito_la_DEPENDENCIES = $(top_srcdir)/nss_cognito/exports.map
EXTRA_DIST += nss_cognito/exports.map

# nssdir's name has no "exec" in it, so automake installs the module with the data.
install-data-hook: install-data-hook-nss
install-data-hook-nss:
	rm -f $(DESTDIR)$(nssdir)/libnss_cognito.la
	@echo "libnss_cognito.so.2 is in $(nssdir): glibc finds it there once it is in the"
	@echo "linker cache (run ldconfig if that is not a default library directory), and"
	@echo "uses it once cognito is on the passwd and group lines of /etc/nsswitch.conf."
uninstall-hook: uninstall-hook-nss
uninstall-hook-nss:
	rm -f $(DESTDIR)$(nssdir)/libnss_cognito.so.2
.PHONY: install-data-hook-nss uninstall-hook-nss
