/* DESIGN.md's error table, one row per Cognito answer: the mock answers the
 * sign-in with that error, and both front ends are held to the row:
 * pam_cognito's result through the real PAM stack (pam_wrapper) and
 * `cognitoctl login`'s exit status from the real binary. A configuration
 * error (a disabled auth flow, a missing app client, a wrong secret) is
 * PAM_SERVICE_ERR and exit 2; throttling and server trouble are
 * PAM_AUTHINFO_UNAVAIL and exit 3; a refusal is PAM_AUTH_ERR (or
 * PAM_USER_UNKNOWN) and exit 1. Two rows are not injected but made the way
 * an administrator makes them: the flow switched off in the app client,
 * and a client_id the pool does not know. */
#include "build-config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <security/pam_appl.h>

#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define LIMIT_MS 20000

static const struct row {
    const char *code;
    const char *message;
    int http;
    int pam;      /* what pam_sm_authenticate returns */
    int ctl_exit; /* what cognitoctl login exits with */
} rows[] = {
    /* refused: 1 */
    {"NotAuthorizedException", "Incorrect username or password.", 400, PAM_AUTH_ERR, 1},
    {"UserNotFoundException", "User does not exist.", 400, PAM_USER_UNKNOWN, 1},
    {"TooManyFailedAttemptsException", "Too many failed attempts.", 400, PAM_AUTH_ERR, 1},
    {"PasswordResetRequiredException", "Password reset required for the user", 400, PAM_AUTH_ERR,
     1},
    {"UserNotConfirmedException", "User is not confirmed.", 400, PAM_AUTH_ERR, 1},
    {"CodeMismatchException", "Invalid code received for user", 400, PAM_AUTH_ERR, 1},
    {"ExpiredCodeException", "Invalid code provided, please request a code again.", 400,
     PAM_AUTH_ERR, 1},
    {"UserLambdaValidationException", "PreAuthentication failed with error no.", 400, PAM_AUTH_ERR,
     1},
    {"ForbiddenException", "Request blocked by AWS WAF.", 403, PAM_AUTH_ERR, 1},
    {"InvalidParameterException", "Invalid attributes given, name is missing", 400, PAM_AUTH_ERR,
     1},
    /* the administrator's to fix: 2 */
    {"InvalidParameterException", "USER_SRP_AUTH flow not enabled for this client", 400,
     PAM_SERVICE_ERR, 2},
    {"ResourceNotFoundException", "User pool client mockclient0123456789abcdef does not exist.",
     400, PAM_SERVICE_ERR, 2},
    {"ResourceNotFoundException", "User pool us-east-1_MockPool1 does not exist.", 400,
     PAM_SERVICE_ERR, 2},
    {"NotAuthorizedException", "Unable to verify secret hash for client mockclient0123456789abcdef",
     400, PAM_SERVICE_ERR, 2},
    {"NotAuthorizedException",
     "Client mockclient0123456789abcdef is configured with secret but SECRET_HASH was not "
     "received",
     400, PAM_SERVICE_ERR, 2},
    {"InvalidUserPoolConfigurationException", "Cannot use SRP without a verifier", 400,
     PAM_SERVICE_ERR, 2},
    {"InvalidSmsRoleAccessPolicyException", "Role does not have permission to publish with SNS",
     400, PAM_SERVICE_ERR, 2},
    /* unavailable: 3 */
    {"TooManyRequestsException", "Rate exceeded", 400, PAM_AUTHINFO_UNAVAIL, 3},
    {"ThrottlingException", "Rate exceeded", 400, PAM_AUTHINFO_UNAVAIL, 3},
    {"LimitExceededException", "Attempt limit exceeded", 400, PAM_AUTHINFO_UNAVAIL, 3},
    {"InternalErrorException", "Internal server error", 500, PAM_AUTHINFO_UNAVAIL, 3},
    {"ServiceUnavailableException", "Service unavailable", 503, PAM_AUTHINFO_UNAVAIL, 3},
    {"UnexpectedLambdaException", "PreAuthentication invocation failed", 400, PAM_AUTHINFO_UNAVAIL,
     3},
    {"InvalidLambdaResponseException", "Invalid lambda response", 400, PAM_AUTHINFO_UNAVAIL, 3},
    {"CodeDeliveryFailureException", "Could not deliver the code", 400, PAM_AUTHINFO_UNAVAIL, 3},
    /* even a refusal's name in a 5xx is not a refusal */
    {"NotAuthorizedException", "Incorrect username or password.", 500, PAM_AUTHINFO_UNAVAIL, 3},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static struct mock mock;

/* cognitoctl login USER with the password on stdin: its exit status; its
 * stderr into err. */
static int ctl_login(const char *conf, const char *user, char *err, size_t err_len)
{
    const char *top = getenv("top_builddir");
    char ctl[PATH_MAX], errfile[PATH_MAX];
    int in[2];
    snprintf(ctl, sizeof(ctl), "%s/tools/cognitoctl", top ? top : ".");
    snprintf(errfile, sizeof(errfile), "%s/ctl.err", mock.dir);
    ck_assert_int_eq(pipe(in), 0);
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_WRONLY);
        if (fd < 0 || null < 0 || dup2(in[0], 0) < 0 || dup2(null, 1) < 0 || dup2(fd, 2) < 0)
            _exit(99);
        close(in[1]);
        execl(ctl, ctl, "login", "--config", conf, user, (char *)NULL);
        _exit(98);
    }
    close(in[0]);
    ck_assert_int_eq(write(in[1], PW "\n", strlen(PW) + 1), (ssize_t)strlen(PW) + 1);
    close(in[1]);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    size_t len = 0;
    char *text = test_read_file(errfile, &len);
    snprintf(err, err_len, "%s", text);
    free(text);
    ck_assert_msg(WIFEXITED(status), "cognitoctl died");
    return WEXITSTATUS(status);
}

static void pam_login(const char *service, int want, const char *what)
{
    struct pr_script script = {.mock = &mock, .user = "alice", .password = PW};
    struct pr_result r = {0};
    pr_run(service, "alice", &script, PR_AUTH, 0, LIMIT_MS, &r);
    ck_assert_msg(r.rc == want, "%s: PAM %s, want %s (%s)", what, pr_code_name(r.rc),
                  pr_code_name(want), r.transcript);
}

START_TEST(test_row)
{
    const struct row *row = &rows[_i];
    char fault[1024], err[2048], what[256];
    snprintf(what, sizeof(what), "%s \"%s\" (HTTP %d)", row->code, row->message, row->http);
    snprintf(fault, sizeof(fault),
             "{\"op\":\"InitiateAuth\",\"kind\":\"status\",\"status\":%d,\"type\":\"%s\","
             "\"message\":\"%s\",\"count\":-1}",
             row->http, row->code, row->message);
    mock_fault(&mock, fault);
    pam_login("errors", row->pam, what);
    int rc = ctl_login(mock.conf, "alice", err, sizeof(err));
    ck_assert_msg(rc == row->ctl_exit, "%s: cognitoctl exit %d, want %d (%s)", what, rc,
                  row->ctl_exit, err);
    /* Cognito's words reach the person (except where a 5xx's are not its). */
    if (row->http < 500)
        ck_assert_msg(strstr(err, row->message) != NULL, "%s: stderr '%s'", what, err);
    if (row->ctl_exit == 2)
        ck_assert_msg(strstr(err, mock.conf) != NULL, "%s: no config file named: '%s'", what, err);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/faults/clear", "{}", NULL), 200);
    /* With the fault gone, the same login works: the row was the fault's. */
    pam_login("errors", PAM_SUCCESS, "no fault");
}
END_TEST

/* The same two configuration errors made for real, not injected. */
START_TEST(test_flow_disabled)
{
    char err[2048];
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool",
                                  "{\"explicit_auth_flows\":[\"USER_PASSWORD_AUTH\","
                                  "\"REFRESH_TOKEN_AUTH\"]}",
                                  NULL),
                     200);
    pam_login("errors", PAM_SERVICE_ERR, "USER_SRP_AUTH switched off");
    ck_assert_int_eq(ctl_login(mock.conf, "alice", err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "USER_SRP_AUTH flow not enabled for this client") != NULL, "%s", err);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool",
                                  "{\"explicit_auth_flows\":[\"USER_SRP_AUTH\","
                                  "\"USER_PASSWORD_AUTH\",\"REFRESH_TOKEN_AUTH\"]}",
                                  NULL),
                     200);
    pam_login("errors", PAM_SUCCESS, "switched on again");
}
END_TEST

START_TEST(test_unknown_client)
{
    char err[2048];
    pam_login("errors_badclient", PAM_SERVICE_ERR, "a client_id the pool does not know");
    char conf[PATH_MAX];
    snprintf(conf, sizeof(conf), "%s/badclient.conf", ph_dir());
    ck_assert_int_eq(ctl_login(conf, "alice", err, sizeof(err)), 2);
    ck_assert_msg(strstr(err, "does not exist") != NULL, "%s", err);
}
END_TEST

static void setup(void)
{
    char conf[PATH_MAX];
    mock_start(&mock, NULL, NULL);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"" PW "\"}");
    /* the service files name these paths (write_services) */
    snprintf(conf, sizeof(conf), "%s/errors.conf", ph_dir());
    mock_write_config(&mock, conf, NULL);
    snprintf(conf, sizeof(conf), "%s/badclient.conf", ph_dir());
    mock_write_config(&mock, conf, "client_id = noSuchClient0123");
    snprintf(mock.conf, sizeof(mock.conf), "%s/errors.conf", ph_dir());
}

static void teardown(void)
{
    mock_stop(&mock);
}

static void write_services(void)
{
    char text[2 * PATH_MAX];
    snprintf(text, sizeof(text),
             "auth required @MODULE@ config=%s/errors.conf state_dir=%s/state\n", ph_dir(),
             ph_dir());
    ph_service("errors", text);
    snprintf(text, sizeof(text),
             "auth required @MODULE@ config=%s/badclient.conf state_dir=%s/state\n", ph_dir(),
             ph_dir());
    ph_service("errors_badclient", text);
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("table");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_row, 0, (int)NROWS);
    tcase_add_test(tc, test_flow_disabled);
    tcase_add_test(tc, test_unknown_client);
    suite_add_tcase(s, tc);
    return test_main(s);
}
