# nss_cognito: filled in by its issue
