/* A user who stops their own setuid su (SIGSTOP, or Ctrl-Z through a pty)
 * while it waits for Cognito must not turn the wait into "Cognito is
 * unreachable": with offline_login = password that would let an old,
 * already-changed password in. The stopped login must fail closed
 * (PAM_AUTHINFO_UNAVAIL, no offline login), while the same stall without
 * the stop still counts as an outage (the control).
 *
 * Each login runs in a child (tests/pamrun.c); a grandchild watches the
 * mock's request count and stops the child for longer than the module's
 * timeout whenever a new InitiateAuth arrives at the stalled mock, as the
 * attacker would, then lets it continue. */
#include "build-config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define OFFLINE_OK "Cognito is unreachable: logged in with your cached password"
#define UNAVAILABLE "The sign-in service is unavailable. Try again later."
#define STALL "{\"op\":\"InitiateAuth\",\"kind\":\"stall\",\"seconds\":6,\"count\":-1}"
#define STOP_MS 4000 /* longer than the module's timeout=2 and the freeze threshold */

static struct mock mock;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

/* In the login's child: a grandchild that stops it each time the mock
 * receives another InitiateAuth, until the child is gone. */
static void stopper(int op, const struct pr_script *s)
{
    if (op != PR_AUTH)
        return;
    pid_t victim = getpid();
    long seen = mock_stat(s->mock, NULL, "InitiateAuth");
    fflush(NULL);
    if (fork() != 0)
        return;
    for (int polls = 0; polls < 400 && getppid() == victim; polls++) {
        long now = mock_stat(s->mock, NULL, "InitiateAuth");
        if (now > seen) {
            seen = now;
            kill(victim, SIGSTOP);
            sleep_ms(STOP_MS);
            kill(victim, SIGCONT);
        }
        sleep_ms(50);
    }
    _exit(0);
}

static void login(const char *service, bool stop, struct pr_result *r)
{
    struct pr_script script = {.mock = &mock, .user = "alice", .password = PW};
    if (stop)
        script.before = stopper;
    pr_run(service, "alice", &script, PR_AUTH, 0, 60000, r);
}

/* The verifier an online login leaves, then the stall. */
static void setup(const char *service)
{
    struct pr_result r;
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/faults", NULL, NULL), 200);
    login(service, false, &r);
    ck_assert_msg(r.rc == PAM_SUCCESS, "online login: %s\n%s", pr_code_name(r.rc), r.transcript);
    mock_fault(&mock, STALL);
}

static const char *const services[] = {"freeze", "freeze_early"};

/* Control: the stalled service is an outage, and the cached password opens. */
START_TEST(test_stall_is_outage)
{
    struct pr_result r;
    setup(services[_i]);
    login(services[_i], false, &r);
    ck_assert_msg(r.rc == PAM_SUCCESS && strstr(r.transcript, OFFLINE_OK) != NULL,
                  "a stall without a stop: %s\n%s", pr_code_name(r.rc), r.transcript);
}
END_TEST

/* The attack: the same stall, the process stopped past the timeout. */
START_TEST(test_stopped_is_not_outage)
{
    struct pr_result r;
    setup(services[_i]);
    login(services[_i], true, &r);
    ck_assert_msg(r.rc == PAM_AUTHINFO_UNAVAIL, "a stopped login: %s\n%s", pr_code_name(r.rc),
                  r.transcript);
    ck_assert_msg(strstr(r.transcript, OFFLINE_OK) == NULL, "offline login after a stop:\n%s",
                  r.transcript);
    ck_assert_str_eq(r.last_error, UNAVAILABLE);
    /* It did wait out a stop: the test proves nothing if the stopper never ran. */
    ck_assert_int_ge(r.ms, STOP_MS);
}
END_TEST

static void write_services(void)
{
    ph_service("freeze", "auth required @MODULE@ @ARGS@ timeout=2 offline_login=password "
                         "early_start=no\n");
    ph_service("freeze_early", "auth required @MODULE@ @ARGS@ timeout=2 offline_login=password\n");
}

static void mock_up(void)
{
    mock_start(&mock, NULL, NULL);
    mock_write_config(&mock, ph_path("cognito.conf"), NULL);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"" PW "\"}");
}

static void mock_down(void)
{
    mock_stop(&mock);
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("freeze");
    TCase *tc = tcase_create("stopped login");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_stall_is_outage, 0, 2);
    tcase_add_loop_test(tc, test_stopped_is_not_outage, 0, 2);
    suite_add_tcase(s, tc);
    return test_main(s);
}
