/* The flows a sign-in can need before it can succeed, each behind an option:
 * a password reset (PasswordResetRequiredException) and a sign-up
 * confirmation (UserNotConfirmedException). Both end with the caller signing
 * in again; neither is a success by itself. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"

/* A user pressing Enter for a new code forever is not a login. */
#define MAX_RESENDS 3

static bool code_usable(const char *code)
{
    return code[0] != '\0' && cog_text_valid(code, AUTH_CODE_MAX);
}

cog_status auth_reset_password(struct login *l)
{
    struct cog_delivery where;
    char *code = NULL, *password = NULL;
    cog_status st;
    const char *user = auth_user(l);

    auth_info(l, "Your password must be reset before you can sign in.");
    if ((st = auth_spend_request(l)) == COG_OK)
        st = cog_forgot_password(l->idp, user, &where, l->err);
    if (st != COG_OK)
        goto out;
    auth_say_delivery(l, "A password reset code", &where);
    for (int attempt = 0; attempt < auth_max_attempts(l); attempt++) {
        bool more = attempt + 1 < auth_max_attempts(l);
        /* A wrong code asks for the code again, a refused password for the
         * password again; what was right is kept. */
        if (code == NULL) {
            st = auth_ask_code(l, COG_CODE_RESET, "Password reset code: ", &code);
            if (st != COG_OK)
                goto out;
        }
        if (password == NULL) {
            st = auth_ask_new_password(l, &password);
            if (st == COG_ERR_INVALID_PASSWORD) {
                if (more)
                    auth_error(l, l->err->message);
                continue;
            }
            if (st != COG_OK)
                goto out;
        }
        if (!code_usable(code))
            st = cog_error_set(l->err, COG_ERR_CODE, NULL, "the code is empty or not text");
        else if ((st = auth_spend_request(l)) == COG_OK)
            st = cog_confirm_forgot_password(l->idp, user, code, password, l->err);
        if (st == COG_ERR_CODE) {
            if (more)
                auth_error(l, AUTH_TEXT_WRONG_CODE);
            cog_free_secret(code);
            code = NULL;
        } else if (st == COG_ERR_INVALID_PASSWORD) {
            if (more)
                auth_error(l, cog_text_valid(l->err->message, 512)
                                  ? l->err->message
                                  : "The new password was refused.");
            cog_free_secret(password);
            password = NULL;
        } else {
            break;
        }
    }
    if (st != COG_OK)
        goto out;
    /* The sign-in starts over with the new password. */
    cog_free_secret(l->password);
    l->password = password;
    password = NULL;
    auth_info(l, "Your password has been reset.");
out:
    cog_free_secret(code);
    cog_free_secret(password);
    return st;
}

cog_status auth_confirm_account(struct login *l)
{
    struct cog_delivery where;
    char *code = NULL;
    cog_status st = COG_OK;
    const char *user = auth_user(l);
    int attempts = 0, resends = 0;

    auth_info(l, "Your account is not confirmed yet. Enter the confirmation code you were "
                 "sent, or just press Enter to get a new one.");
    while (attempts < auth_max_attempts(l)) {
        st = auth_ask_code(l, COG_CODE_CONFIRM, "Confirmation code: ", &code);
        if (st != COG_OK)
            goto out;
        if (code[0] == '\0' && resends < MAX_RESENDS) {
            resends++;
            if ((st = auth_spend_request(l)) == COG_OK)
                st = cog_resend_confirmation_code(l->idp, user, &where, l->err);
            if (st != COG_OK)
                goto out;
            auth_say_delivery(l, "A confirmation code", &where);
        } else {
            attempts++;
            if (!code_usable(code))
                st = cog_error_set(l->err, COG_ERR_CODE, NULL, "the code is empty or not text");
            else if ((st = auth_spend_request(l)) == COG_OK)
                st = cog_confirm_sign_up(l->idp, user, code, l->err);
            if (st != COG_ERR_CODE)
                break;
            if (attempts < auth_max_attempts(l))
                auth_error(l, AUTH_TEXT_WRONG_CODE);
        }
        cog_free_secret(code);
        code = NULL;
    }
    if (st != COG_OK)
        goto out;
    auth_info(l, "Your account is confirmed.");
out:
    cog_free_secret(code);
    return st;
}
