# cognitoctl: the admin and user tool.
bin_PROGRAMS += tools/cognitoctl
tools_cognitoctl_SOURCES = \
	tools/cognitoctl.c \
	tools/term.c tools/term.h \
	tools/cmd_login.c tools/cmds.h \
	tools/cmd_sync.c tools/cmd_export.c tools/export_files.c tools/export_files.h \
	tools/cmd_admin.c tools/cmd_check.c \
	tools/cmd_user.c tools/cmd_attributes.c tools/cmd_refresh.c tools/cmd_mfa.c tools/cmd_passkey.c tools/user_session.h \
	tools/tokens.c
tools_cognitoctl_CFLAGS = $(COGNITO_CFLAGS)
tools_cognitoctl_LDADD = $(COGNITO_LIBS)
