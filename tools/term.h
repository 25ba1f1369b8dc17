/* cognitoctl's side of the auth callback table: prompts on the terminal, or,
 * when stdin is not a terminal, one answer per line in prompt order. */
#ifndef COGNITOCTL_TERM_H
#define COGNITOCTL_TERM_H

#include <stdbool.h>
#include "libcognito/signin/auth.h"

struct term {
    int in_fd;
    bool interactive; /* stdin is a terminal */
    bool quiet;       /* --json: prompts still go to stderr, info lines do not */
    bool echo_codes;  /* one-time codes echo as typed (as pam_cognito's echo_codes) */
};

void term_init(struct term *t, bool quiet);

/* Prompts (to stderr) and reads one line. echo=false hides typing on a TTY.
 * *answer is malloc'd; the caller wipes it. COG_ERR_ABORTED on EOF. */
cog_status term_ask(struct term *t, const char *prompt, bool echo, char **answer);

/* Text someone else wrote (the IdP, a pool user: attributes, claims, device
 * names, messages), escaped for the terminal with cog_text_escape: no
 * escape sequence, control or bidi override reaches it. For printf
 * arguments: the result stays valid for TERM_SHOWN_SLOTS more calls. */
#define TERM_SHOWN_SLOTS 16
const char *term_shown(const char *s);
/* The same for text with lines (pretty JSON, a prompt's message). */
const char *term_shown_lines(const char *s);

/* The callback table for cog_auth_login; ctx must stay valid while it is used. */
void term_callbacks(struct term *t, struct cog_auth_callbacks *cb);

#endif
