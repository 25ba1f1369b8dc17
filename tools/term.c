#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "libcognito/core/util.h"
#include "tools/term.h"

#define ANSWER_MAX 1024

void term_init(struct term *t, bool quiet)
{
    t->in_fd = STDIN_FILENO;
    t->interactive = isatty(STDIN_FILENO) == 1;
    t->quiet = quiet;
    t->echo_codes = false;
}

/* Byte by byte into a fixed buffer: no stdio buffer or realloc ever holds a
 * stray copy of a password. */
static cog_status read_line(int fd, char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (n == 0)
                return COG_ERR_ABORTED;
            break;
        }
        if (c == '\n')
            break;
        if (n + 1 < cap)
            buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return COG_OK;
}

cog_status term_ask(struct term *t, const char *prompt, bool echo, char **answer)
{
    char buf[ANSWER_MAX];
    size_t len = 0;
    struct termios old, quiet;
    bool restore = false;
    cog_status st;

    *answer = NULL;
    /* Echo goes off before the prompt shows, and without a flush: a secret
     * typed ahead (a fast typist, expect) is neither echoed nor thrown away. */
    if (!echo && t->interactive && tcgetattr(t->in_fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        restore = tcsetattr(t->in_fd, TCSANOW, &quiet) == 0;
    }
    fputs(term_shown(prompt), stderr);
    fflush(stderr);
    st = read_line(t->in_fd, buf, sizeof(buf), &len);
    if (restore)
        tcsetattr(t->in_fd, TCSANOW, &old);
    if (!t->interactive)
        fputc('\n', stderr); /* a script's answers are not echoed: end the prompt's line */
    if (st != COG_OK)
        goto out;
    *answer = strdup(buf);
    if (*answer == NULL)
        st = COG_ERR_NOMEM;
out:
    cog_wipe(buf, sizeof(buf));
    return st;
}

static const char *shown(const char *s, bool lines)
{
    static char *slots[TERM_SHOWN_SLOTS];
    static size_t next;
    char **slot = &slots[next++ % TERM_SHOWN_SLOTS];
    cog_free_secret(*slot); /* it may have shown a secret (a TOTP key, AWS keys) */
    *slot = cog_text_escape(s, lines);
    return *slot != NULL ? *slot : "?";
}

const char *term_shown(const char *s)
{
    return shown(s, false);
}

const char *term_shown_lines(const char *s)
{
    return shown(s, true);
}

static cog_status cb_ask_password(void *ctx, const char *prompt, char **answer)
{
    return term_ask(ctx, prompt, false, answer);
}

static cog_status cb_ask_code(void *ctx, enum cog_code_kind kind, const char *prompt, char **answer)
{
    struct term *t = ctx;
    (void)kind;
    /* Hidden unless asked, as pam_cognito's prompts (its echo_codes). */
    return term_ask(t, prompt, t->echo_codes, answer);
}

static cog_status cb_ask_text(void *ctx, const char *prompt, char **answer)
{
    return term_ask(ctx, prompt, true, answer);
}

static void cb_info(void *ctx, const char *text)
{
    struct term *t = ctx;
    if (!t->quiet)
        fprintf(stderr, "%s\n", term_shown_lines(text));
}

static void cb_error(void *ctx, const char *text)
{
    (void)ctx;
    fprintf(stderr, "%s\n", term_shown_lines(text));
}

void term_callbacks(struct term *t, struct cog_auth_callbacks *cb)
{
    memset(cb, 0, sizeof(*cb));
    cb->ctx = t;
    cb->ask_password = cb_ask_password;
    cb->ask_code = cb_ask_code;
    cb->ask_text = cb_ask_text;
    cb->show_info = cb_info;
    cb->show_error = cb_error;
}
