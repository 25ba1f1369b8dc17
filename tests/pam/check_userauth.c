/* Issue 15 through the real Linux-PAM stack (pam_wrapper) against the mock:
 * USER_AUTH with each first factor (password by SRP, password, e-mail code,
 * SMS code), the SELECT_CHALLENGE menu, three wrong codes, passwordless
 * logins for a known, an unknown and a local name (same prompts, no code
 * for a local name, no request at all), UserContextData only for a numeric
 * PAM_RHOST; and refresh-token rotation (GetTokensFromRefreshToken, reuse
 * refused) through libcognito. Every prompt is asserted. */
#include "build-config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

static struct mock mock;

#define PW "Passw0rd!"
#define T_PASSWORD                                                                                 \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, "Password: ", PH_TEXT, PW, PH_EXACT                                   \
    }
#define T_INFO(text)                                                                               \
    {                                                                                              \
        PAM_TEXT_INFO, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define T_ERR(text)                                                                                \
    {                                                                                              \
        PAM_ERROR_MSG, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define T_CODE(prompt, kind)                                                                       \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, prompt, PH_CODE, kind, PH_EXACT                                       \
    }
#define T_WRONG(prompt, kind)                                                                      \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, prompt, PH_WRONG_CODE, kind, PH_EXACT                                 \
    }
#define T_TYPED(prompt, text)                                                                      \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, prompt, PH_TEXT, text, PH_EXACT                                       \
    }
#define T_CHOICE(n, pick)                                                                          \
    {                                                                                              \
        PAM_PROMPT_ECHO_ON, "Choice [1-" n "]: ", PH_TEXT, pick, PH_EXACT                          \
    }
#define EMAIL_SENT "A code was sent by email to a***@e***."
#define EMAIL_SENT_HIDDEN "A code was sent by email."
#define SMS_SENT "A code was sent by SMS to +*******1111."
#define WRONG_CODE "That code is wrong or has expired. Try again."
#define TOO_MANY "Too many wrong codes."
#define MENU "Choose how to sign in:\n  1) Password\n  2) Code by email"
#define IDENTITY_POOL "us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define SET_ITEMS "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"

#define FLOWS "\"explicit_auth_flows\":[\"USER_AUTH\",\"USER_SRP_AUTH\",\"REFRESH_TOKEN_AUTH\"]"
#define ANN                                                                                        \
    "{\"username\":\"ann\",\"password\":\"" PW "\","                                               \
    "\"attributes\":{\"email\":\"ann@example.com\"}}"
#define SID                                                                                        \
    "{\"username\":\"sid\",\"password\":\"" PW "\","                                               \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
/* A pool user named like the local account: the module must never ask for his code. */
#define LEE                                                                                        \
    "{\"username\":\"lee\",\"password\":\"" PW "\","                                               \
    "\"attributes\":{\"email\":\"lee@example.com\"}}"

static void mock_up(void)
{
    char extra[512];
    mock_start(&mock, NULL, NULL);
    snprintf(extra, sizeof(extra), "local_passwd_file = %s/local_passwd\nidentity_endpoint = %s\n",
             ph_dir(), mock.url);
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

/* A clean pool with USER_AUTH on, these settings (a JSON object's members
 * or ""), and the users ann, sid and lee. */
static void fresh(const char *settings)
{
    char body[1024];
    empty("state");
    empty("state/sessions");
    /* Each test's pool gives ann a new sub: the cache's binding goes too. */
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
    snprintf(body, sizeof(body), "{" FLOWS "%s%s}", settings[0] ? "," : "", settings);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", body, NULL), 200);
    mock_add_user(&mock, ANN);
    mock_add_user(&mock, SID);
    mock_add_user(&mock, LEE);
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/context", NULL, NULL), 200);
    mock_reset_stats(&mock);
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

/* -- first factors ------------------------------------------------------------------------ */

START_TEST(test_email_code_first)
{
    const struct ph_turn t[] = {T_INFO(EMAIL_SENT), T_CODE("Email code: ", "EMAIL_OTP")};
    fresh("");
    AUTH_EXPECT("ua_email", "ann", t, PAM_SUCCESS);
    /* No password was asked or sent: one InitiateAuth, one answer. */
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);
}
END_TEST

START_TEST(test_sms_code_first)
{
    const struct ph_turn t[] = {T_INFO(SMS_SENT), T_CODE("SMS code: ", "SMS_OTP")};
    fresh("");
    AUTH_EXPECT("ua_sms", "sid", t, PAM_SUCCESS);
}
END_TEST

START_TEST(test_password_first)
{
    const struct ph_turn t[] = {T_PASSWORD};
    const struct ph_turn bad[] = {T_TYPED("Password: ", "Wr0ng-pass!")};
    fresh("");
    AUTH_EXPECT("ua_srp", "ann", t, PAM_SUCCESS);
    AUTH_EXPECT("ua_plain", "ann", t, PAM_SUCCESS);
    AUTH_EXPECT("ua_srp", "ann", bad, PAM_AUTH_ERR);
    AUTH_EXPECT("ua_plain", "ann", bad, PAM_AUTH_ERR);
}
END_TEST

/* E-mail MFA after the password, under either name Cognito gives it
 * (EMAIL_OTP, or EMAIL_MFA in some pools): the same turns, the code taken. */
START_TEST(test_email_mfa_names)
{
    static const char *const users[] = {
        "{\"username\":\"emo\",\"password\":\"" PW "\",\"mfa_settings\":[\"EMAIL_OTP\"],"
        "\"attributes\":{\"email\":\"emo@example.com\"}}",
        "{\"username\":\"emm\",\"password\":\"" PW "\",\"mfa_settings\":[\"EMAIL_MFA\"],"
        "\"attributes\":{\"email\":\"emm@example.com\"}}",
    };
    const struct ph_turn otp[] = {T_PASSWORD, T_INFO("A code was sent by email to e***@e***."),
                                  T_CODE("Email code: ", "EMAIL_OTP")};
    const struct ph_turn mfa[] = {T_PASSWORD, T_INFO("A code was sent by email to e***@e***."),
                                  T_CODE("Email code: ", "EMAIL_MFA")};
    fresh("\"mfa_configuration\":\"OPTIONAL\"");
    mock_add_user(&mock, users[0]);
    mock_add_user(&mock, users[1]);
    AUTH_EXPECT("ua_srp", "emo", otp, PAM_SUCCESS);
    AUTH_EXPECT("ua_srp", "emm", mfa, PAM_SUCCESS);
}
END_TEST

/* No preference: Cognito's menu, both password forms shown as one. */
START_TEST(test_menu)
{
    const struct ph_turn pw[] = {T_INFO(MENU), T_CHOICE("2", "1"), T_PASSWORD};
    const struct ph_turn code[] = {T_INFO(MENU), T_CHOICE("2", "2"), T_INFO(EMAIL_SENT),
                                   T_CODE("Email code: ", "EMAIL_OTP")};
    const struct ph_turn bad[] = {T_INFO(MENU),
                                  T_CHOICE("2", "7"),
                                  T_ERR("Please enter a number from 1 to 2."),
                                  T_INFO(MENU),
                                  T_CHOICE("2", "2"),
                                  T_INFO(EMAIL_SENT),
                                  T_CODE("Email code: ", "EMAIL_OTP")};
    fresh("");
    AUTH_EXPECT("ua_menu", "ann", pw, PAM_SUCCESS);
    AUTH_EXPECT("ua_menu", "ann", code, PAM_SUCCESS);
    AUTH_EXPECT("ua_menu", "ann", bad, PAM_SUCCESS);
}
END_TEST

/* A pool that allows only codes: one factor is no choice. */
START_TEST(test_menu_of_one)
{
    const struct ph_turn t[] = {T_INFO(EMAIL_SENT), T_CODE("Email code: ", "EMAIL_OTP")};
    fresh("\"allowed_first_auth_factors\":[\"EMAIL_OTP\"]");
    AUTH_EXPECT("ua_menu", "ann", t, PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 2);
}
END_TEST

START_TEST(test_wrong_code_three_times)
{
    const struct ph_turn t[] = {T_INFO(EMAIL_SENT), T_WRONG("Email code: ", "EMAIL_OTP"),
                                T_ERR(WRONG_CODE),  T_WRONG("Email code: ", "EMAIL_OTP"),
                                T_ERR(WRONG_CODE),  T_WRONG("Email code: ", "EMAIL_OTP"),
                                T_ERR(TOO_MANY)};
    fresh("");
    AUTH_EXPECT("ua_email", "ann", t, PAM_AUTH_ERR);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 3);
}
END_TEST

/* -- passwordless ------------------------------------------------------------------------------ */

/* What a known name with three wrong codes sees is what an unknown name
 * sees, whether the pool hides existence or not; a known name with the
 * right code gets in without a password prompt. */
START_TEST(test_passwordless_unknown)
{
    const struct ph_turn ok[] = {T_INFO(EMAIL_SENT_HIDDEN), T_CODE("Email code: ", "EMAIL_OTP")};
    const struct ph_turn known[] = {T_INFO(EMAIL_SENT_HIDDEN),
                                    T_WRONG("Email code: ", "EMAIL_OTP"),
                                    T_ERR(WRONG_CODE),
                                    T_WRONG("Email code: ", "EMAIL_OTP"),
                                    T_ERR(WRONG_CODE),
                                    T_WRONG("Email code: ", "EMAIL_OTP"),
                                    T_ERR(TOO_MANY)};
    const struct ph_turn unknown[] = {T_INFO(EMAIL_SENT_HIDDEN),
                                      T_TYPED("Email code: ", "123456"),
                                      T_ERR(WRONG_CODE),
                                      T_TYPED("Email code: ", "234567"),
                                      T_ERR(WRONG_CODE),
                                      T_TYPED("Email code: ", "345678"),
                                      T_ERR(TOO_MANY)};
    fresh("");
    AUTH_EXPECT("ua_pwless", "ann", ok, PAM_SUCCESS);
    AUTH_EXPECT("ua_pwless", "ann", known, PAM_AUTH_ERR);
    /* The pool says "no such user": the module still asks three codes. */
    AUTH_EXPECT("ua_pwless", "zed", unknown, PAM_AUTH_ERR);
    /* The pool hides existence: its own made-up challenge, same words. */
    fresh("\"prevent_user_existence_errors\":true");
    AUTH_EXPECT("ua_pwless", "zed", unknown, PAM_AUTH_ERR);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 3);
    /* try_first_pass stacks: an earlier module's password changes nothing. */
    setenv("PAM_AUTHTOK", PW, 1);
    AUTH_EXPECT("ua_pwless_stack", "ann", ok, PAM_SUCCESS);
    unsetenv("PAM_AUTHTOK");
}
END_TEST

/* A local name (local_passwd_file) or a system account: no prompt, no
 * request, no code sent, though the pool has a user of that name. */
START_TEST(test_passwordless_local)
{
    const struct ph_turn none[] = {{0}};
    struct ph_script s = {.turns = none, .n = 0, .mock = &mock, .user = "lee"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN)};
    fresh("");
    PH_RUN("ua_pwless", "lee", &s, cases);
    ph_script_clear(&s);
    struct ph_script r = {.turns = none, .n = 0, .mock = &mock, .user = "root"};
    PH_RUN("ua_pwless", "root", &r, cases);
    ph_script_clear(&r);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
    struct json_object *codes = mock_get_json(&mock, "/_mock/codes/lee"), *msgs = NULL;
    ck_assert_ptr_nonnull(codes);
    ck_assert(json_object_object_get_ex(codes, "messages", &msgs));
    ck_assert_int_eq((int)json_object_array_length(msgs), 0);
    json_object_put(codes);
}
END_TEST

/* Over SSH a security key is out of reach: not in the menu, and said so;
 * a WEB_AUTHN preference is not sent. At the console it is offered. */
START_TEST(test_key_not_offered_remote)
{
    const struct ph_turn remote[] = {
        T_INFO("A security key must be plugged into this host; choose another way to sign in."),
        T_INFO(MENU), T_CHOICE("2", "1"), T_PASSWORD};
    const struct ph_turn local[] = {
        T_INFO("Choose how to sign in:\n  1) Password\n  2) Security key (passkey)\n"
               "  3) Code by email"),
        T_CHOICE("3", "1"), T_PASSWORD};
    fresh("");
    mock_add_user(&mock, "{\"username\":\"kay\",\"password\":\"" PW "\","
                         "\"attributes\":{\"email\":\"kay@example.com\"},\"first_factors\":["
                         "\"PASSWORD\",\"PASSWORD_SRP\",\"WEB_AUTHN\",\"EMAIL_OTP\"]}");
    setenv("PAM_RHOST", "203.0.113.9", 1);
    AUTH_EXPECT("ua_key_items", "kay", remote, PAM_SUCCESS);
    unsetenv("PAM_RHOST");
    AUTH_EXPECT("ua_menu_items", "kay", local, PAM_SUCCESS);
    /* The remote login configured for WEB_AUTHN sent no preference at all. */
    struct json_object *o = mock_get_json(&mock, "/_mock/requests"), *reqs = NULL;
    ck_assert(json_object_object_get_ex(o, "requests", &reqs));
    int with = 0, without = 0;
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *r = json_object_array_get_idx(reqs, i), *b = NULL;
        const char *text = json_object_object_get_ex(r, "body", &b) ? json_object_get_string(b)
                                                                    : json_object_get_string(r);
        if (text == NULL || strstr(text, "\"USER_AUTH\"") == NULL)
            continue;
        if (strstr(text, "\"PREFERRED_CHALLENGE\":\"WEB_AUTHN\"") != NULL)
            with++;
        else if (strstr(text, "PREFERRED_CHALLENGE") == NULL)
            without++;
    }
    json_object_put(o);
    ck_assert_int_eq(without, 2);
    ck_assert_int_eq(with, 0);
}
END_TEST

#ifdef COG_TEST_HOOKS
/* A passkey at the console, with the software key of tests/softkey.c
 * (--enable-test-hooks; the mock registered it, POST /_mock/webauthn/softkey):
 * a good login; the key's sign count put back (a cloned or replayed key);
 * user verification required by the pool but not given by the key; an
 * origin the relying party does not accept. Each refusal after the touch. */
static void softkey(const char *user, bool uv)
{
    char body[PATH_MAX + 128];
    snprintf(body, sizeof(body), "{\"user\":\"%s\",\"path\":\"%s\",\"uv\":%s}", user,
             ph_path("softkey.json"), uv ? "true" : "false");
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/softkey", body, NULL), 200);
    setenv("COGNITO_TEST_SOFTKEY", ph_path("softkey.json"), 1);
}

START_TEST(test_passkey_softkey)
{
    const struct ph_turn touch[] = {T_INFO("Touch your security key.")};
    fresh("");
    softkey("ann", true);
    AUTH_EXPECT("ua_key", "ann", touch, PAM_SUCCESS);
    AUTH_EXPECT("ua_key", "ann", touch, PAM_SUCCESS);
    /* The state file as it was before the second login: its count again. */
    struct json_object *st = json_object_from_file(ph_path("softkey.json"));
    ck_assert_ptr_nonnull(st);
    json_object_object_add(st, "count", json_object_new_int(1));
    ck_assert_int_eq(json_object_to_file(ph_path("softkey.json"), st), 0);
    json_object_put(st);
    AUTH_EXPECT("ua_key", "ann", touch, PAM_AUTH_ERR);
    /* Another origin than the relying party's. */
    fresh("");
    softkey("ann", true);
    AUTH_EXPECT("ua_key_origin", "ann", touch, PAM_AUTH_ERR);
    AUTH_EXPECT("ua_key", "ann", touch, PAM_SUCCESS);
    /* The pool requires user verification; this key does not verify. */
    fresh("");
    softkey("ann", false);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/rp",
                                  "{\"user_verification\":\"required\"}", NULL),
                     200);
    AUTH_EXPECT("ua_key", "ann", touch, PAM_AUTH_ERR);
    unsetenv("COGNITO_TEST_SOFTKEY");
}
END_TEST
#endif

/* -- UserContextData -----------------------------------------------------------------------------
 */

/* The IpAddress of each request the mock kept, "-" for none. */
static void context_ips(char *out, size_t len)
{
    struct json_object *o = mock_get_json(&mock, "/_mock/context"), *reqs = NULL;
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "requests", &reqs));
    out[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *r = json_object_array_get_idx(reqs, i), *ucd = NULL, *ip = NULL;
        const char *v = "-";
        if (json_object_object_get_ex(r, "UserContextData", &ucd) && ucd != NULL &&
            json_object_object_get_ex(ucd, "IpAddress", &ip))
            v = json_object_get_string(ip);
        snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", v);
    }
    json_object_put(o);
}

START_TEST(test_context_numeric_rhost_only)
{
    const struct ph_turn t[] = {T_INFO(EMAIL_SENT), T_CODE("Email code: ", "EMAIL_OTP")};
    char ips[512];
    fresh("");
    setenv("PAM_RHOST", "203.0.113.9", 1);
    AUTH_EXPECT("ua_email_items", "ann", t, PAM_SUCCESS);
    context_ips(ips, sizeof(ips));
    ck_assert_str_eq(ips, "203.0.113.9 203.0.113.9");
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/context", NULL, NULL), 200);
    setenv("PAM_RHOST", "2001:db8::7", 1);
    AUTH_EXPECT("ua_email_items", "ann", t, PAM_SUCCESS);
    context_ips(ips, sizeof(ips));
    ck_assert_str_eq(ips, "2001:db8::7 2001:db8::7");
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/context", NULL, NULL), 200);
    /* A name is never resolved, and is left out. */
    setenv("PAM_RHOST", "localhost", 1);
    AUTH_EXPECT("ua_email_items", "ann", t, PAM_SUCCESS);
    context_ips(ips, sizeof(ips));
    ck_assert_str_eq(ips, "- -");
    ck_assert_int_eq(mock_control(&mock, "DELETE", "/_mock/context", NULL, NULL), 200);
    /* user_context_data = no: never. */
    setenv("PAM_RHOST", "203.0.113.9", 1);
    AUTH_EXPECT("ua_email_noctx", "ann", t, PAM_SUCCESS);
    context_ips(ips, sizeof(ips));
    ck_assert_str_eq(ips, "- -");
    unsetenv("PAM_RHOST");
}
END_TEST

/* -- refresh-token rotation
 * ------------------------------------------------------------------------ */

static cog_status cb_password(void *ctx, const char *prompt, char **answer)
{
    (void)ctx;
    (void)prompt;
    *answer = strdup(PW);
    return *answer ? COG_OK : COG_ERR_NOMEM;
}

START_TEST(test_rotation_and_reuse)
{
    struct cog_config cfg;
    struct cog_idp idp = {0};
    struct cog_error err = {0};
    struct cog_auth_result first = {0}, second = {0}, third = {0}, again = {0};
    struct cog_auth_callbacks cb = {.ask_password = cb_password};
    char path[PATH_MAX];

    fresh("\"refresh_token_rotation\":true");
    snprintf(path, sizeof(path), "%s/rotation.conf", mock.dir);
    mock_write_config(&mock, path, "");
    ck_assert_int_eq(chmod(path, 0600), 0);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    ck_assert_int_eq(cog_idp_open(&idp, &cfg, &err), COG_OK);
    ck_assert_int_eq(cog_auth_login(&idp, "ann", &cb, NULL, &first, &err), COG_OK);
    ck_assert_ptr_nonnull(first.refresh_token);
    /* REFRESH_TOKEN_AUTH is refused; GetTokensFromRefreshToken rotates. */
    ck_assert_int_eq(cog_auth_refresh(&idp, first.refresh_token, "ann", NULL, &second, &err),
                     COG_OK);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetTokensFromRefreshToken"), 1);
    ck_assert_ptr_nonnull(second.refresh_token);
    ck_assert_str_ne(second.refresh_token, first.refresh_token);
    /* The new one works (and rotates again); the old one is a reuse. */
    ck_assert_int_eq(cog_auth_refresh(&idp, second.refresh_token, "ann", NULL, &third, &err),
                     COG_OK);
    ck_assert_str_ne(third.refresh_token, second.refresh_token);
    memset(&err, 0, sizeof(err));
    ck_assert_int_eq(cog_auth_refresh(&idp, first.refresh_token, "ann", NULL, &again, &err),
                     COG_ERR_AUTH);
    ck_assert_str_eq(err.code, "RefreshTokenReuseException");
    /* Without rotation: REFRESH_TOKEN_AUTH as before, the same token back. */
    ck_assert_int_eq(
        mock_control(&mock, "POST", "/_mock/pool", "{\"refresh_token_rotation\":false}", NULL),
        200);
    cog_auth_result_clear(&again);
    ck_assert_int_eq(cog_auth_refresh(&idp, third.refresh_token, "ann", NULL, &again, &err),
                     COG_OK);
    ck_assert_str_eq(again.refresh_token, third.refresh_token);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetTokensFromRefreshToken"), 3);
    cog_auth_result_clear(&first);
    cog_auth_result_clear(&second);
    cog_auth_result_clear(&third);
    cog_auth_result_clear(&again);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
}
END_TEST

/* Through PAM: the session's tokens have run out when it opens (token_ttl
 * below the module's margin), the identity-pool step refreshes them with
 * GetTokensFromRefreshToken, the session record keeps the new refresh
 * token, and closing the session revokes that one. */
START_TEST(test_rotation_in_session)
{
    const struct ph_turn t[] = {T_INFO(EMAIL_SENT), T_CODE("Email code: ", "EMAIL_OTP")};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "ann"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
    };
    fresh("\"refresh_token_rotation\":true,\"token_ttl\":30");
    PH_RUN("ua_session", "ann", &s, cases);
    ph_script_clear(&s);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetTokensFromRefreshToken"), 1);
    struct json_object *o = mock_get_json(&mock, "/_mock/tokens"), *recs = NULL;
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "refresh_tokens", &recs));
    ck_assert_int_eq((int)json_object_array_length(recs), 2);
    struct json_object *old = json_object_array_get_idx(recs, 0);
    struct json_object *new = json_object_array_get_idx(recs, 1), *v = NULL;
    /* The login's token was rotated out; the new one is what close revoked. */
    ck_assert(json_object_object_get_ex(old, "rotated_at", &v) && v != NULL);
    ck_assert(json_object_object_get_ex(new, "revoked", &v) && json_object_get_boolean(v));
    json_object_put(o);
}
END_TEST

/* -- the stacks -----------------------------------------------------------------------------------
 */

static void write_services(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/local_passwd", ph_dir());
    FILE *f = fopen(path, "w");
    if (f == NULL ||
        fputs("root:x:0:0:root:/root:/bin/sh\nlee:x:1500:1500:Lee:/home/lee:/bin/sh\n", f) < 0 ||
        fclose(f) != 0) {
        perror(path);
        exit(EXIT_FAILURE);
    }
    ph_service("other", "auth required pam_deny.so\naccount required pam_deny.so\n"
                        "password required pam_deny.so\nsession required pam_deny.so\n");
#define UA "auth required @MODULE@ @ARGS@ auth_flow=USER_AUTH "
    ph_service("ua_email", UA "preferred_challenge=EMAIL_OTP\n");
    ph_service("ua_email_items", SET_ITEMS UA "preferred_challenge=EMAIL_OTP\n");
    ph_service("ua_email_noctx",
               SET_ITEMS UA "preferred_challenge=EMAIL_OTP user_context_data=no\n");
    ph_service("ua_sms", UA "preferred_challenge=SMS_OTP\n");
    ph_service("ua_srp", UA "preferred_challenge=PASSWORD_SRP\n");
    ph_service("ua_plain", UA "preferred_challenge=PASSWORD\n");
    ph_service("ua_menu", UA "\n");
    ph_service("ua_key_items", SET_ITEMS UA "preferred_challenge=WEB_AUTHN\n");
    ph_service("ua_menu_items", SET_ITEMS UA "\n");
    ph_service("ua_key", UA "preferred_challenge=WEB_AUTHN\n");
    ph_service("ua_key_origin",
               UA "preferred_challenge=WEB_AUTHN webauthn_origin=https://elsewhere.example\n");
    ph_service("ua_pwless", "auth required @MODULE@ @ARGS@ passwordless=email\n");
    ph_service("ua_session",
               UA "preferred_challenge=EMAIL_OTP\n"
                  "session required @MODULE@ @ARGS@ identity_pool_id=" IDENTITY_POOL "\n");
    ph_service("ua_pwless_stack",
               SET_ITEMS "auth required @MODULE@ @ARGS@ passwordless=email try_first_pass\n");
#undef UA
}

static Suite *userauth_suite(void)
{
    Suite *s = suite_create("userauth");
    TCase *tc = tcase_create("issue15");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_email_code_first);
    tcase_add_test(tc, test_sms_code_first);
    tcase_add_test(tc, test_password_first);
    tcase_add_test(tc, test_email_mfa_names);
    tcase_add_test(tc, test_menu);
    tcase_add_test(tc, test_menu_of_one);
    tcase_add_test(tc, test_key_not_offered_remote);
#ifdef COG_TEST_HOOKS
    tcase_add_test(tc, test_passkey_softkey);
#endif
    tcase_add_test(tc, test_wrong_code_three_times);
    tcase_add_test(tc, test_passwordless_unknown);
    tcase_add_test(tc, test_passwordless_local);
    tcase_add_test(tc, test_context_numeric_rhost_only);
    tcase_add_test(tc, test_rotation_and_reuse);
    tcase_add_test(tc, test_rotation_in_session);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    SRunner *sr = srunner_create(userauth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
