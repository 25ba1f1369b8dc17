/* RFC 6238 TOTP for the tests, written apart from the mock's (Python) and
 * from anything in libcognito, so a code the module accepts was computed
 * by a second implementation. */
#ifndef COGNITO_TEST_TOTP_H
#define COGNITO_TEST_TOTP_H

#include <stdbool.h>
#include <time.h>

/* The 6-digit code of base32 secret at time t into out[7]; false when the
 * secret is not base32. */
bool test_totp(const char *secret, time_t t, char out[7]);

#endif
