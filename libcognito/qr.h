/* A QR code drawn as text, for showing an otpauth:// URI on a terminal
 * through whatever front end asks (PAM conversation, cognitoctl). */
#ifndef COGNITO_QR_H
#define COGNITO_QR_H

#include "libcognito/error.h"

/* Margin in modules around the code (the "quiet zone" scanners need). */
#define COG_QR_MARGIN 2

/* Encodes text (8-bit mode, error correction level L) and draws it with
 * Unicode half blocks, two module rows per line: light modules and the
 * margin are drawn, dark ones left blank, so it reads right on the usual
 * light-on-dark terminal. Lines end with '\n' except the last. *out is
 * malloc'd UTF-8. */
cog_status cog_qr_text(const char *text, char **out, struct cog_error *err);

#endif
