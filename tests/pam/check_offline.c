/* Issue 18 through the real Linux-PAM stack (pam_wrapper) against the mock:
 * what an offline login proves. It stands in only for a service that
 * cannot be reached, never once Cognito has accepted the password, proves
 * every factor the online login proved, and a stranger's failure changes
 * nothing of a user's verifier. Each attack has its control: the
 * legitimate path still works. The account's status, the session and
 * remembered devices are tests/pam/check_status.c. */
#include "build-config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <json-c/json.h>

#include "tests/pam/statusfix.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

/* -- what offline login proves ----------------------------------------------------------- */

/* A throttled pool or a failing Lambda is an answer a third party can
 * provoke: never an offline login. A 5xx and a dead endpoint are. */
START_TEST(test_offline_only_unreachable)
{
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    const struct ph_turn refused[] = {T_PASSWORD(PW), T_ERR(UNAVAILABLE)};
    const struct ph_turn offline[] = {T_PASSWORD(PW), T_INFO(OFFLINE_OK)};
    static const char *const provoked[] = {
        "{\"op\":\"InitiateAuth\",\"kind\":\"throttle\",\"count\":-1}",
        "{\"op\":\"InitiateAuth\",\"kind\":\"throttle\",\"status\":429,\"count\":-1}",
        "{\"op\":\"InitiateAuth\",\"kind\":\"throttle\",\"type\":\"UnexpectedLambdaException\","
        "\"count\":-1}",
        "{\"op\":\"InitiateAuth\",\"kind\":\"throttle\",\"type\":"
        "\"InvalidLambdaResponseException\",\"count\":-1}",
        "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"throttle\",\"count\":-1}",
    };
    fresh(ALICE, NULL);
    AUTH_EXPECT("status_offline", "alice", pw, PAM_SUCCESS);
    for (size_t i = 0; i < sizeof(provoked) / sizeof(provoked[0]); i++) {
        mock_fault(&mock, provoked[i]);
        AUTH_EXPECT("status_offline", "alice", refused, PAM_AUTHINFO_UNAVAIL);
        ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/faults", NULL, NULL), 200);
    }
    /* Controls: the service failing (5xx) and not there at all. */
    mock_fault(&mock, "{\"op\":\"InitiateAuth\",\"kind\":\"status\",\"status\":503,\"count\":-1}");
    AUTH_EXPECT("status_offline", "alice", offline, PAM_SUCCESS);
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/faults", NULL, NULL), 200);
    AUTH_EXPECT("status_offline_down", "alice", offline, PAM_SUCCESS);
}
END_TEST

/* Every fault the mock injects at InitiateAuth, before the password is
 * proven: offline login stands in for the service not being reached (no
 * answer in time, a dropped connection, TLS failing, a 5xx) and for
 * nothing else (a throttle, garbage, a malformed or oversized answer). */
static const struct {
    const char *spec;
    bool offline;
} init_faults[] = {
    {"\"kind\":\"stall\",\"seconds\":4", true},
    {"\"kind\":\"stall_body\",\"seconds\":4", true},
    {"\"kind\":\"reset\"", true},
    {"\"kind\":\"close\"", true},
    {"\"kind\":\"status\",\"status\":500,\"body\":\"Internal Server Error\","
     "\"content_type\":\"text/plain\"",
     true},
    {"\"kind\":\"status\",\"status\":502,\"body\":\"<html>502</html>\","
     "\"content_type\":\"text/html\"",
     true},
    {"\"kind\":\"status\",\"status\":503,\"type\":\"ServiceUnavailableException\"", true},
    {"\"kind\":\"status\",\"status\":500,\"type\":\"InternalErrorException\"", true},
    {"\"kind\":\"tls\",\"cert\":\"wrong_ca\"", true},
    {"\"kind\":\"tls\",\"cert\":\"expired\"", true},
    {"\"kind\":\"throttle\"", false},
    {"\"kind\":\"throttle\",\"status\":500", false},
    {"\"kind\":\"throttle\",\"status\":500,\"type\":\"UnexpectedLambdaException\"", false},
    {"\"kind\":\"garbage\"", false},
    {"\"kind\":\"truncated_json\"", false},
    {"\"kind\":\"missing_fields\"", false},
    {"\"kind\":\"wrong_types\"", false},
    {"\"kind\":\"unknown_challenge\"", false},
    {"\"kind\":\"oversized\",\"bytes\":2097152", false},
};

START_TEST(test_offline_fault_matrix)
{
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    const struct ph_turn refused[] = {T_PASSWORD(PW), T_ERR(UNAVAILABLE)};
    const struct ph_turn offline[] = {T_PASSWORD(PW), T_INFO(OFFLINE_OK)};
    char spec[512];
    fresh(ALICE, NULL);
    AUTH_EXPECT("status_offline_fast", "alice", pw, PAM_SUCCESS);
    snprintf(spec, sizeof(spec), "{\"op\":\"InitiateAuth\",\"count\":-1,%s}", init_faults[_i].spec);
    mock_fault(&mock, spec);
    if (init_faults[_i].offline)
        AUTH_EXPECT("status_offline_fast", "alice", offline, PAM_SUCCESS);
    else
        AUTH_EXPECT("status_offline_fast", "alice", refused, PAM_AUTHINFO_UNAVAIL);
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/faults", NULL, NULL), 200);
}
END_TEST

/* Once Cognito accepted the password and a challenge is pending, nothing
 * that fails next is "unreachable". */
START_TEST(test_offline_never_after_password)
{
    const struct ph_turn sms[] = {T_PASSWORD(PW), T_INFO(SMS_SENT), T_SMS};
    const struct ph_turn refused[] = {T_PASSWORD(PW), T_INFO(SMS_SENT), T_SMS, T_ERR(UNAVAILABLE)};
    const struct ph_turn offline[] = {T_PASSWORD(PW), T_INFO(OFFLINE_OK)};
    fresh(SAM, NULL);
    AUTH_EXPECT("status_offline_mfa", "sam", sms, PAM_SUCCESS);
    /* The answer to the code dies with a 503 (the password's went through). */
    mock_fault(&mock, "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"status\",\"status\":503,"
                      "\"after\":1,\"count\":-1}");
    AUTH_EXPECT("status_offline_mfa", "sam", refused, PAM_AUTHINFO_UNAVAIL);
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/faults", NULL, NULL), 200);
    /* Control: before the password, the same 503 is an outage. */
    mock_fault(&mock, "{\"op\":\"InitiateAuth\",\"kind\":\"status\",\"status\":503,\"count\":-1}");
    AUTH_EXPECT("status_offline_mfa", "sam", offline, PAM_SUCCESS);
}
END_TEST

/* With auth_flow = CUSTOM_AUTH the custom challenge is a factor: the
 * verifier says so, and the password alone opens nothing offline. */
START_TEST(test_offline_custom_challenge)
{
    const struct ph_turn custom[] = {
        T_PASSWORD(PW), {PAM_PROMPT_ECHO_ON, "Favourite colour? ", PH_TEXT, "blue", PH_EXACT}};
    const struct ph_turn refused[] = {T_PASSWORD(PW), T_ERR(UNAVAILABLE)};
    const struct ph_turn offline[] = {T_PASSWORD(PW), T_INFO(OFFLINE_OK)};
    fresh(CUS, NULL);
    AUTH_EXPECT("status_custom_offline", "cus", custom, PAM_SUCCESS);
    char *text = test_read_file(record_of("private/offline", "cus"), NULL);
    struct json_object *o = json_tokener_parse(text);
    free(text);
    ck_assert_str_eq(json_object_to_json_string(json_object_object_get(o, "factors")),
                     "[ \"password\", \"custom_challenge\" ]");
    json_object_put(o);
    AUTH_EXPECT("status_offline_down", "cus", refused, PAM_AUTHINFO_UNAVAIL);
    /* Only where the administrator accepts the password alone. */
    AUTH_EXPECT("status_offline_down_mfa", "cus", offline, PAM_SUCCESS);
}
END_TEST

/* -- a stranger's failure ----------------------------------------------------------------- */

/* Wrong passwords typed for alice leave her verifier and login record:
 * with the mock down she still logs in offline with hers. Cognito refusing
 * the very password the verifier holds (changed elsewhere) drops it. */
START_TEST(test_stranger_changes_nothing)
{
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    const struct ph_turn wrong[] = {T_PASSWORD("Guess-1234")};
    const struct ph_turn offline[] = {T_PASSWORD(PW), T_INFO(OFFLINE_OK)};
    fresh(ALICE, NULL);
    AUTH_EXPECT("status_offline", "alice", pw, PAM_SUCCESS);
    char before[PATH_MAX];
    snprintf(before, sizeof(before), "%s", record_of("private/offline", "alice"));
    char *verifier = test_read_file(before, NULL);
    for (int i = 0; i < 3; i++)
        AUTH_EXPECT("status_offline", "alice", wrong, PAM_AUTH_ERR);
    char *after = test_read_file(before, NULL);
    ck_assert_str_eq(after, verifier);
    free(after);
    free(verifier);
    ck_assert_str_ne(record_of("state", "alice"), "");
    AUTH_EXPECT("status_offline_down", "alice", offline, PAM_SUCCESS);

    /* Control: the password changed in the pool, the old one refused. */
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"N3w-Passw0rd!\"}");
    AUTH_EXPECT("status_offline", "alice", pw, PAM_AUTH_ERR);
    ck_assert_str_eq(record_of("private/offline", "alice"), "");
    const struct ph_turn gone[] = {T_PASSWORD(PW), T_ERR(UNAVAILABLE)};
    AUTH_EXPECT("status_offline_down", "alice", gone, PAM_AUTHINFO_UNAVAIL);
}
END_TEST

static Suite *offline_suite(void)
{
    Suite *s = suite_create("offline");
    TCase *tc = tcase_create("issue18");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_offline_only_unreachable);
    tcase_add_loop_test(tc, test_offline_fault_matrix, 0,
                        (int)(sizeof(init_faults) / sizeof(init_faults[0])));
    tcase_add_test(tc, test_offline_never_after_password);
    tcase_add_test(tc, test_offline_custom_challenge);
    tcase_add_test(tc, test_stranger_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, status_services);
    return test_main(offline_suite());
}
