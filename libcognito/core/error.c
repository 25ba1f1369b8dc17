#include "build-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcognito/core/error.h"

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
    /* A refresh token rotation replaced: the session is over. */
    {"RefreshTokenReuseException", COG_ERR_AUTH},
    /* A pre-authentication Lambda or the pool's WAF said no: a refusal. */
    {"UserLambdaValidationException", COG_ERR_AUTH},
    {"ForbiddenException", COG_ERR_AUTH},
    {"MFAMethodNotFoundException", COG_ERR_AUTH},
    {"CodeMismatchException", COG_ERR_CODE},
    {"ExpiredCodeException", COG_ERR_CODE},
    {"EnableSoftwareTokenMFAException", COG_ERR_CODE},
    {"PasswordResetRequiredException", COG_ERR_PASSWORD_RESET_REQUIRED},
    {"UserNotConfirmedException", COG_ERR_NOT_CONFIRMED},
    {"InvalidPasswordException", COG_ERR_INVALID_PASSWORD},
    {"PasswordHistoryPolicyViolationException", COG_ERR_INVALID_PASSWORD},
    {"TooManyRequestsException", COG_ERR_UNAVAILABLE},
    {"ThrottlingException", COG_ERR_UNAVAILABLE},
    {"LimitExceededException", COG_ERR_UNAVAILABLE},
    {"InternalErrorException", COG_ERR_UNAVAILABLE},
    {"InternalFailure", COG_ERR_UNAVAILABLE},
    {"ServiceUnavailable", COG_ERR_UNAVAILABLE},
    {"ServiceUnavailableException", COG_ERR_UNAVAILABLE},
    {"UnexpectedLambdaException", COG_ERR_UNAVAILABLE},
    {"InvalidLambdaResponseException", COG_ERR_UNAVAILABLE},
    {"CodeDeliveryFailureException", COG_ERR_UNAVAILABLE},
    {"ConcurrentModificationException", COG_ERR_UNAVAILABLE},
    {"RequestTimeoutException", COG_ERR_UNAVAILABLE},
    /* The identity pool's: a federated provider did not answer. */
    {"ExternalServiceException", COG_ERR_UNAVAILABLE},
    /* What only the administrator can fix: the pool, the app client, the
     * identity pool or the AWS credentials are not what the config says. */
    {"InvalidUserPoolConfigurationException", COG_ERR_CONFIG},
    {"InvalidIdentityPoolConfigurationException", COG_ERR_CONFIG},
    {"InvalidOAuthFlowException", COG_ERR_CONFIG},
    {"UserPoolAddOnNotEnabledException", COG_ERR_CONFIG},
    {"InvalidSmsRoleAccessPolicyException", COG_ERR_CONFIG},
    {"InvalidSmsRoleTrustRelationshipException", COG_ERR_CONFIG},
    {"InvalidEmailRoleAccessPolicyException", COG_ERR_CONFIG},
    {"UnsupportedOperationException", COG_ERR_CONFIG},
    {"UnsupportedTokenTypeException", COG_ERR_CONFIG},
    {"UnrecognizedClientException", COG_ERR_CONFIG},
    {"InvalidSignatureException", COG_ERR_CONFIG},
    {"MissingAuthenticationTokenException", COG_ERR_CONFIG},
    {"AccessDeniedException", COG_ERR_CONFIG},
    {"ExpiredTokenException", COG_ERR_CONFIG},
    {"IncompleteSignatureException", COG_ERR_CONFIG},
    {"InvalidClientTokenId", COG_ERR_CONFIG},
    {"SignatureDoesNotMatch", COG_ERR_CONFIG},
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

/* Answers whose code alone does not say whose fault it is; the message does. */
static const struct {
    const char *code;
    const char *words; /* in the message, case ignored */
    cog_status status;
} message_map[] = {
    /* "USER_SRP_AUTH flow not enabled for this client" */
    {"InvalidParameterException", "flow not enabled", COG_ERR_CONFIG},
    {"InvalidParameterException", "not enabled for this client", COG_ERR_CONFIG},
    /* "Client ... is configured with secret but SECRET_HASH was not received",
     * "Unable to verify secret hash for client ...": the config's secret */
    {"NotAuthorizedException", "secret_hash was not received", COG_ERR_CONFIG},
    {"NotAuthorizedException", "unable to verify secret hash", COG_ERR_CONFIG},
    {"NotAuthorizedException", "client is configured without secret", COG_ERR_CONFIG},
    /* A device the pool forgot is the user's business, not the admin's. */
    {"ResourceNotFoundException", "device", COG_ERR_SERVICE},
    /* "User pool client ... does not exist.", "User pool ... does not
     * exist.", "IdentityPool '...' not found." */
    {"ResourceNotFoundException", "", COG_ERR_CONFIG},
};

cog_status cog_status_from_error(const char *code, const char *message)
{
    for (size_t i = 0; code != NULL && i < sizeof(message_map) / sizeof(message_map[0]); i++) {
        if (strcmp(code, message_map[i].code) == 0 &&
            (message_map[i].words[0] == '\0' ||
             (message != NULL && strcasestr(message, message_map[i].words) != NULL)))
            return message_map[i].status;
    }
    return cog_status_from_exception(code);
}
