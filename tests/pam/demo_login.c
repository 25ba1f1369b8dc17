/* The PAM application of scripts/demo.sh: pam_start, pam_authenticate and
 * pam_acct_mgmt for one user, with a conversation that shows every message
 * and prompt as a terminal login would. Run under pam_wrapper, so the
 * service file comes from the demo's own directory.
 *
 *   demo_login SERVICE USER [--non-interactive] [--key-file FILE]
 *
 * The person types the answers; --non-interactive answers itself (the
 * password from DEMO_PASSWORD). Either way, once the authenticator's key
 * is known (shown by the enrolment, or read from --key-file, where the
 * enrolment also writes it) the code that app would show is printed before
 * "Authenticator code: ". Exit status 0 when both calls succeed. */
#include "build-config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "tests/totp.h"

#define ANSWER_MAX 512

struct demo {
    bool interactive;
    const char *key_file;
    char key[128]; /* base32, from the enrolment's otpauth:// link */
};

/* The secret of "otpauth://...?secret=KEY&..." in text, if there is one. */
static void note_key(struct demo *d, const char *text)
{
    const char *at = strstr(text, "otpauth://");
    if (at == NULL || (at = strstr(at, "secret=")) == NULL)
        return;
    at += strlen("secret=");
    size_t n = strcspn(at, "&\n");
    if (n == 0 || n >= sizeof(d->key))
        return;
    memcpy(d->key, at, n);
    d->key[n] = '\0';
    if (d->key_file != NULL) {
        FILE *f = fopen(d->key_file, "w");
        if (f != NULL) {
            fprintf(f, "%s\n", d->key);
            fclose(f);
        }
    }
}

static void load_key(struct demo *d)
{
    FILE *f = d->key_file ? fopen(d->key_file, "r") : NULL;
    if (f == NULL)
        return;
    if (fgets(d->key, sizeof(d->key), f) == NULL)
        d->key[0] = '\0';
    d->key[strcspn(d->key, "\n")] = '\0';
    fclose(f);
}

/* Shows the prompt and reads one line from the terminal (echo off for
 * secrets, switched off before the prompt appears so that nothing typed
 * early is echoed or flushed away) or from stdin. */
static char *read_answer(const char *prompt, bool echo)
{
    char line[ANSWER_MAX];
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    bool hide = tty && !echo;

    if (hide) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    fputs(prompt, stdout);
    fflush(stdout);
    char *got = fgets(line, sizeof(line), stdin);
    if (hide) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        putchar('\n');
    }
    if (got == NULL)
        return NULL;
    line[strcspn(line, "\n")] = '\0';
    char *answer = strdup(line);
    explicit_bzero(line, sizeof(line));
    return answer;
}

/* What the demo types by itself, shown as a person would see it typed;
 * NULL when it does not know. */
static char *auto_answer(const char *prompt, const char *code)
{
    const char *password = getenv("DEMO_PASSWORD");
    if (strstr(prompt, "code") != NULL && code[0] != '\0') {
        printf("%s\n", code);
        return strdup(code);
    }
    if (strstr(prompt, "assword") != NULL && password != NULL) {
        printf("********\n");
        return strdup(password);
    }
    printf("\n");
    return NULL;
}

static char *ask(struct demo *d, const struct pam_message *m)
{
    char code[7] = "";
    if (strstr(m->msg, "Authenticator code") != NULL && d->key[0] != '\0' &&
        test_totp(d->key, time(NULL), code))
        printf("   [demo: the authenticator app shows %s now]\n", code);
    if (!d->interactive) {
        fputs(m->msg, stdout);
        return auto_answer(m->msg, code);
    }
    return read_answer(m->msg, m->msg_style == PAM_PROMPT_ECHO_ON);
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
                        void *appdata)
{
    struct demo *d = appdata;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
            r[i].resp = ask(d, msg[i]);
            if (r[i].resp == NULL)
                goto fail;
            break;
        case PAM_ERROR_MSG:
            printf("%s\n", msg[i]->msg);
            break;
        case PAM_TEXT_INFO:
            note_key(d, msg[i]->msg);
            printf("%s\n", msg[i]->msg);
            break;
        default:
            goto fail;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
fail:
    for (int i = 0; i < n; i++) {
        if (r[i].resp != NULL) {
            explicit_bzero(r[i].resp, strlen(r[i].resp));
            free(r[i].resp);
        }
    }
    free(r);
    return PAM_CONV_ERR;
}

static void usage(void)
{
    fprintf(stderr, "usage: demo_login SERVICE USER [--non-interactive] [--key-file FILE]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct demo d = {.interactive = true};
    pam_handle_t *pamh = NULL;

    if (argc < 3)
        usage();
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--non-interactive") == 0)
            d.interactive = false;
        else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
            d.key_file = argv[++i];
        else
            usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    load_key(&d);
    struct pam_conv conv = {conversation, &d};
    int rc = pam_start(argv[1], argv[2], &conv, &pamh);
    if (rc != PAM_SUCCESS) {
        fprintf(stderr, "pam_start: %s\n", pam_strerror(pamh, rc));
        return 1;
    }
    rc = pam_authenticate(pamh, 0);
    printf("-> pam_authenticate: %s\n", pam_strerror(pamh, rc));
    if (rc == PAM_SUCCESS) {
        rc = pam_acct_mgmt(pamh, 0);
        printf("-> pam_acct_mgmt: %s\n", pam_strerror(pamh, rc));
    }
    pam_end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
