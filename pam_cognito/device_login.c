#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "libcognito/device_flow.h"
#include "libcognito/qr.h"
#include "libcognito/util.h"
#include "pam_cognito/device_login.h"
#include "pam_cognito/who.h"

bool pc_device_login_wanted(const struct cog_config *cfg, const char *password)
{
    if (cfg->auth_flow == COG_FLOW_DEVICE)
        return true;
    return cfg->device_login == COG_DEVICE_LOGIN_FALLBACK && password != NULL &&
           password[0] == '\0';
}

/* Where to go and which code to type, then the QR code of the link that
 * carries the code. */
static void show_instructions(struct pc_conv *conv, const struct cog_config *cfg,
                              const struct cog_device_flow *f)
{
    char text[PAM_MAX_MSG_SIZE];
    char *qr = NULL;
    struct cog_error ignored;

    snprintf(text, sizeof(text), "To sign in, open %s and enter the code %s.", f->verification_uri,
             f->user_code);
    pc_conv_say(conv, PAM_TEXT_INFO, text);
    if (f->verification_uri_complete == NULL)
        return;
    snprintf(text, sizeof(text), "Or scan this QR code, or open %s:", f->verification_uri_complete);
    pc_conv_say(conv, PAM_TEXT_INFO, text);
    if (cog_qr_text_style(f->verification_uri_complete, cfg->qr_style, &qr, &ignored) == COG_OK)
        pc_conv_say(conv, PAM_TEXT_INFO, qr);
    free(qr);
}

/* "Press Enter": the answer itself means nothing. */
static cog_status wait_enter(struct pc_conv *conv, struct cog_error *err)
{
    char *answer = NULL;
    int rc = pc_conv_ask(conv, PAM_PROMPT_ECHO_ON, COG_DEVICE_PROMPT_ENTER ": ", &answer);
    cog_free_secret(answer);
    if (rc != PAM_SUCCESS)
        return cog_error_set(err, COG_ERR_ABORTED, NULL, "no answer given");
    return COG_OK;
}

cog_status pc_device_login(pam_handle_t *pamh, const struct pc_args *args,
                           const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                           struct cog_auth_result *res, struct cog_error *err)
{
    struct cog_idp idp = {0};
    struct cog_device_flow f = {0};
    enum cog_device_poll state = COG_DEVICE_PENDING;
    cog_status st;

    memset(res, 0, sizeof(*res));
    if ((st = cog_idp_open(&idp, cfg, err)) != COG_OK)
        goto out;
    if ((st = cog_device_start(&idp, &f, err)) != COG_OK)
        goto out;
    pc_debug(pamh, args, "device login of %s: code %s, polling every %lds", user, f.user_code,
             f.interval);
    show_instructions(conv, cfg, &f);
    /* Bounded: each round polls once, and the flow stops polling at its
     * deadline or after COG_DEVICE_MAX_POLLS. */
    while (state == COG_DEVICE_PENDING) {
        if ((st = wait_enter(conv, err)) != COG_OK)
            goto out;
        if ((st = cog_device_poll(&f, &state, res, err)) != COG_OK)
            goto out;
        if (state == COG_DEVICE_PENDING)
            pc_conv_say(conv, PAM_TEXT_INFO, COG_DEVICE_TEXT_PENDING);
    }
    if ((st = pc_who_token_user(pamh, cfg, user, res->claims, err)) != COG_OK)
        goto out;
    pc_debug(pamh, args, "device login of %s as %s", user, res->username);
out:
    if (st == COG_ERR_AUTH)
        pc_conv_say(conv, PAM_ERROR_MSG, COG_DEVICE_TEXT_DENIED);
    else if (st == COG_ERR_CODE)
        pc_conv_say(conv, PAM_ERROR_MSG, COG_DEVICE_TEXT_EXPIRED);
    if (st != COG_OK)
        cog_auth_result_clear(res);
    cog_device_flow_clear(&f);
    cog_idp_close(&idp);
    return st;
}
