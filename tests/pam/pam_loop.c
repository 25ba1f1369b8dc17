/* Many PAM transactions in one process, every challenge kind mixed, for
 * valgrind: pam_start, pam_authenticate (sometimes pam_acct_mgmt or
 * pam_chauthtok), pam_end, again and again. tests/pam/pam_valgrind.sh runs it
 * under valgrind and requires 0 bytes definitely or indirectly lost.
 *
 *   pam_loop [N]   (default 200; the environment: COGNITO_PAMTEST_RUNNER,
 *                   e.g. "valgrind --leak-check=full", runs the wrapped
 *                   program under that command) */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "libcognito/signin/qr.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define NEW_PW "N3wPassw0rd!"
#define TOTP_SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static struct mock mock;
static int rounds = 200;

/* Each round resets the mock, which would give a user a new sub; the cache
 * binds a Unix name to the first sub it sees, so every user keeps one. */
static void put(const char *user_json)
{
    mock_add_user(&mock, user_json);
}

static void settings(const char *json)
{
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", json, NULL), 200);
}

/* One kind of login: the users it needs, its conversation, its outcome. */
struct kind {
    const char *name;
    const char *service;
    const char *user;
    void (*setup)(void);
    struct ph_turn turns[8];
    size_t n;
    enum pamtest_ops op;
    int expected;
};

#define OFF(text, from, ans)                                                                       \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, text, from, ans, PH_EXACT                                             \
    }
#define ON(text, from, ans)                                                                        \
    {                                                                                              \
        PAM_PROMPT_ECHO_ON, text, from, ans, PH_EXACT                                              \
    }
#define INFO(text)                                                                                 \
    {                                                                                              \
        PAM_TEXT_INFO, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define ERR(text)                                                                                  \
    {                                                                                              \
        PAM_ERROR_MSG, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define PASSWORD(pw) OFF("Password: ", PH_TEXT, pw)

static void setup_alice(void)
{
    put("{\"username\":\"alice\",\"sub\":\"f00d0000-0000-4000-8000-000000000001\",\"password\":"
        "\"" PW "\",\"groups\":[\"admins\"]}");
}

static void setup_sam(void)
{
    put("{\"username\":\"sam\",\"sub\":\"f00d0000-0000-4000-8000-000000000002\",\"password\":\"" PW
        "\",\"mfa_settings\":[\"SMS_MFA\"],"
        "\"attributes\":{\"phone_number\":\"+15555551111\"}}");
}

static void setup_bob(void)
{
    put("{\"username\":\"bob\",\"sub\":\"f00d0000-0000-4000-8000-000000000003\",\"password\":\"" PW
        "\","
        "\"mfa_settings\":[\"EMAIL_OTP\",\"SOFTWARE_TOKEN_MFA\"],\"totp_secret\":\"" TOTP_SECRET
        "\",\"attributes\":{\"email\":\"bob@example.com\"}}");
}

static void setup_newt(void)
{
    put("{\"username\":\"newt\",\"sub\":\"f00d0000-0000-4000-8000-000000000004\",\"password\":\"" PW
        "\"}");
    settings("{\"mfa_configuration\":\"ON\"}");
}

static void setup_fran(void)
{
    settings("{\"mfa_configuration\":\"OPTIONAL\",\"required_attributes\":[\"name\"]}");
    put("{\"username\":\"fran\",\"sub\":\"f00d0000-0000-4000-8000-000000000005\",\"password\":\"" PW
        "\",\"status\":\"FORCE_CHANGE_PASSWORD\"}");
}

static void setup_cus(void)
{
    put("{\"username\":\"cus\",\"sub\":\"f00d0000-0000-4000-8000-000000000006\",\"password\":\"" PW
        "\",\"custom_challenges\":["
        "{\"params\":{\"question\":\"Favourite colour?\"},\"answer\":\"blue\"},"
        "{\"params\":{\"hint\":\"badge\"},\"answer\":\"1234\"}]}");
}

static void setup_rita(void)
{
    put("{\"username\":\"rita\",\"sub\":\"f00d0000-0000-4000-8000-000000000007\",\"password\":\"" PW
        "\",\"status\":\"RESET_REQUIRED\","
        "\"attributes\":{\"email\":\"rita@example.com\"}}");
}

static void setup_una(void)
{
    put("{\"username\":\"una\",\"sub\":\"f00d0000-0000-4000-8000-000000000008\",\"password\":\"" PW
        "\",\"status\":\"UNCONFIRMED\","
        "\"attributes\":{\"email\":\"una@example.com\"}}");
}

static const struct kind kinds[] = {
    {"password",
     "cognito",
     "alice",
     setup_alice,
     {PASSWORD(PW)},
     1,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"account", "cognito", "alice", setup_alice, {{0}}, 0, PAMTEST_ACCOUNT, PAM_SUCCESS},
    {"wrong password",
     "cognito",
     "alice",
     setup_alice,
     {PASSWORD("Wrong0ne!")},
     1,
     PAMTEST_AUTHENTICATE,
     PAM_AUTH_ERR},
    {"sms",
     "cognito_srp",
     "sam",
     setup_sam,
     {PASSWORD(PW), INFO("A code was sent by SMS to +*******1111."),
      OFF("SMS code: ", PH_CODE, "SMS_MFA")},
     3,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"wrong codes",
     "cognito",
     "sam",
     setup_sam,
     {PASSWORD(PW), INFO("A code was sent by SMS to +*******1111."),
      OFF("SMS code: ", PH_WRONG_CODE, "SMS_MFA"),
      ERR("That code is wrong or has expired. Try again."),
      OFF("SMS code: ", PH_WRONG_CODE, "SMS_MFA"),
      ERR("That code is wrong or has expired. Try again."),
      OFF("SMS code: ", PH_WRONG_CODE, "SMS_MFA"), ERR("Too many wrong codes.")},
     8,
     PAMTEST_AUTHENTICATE,
     PAM_AUTH_ERR},
    {"select + totp",
     "cognito",
     "bob",
     setup_bob,
     {PASSWORD(PW),
      INFO("Choose how to confirm this sign-in:\n  1) Authenticator app\n  2) Code by email"),
      ON("Choice [1-2]: ", PH_TEXT, "1"), OFF("Authenticator code: ", PH_TOTP, NULL)},
     4,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"select + email",
     "cognito",
     "bob",
     setup_bob,
     {PASSWORD(PW),
      INFO("Choose how to confirm this sign-in:\n  1) Authenticator app\n  2) Code by email"),
      ON("Choice [1-2]: ", PH_TEXT, "2"), INFO("A code was sent by email to b***@e***."),
      OFF("Email code: ", PH_CODE, "EMAIL_OTP")},
     5,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"mfa setup",
     "cognito",
     "newt",
     setup_newt,
     {PASSWORD(PW),
      INFO("This account needs an authenticator app (TOTP). " COG_QR_INTRO("dark", "light")),
      {PAM_TEXT_INFO, NULL, PH_TEXT, NULL, PH_QR},
      {PAM_TEXT_INFO, NULL, PH_TEXT, NULL, PH_SECRET},
      OFF("Authenticator code: ", PH_TOTP_SHOWN, NULL),
      INFO("The authenticator app is set up.")},
     6,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"new password",
     "cognito",
     "fran",
     setup_fran,
     {PASSWORD(PW), INFO("You must choose a new password."), OFF("New password: ", PH_TEXT, NEW_PW),
      OFF("Retype new password: ", PH_TEXT, NEW_PW), ON("Full name: ", PH_TEXT, "Fran F")},
     5,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"custom",
     "cognito_custom",
     "cus",
     setup_cus,
     {PASSWORD(PW), ON("Favourite colour? ", PH_TEXT, "blue"),
      INFO("The sign-in asks:\n  hint: badge"), ON("Answer: ", PH_TEXT, "1234")},
     4,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"reset",
     "cognito_flows",
     "rita",
     setup_rita,
     {PASSWORD(PW), INFO("Your password must be reset before you can sign in."),
      INFO("A password reset code was sent by email to r***@e***."),
      OFF("Password reset code: ", PH_CODE, "ForgotPassword"),
      OFF("New password: ", PH_TEXT, NEW_PW), OFF("Retype new password: ", PH_TEXT, NEW_PW),
      INFO("Your password has been reset.")},
     7,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    {"confirm",
     "cognito_flows",
     "una",
     setup_una,
     {PASSWORD(PW),
      INFO("Your account is not confirmed yet. Enter the confirmation code you were sent, or "
           "just press Enter to get a new one."),
      OFF("Confirmation code: ", PH_TEXT, ""),
      INFO("A confirmation code was sent by email to u***@e***."),
      OFF("Confirmation code: ", PH_CODE, "ConfirmSignUp"), INFO("Your account is confirmed.")},
     6,
     PAMTEST_AUTHENTICATE,
     PAM_SUCCESS},
    /* The prompt fails while InitiateAuth is under way (the early start):
     * nothing of the thread, its connection or its SRP secret is left. */
    {"aborted prompt",
     "cognito_srp",
     "alice",
     setup_alice,
     {OFF("Password: ", PH_FAIL, NULL)},
     1,
     PAMTEST_AUTHENTICATE,
     PAM_CONV_ERR},
    {"chauthtok",
     "cognito",
     "alice",
     setup_alice,
     {OFF("Current password: ", PH_TEXT, PW), OFF("New password: ", PH_TEXT, NEW_PW),
      OFF("Retype new password: ", PH_TEXT, NEW_PW)},
     3,
     PAMTEST_CHAUTHTOK,
     PAM_SUCCESS},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

START_TEST(test_many_logins)
{
    int done[N_KINDS] = {0};
    mock_start(&mock, NULL, "timeout = 30\n");
    mock_write_config(&mock, ph_path("cognito.conf"), "timeout = 30\n");
    for (int i = 0; i < rounds; i++) {
        const struct kind *k = &kinds[(size_t)i % N_KINDS];
        ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
        k->setup();
        struct ph_script s = {.turns = k->turns,
                              .n = k->n,
                              .mock = &mock,
                              .user = k->user,
                              .totp_secret = TOTP_SECRET};
        struct pam_testcase cases[] = {pam_test(k->op, k->expected)};
        ph_run(k->service, k->user, &s, cases, 1);
        ph_script_clear(&s);
        done[(size_t)i % N_KINDS]++;
    }
    for (size_t k = 0; k < N_KINDS; k++)
        printf("%-16s %d\n", kinds[k].name, done[k]);
    mock_stop(&mock);
}
END_TEST

#define ACCT                                                                                       \
    "account [success=done ignore=ignore default=die] @MODULE@ @ARGS@\n"                           \
    "account required pam_deny.so\n"

static void write_services(void)
{
    ph_service("other", "auth required pam_deny.so\naccount required pam_deny.so\n"
                        "password required pam_deny.so\n");
    /* USER_PASSWORD_AUTH for most rounds: SRP's big-number work under
     * valgrind would take most of the time budget and prove nothing more
     * about memory than the rounds that use it. */
    ph_service("cognito", "auth required @MODULE@ @ARGS@ auth_flow=USER_PASSWORD_AUTH\n" ACCT
                          "password required @MODULE@ @ARGS@ auth_flow=USER_PASSWORD_AUTH\n");
    ph_service("cognito_srp", "auth required @MODULE@ @ARGS@\n");
    ph_service("cognito_custom", "auth required @MODULE@ @ARGS@ auth_flow=CUSTOM_AUTH\n");
    ph_service("cognito_flows", "auth required @MODULE@ @ARGS@ allow_password_reset "
                                "allow_confirm auth_flow=USER_PASSWORD_AUTH\n");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("pam_loop");
    TCase *tc = tcase_create("loop");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_many_logins);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* One process for all of them: that is what the leak check is about. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
