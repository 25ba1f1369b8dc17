/* The time a person waits after pressing Enter: pam_authenticate of
 * pam_cognito.so through the real Linux-PAM stack (pam_wrapper), with a
 * conversation that takes TYPING ms to type the password, measured from the
 * moment it hands the password over to pam_authenticate's return. Runs the
 * module with early_start = yes and = no, alternating, after one warm-up
 * login each (the JWKS cache is then warm, as on a host in use).
 *
 *   bench_latency [-n N] [-t TYPING_MS] CONF USER PASSWORD
 *
 * CONF is a cognito.conf (the endpoint may be a delaying proxy in front
 * of the mock: bench/latency). Prints one line per setting:
 *   early_start=yes logins=N median_ms=M min_ms=M max_ms=M */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"

#define MAX_LOGINS 100

static const char *conf_path, *password;
static long typing_ms = 1000;

struct typist {
    long long entered_ms;
    int prompts;
};

static int typist_conv(int n, const struct pam_message **msgs, struct pam_response **resp,
                       void *appdata)
{
    struct typist *t = appdata;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msgs[i]->msg_style != PAM_PROMPT_ECHO_OFF)
            continue;
        struct timespec ts = {typing_ms / 1000, (typing_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        t->prompts++;
        r[i].resp = strdup(password);
        t->entered_ms = cog_now_ms();
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* Milliseconds from Enter to PAM_SUCCESS; exits on anything else. */
static long one_login(const char *service, const char *user)
{
    struct typist t = {0};
    struct pam_conv conv = {typist_conv, &t};
    pam_handle_t *pamh = NULL;
    if (pam_start(service, user, &conv, &pamh) != PAM_SUCCESS) {
        fprintf(stderr, "bench_latency: pam_start failed\n");
        exit(1);
    }
    int rc = pam_authenticate(pamh, 0);
    long ms = (long)(cog_now_ms() - t.entered_ms);
    pam_end(pamh, rc);
    if (rc != PAM_SUCCESS || t.prompts != 1) {
        fprintf(stderr, "bench_latency: %s login of %s: %s after %d prompts\n", service, user,
                pam_strerror(NULL, rc), t.prompts);
        exit(1);
    }
    return ms;
}

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void report(const char *setting, long *ms, int n)
{
    qsort(ms, (size_t)n, sizeof(*ms), by_value);
    printf("early_start=%s logins=%d median_ms=%ld min_ms=%ld max_ms=%ld\n", setting, n,
           n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[0], ms[n - 1]);
}

static void write_services(void)
{
    size_t len = 0;
    FILE *in = fopen(conf_path, "r"), *out = fopen(ph_path("cognito.conf"), "w");
    char buf[8192];
    if (in == NULL || out == NULL) {
        fprintf(stderr, "bench_latency: cannot copy %s\n", conf_path);
        exit(1);
    }
    while ((len = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, len, out);
    fclose(in);
    fclose(out);
    ph_service("early", "auth required @MODULE@ @ARGS@ early_start=yes\n");
    ph_service("late", "auth required @MODULE@ @ARGS@ early_start=no\n");
}

int main(int argc, char **argv)
{
    int n = 5, opt;
    long early[MAX_LOGINS], late[MAX_LOGINS];

    while ((opt = getopt(argc, argv, "n:t:")) != -1) {
        if (opt == 'n')
            n = atoi(optarg);
        else if (opt == 't')
            typing_ms = atol(optarg);
        else
            goto usage;
    }
    if (argc - optind != 3 || n < 1 || n > MAX_LOGINS || typing_ms < 0)
        goto usage;
    conf_path = argv[optind];
    password = argv[optind + 2];
    /* The wrapped child runs with the same arguments. */
    ph_run_wrapped(argv, write_services);
    const char *user = argv[optind + 1];
    one_login("early", user);
    one_login("late", user);
    for (int i = 0; i < n; i++) {
        early[i] = one_login("early", user);
        late[i] = one_login("late", user);
    }
    report("yes", early, n);
    report("no", late, n);
    return 0;
usage:
    fprintf(stderr, "usage: bench_latency [-n N] [-t TYPING_MS] CONF USER PASSWORD\n");
    return 64;
}
