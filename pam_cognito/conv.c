#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "libcognito/core/util.h"
#include "pam_cognito/conv.h"

#define MSG_MAX (PAM_MAX_MSG_SIZE - 1)

/* One turn of text then, optionally, a prompt: the text is cut at line ends
 * (at a UTF-8 boundary when one line is too long) into up to
 * PAM_MAX_NUM_MSG messages per call, the prompt rides with the last call
 * so a client that shows text with the next prompt (sshd) shows both. */
struct turn {
    struct pam_message msgs[PAM_MAX_NUM_MSG];
    char *copies[PAM_MAX_NUM_MSG];
    int n;
};

static void turn_clear(struct turn *t)
{
    for (int i = 0; i < t->n; i++)
        cog_free_secret(t->copies[i]);
    memset(t, 0, sizeof(*t));
}

/* Runs the conversation on t; the answer to the last message when it is a prompt. */
static int converse(struct pc_conv *c, struct turn *t, char **answer)
{
    const struct pam_conv *conv = NULL;
    const struct pam_message *ptrs[PAM_MAX_NUM_MSG];
    struct pam_response *resp = NULL;
    int rc;

    if (t->n == 0)
        return PAM_SUCCESS;
    rc = pam_get_item(c->pamh, PAM_CONV, (const void **)&conv);
    if (rc != PAM_SUCCESS || conv == NULL || conv->conv == NULL) {
        rc = PAM_CONV_ERR;
        goto out;
    }
    for (int i = 0; i < t->n; i++)
        ptrs[i] = &t->msgs[i];
    rc = conv->conv(t->n, ptrs, &resp, conv->appdata_ptr);
    if (rc != PAM_SUCCESS)
        goto out;
    if (answer != NULL) {
        if (resp == NULL || resp[t->n - 1].resp == NULL) {
            rc = PAM_CONV_ERR;
            goto out;
        }
        *answer = resp[t->n - 1].resp;
        resp[t->n - 1].resp = NULL;
    }
out:
    if (resp != NULL) {
        for (int i = 0; i < t->n; i++)
            cog_free_secret(resp[i].resp);
        free(resp);
    }
    if (rc != PAM_SUCCESS)
        c->failed = true;
    turn_clear(t);
    return rc;
}

static int add(struct pc_conv *c, struct turn *t, int style, const char *text, size_t len)
{
    if (t->n == PAM_MAX_NUM_MSG) {
        int rc = converse(c, t, NULL);
        if (rc != PAM_SUCCESS)
            return rc;
    }
    char *copy = strndup(text, len);
    if (copy == NULL)
        return PAM_BUF_ERR;
    t->copies[t->n] = copy;
    t->msgs[t->n].msg_style = style;
    t->msgs[t->n].msg = copy;
    t->n++;
    return PAM_SUCCESS;
}

/* Where to cut text so the piece fits one message. */
static size_t piece_len(const char *text)
{
    size_t n = strlen(text);
    if (n <= MSG_MAX)
        return n;
    size_t cut = MSG_MAX;
    while (cut > 0 && text[cut] != '\n')
        cut--;
    if (cut > 0)
        return cut;
    cut = MSG_MAX;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

static int talk(struct pc_conv *c, int text_style, const char *text, int prompt_style,
                const char *prompt, char **answer)
{
    struct turn t = {0};
    int rc = PAM_SUCCESS;
    /* Messages and prompts carry the IdP's words (its error messages, where
     * a code went, a custom challenge's question): nothing in them may
     * drive the terminal (cog_text_escape). Lines stay lines. The copies
     * may hold a secret (a TOTP key being enrolled): wiped. */
    char *shown = text != NULL && !c->silent ? cog_text_escape(text, true) : NULL;
    char *asked = prompt != NULL ? cog_text_escape(prompt, false) : NULL;

    if (answer != NULL)
        *answer = NULL;
    if ((text != NULL && !c->silent && shown == NULL) || (prompt != NULL && asked == NULL)) {
        rc = PAM_BUF_ERR;
        goto out;
    }
    for (const char *p = shown; p != NULL && rc == PAM_SUCCESS && *p != '\0';) {
        size_t n = piece_len(p);
        rc = add(c, &t, text_style, p, n);
        p += n;
        if (*p == '\n')
            p++;
    }
    if (rc == PAM_SUCCESS && asked != NULL)
        rc = add(c, &t, prompt_style, asked, strlen(asked));
    if (rc == PAM_SUCCESS)
        rc = converse(c, &t, prompt != NULL ? answer : NULL);
out:
    turn_clear(&t);
    cog_free_secret(shown);
    cog_free_secret(asked);
    return rc;
}

int pc_conv_ask(struct pc_conv *c, int style, const char *prompt, char **answer)
{
    return talk(c, 0, NULL, style, prompt, answer);
}

void pc_conv_say(struct pc_conv *c, int style, const char *text)
{
    /* A message that cannot be shown is no reason to fail a login. */
    bool failed = c->failed;
    (void)talk(c, style, text, 0, NULL, NULL);
    c->failed = failed;
}

static cog_status from_pam(int rc)
{
    if (rc == PAM_SUCCESS)
        return COG_OK;
    return rc == PAM_BUF_ERR ? COG_ERR_NOMEM : COG_ERR_ABORTED;
}

static cog_status cb_ask_password(void *ctx, const char *prompt, char **answer)
{
    return from_pam(pc_conv_ask(ctx, PAM_PROMPT_ECHO_OFF, prompt, answer));
}

static cog_status cb_ask_code(void *ctx, enum cog_code_kind kind, const char *prompt, char **answer)
{
    struct pc_conv *c = ctx;
    (void)kind;
    return from_pam(
        pc_conv_ask(c, c->echo_codes ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, prompt, answer));
}

static cog_status cb_ask_text(void *ctx, const char *prompt, char **answer)
{
    return from_pam(pc_conv_ask(ctx, PAM_PROMPT_ECHO_ON, prompt, answer));
}

static void cb_info(void *ctx, const char *text)
{
    pc_conv_say(ctx, PAM_TEXT_INFO, text);
}

static void cb_error(void *ctx, const char *text)
{
    pc_conv_say(ctx, PAM_ERROR_MSG, text);
}

void pc_conv_callbacks(struct pc_conv *c, struct cog_auth_callbacks *cb)
{
    memset(cb, 0, sizeof(*cb));
    cb->ctx = c;
    cb->ask_password = cb_ask_password;
    cb->ask_code = cb_ask_code;
    cb->ask_text = cb_ask_text;
    cb->show_info = cb_info;
    cb->show_error = cb_error;
}
