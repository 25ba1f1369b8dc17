/* Issue 18 through the real Linux-PAM stack (pam_wrapper) against the mock:
 * only confirmed accounts pass; a reset-required account reads like a
 * wrong password; the IdP's words reach the conversation escaped; a
 * remembered device is not used for remote logins; the session phase
 * cleans up after itself. Each attack has its control: the legitimate path
 * still works. What an offline login proves is tests/pam/check_offline.c. */
#include "build-config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"
#include "tests/pam/statusfix.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

static void acct_expect(const char *service, const char *user, int expected)
{
    struct ph_script none = {.mock = &mock, .user = user};
    struct pam_testcase cases[] = {pam_test(PAMTEST_ACCOUNT, expected)};
    PH_RUN(service, user, &none, cases);
}

static long long json_count(const char *path, const char *key)
{
    struct json_object *o = mock_get_json(&mock, path), *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in %s", key, path);
    long long n = json_object_get_int64(v);
    json_object_put(o);
    return n;
}

/* -- only confirmed accounts ------------------------------------------------------------ */

static const struct {
    const char *name, *status;
    bool active;
} statuses[] = {
    {"conf", "CONFIRMED", true},   {"fed", "EXTERNAL_PROVIDER", true},
    {"unc", "UNCONFIRMED", false}, {"rst", "RESET_REQUIRED", false},
    {"cmp", "COMPROMISED", false}, {"fcp", "FORCE_CHANGE_PASSWORD", false},
    {"arc", "ARCHIVED", false},    {"unk", "UNKNOWN", false},
};
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* The user cache as a sync of users with these statuses writes it. */
static void sync_statuses(void)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_pool pool;
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, ph_path("cognito.conf"), &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    cog_pool_init(&pool);
    for (size_t i = 0; i < N_STATUSES; i++) {
        char sub[64];
        struct cog_pool_user *u = cog_pool_add_user(&pool);
        snprintf(sub, sizeof(sub), "0f1e2d3c-0000-4000-8000-0000000000%02zu", i);
        u->username = cog_pool_strdup(&pool, statuses[i].name);
        u->sub = cog_pool_strdup(&pool, sub);
        u->status = cog_pool_strdup(&pool, statuses[i].status);
        u->enabled = true;
        u->created = 1700000000 + (int64_t)i;
    }
    ck_assert_msg(cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err) == COG_OK, "%s",
                  err.message);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}

/* The account phase (an SSH-key login: no Cognito login on record) lets
 * in only CONFIRMED and EXTERNAL_PROVIDER accounts, and what
 * allowed_user_status adds. */
START_TEST(test_status_account_phase)
{
    fresh(ALICE, NULL);
    sync_statuses();
    for (size_t i = 0; i < N_STATUSES; i++) {
        acct_expect("status_acct", statuses[i].name,
                    statuses[i].active ? PAM_SUCCESS : PAM_PERM_DENIED);
        bool added = statuses[i].active || strcmp(statuses[i].status, "FORCE_CHANGE_PASSWORD") == 0;
        acct_expect("status_acct_fcp", statuses[i].name, added ? PAM_SUCCESS : PAM_PERM_DENIED);
    }
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* An unconfirmed sign-up with the right password is refused, as a wrong
 * password is; a user whose status changes to RESET_REQUIRED is refused at
 * the next login and loses the offline verifier and login record an
 * earlier login left. */
START_TEST(test_status_changes_at_login)
{
    fresh("{\"username\":\"unc\",\"password\":\"" PW "\",\"status\":\"UNCONFIRMED\"}", NULL);
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    /* Cognito says "not confirmed" only to whoever proved the password. */
    const struct ph_turn unconfirmed[] = {
        T_PASSWORD(PW), T_ERR("Your account is not confirmed yet. Confirm it with the code you "
                              "were sent, or ask an administrator.")};
    AUTH_EXPECT("status_offline", "unc", unconfirmed, PAM_AUTH_ERR);
    ck_assert_str_eq(record_of("private/offline", "unc"), "");

    fresh(ALICE, NULL);
    AUTH_EXPECT("status_offline", "alice", pw, PAM_SUCCESS);
    ck_assert_str_ne(record_of("private/offline", "alice"), "");
    ck_assert_str_ne(record_of("state", "alice"), "");
    mock_add_user(&mock,
                  "{\"username\":\"alice\",\"password\":\"" PW "\",\"status\":\"RESET_REQUIRED\"}");
    AUTH_EXPECT("status_offline", "alice", pw, PAM_AUTH_ERR);
    ck_assert_str_eq(record_of("private/offline", "alice"), "");
    ck_assert_str_eq(record_of("state", "alice"), "");
    const struct ph_turn down[] = {T_PASSWORD(PW), T_ERR(UNAVAILABLE)};
    AUTH_EXPECT("status_offline_down", "alice", down, PAM_AUTHINFO_UNAVAIL);

    /* COMPROMISED: NotAuthorized with the right password, as Cognito does;
     * the verifier of that very password goes too. */
    fresh(ALICE, NULL);
    AUTH_EXPECT("status_offline", "alice", pw, PAM_SUCCESS);
    mock_add_user(&mock,
                  "{\"username\":\"alice\",\"password\":\"" PW "\",\"status\":\"COMPROMISED\"}");
    AUTH_EXPECT("status_offline", "alice", pw, PAM_AUTH_ERR);
    ck_assert_str_eq(record_of("private/offline", "alice"), "");
    AUTH_EXPECT("status_offline_down", "alice", down, PAM_AUTHINFO_UNAVAIL);
}
END_TEST

/* Without allow_password_reset a reset-required account reads like a
 * wrong password: the same conversation, and no quicker. */
START_TEST(test_reset_required_looks_refused)
{
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    const struct ph_turn wrong[] = {T_PASSWORD("Wr0ng-Passw0rd!")};
    fresh(ALICE, NULL);
    mock_add_user(&mock,
                  "{\"username\":\"rst\",\"password\":\"" PW "\",\"status\":\"RESET_REQUIRED\"}");
    long long fastest_wrong = -1, fastest_reset = -1;
    for (int i = 0; i < 6; i++) {
        bool reset = i % 2 == 1;
        long long t0 = cog_now_ms();
        if (reset)
            AUTH_EXPECT("status", "rst", pw, PAM_AUTH_ERR);
        else
            AUTH_EXPECT("status", "alice", wrong, PAM_AUTH_ERR);
        long long t = cog_now_ms() - t0;
        long long *fastest = reset ? &fastest_reset : &fastest_wrong;
        if (*fastest < 0 || t < *fastest)
            *fastest = t;
    }
    /* One quick round trip where a wrong password takes two: waited out. */
    ck_assert_msg(fastest_reset * 10 >= fastest_wrong * 7, "reset-required %lld ms, wrong %lld ms",
                  fastest_reset, fastest_wrong);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ForgotPassword"), 0);
}
END_TEST

/* -- text from the IdP in the conversation ------------------------------------------------- */

/* A challenge's words reach the PAM conversation escaped: a bidi override
 * in a custom challenge's question and in a parameter's value, shown as
 * \u202e, never raw; plain words as they are. */
START_TEST(test_conversation_escaped)
{
    fresh("{\"username\":\"cus\",\"password\":\"" PW "\",\"custom_challenges\":["
          "{\"params\":{\"question\":\"Badge \\u202enumber?\"},\"answer\":\"42\"},"
          "{\"params\":{\"hint\":\"sent to \\u2066+1 555\\u2069\"},\"answer\":\"7\"}]}",
          NULL);
    const struct ph_turn t[] = {
        T_PASSWORD(PW),
        {PAM_PROMPT_ECHO_ON, "Badge \\u202enumber? ", PH_TEXT, "42", PH_EXACT},
        T_INFO("The sign-in asks:\n  hint: sent to \\u2066+1 555\\u2069"),
        {PAM_PROMPT_ECHO_ON, "Answer: ", PH_TEXT, "7", PH_EXACT},
    };
    AUTH_EXPECT("status_custom", "cus", t, PAM_SUCCESS);
}
END_TEST

/* -- remembered devices and remote logins -------------------------------------------------- */

/* A remote login (PAM_RHOST) neither makes nor uses a remembered device
 * unless remember_device_remote; a local one does. */
START_TEST(test_device_not_for_remote)
{
    const struct ph_turn sms[] = {T_PASSWORD(PW), T_INFO(SMS_SENT), T_SMS};
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    fresh(SAM, "{\"device_tracking\":\"ALWAYS\"}");
    setenv("PAM_RHOST", "203.0.113.9", 1);
    AUTH_EXPECT("status_device_rhost", "sam", sms, PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ConfirmDevice"), 0);
    ck_assert_str_eq(record_of("private/devices", "sam"), "");
    unsetenv("PAM_RHOST");
    /* Control: a local MFA login makes the host a device; the next local
     * login is not asked for the code. */
    AUTH_EXPECT("status_device_rhost", "sam", sms, PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ConfirmDevice"), 1);
    ck_assert_str_ne(record_of("private/devices", "sam"), "");
    AUTH_EXPECT("status_device_rhost", "sam", pw, PAM_SUCCESS);
    /* From afar the device stays unused: the code is asked. */
    setenv("PAM_RHOST", "203.0.113.9", 1);
    AUTH_EXPECT("status_device_rhost", "sam", sms, PAM_SUCCESS);
    /* Unless the administrator says otherwise. */
    AUTH_EXPECT("status_device_remote", "sam", pw, PAM_SUCCESS);
    unsetenv("PAM_RHOST");
}
END_TEST

/* -- the session phase cleans up ------------------------------------------------------------- */

/* sudo with Debian's profile: authentication and the account phase for
 * the user, no session line of ours. The session id never reaches the
 * command's environment, and root's later `su -l alice` (another
 * transaction) adopts nothing. */
START_TEST(test_session_not_adopted)
{
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(pw), .mock = &mock, .user = "alice"};
    struct pam_testcase sudo[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
    };
    fresh(ALICE, NULL);
    pam_handle_t *ph = ph_run_keep("status_sudo", "alice", &s, sudo, 3);
    ck_assert_ptr_null(pam_getenv(ph, "PAM_COGNITO_SESSION"));
    char **env = pam_getenvlist(ph);
    for (char **e = env; e != NULL && *e != NULL; e++) {
        ck_assert_msg(strncmp(*e, "PAM_COGNITO_SESSION=", 20) != 0, "%s", *e);
        free(*e);
    }
    free(env);
    pam_end(ph, PAM_SUCCESS);
    ck_assert_int_eq(files_in("state/sessions"), 1);

    /* root: su -l alice, a session of its own. */
    struct ph_script none = {.mock = &mock, .user = "alice"};
    struct pam_testcase su[] = {pam_test(PAMTEST_OPEN_SESSION, PAM_SESSION_ERR)};
    PH_RUN("status_su", "alice", &none, su);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetId"), 0);
    /* Even naming the id (another service) adopts nothing. */
    ck_assert_int_eq(files_in("state/sessions"), 1);
}
END_TEST

/* A pending record past its time is ended per on_close (RevokeToken) and
 * wiped by the next login's sweep. */
START_TEST(test_pending_record_revoked)
{
    const struct ph_turn pw[] = {T_PASSWORD(PW)};
    fresh(ALICE, NULL);
    AUTH_EXPECT("status_sudo", "alice", pw, PAM_SUCCESS);
    ck_assert_int_eq(files_in("state/sessions"), 1);
    /* Three minutes pass. */
    DIR *d = opendir(ph_path("state/sessions"));
    char record[2 * PATH_MAX] = "";
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            snprintf(record, sizeof(record), "%s/%s", ph_path("state/sessions"), e->d_name);
    closedir(d);
    char *text = test_read_file(record, NULL);
    struct json_object *o = json_tokener_parse(text);
    cog_wipe(text, strlen(text));
    free(text);
    json_object_object_add(o, "created", json_object_new_int64((int64_t)time(NULL) - 180));
    const char *out = json_object_to_json_string(o);
    struct cog_error err = {0};
    ck_assert_int_eq(cog_write_file_atomic(record, out, strlen(out), 0600, &err), COG_OK);
    json_object_put(o);
    long long revoked = json_count("/_mock/tokens", "revoked");
    AUTH_EXPECT("status_sudo", "alice", pw, PAM_SUCCESS);
    ck_assert_int_eq(json_count("/_mock/tokens", "revoked"), revoked + 1);
    /* The old record is gone; the new login's is there. */
    ck_assert_int_eq(files_in("state/sessions"), 1);
    ck_assert_int_ne(access(record, F_OK), 0);
}
END_TEST

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("issue18");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_status_account_phase);
    tcase_add_test(tc, test_status_changes_at_login);
    tcase_add_test(tc, test_reset_required_looks_refused);
    tcase_add_test(tc, test_conversation_escaped);
    tcase_add_test(tc, test_device_not_for_remote);
    tcase_add_test(tc, test_session_not_adopted);
    tcase_add_test(tc, test_pending_record_revoked);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, status_services);
    return test_main(status_suite());
}
