# Manual pages (pam_cognito.8 is listed with the module).
dist_man_MANS += man/nss_cognito.8 man/cognito.conf.5 man/cognitoctl.1
