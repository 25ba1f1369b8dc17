# The commented configuration, /etc/cognito/cognito.conf. `make install`
# puts it in place only where there is none yet (an administrator's file is
# never overwritten), mode 0644: the tools users run (cognitoctl attributes,
# change-password, mfa ...) read it; secrets go into root-only files of their
# own (client_secret_file, admin_credentials_file). It also makes the cache
# directory. `make uninstall` removes the file only while it is still the
# template, and each directory only when it is empty.
noinst_DATA += conf/cognito.conf
EXTRA_DIST += conf/cognito.conf.in
CLEANFILES += conf/cognito.conf
conf/cognito.conf: $(top_srcdir)/conf/cognito.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && \
	$(subst_paths) $(top_srcdir)/conf/cognito.conf.in >$@.tmp && mv $@.tmp $@

confdir = $(sysconfdir)/cognito
install-data-local: install-data-local-conf
install-data-local-conf: conf/cognito.conf
	$(MKDIR_P) '$(DESTDIR)$(confdir)' '$(DESTDIR)$(cachedir)'
	@if test -e '$(DESTDIR)$(confdir)/cognito.conf'; then \
		echo "keeping the existing $(DESTDIR)$(confdir)/cognito.conf"; \
	else \
		echo " $(INSTALL_DATA) -m 0644 conf/cognito.conf '$(DESTDIR)$(confdir)/cognito.conf'"; \
		$(INSTALL_DATA) -m 0644 conf/cognito.conf '$(DESTDIR)$(confdir)/cognito.conf'; \
	fi
uninstall-local: uninstall-local-conf
uninstall-local-conf:
	if cmp -s conf/cognito.conf '$(DESTDIR)$(confdir)/cognito.conf'; then \
		rm -f '$(DESTDIR)$(confdir)/cognito.conf'; \
	fi
	-rmdir '$(DESTDIR)$(confdir)' '$(DESTDIR)$(cachedir)' 2>/dev/null
.PHONY: install-data-local-conf uninstall-local-conf
