# Manual pages.
dist_man_MANS += man/nss_cognito.8 man/cognito.conf.5
