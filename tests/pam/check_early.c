/* The early start (issue 16) through the real Linux-PAM stack under
 * pam_wrapper: InitiateAuth goes out while the password is typed, and that
 * never changes what the user sees. Each login runs in this process with a
 * conversation that writes down every message and prompt (asserted
 * exactly), takes its time to "type", and counts the process's threads and
 * sockets while typing and after pam_authenticate. */
#include "build-config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <security/pam_appl.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
/* One sub across the mock's resets: the cache binds the Unix name to it. */
#define ALICE                                                                                      \
    "{\"username\":\"alice\",\"password\":\"" PW "\","                                             \
    "\"sub\":\"6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f\"}"
#define PROMPT "ECHO_OFF 'Password: '\n"
#define UNAVAILABLE PROMPT "ERROR 'The sign-in service is unavailable. Try again later.'\n"
/* The services' timeout (seconds) and what a step may take beyond it. */
#define TIMEOUT_MS 2000
#define SLACK_MS 500

static struct mock mock;

static void mock_up(void)
{
    mock_start(&mock, NULL, NULL);
    mock_write_config(&mock, ph_path("cognito.conf"), NULL);
}

static void mock_down(void)
{
    mock_stop(&mock);
}

static void fresh(void)
{
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    mock_add_user(&mock, ALICE);
    mock_reset_stats(&mock);
}

static int count_dir(const char *dir, const char *link_prefix)
{
    int n = 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[512], target[64];
        if (e->d_name[0] == '.')
            continue;
        if (link_prefix == NULL) {
            n++;
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, target, sizeof(target) - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strncmp(target, link_prefix, strlen(link_prefix)) == 0;
        }
    }
    closedir(d);
    return n;
}

static int threads(void)
{
    return count_dir("/proc/self/task", NULL);
}

static int sockets(void)
{
    return count_dir("/proc/self/fd", "socket:");
}

/* A person at the password prompt. */
struct typist {
    long typing_ms; /* before the password is handed over */
    bool cancel;    /* the prompt ends in PAM_CONV_ERR instead (^C, a closed connection) */
    bool ask_mock;  /* count the InitiateAuth requests the mock saw before Enter */
    /* what happened */
    char transcript[1024];
    long long entered_ms;  /* when the password went (or the prompt failed) */
    int threads_prompt;    /* the process's threads when the prompt came */
    long initiates_typing; /* InitiateAuth requests by Enter */
    long after_enter_ms;   /* from Enter to pam_authenticate's return */
    int threads_after, sockets_after;
};

static const char *style_name(int style)
{
    return style == PAM_PROMPT_ECHO_OFF  ? "ECHO_OFF"
           : style == PAM_PROMPT_ECHO_ON ? "ECHO_ON"
           : style == PAM_ERROR_MSG      ? "ERROR"
                                         : "INFO";
}

static int typist_conv(int n, const struct pam_message **msgs, struct pam_response **resp,
                       void *appdata)
{
    struct typist *t = appdata;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        const struct pam_message *m = msgs[i];
        test_appendf(t->transcript, sizeof(t->transcript), "%s '%s'\n", style_name(m->msg_style),
                     m->msg);
        if (m->msg_style != PAM_PROMPT_ECHO_OFF)
            continue;
        t->threads_prompt = threads();
        struct timespec ts = {t->typing_ms / 1000, (t->typing_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        t->initiates_typing = t->ask_mock ? mock_stat(&mock, NULL, "InitiateAuth") : -1;
        t->entered_ms = cog_now_ms();
        if (t->cancel || strcmp(m->msg, "Password: ") != 0) {
            free(r);
            return PAM_CONV_ERR;
        }
        r[i].resp = strdup(PW);
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* One pam_authenticate of alice on service, t answering. */
static int login(const char *service, struct typist *t)
{
    pam_handle_t *pamh = NULL;
    struct pam_conv conv = {typist_conv, t};
    ck_assert_int_eq(pam_start(service, "alice", &conv, &pamh), PAM_SUCCESS);
    int rc = pam_authenticate(pamh, 0);
    t->after_enter_ms = (long)(cog_now_ms() - t->entered_ms);
    t->threads_after = threads();
    t->sockets_after = sockets();
    pam_end(pamh, rc);
    return rc;
}

/* -- one round trip after Enter ----------------------------------------------------- */

START_TEST(test_initiate_while_typing)
{
    fresh();
    int base_threads = threads(), base_sockets = sockets();
    struct typist t = {.typing_ms = 400, .ask_mock = true};
    ck_assert_int_eq(login("early", &t), PAM_SUCCESS);
    ck_assert_str_eq(t.transcript, PROMPT);
    /* InitiateAuth had its answer before Enter (from a thread that is gone
     * when pam_authenticate returns, with its connection). */
    ck_assert_int_eq(t.initiates_typing, 1);
    ck_assert_int_eq(t.threads_after, base_threads);
    ck_assert_int_eq(t.sockets_after, base_sockets);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);
    ck_assert_int_eq(mock_stat(&mock, "connections", NULL), 1);

    /* early_start = no: nothing goes out until Enter. */
    fresh();
    struct typist late = {.typing_ms = 400, .ask_mock = true};
    ck_assert_int_eq(login("late", &late), PAM_SUCCESS);
    ck_assert_str_eq(late.transcript, PROMPT);
    ck_assert_int_eq(late.initiates_typing, 0);
    ck_assert_int_eq(late.threads_prompt, base_threads);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    ck_assert_int_eq(mock_stat(&mock, "connections", NULL), 1);
}
END_TEST

/* An earlier module's password (use_first_pass, try_first_pass): nothing
 * is typed, nothing starts early; the login is the one of before. */
START_TEST(test_first_pass_unchanged)
{
    static const char *const services[] = {"early_first", "early_try"};
    fresh();
    for (size_t i = 0; i < 2; i++) {
        struct typist t = {.typing_ms = 0};
        /* pam_set_items.so, first on the stack, sets PAM_AUTHTOK from it. */
        setenv("PAM_AUTHTOK", PW, 1);
        ck_assert_int_eq(login(services[i], &t), PAM_SUCCESS);
        unsetenv("PAM_AUTHTOK");
        ck_assert_str_eq(t.transcript, "");
    }
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 2);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 2);
}
END_TEST

/* -- a slow typist ---------------------------------------------------------------- */

/* Cognito's session (the mock's session_ttl, here 2 s) ends while the
 * password is typed: with early_start_max_age (1 s) below it, the early
 * answer is dropped and InitiateAuth goes out again after Enter. */
START_TEST(test_slow_typist)
{
    fresh();
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", "{\"session_ttl\":2}", NULL), 200);
    struct typist t = {.typing_ms = 2500};
    ck_assert_int_eq(login("early_short", &t), PAM_SUCCESS);
    ck_assert_str_eq(t.transcript, PROMPT);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 2);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);

    /* The same typist with an age limit above the session's: the claim
     * meets an expired session. This is what the limit is for. */
    mock_reset_stats(&mock);
    struct typist stale = {.typing_ms = 2500};
    ck_assert_int_eq(login("early", &stale), PAM_AUTH_ERR);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
}
END_TEST

/* -- an aborted prompt -------------------------------------------------------------- */

START_TEST(test_aborted_prompt)
{
    fresh();
    int base_threads = threads(), base_sockets = sockets();
    struct typist t = {.typing_ms = 300, .cancel = true};
    ck_assert_int_eq(login("early", &t), PAM_CONV_ERR);
    ck_assert_str_eq(t.transcript, PROMPT);
    ck_assert_int_eq(t.threads_after, base_threads);
    ck_assert_int_eq(t.sockets_after, base_sockets);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 0);

    /* The early InitiateAuth stalled when the prompt fails: it is stopped,
     * not waited for. */
    fresh();
    mock_fault(&mock, "{\"op\":\"InitiateAuth\",\"kind\":\"stall\",\"seconds\":30}");
    struct typist s = {.typing_ms = 100, .cancel = true};
    ck_assert_int_eq(login("early", &s), PAM_CONV_ERR);
    ck_assert_str_eq(s.transcript, PROMPT);
    ck_assert_int_eq(s.threads_prompt, base_threads + 1);
    ck_assert_int_eq(s.threads_after, base_threads);
    ck_assert_int_eq(s.sockets_after, base_sockets);
    ck_assert_msg(s.after_enter_ms < 1500, "a cancelled prompt took %ld ms", s.after_enter_ms);
}
END_TEST

/* -- the early InitiateAuth failing ------------------------------------------------- */

static const char *const faults[] = {
    "\"kind\":\"throttle\"",
    "\"kind\":\"status\",\"status\":503,\"type\":\"ServiceUnavailableException\"",
    "\"kind\":\"status\",\"status\":500,\"body\":\"oops\",\"content_type\":\"text/plain\"",
    "\"kind\":\"reset\"",
    "\"kind\":\"stall\",\"seconds\":4",
};
#define N_FAULTS (sizeof(faults) / sizeof(faults[0]))

static void aim(const char *fault, int count)
{
    char spec[256];
    snprintf(spec, sizeof(spec), "{\"op\":\"InitiateAuth\",\"count\":%d,%s}", count, fault);
    mock_fault(&mock, spec);
}

/* Once: the early request takes the fault, the one sent after Enter
 * works, and the person sees a plain login. */
START_TEST(test_early_fails_once)
{
    fresh();
    aim(faults[_i], 1);
    struct typist t = {.typing_ms = 1000};
    ck_assert_int_eq(login("early", &t), PAM_SUCCESS);
    ck_assert_str_eq(t.transcript, PROMPT);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 2);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);
    ck_assert_msg(t.after_enter_ms < TIMEOUT_MS + SLACK_MS, "%ld ms after Enter", t.after_enter_ms);
}
END_TEST

/* Always: the same PAM code, the same words and the same time after Enter
 * as with early_start = no. */
START_TEST(test_early_fails_always)
{
    fresh();
    aim(faults[_i], -1);
    struct typist late = {.typing_ms = 0};
    int late_rc = login("late", &late);
    struct typist early = {.typing_ms = 0};
    int early_rc = login("early", &early);
    ck_assert_int_eq(late_rc, PAM_AUTHINFO_UNAVAIL);
    ck_assert_int_eq(early_rc, late_rc);
    ck_assert_str_eq(late.transcript, UNAVAILABLE);
    ck_assert_str_eq(early.transcript, late.transcript);
    ck_assert_msg(late.after_enter_ms < TIMEOUT_MS + SLACK_MS, "late: %ld ms", late.after_enter_ms);
    ck_assert_msg(early.after_enter_ms < TIMEOUT_MS + SLACK_MS, "early: %ld ms",
                  early.after_enter_ms);
}
END_TEST

static void write_services(void)
{
#define ARGS "@ARGS@ timeout=2"
    ph_service("early", "auth required @MODULE@ " ARGS "\n");
    ph_service("late", "auth required @MODULE@ " ARGS " early_start=no\n");
    ph_service("early_short", "auth required @MODULE@ " ARGS " early_start_max_age=1\n");
#define SET_ITEMS "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"
    ph_service("early_first", SET_ITEMS "auth required @MODULE@ " ARGS " use_first_pass\n");
    ph_service("early_try", SET_ITEMS "auth required @MODULE@ " ARGS " try_first_pass\n");
#undef SET_ITEMS
#undef ARGS
}

static Suite *early_suite(void)
{
    Suite *s = suite_create("early");
    TCase *tc = tcase_create("early");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_initiate_while_typing);
    tcase_add_test(tc, test_first_pass_unchanged);
    tcase_add_test(tc, test_slow_typist);
    tcase_add_test(tc, test_aborted_prompt);
    tcase_add_loop_test(tc, test_early_fails_once, 0, (int)N_FAULTS);
    tcase_add_loop_test(tc, test_early_fails_always, 0, (int)N_FAULTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    return test_main(early_suite());
}
