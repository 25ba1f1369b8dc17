#include "build-config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/totp.h"

#define KEY_INTRO "Or type this key into the app: "

#define note(r, ...) test_appendf((r)->transcript, sizeof((r)->transcript), __VA_ARGS__)

/* The key an MFA_SETUP message shows, without the spaces it is grouped by. */
static void keep_key(struct pr_conv *c, const char *text)
{
    const char *k = strstr(text, KEY_INTRO);
    size_t n = 0;
    if (k == NULL)
        return;
    for (k += strlen(KEY_INTRO); *k != '\0' && n + 1 < sizeof(c->shown_key); k++) {
        if (*k != ' ')
            c->shown_key[n++] = *k;
    }
    c->shown_key[n] = '\0';
}

static char *copy_bytes(const char *bytes, size_t len)
{
    char *out = malloc(len + 1);
    if (out != NULL) {
        memcpy(out, bytes, len);
        out[len] = '\0';
    }
    return out;
}

/* The answer to prompt, malloc'd; NULL when no answer is known. */
static char *answer_for(struct pr_conv *c, const char *prompt)
{
    const struct pr_script *s = c->script;
    char code[16] = "";

    for (size_t i = 0; i < s->n_answers; i++) {
        const struct pr_answer *a = &s->answers[i];
        if (strcmp(prompt, a->prompt) == 0)
            return copy_bytes(a->bytes, a->len ? a->len : strlen(a->bytes));
    }
    if ((strcmp(prompt, "Password: ") == 0 || strcmp(prompt, "Current password: ") == 0) &&
        s->password != NULL)
        return strdup(s->password);
    if ((strcmp(prompt, "New password: ") == 0 || strcmp(prompt, "Retype new password: ") == 0) &&
        s->new_password != NULL)
        return strdup(s->new_password);
    if (strcmp(prompt, "Authenticator code: ") == 0) {
        const char *secret = c->shown_key[0] ? c->shown_key : s->totp_secret;
        if (secret == NULL || !test_totp(secret, time(NULL), code))
            return NULL;
        return strdup(code);
    }
    if (strcmp(prompt, "SMS code: ") == 0 || strcmp(prompt, "Email code: ") == 0) {
        ph_latest_code(s->mock, s->user, prompt[0] == 'S' ? "SMS_MFA" : "EMAIL_OTP", code);
        return code[0] ? strdup(code) : NULL;
    }
    if (strncmp(prompt, "Choice [1-", 10) == 0)
        return strdup(s->choice ? s->choice : "2");
    return NULL;
}

static int misbehave(const struct pr_script *s, int n, struct pam_response **resp)
{
    switch (s->misbehave) {
    case PR_CONV_ERR:
        return PAM_CONV_ERR;
    case PR_BUF_ERR:
        return PAM_BUF_ERR;
    case PR_NULL_ARRAY:
        *resp = NULL;
        return PAM_SUCCESS;
    case PR_NULL_STRINGS:
        *resp = calloc((size_t)n, sizeof(**resp));
        return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
    case PR_BEHAVE:
        break;
    }
    return PAM_SUCCESS;
}

int pr_conversation(int n, const struct pam_message **msgs, struct pam_response **resp,
                    void *appdata)
{
    struct pr_conv *c = appdata;
    struct pr_result *r = c->result;
    const struct pr_script *s = c->script;
    struct pam_response *out = NULL;

    r->calls++;
    for (int i = 0; i < n; i++) {
        int style = msgs[i]->msg_style;
        const char *text = msgs[i]->msg ? msgs[i]->msg : "(null)";
        bool qr = strncmp(text, "\xe2\x96", 2) == 0 || strncmp(text, " \xe2\x96", 3) == 0;
        note(r, "%s '%s'\n",
             style == PAM_PROMPT_ECHO_OFF  ? "SECRET"
             : style == PAM_PROMPT_ECHO_ON ? "ASK"
             : style == PAM_ERROR_MSG      ? "ERROR"
                                           : "INFO",
             qr ? "(QR code)" : text);
        if (style == PAM_ERROR_MSG)
            snprintf(r->last_error, sizeof(r->last_error), "%s", text);
        if (style == PAM_TEXT_INFO)
            keep_key(c, text);
    }
    if (s->misbehave != PR_BEHAVE && (s->misbehave_at == 0 || r->calls == s->misbehave_at)) {
        note(r, "    (the conversation misbehaves)\n");
        return misbehave(s, n, resp);
    }
    out = calloc((size_t)n, sizeof(*out));
    if (out == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        int style = msgs[i]->msg_style;
        if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON)
            continue;
        out[i].resp = answer_for(c, msgs[i]->msg);
        if (out[i].resp == NULL) {
            r->strange = true;
            note(r, "    (no answer known)\n");
            for (int k = 0; k < n; k++)
                cog_free_secret(out[k].resp);
            free(out);
            return PAM_CONV_ERR;
        }
        if (style == PAM_PROMPT_ECHO_OFF)
            note(r, "    <- (%zu bytes)\n", strlen(out[i].resp));
        else
            note(r, "    <- '%s'\n", out[i].resp);
    }
    *resp = out;
    /* A message alone (the error that ends a login) is no answer. */
    for (int i = 0; i < n; i++) {
        if (out[i].resp != NULL)
            c->answered = cog_now_ms();
    }
    return PAM_SUCCESS;
}

static void run_child(const char *service, const char *user, const struct pr_script *s, int ops,
                      int setup, int fd)
{
    struct pr_result r;
    struct pr_conv c = {.script = s, .result = &r};
    struct pam_conv conv = {setup & PR_NO_CONV_FN ? NULL : pr_conversation, &c};
    pam_handle_t *pamh = NULL;

    memset(&r, 0, sizeof(r));
    long long t0 = cog_now_ms();
    int rc = pam_start(service, setup & PR_NO_USER ? NULL : user, &conv, &pamh);
    static const struct {
        int op;
        int (*fn)(pam_handle_t *, int);
    } steps[] = {
        {PR_AUTH, pam_authenticate}, {PR_ACCT, pam_acct_mgmt}, {PR_SESSION, pam_open_session}};
    for (size_t i = 0; rc == PAM_SUCCESS && i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (ops & steps[i].op) {
            r.op = steps[i].op;
            if (s->before != NULL)
                s->before(steps[i].op, s);
            long long start = cog_now_ms();
            rc = steps[i].fn(pamh, 0);
            r.op_ms = (long)(cog_now_ms() - start);
        }
    }
    long long t1 = cog_now_ms();
    r.ms = (long)(t1 - t0);
    r.step_ms = (long)(t1 - (c.answered ? c.answered : t0));
    r.rc = rc;
    if (s->inspect != NULL && pamh != NULL)
        s->inspect(pamh, s);
    if (pamh != NULL)
        pam_end(pamh, rc);
    if (s->inspect != NULL)
        s->inspect(NULL, s);
    ssize_t w = write(fd, &r, sizeof(r));
    close(fd);
    /* exit, not _exit: the sanitizers' leak check and pam_wrapper's
     * clean-up of what this child set up run at exit. */
    exit(w == (ssize_t)sizeof(r) ? 0 : 3);
}

void pr_run(const char *service, const char *user, const struct pr_script *s, int ops, int setup,
            long limit_ms, struct pr_result *out)
{
    int fds[2];
    int status = 0;
    size_t got = 0;

    memset(out, 0, sizeof(*out));
    if (pipe(fds) != 0) {
        out->rc = PR_DIED;
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        out->rc = PR_DIED;
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(service, user, s, ops, setup, fds[1]);
    }
    close(fds[1]);
    long long deadline = cog_now_ms() + limit_ms;
    while (got < sizeof(*out)) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        long long left = deadline - cog_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            kill(pid, SIGKILL);
            out->rc = PR_HUNG;
            break;
        }
        ssize_t k = read(fds[0], (char *)out + got, sizeof(*out) - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    out->status = status;
    if (out->rc == PR_HUNG)
        out->ms = limit_ms;
    else if (got != sizeof(*out) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        out->rc = PR_DIED;
}

static void parallel_worker(unsigned w, unsigned workers, size_t n, const char *records,
                            size_t record_size, void (*job)(unsigned, size_t, void *), int fd)
{
    char buf[sizeof(size_t) + PR_RECORD_MAX];
    for (size_t i = w; i < n; i += workers) {
        memcpy(buf, &i, sizeof(i));
        memcpy(buf + sizeof(i), records + i * record_size, record_size);
        job(w, i, buf + sizeof(i));
        if (write(fd, buf, sizeof(i) + record_size) != (ssize_t)(sizeof(i) + record_size))
            _exit(2);
    }
    /* _exit: this process ran no PAM transaction of its own to clean up. */
    _exit(0);
}

size_t pr_parallel(unsigned workers, size_t n, void *records, size_t record_size,
                   void (*job)(unsigned w, size_t i, void *record))
{
    char buf[sizeof(size_t) + PR_RECORD_MAX];
    pid_t pids[64];
    size_t got = 0;
    int fds[2];

    if (record_size > PR_RECORD_MAX || workers == 0 || workers > 64 || pipe(fds) != 0)
        return 0;
    fflush(NULL);
    for (unsigned w = 0; w < workers; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            close(fds[0]);
            parallel_worker(w, workers, n, records, record_size, job, fds[1]);
        }
    }
    close(fds[1]);
    for (;;) {
        size_t i;
        ssize_t k = read(fds[0], buf, sizeof(size_t) + record_size);
        if (k < 0 && errno == EINTR)
            continue;
        if (k != (ssize_t)(sizeof(size_t) + record_size))
            break;
        memcpy(&i, buf, sizeof(i));
        if (i < n) {
            memcpy((char *)records + i * record_size, buf + sizeof(i), record_size);
            got++;
        }
    }
    close(fds[0]);
    for (unsigned w = 0; w < workers; w++) {
        if (pids[w] > 0)
            while (waitpid(pids[w], NULL, 0) < 0 && errno == EINTR)
                ;
    }
    return got;
}

unsigned pr_jobs(const char *name, unsigned dflt, unsigned max)
{
    const char *v = getenv(name);
    long n = v ? strtol(v, NULL, 10) : (long)dflt;
    return n < 1 ? 1 : n > (long)max ? max : (unsigned)n;
}

void pr_conf_path(const char *name, unsigned w, char *out, size_t len)
{
    snprintf(out, len, "%s/%s-w%u.conf", ph_dir(), name, w);
}

void pr_mocks_start(struct mock *mocks, unsigned n, const char *name)
{
    for (unsigned w = 0; w < n; w++) {
        char path[PATH_MAX];
        mock_start(&mocks[w], NULL, NULL);
        pr_conf_path(name, w, path, sizeof(path));
        mock_write_config(&mocks[w], path, NULL);
    }
}

void pr_mocks_stop(struct mock *mocks, unsigned n)
{
    for (unsigned w = 0; w < n; w++)
        mock_stop(&mocks[w]);
}

const char *pr_code_name(int rc)
{
    switch (rc) {
    case PAM_SUCCESS:
        return "OK";
    case PAM_AUTH_ERR:
        return "AUTH";
    case PAM_AUTHINFO_UNAVAIL:
        return "UNAV";
    case PAM_USER_UNKNOWN:
        return "USER";
    case PAM_CONV_ERR:
        return "CONV";
    case PAM_SERVICE_ERR:
        return "SERV";
    case PAM_BUF_ERR:
        return "BUF";
    case PAM_PERM_DENIED:
        return "PERM";
    case PAM_ABORT:
        return "ABORT";
    case PAM_IGNORE:
        return "IGN";
    case PAM_SYSTEM_ERR:
        return "SYS";
    case PR_DIED:
        return "DIED";
    case PR_HUNG:
        return "HUNG";
    default:
        return "?";
    }
}
