/* The one error vocabulary of libcognito: every part reports a cog_status,
 * and the PAM module, cognitoctl and the tests map it to their own results. */
#ifndef COGNITO_ERROR_H
#define COGNITO_ERROR_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    COG_OK = 0,
    COG_ERR_AUTH,                    /* NotAuthorized: wrong password, disabled user, ... */
    COG_ERR_USER_UNKNOWN,            /* UserNotFoundException (pool reveals existence) */
    COG_ERR_CODE,                    /* CodeMismatch / ExpiredCode: the answer was wrong */
    COG_ERR_PASSWORD_RESET_REQUIRED, /* PasswordResetRequiredException */
    COG_ERR_NOT_CONFIRMED,           /* UserNotConfirmedException */
    COG_ERR_INVALID_PASSWORD,        /* InvalidPasswordException on a new password */
    COG_ERR_UNAVAILABLE,             /* network, TLS, timeout, 5xx, throttling, garbage */
    COG_ERR_CONFIG,                  /* configuration file or option is wrong */
    COG_ERR_INVALID_INPUT,           /* a value we refuse to send (bad username, ...) */
    COG_ERR_TOKEN,                   /* a token failed verification */
    COG_ERR_SERVICE,                 /* any other error the service named (4xx) */
    COG_ERR_ABORTED,                 /* the caller's prompt was cancelled */
    COG_ERR_NOMEM,
    COG_ERR_INTERNAL,
} cog_status;

#define COG_ERROR_CODE_MAX 96
#define COG_ERROR_MESSAGE_MAX 512

/* What went wrong, for the caller to show or log. Never holds a secret.
 *
 * unreachable tells two kinds of COG_ERR_UNAVAILABLE apart: true only when
 * the service could not be reached at all (DNS, connect, TLS, a timeout, an
 * HTTP 5xx); false when the service answered, even if what it said was
 * "throttled" (TooManyRequestsException), a Lambda error, or garbage:
 * answers a third party can provoke. The auth machine clears it once the
 * password was accepted and a later challenge was pending. The PAM module's
 * offline login stands in only for an unreachable service. */
struct cog_error {
    cog_status status;
    char code[COG_ERROR_CODE_MAX];       /* Cognito's exception name, or "" */
    char message[COG_ERROR_MESSAGE_MAX]; /* human-readable, safe to log */
    bool unreachable;
};

/* Fills err (if not NULL) and returns status, so callers can `return cog_error_set(...)`. */
cog_status cog_error_set(struct cog_error *err, cog_status status, const char *code,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cog_error_clear(struct cog_error *err);
/* Marks err as "the service could not be reached" (see unreachable); returns
 * its status. */
cog_status cog_error_unreachable(struct cog_error *err);
/* True for the exceptions a caller or a third party can provoke: throttling
 * and the pool's Lambda triggers failing. */
bool cog_exception_provoked(const char *code);
const char *cog_status_name(cog_status status);

/* Maps a Cognito exception name (the part after '#') to a status. */
cog_status cog_status_from_exception(const char *code);
/* The same, with the message for codes that mean two things (an
 * InvalidParameterException about a disabled auth flow is the config's). */
cog_status cog_status_from_error(const char *code, const char *message);

#endif
