/* Issue 18 through the real Linux-PAM stack (pam_wrapper) against the mock:
 * only confirmed accounts pass; offline login proves what the online login
 * proved and stands in only for a service that cannot be reached; a
 * stranger's failure changes nothing of a user's state; a remembered
 * device is not used for remote logins; the session phase cleans up after
 * itself; a reset-required account reads like a wrong password. Each
 * attack has its control: the legitimate path still works. */
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
#include <openssl/sha.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

static struct mock mock;

#define PW "Passw0rd!"
#define SMS_SENT "A code was sent by SMS to +*******1111."
#define OFFLINE_OK "Cognito is unreachable: logged in with your cached password"
#define UNAVAILABLE "The sign-in service is unavailable. Try again later."
#define T_PASSWORD(pw)                                                                             \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, "Password: ", PH_TEXT, pw, PH_EXACT                                   \
    }
#define T_INFO(text)                                                                               \
    {                                                                                              \
        PAM_TEXT_INFO, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define T_ERR(text)                                                                                \
    {                                                                                              \
        PAM_ERROR_MSG, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define T_SMS                                                                                      \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, "SMS code: ", PH_CODE, "SMS_MFA", PH_EXACT                            \
    }
/* The account stacks: PAM_IGNORE falls through to pam_deny (PAM_AUTH_ERR). */
#define ACCT(args)                                                                                 \
    "account [success=done ignore=ignore default=die] @MODULE@ @ARGS@" args "\n"                   \
    "account required pam_deny.so\n"
#define SET_ITEMS "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"
#define DOWN "timeout=2 endpoint=https://127.0.0.1:1/"

#define ALICE "{\"username\":\"alice\",\"password\":\"" PW "\"}"
#define SAM                                                                                        \
    "{\"username\":\"sam\",\"password\":\"" PW "\",\"mfa_settings\":[\"SMS_MFA\"],"                \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
#define CUS                                                                                        \
    "{\"username\":\"cus\",\"password\":\"" PW "\",\"custom_challenges\":["                        \
    "{\"params\":{\"question\":\"Favourite colour?\"},\"answer\":\"blue\"}]}"

/* -- the mock and the module's directories -------------------------------------------- */

static void mock_up(void)
{
    char extra[256];
    mock_start(&mock, NULL, NULL);
    snprintf(extra, sizeof(extra),
             "identity_endpoint = %s\nidentity_pool_id = "
             "us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\n",
             mock.url);
    mock_write_config(&mock, ph_path("cognito.conf"), extra);
}

static void mock_down(void)
{
    mock_stop(&mock);
}

static void empty(const char *leaf)
{
    DIR *d = opendir(ph_path(leaf));
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", ph_path(leaf), e->d_name);
        if (e->d_name[0] != '.' && e->d_type == DT_REG)
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
}

static int files_in(const char *leaf)
{
    int n = 0;
    DIR *d = opendir(ph_path(leaf));
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.' && e->d_type == DT_REG;
    if (d != NULL)
        closedir(d);
    return n;
}

/* A clean pool holding user (JSON), with pool settings (or NULL), and none
 * of the module's records. */
static void fresh(const char *user, const char *settings)
{
    static const char *const dirs[] = {"state", "state/sessions", "private/offline",
                                       "private/devices"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        empty(dirs[i]);
    char cache[PATH_MAX];
    snprintf(cache, sizeof(cache), "%s/cache", mock.dir);
    DIR *d = opendir(cache);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[2 * PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", cache, e->d_name);
        if (e->d_name[0] != '.' && strncmp(e->d_name, "jwks-", 5) != 0)
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    if (settings != NULL)
        ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", settings, NULL), 200);
    mock_add_user(&mock, user);
    mock_reset_stats(&mock);
}

/* The module's record of key in leaf (named by the SHA-256 of the key), or
 * "" when there is none. */
static const char *record_of(const char *leaf, const char *key)
{
    static char path[PATH_MAX];
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)key, strlen(key), md);
    cog_hex_encode(md, sizeof(md), hex);
    snprintf(path, sizeof(path), "%s/%s", ph_path(leaf), hex);
    return access(path, F_OK) == 0 ? path : "";
}

static void auth_expect(const char *service, const char *user, const struct ph_turn *t, size_t n,
                        int expected)
{
    struct ph_script s = {.turns = t, .n = n, .mock = &mock, .user = user};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, expected)};
    PH_RUN(service, user, &s, cases);
}
#define AUTH_EXPECT(service, user, t, expected)                                                    \
    auth_expect(service, user, t, sizeof(t) / sizeof((t)[0]), expected)

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

/* -- the build ---------------------------------------------------------------------------- */

static void write_services(void)
{
    ph_service("other", "auth required pam_deny.so\naccount required pam_deny.so\n"
                        "password required pam_deny.so\nsession required pam_deny.so\n");
    ph_service("status", "auth required @MODULE@ @ARGS@\n");
    ph_service("status_acct", ACCT(""));
    ph_service("status_acct_fcp", ACCT(" allowed_user_status=FORCE_CHANGE_PASSWORD"));
    ph_service("status_offline", "auth required @MODULE@ @ARGS@ offline_login=password\n");
    ph_service("status_offline_fast",
               "auth required @MODULE@ @ARGS@ timeout=2 offline_login=password\n");
    ph_service("status_offline_mfa",
               "auth required @MODULE@ @ARGS@ offline_login=password offline_login_mfa_users\n");
    ph_service("status_offline_down",
               "auth required @MODULE@ @ARGS@ " DOWN " offline_login=password\n");
    ph_service("status_offline_down_mfa", "auth required @MODULE@ @ARGS@ " DOWN
                                          " offline_login=password offline_login_mfa_users\n");
    ph_service("status_custom", "auth required @MODULE@ @ARGS@ auth_flow=CUSTOM_AUTH\n");
    ph_service("status_custom_offline",
               "auth required @MODULE@ @ARGS@ auth_flow=CUSTOM_AUTH offline_login=password\n");
    ph_service("status_device_rhost", SET_ITEMS "auth required @MODULE@ @ARGS@ remember_device\n");
    ph_service("status_device_remote", SET_ITEMS "auth required @MODULE@ @ARGS@ remember_device "
                                                 "remember_device_remote\n");
    /* sudo on Debian: common-auth and common-account, no session of ours. */
    ph_service("status_sudo", "auth required @MODULE@ @ARGS@\n" ACCT(""));
    ph_service("status_su", "session [success=done ignore=ignore default=die] @MODULE@ @ARGS@\n"
                            "session required pam_deny.so\n");
}

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("issue18");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_status_account_phase);
    tcase_add_test(tc, test_status_changes_at_login);
    tcase_add_test(tc, test_reset_required_looks_refused);
    tcase_add_test(tc, test_offline_only_unreachable);
    tcase_add_loop_test(tc, test_offline_fault_matrix, 0,
                        (int)(sizeof(init_faults) / sizeof(init_faults[0])));
    tcase_add_test(tc, test_offline_never_after_password);
    tcase_add_test(tc, test_offline_custom_challenge);
    tcase_add_test(tc, test_conversation_escaped);
    tcase_add_test(tc, test_stranger_changes_nothing);
    tcase_add_test(tc, test_device_not_for_remote);
    tcase_add_test(tc, test_session_not_adopted);
    tcase_add_test(tc, test_pending_record_revoked);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    SRunner *sr = srunner_create(status_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
