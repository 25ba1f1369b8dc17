# The sync's systemd service and timer (configure --with-systemdsystemunitdir).
if HAVE_SYSTEMD
systemdsystemunit_DATA = systemd/cognito-sync.service systemd/cognito-sync.timer \
	systemd/cognito-export.service systemd/cognito-export.timer
endif
EXTRA_DIST += systemd/cognito-sync.service.in systemd/cognito-sync.timer \
	systemd/cognito-export.service.in systemd/cognito-export.timer
CLEANFILES += systemd/cognito-sync.service systemd/cognito-export.service
systemd/cognito-sync.service: $(top_srcdir)/systemd/cognito-sync.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(subst_paths) $(top_srcdir)/systemd/cognito-sync.service.in >$@.tmp && mv $@.tmp $@
systemd/cognito-export.service: $(top_srcdir)/systemd/cognito-export.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	$(subst_paths) $(top_srcdir)/systemd/cognito-export.service.in >$@.tmp && mv $@.tmp $@

# /run/cognito at boot (configure --with-tmpfilesdir).
if HAVE_TMPFILES
tmpfiles_DATA = systemd/tmpfiles/pam_cognito.conf
endif
EXTRA_DIST += systemd/tmpfiles/pam_cognito.conf
