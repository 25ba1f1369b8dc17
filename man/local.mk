# Manual pages. The pages in man/ are written with the paths of a packaged
# install on Debian amd64, so `man -l man/PAGE` reads right in a clone; the
# installed copies (man/gen/) name the paths configure chose instead, and the
# version of this release in their footer. tests/cli/install_paths.sh checks
# the installed files against them.
MAN_PAGES = man/pam_cognito.8 man/nss_cognito.8 man/cognito.conf.5 man/cognitoctl.1
EXTRA_DIST += $(MAN_PAGES)
man_MANS = man/gen/pam_cognito.8 man/gen/nss_cognito.8 man/gen/cognito.conf.5 man/gen/cognitoctl.1
CLEANFILES += $(man_MANS)
noinst_DATA += $(man_MANS)

# The packaged paths, each replaced only where it begins a path (after a
# space, a quote or the start of the line).
man_subst = sed \
	-e 's@\(^\|[ "(]\)/etc/cognito@\1$(sysconfdir)/cognito@g' \
	-e 's@\(^\|[ "(]\)/var/lib/cognito@\1$(cachedir)@g' \
	-e 's@\(^\|[ "(]\)/usr/bin/cognitoctl@\1$(bindir)/cognitoctl@g' \
	-e 's@\(^\|[ "(]\)/lib/x86_64-linux-gnu/security@\1$(pamdir)@g' \
	-e 's@\(^\|[ "(]\)/usr/lib/x86_64-linux-gnu/libnss_cognito@\1$(nssdir)/libnss_cognito@g' \
	-e 's@\(^\|[ "(]\)/lib/systemd/system/cognito@\1$(systemdsystemunitdir)/cognito@g' \
	-e 's@\(^\|[ "(]\)/usr/lib/tmpfiles.d/pam_cognito@\1$(tmpfilesdir)/pam_cognito@g' \
	-e '1s@"pam_cognito [^"]*"@"pam_cognito $(VERSION)"@'

man/gen/%: $(top_srcdir)/man/% Makefile
	$(AM_V_GEN)$(MKDIR_P) man/gen && $(man_subst) $< >$@.tmp && mv $@.tmp $@
