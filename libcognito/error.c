#include "build-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcognito/error.h"

cog_status cog_error_set(struct cog_error *err, cog_status status, const char *code,
                         const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    err->unreachable = false;
    snprintf(err->code, sizeof(err->code), "%s", code ? code : "");
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    } else {
        err->message[0] = '\0';
    }
    return status;
}

void cog_error_clear(struct cog_error *err)
{
    if (err != NULL)
        memset(err, 0, sizeof(*err));
}

cog_status cog_error_unreachable(struct cog_error *err)
{
    if (err == NULL)
        return COG_ERR_UNAVAILABLE;
    err->unreachable = true;
    return err->status;
}

bool cog_exception_provoked(const char *code)
{
    static const char *const provoked[] = {
        "TooManyRequestsException",      "ThrottlingException",
        "LimitExceededException",        "TooManyFailedAttemptsException",
        "UnexpectedLambdaException",     "InvalidLambdaResponseException",
        "UserLambdaValidationException",
    };
    for (size_t i = 0; code != NULL && i < sizeof(provoked) / sizeof(provoked[0]); i++) {
        if (strcmp(code, provoked[i]) == 0)
            return true;
    }
    return false;
}

const char *cog_status_name(cog_status status)
{
    switch (status) {
    case COG_OK:
        return "ok";
    case COG_ERR_AUTH:
        return "not authorized";
    case COG_ERR_USER_UNKNOWN:
        return "user unknown";
    case COG_ERR_CODE:
        return "wrong or expired code";
    case COG_ERR_PASSWORD_RESET_REQUIRED:
        return "password reset required";
    case COG_ERR_NOT_CONFIRMED:
        return "user not confirmed";
    case COG_ERR_INVALID_PASSWORD:
        return "password does not meet the policy";
    case COG_ERR_UNAVAILABLE:
        return "service unavailable";
    case COG_ERR_CONFIG:
        return "configuration error";
    case COG_ERR_INVALID_INPUT:
        return "invalid input";
    case COG_ERR_TOKEN:
        return "token verification failed";
    case COG_ERR_SERVICE:
        return "service error";
    case COG_ERR_ABORTED:
        return "aborted";
    case COG_ERR_NOMEM:
        return "out of memory";
    case COG_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown";
}

static const struct {
    const char *code;
    cog_status status;
} exception_map[] = {
    {"NotAuthorizedException", COG_ERR_AUTH},
    {"UserNotFoundException", COG_ERR_USER_UNKNOWN},
    {"TooManyFailedAttemptsException", COG_ERR_AUTH},
    {"CodeMismatchException", COG_ERR_CODE},
    {"ExpiredCodeException", COG_ERR_CODE},
    {"EnableSoftwareTokenMFAException", COG_ERR_CODE},
    {"PasswordResetRequiredException", COG_ERR_PASSWORD_RESET_REQUIRED},
    {"UserNotConfirmedException", COG_ERR_NOT_CONFIRMED},
    {"InvalidPasswordException", COG_ERR_INVALID_PASSWORD},
    {"TooManyRequestsException", COG_ERR_UNAVAILABLE},
    {"ThrottlingException", COG_ERR_UNAVAILABLE},
    {"LimitExceededException", COG_ERR_UNAVAILABLE},
    {"InternalErrorException", COG_ERR_UNAVAILABLE},
    {"InternalFailure", COG_ERR_UNAVAILABLE},
    {"ServiceUnavailable", COG_ERR_UNAVAILABLE},
    {"ServiceUnavailableException", COG_ERR_UNAVAILABLE},
    {"UnexpectedLambdaException", COG_ERR_UNAVAILABLE},
    {"InvalidLambdaResponseException", COG_ERR_UNAVAILABLE},
    /* The identity pool's: a federated provider did not answer. */
    {"ExternalServiceException", COG_ERR_UNAVAILABLE},
};

cog_status cog_status_from_exception(const char *code)
{
    if (code == NULL || code[0] == '\0')
        return COG_ERR_UNAVAILABLE;
    for (size_t i = 0; i < sizeof(exception_map) / sizeof(exception_map[0]); i++) {
        if (strcmp(code, exception_map[i].code) == 0)
            return exception_map[i].status;
    }
    return COG_ERR_SERVICE;
}
