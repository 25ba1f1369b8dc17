/* A QR code drawn as text, for showing an otpauth:// URI on a terminal
 * through whatever front end asks (PAM conversation, cognitoctl). */
#ifndef COGNITO_QR_H
#define COGNITO_QR_H

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

/* Margin in modules around the code: the four-module "quiet zone" the QR
 * standard asks for, without which phone scanners often fail. */
#define COG_QR_MARGIN 4

/* Encodes text (8-bit mode, error correction level L) and draws it with
 * Unicode half blocks, two module rows per line. Terminals draw glyphs in
 * their text colour on their background, so the style says which is light:
 * COG_QR_DARK (a dark background, light text) draws the light modules and
 * the margin and leaves dark ones blank; COG_QR_LIGHT draws the dark
 * modules and leaves the light ones and the margin to the background.
 * Lines end with '\n' except the last. *out is malloc'd UTF-8. */
cog_status cog_qr_text_style(const char *text, enum cog_qr_style style, char **out,
                             struct cog_error *err);
/* The same for a dark terminal. */
cog_status cog_qr_text(const char *text, char **out, struct cog_error *err);

/* What PAM and cognitoctl show before the code: which style it is drawn in
 * and how to get the other. */
#define COG_QR_INTRO(is, other)                                                                    \
    "Scan this QR code with your authenticator app (drawn for a " is " terminal; for a " other     \
    " one: qr_style = " other " in cognito.conf, or cognitoctl --qr-style " other "):"
const char *cog_qr_intro(enum cog_qr_style style);

/* "JBSW Y3DP ...": a TOTP key in groups of four, easier to type into an
 * app (malloc'd; NULL when out of memory). */
char *cog_totp_key_grouped(const char *secret);

#endif
