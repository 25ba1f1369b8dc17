/* The PAM conversation as the auth machine's callback table: every ask is
 * one conversation turn, every message a PAM_TEXT_INFO or PAM_ERROR_MSG. */
#ifndef PAM_COGNITO_CONV_H
#define PAM_COGNITO_CONV_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"

struct pc_conv {
    pam_handle_t *pamh;
    bool echo_codes; /* one-time codes as PAM_PROMPT_ECHO_ON */
    bool silent;     /* PAM_SILENT: messages are dropped, prompts are not */
    bool failed;     /* the application's conversation failed */
};

void pc_conv_callbacks(struct pc_conv *c, struct cog_auth_callbacks *cb);

/* One prompt (PAM_PROMPT_ECHO_OFF or _ON); *answer is malloc'd, wipe it.
 * PAM_CONV_ERR (and c->failed) when the application gave no answer. */
int pc_conv_ask(struct pc_conv *c, int style, const char *prompt, char **answer);
/* A PAM_TEXT_INFO or PAM_ERROR_MSG, split at line ends into messages of at
 * most PAM_MAX_MSG_SIZE bytes (a QR code is larger). */
void pc_conv_say(struct pc_conv *c, int style, const char *text);

#endif
