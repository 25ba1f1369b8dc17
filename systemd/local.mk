# The sync's systemd service and timer (configure --with-systemdsystemunitdir).
if HAVE_SYSTEMD
systemdsystemunit_DATA = systemd/cognito-sync.service systemd/cognito-sync.timer
endif
EXTRA_DIST += systemd/cognito-sync.service.in systemd/cognito-sync.timer
CLEANFILES += systemd/cognito-sync.service
systemd/cognito-sync.service: $(top_srcdir)/systemd/cognito-sync.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@cachedir[@]|$(cachedir)|g' \
		$(top_srcdir)/systemd/cognito-sync.service.in >$@.tmp && mv $@.tmp $@
