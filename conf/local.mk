# The commented configuration, /etc/cognito/cognito.conf. `make install`
# puts it in place only where there is none yet (an administrator's file is
# never overwritten), mode 0600: it may come to hold client_secret.
# `make uninstall` removes it only while it is still the template.
noinst_DATA += conf/cognito.conf
EXTRA_DIST += conf/cognito.conf.in
CLEANFILES += conf/cognito.conf
conf/cognito.conf: $(top_srcdir)/conf/cognito.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && \
	$(subst_paths) $(top_srcdir)/conf/cognito.conf.in >$@.tmp && mv $@.tmp $@

confdir = $(sysconfdir)/cognito
install-data-local: install-data-local-conf
install-data-local-conf: conf/cognito.conf
	$(MKDIR_P) '$(DESTDIR)$(confdir)'
	@if test -e '$(DESTDIR)$(confdir)/cognito.conf'; then \
		echo "keeping the existing $(DESTDIR)$(confdir)/cognito.conf"; \
	else \
		echo " $(INSTALL_DATA) -m 0600 conf/cognito.conf '$(DESTDIR)$(confdir)/cognito.conf'"; \
		$(INSTALL_DATA) -m 0600 conf/cognito.conf '$(DESTDIR)$(confdir)/cognito.conf'; \
	fi
uninstall-local: uninstall-local-conf
uninstall-local-conf:
	if cmp -s conf/cognito.conf '$(DESTDIR)$(confdir)/cognito.conf'; then \
		rm -f '$(DESTDIR)$(confdir)/cognito.conf'; \
	fi
.PHONY: install-data-local-conf uninstall-local-conf
