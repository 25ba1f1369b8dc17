/* libcognito against the mock IdP over real TLS: the password path of
 * authenticateUser, error mapping, transport failures and deadlines. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/testutil.h"

static struct mock mock;

static void mock_up(void)
{
    mock_start(&mock, NULL, NULL);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"Passw0rd!\","
                         "\"attributes\":{\"email\":\"alice@example.com\",\"name\":\"Alice A\"},"
                         "\"groups\":[\"admins\",\"devs\"]}");
    mock_add_user(&mock, "{\"username\":\"dave\",\"password\":\"Passw0rd!\",\"enabled\":false}");
}

static void mock_down(void)
{
    mock_stop(&mock);
}

/* A scripted front end: answers the password prompt, counts prompts. */
struct script {
    const char *password;
    int asked;
};

static cog_status ask_password(void *ctx, const char *prompt, char **answer)
{
    struct script *s = ctx;
    s->asked++;
    ck_assert_str_eq(prompt, "Password: ");
    *answer = strdup(s->password);
    return COG_OK;
}

static cog_status login_with(const char *conf_extra, const char *user, const char *password,
                             struct cog_auth_result *res, struct cog_error *err, unsigned *requests,
                             unsigned *connections)
{
    struct cog_config cfg;
    struct cog_idp idp;
    struct script s = {.password = password};
    struct cog_auth_callbacks cb = {.ctx = &s, .ask_password = ask_password};
    char path[PATH_MAX];
    const char *conf = mock.conf;

    if (conf_extra != NULL) {
        snprintf(path, sizeof(path), "%s/extra.conf", mock.dir);
        mock_write_config(&mock, path, conf_extra);
        conf = path;
    }
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, conf, err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, err), COG_OK);
    cog_status st = cog_idp_open(&idp, &cfg, err);
    ck_assert_int_eq(st, COG_OK);
    st = cog_auth_login(&idp, user, &cb, NULL, res, err);
    ck_assert_int_eq(s.asked, 1);
    if (requests)
        *requests = cog_http_request_count(idp.http);
    if (connections)
        *connections = cog_http_connection_count(idp.http);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
    return st;
}

START_TEST(test_good_password)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    ck_assert_int_eq(login_with(NULL, "alice", "Passw0rd!", &res, &err, NULL, NULL), COG_OK);
    ck_assert_str_eq(res.username, "alice");
    ck_assert_ptr_nonnull(res.id_token);
    ck_assert_ptr_nonnull(res.access_token);
    ck_assert_ptr_nonnull(res.refresh_token);
    ck_assert_int_eq(res.expires_in, 3600);
    ck_assert(!res.passed_mfa);
    ck_assert_str_eq(cog_json_string(res.claims, "email"), "alice@example.com");
    ck_assert_str_eq(cog_json_string(res.claims, "token_use"), "id");
    ck_assert_str_eq(cog_json_string(res.claims, "aud"), MOCK_CLIENT_ID);
    struct json_object *groups = json_object_object_get(res.claims, "cognito:groups");
    ck_assert_ptr_nonnull(groups);
    ck_assert_int_eq(json_object_array_length(groups), 2);
    cog_auth_result_clear(&res);
    ck_assert_ptr_null(res.id_token);
}
END_TEST

/* One login: InitiateAuth + RespondToAuthChallenge over one TLS connection;
 * the JWKS comes over the same connection the first time, from disk after. */
START_TEST(test_two_requests_one_connection)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    unsigned req = 0, conn = 0;
    char cached[PATH_MAX];

    snprintf(cached, sizeof(cached), "%s/cache/jwks-%s.json", mock.dir, MOCK_POOL_ID);
    unlink(cached);
    mock_reset_stats(&mock);
    ck_assert_int_eq(login_with(NULL, "alice", "Passw0rd!", &res, &err, &req, &conn), COG_OK);
    cog_auth_result_clear(&res);
    ck_assert_uint_eq(req, 3);
    ck_assert_uint_eq(conn, 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "jwks"), 1);
    ck_assert_int_eq(access(cached, R_OK), 0);

    mock_reset_stats(&mock);
    ck_assert_int_eq(login_with(NULL, "alice", "Passw0rd!", &res, &err, &req, &conn), COG_OK);
    cog_auth_result_clear(&res);
    ck_assert_uint_eq(req, 2);
    ck_assert_uint_eq(conn, 1);
    /* The server's view agrees with ours. */
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 2);
    ck_assert_int_eq(mock_stat(&mock, "connections", NULL), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "jwks"), 0);
}
END_TEST

START_TEST(test_wrong_password)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    ck_assert_int_eq(login_with(NULL, "alice", "Passw0rd?", &res, &err, NULL, NULL), COG_ERR_AUTH);
    ck_assert_str_eq(err.code, "NotAuthorizedException");
    ck_assert_ptr_null(res.id_token);
    ck_assert_ptr_null(res.username);
}
END_TEST

START_TEST(test_unknown_user)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    ck_assert_int_eq(login_with(NULL, "mallory", "Passw0rd!", &res, &err, NULL, NULL),
                     COG_ERR_USER_UNKNOWN);
    ck_assert_str_eq(err.code, "UserNotFoundException");
}
END_TEST

START_TEST(test_disabled_user)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    ck_assert_int_eq(login_with(NULL, "dave", "Passw0rd!", &res, &err, NULL, NULL), COG_ERR_AUTH);
    ck_assert_str_eq(err.message, "User is disabled.");
}
END_TEST

START_TEST(test_user_password_auth)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    ck_assert_int_eq(login_with("auth_flow = USER_PASSWORD_AUTH\n", "alice", "Passw0rd!", &res,
                                &err, NULL, NULL),
                     COG_OK);
    ck_assert_str_eq(res.username, "alice");
    cog_auth_result_clear(&res);
    ck_assert_int_eq(
        login_with("auth_flow = USER_PASSWORD_AUTH\n", "alice", "nope", &res, &err, NULL, NULL),
        COG_ERR_AUTH);
}
END_TEST

/* A CA that did not sign the mock's certificate: a transport error, never success. */
START_TEST(test_wrong_ca)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    struct mock other;
    char extra[PATH_MAX + 32];

    mock_start(&other, NULL, NULL); /* a second mock makes a second, unrelated CA */
    snprintf(extra, sizeof(extra), "ca_file = %s/ca.pem\n", other.dir);
    ck_assert_int_eq(login_with(extra, "alice", "Passw0rd!", &res, &err, NULL, NULL),
                     COG_ERR_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(err.message, "SSL"));
    ck_assert_ptr_null(res.id_token);
    mock_stop(&other);
}
END_TEST

/* A stalled IdP may not hold a login past its timeout. */
START_TEST(test_stall_hits_deadline)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    mock_fault(&mock, "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"stall\",\"seconds\":30,"
                      "\"count\":1}");
    long long t0 = cog_now_ms();
    ck_assert_int_eq(login_with("timeout = 2\n", "alice", "Passw0rd!", &res, &err, NULL, NULL),
                     COG_ERR_UNAVAILABLE);
    long long took = cog_now_ms() - t0;
    ck_assert_msg(took < 2500, "login took %lld ms with timeout = 2", took);
    ck_assert_msg(took >= 1500, "login gave up after %lld ms, before the deadline", took);
}
END_TEST

static const char *const service_faults[] = {
    "{\"op\":\"InitiateAuth\",\"kind\":\"status\",\"status\":503,\"count\":1}",
    "{\"op\":\"InitiateAuth\",\"kind\":\"status\",\"status\":500,\"count\":1}",
    "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"throttle\",\"count\":1}",
    "{\"op\":\"InitiateAuth\",\"kind\":\"garbage\",\"count\":1}",
    /* A reset before any byte is retried once by libcurl on a reused connection,
     * which is right; a reset mid-answer must reach the caller. */
    "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"reset\",\"partial\":true,\"count\":1}",
};

START_TEST(test_service_faults_are_unavailable)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    mock_fault(&mock, service_faults[_i]);
    ck_assert_int_eq(login_with(NULL, "alice", "Passw0rd!", &res, &err, NULL, NULL),
                     COG_ERR_UNAVAILABLE);
    ck_assert_ptr_null(res.id_token);
    /* The fault was one-shot: the next login goes through. */
    ck_assert_int_eq(login_with(NULL, "alice", "Passw0rd!", &res, &err, NULL, NULL), COG_OK);
    cog_auth_result_clear(&res);
}
END_TEST

START_TEST(test_nothing_listens)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    /* A port nobody listens on. */
    ck_assert_int_eq(login_with("endpoint = https://127.0.0.1:1/\n", "alice", "Passw0rd!", &res,
                                &err, NULL, NULL),
                     COG_ERR_UNAVAILABLE);
    ck_assert_ptr_null(res.id_token);
}
END_TEST

START_TEST(test_invalid_username_never_sent)
{
    struct cog_auth_result res;
    struct cog_error err = {0};
    struct cog_config cfg;
    struct cog_idp idp;
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, mock.conf, &err), COG_OK);
    ck_assert_int_eq(cog_idp_open(&idp, &cfg, &err), COG_OK);
    struct cog_auth_opts opts = {.password = "Passw0rd!"};
    mock_reset_stats(&mock);
    ck_assert_int_eq(cog_auth_login(&idp, "alice\nroot", NULL, &opts, &res, &err),
                     COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_auth_login(&idp, "", NULL, &opts, &res, &err), COG_ERR_INVALID_INPUT);
    ck_assert_uint_eq(cog_http_request_count(idp.http), 0);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
}
END_TEST

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("login");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_good_password);
    tcase_add_test(tc, test_two_requests_one_connection);
    tcase_add_test(tc, test_wrong_password);
    tcase_add_test(tc, test_unknown_user);
    tcase_add_test(tc, test_disabled_user);
    tcase_add_test(tc, test_user_password_auth);
    tcase_add_test(tc, test_wrong_ca);
    tcase_add_test(tc, test_stall_hits_deadline);
    tcase_add_loop_test(tc, test_service_faults_are_unavailable, 0,
                        (int)(sizeof(service_faults) / sizeof(service_faults[0])));
    tcase_add_test(tc, test_nothing_listens);
    tcase_add_test(tc, test_invalid_username_never_sent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(e2e_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
