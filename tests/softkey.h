/* A software FIDO2 authenticator for tests: a P-256 key with a credential
 * id, a user handle and a sign count, kept in a JSON state file. It makes
 * real authenticatorData and ES256 signatures, so the mock verifies its
 * assertions exactly as a relying party verifies a real key's.
 *
 * Only test programs and builds configured with --enable-test-hooks link it
 * (libcognito/signin/webauthn_default.c, $COGNITO_TEST_SOFTKEY). */
#ifndef COGNITO_TESTS_SOFTKEY_H
#define COGNITO_TESTS_SOFTKEY_H

#include <stdbool.h>

#include "libcognito/signin/webauthn.h"

/* An authenticator backed by state_path (not read until used: enrolment
 * creates the file, an assertion needs it). */
int softkey_authenticator(struct cog_authenticator *out, const char *state_path);

/* Test knobs, each rewriting the state file:
 * the sign count the next assertion starts from (a replay sets it back);
 * whether the key can verify its user (no PIN and uv false: UV never set);
 * a PIN ("" or NULL: none), which needs_pin reports and UV then requires. */
bool softkey_set_count(const char *state_path, long count);
bool softkey_set_uv(const char *state_path, bool uv);
bool softkey_set_pin(const char *state_path, const char *pin);
/* The sign count in the state file, -1 when unreadable. */
long softkey_count(const char *state_path);

#endif
