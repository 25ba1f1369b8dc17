/* After the password, libcognito against the mock IdP over TLS: identity
 * pool credentials (GetId, GetCredentialsForIdentity), REFRESH_TOKEN_AUTH,
 * RevokeToken and GlobalSignOut, and a remembered device from ConfirmDevice
 * to the DEVICE_SRP_AUTH login that skips MFA. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/wire/identity.h"
#include "libcognito/wire/idp.h"
#include "libcognito/signin/srp.h"
#include "libcognito/core/util.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define IDENTITY_POOL "us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

static struct mock mock;

static void mock_up(void)
{
    mock_start(&mock, NULL, NULL);
}

static void mock_down(void)
{
    mock_stop(&mock);
}

/* A clean pool with alice (password only) and sam (SMS MFA). */
static void fresh(const char *settings)
{
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"" PW "\","
                         "\"attributes\":{\"email\":\"alice@example.com\"}}");
    mock_add_user(&mock, "{\"username\":\"sam\",\"password\":\"" PW "\","
                         "\"mfa_settings\":[\"SMS_MFA\"],"
                         "\"attributes\":{\"phone_number\":\"+15555551111\"}}");
    if (settings != NULL)
        ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", settings, NULL), 200);
}

struct session {
    struct cog_config cfg;
    struct cog_idp idp;
    struct cog_error err;
    const struct mock *m;
    const char *user;
    int codes_asked;
};

static void open_session(struct session *s, const struct mock *m, const char *extra)
{
    char path[PATH_MAX], conf[512];
    memset(s, 0, sizeof(*s));
    s->m = m;
    snprintf(path, sizeof(path), "%s/tokens.conf", m->dir);
    snprintf(conf, sizeof(conf), "identity_endpoint = %s\nidentity_pool_id = " IDENTITY_POOL "\n%s",
             m->url, extra ? extra : "");
    mock_write_config(m, path, conf);
    /* It may hold a client secret. */
    ck_assert_int_eq(chmod(path, 0600), 0);
    cog_config_init(&s->cfg);
    ck_assert_int_eq(cog_config_load_file(&s->cfg, path, &s->err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&s->cfg, &s->err), COG_OK);
    ck_assert_int_eq(cog_idp_open(&s->idp, &s->cfg, &s->err), COG_OK);
}

static void close_session(struct session *s)
{
    cog_idp_close(&s->idp);
    cog_config_free(&s->cfg);
}

/* The SMS code the mock "sent" to the user. */
static cog_status ask_code(void *ctx, enum cog_code_kind kind, const char *prompt, char **answer)
{
    struct session *s = ctx;
    char path[128], *body = NULL;
    struct json_object *o, *latest, *code;
    (void)kind;
    (void)prompt;
    s->codes_asked++;
    snprintf(path, sizeof(path), "/_mock/codes/%s", s->user);
    ck_assert_int_eq(mock_control(s->m, "GET", path, NULL, &body), 200);
    o = json_tokener_parse(body);
    ck_assert(json_object_object_get_ex(o, "latest", &latest));
    ck_assert(json_object_object_get_ex(latest, "SMS_MFA", &code));
    *answer = strdup(json_object_get_string(code));
    json_object_put(o);
    free(body);
    return COG_OK;
}

static void silent(void *ctx, const char *text)
{
    (void)ctx;
    (void)text;
}

static cog_status login(struct session *s, const char *user, const struct cog_auth_opts *extra,
                        struct cog_auth_result *res)
{
    struct cog_auth_opts opts = extra ? *extra : (struct cog_auth_opts){0};
    struct cog_auth_callbacks cb = {
        .ctx = s, .ask_code = ask_code, .show_info = silent, .show_error = silent};
    opts.password = PW;
    s->user = user;
    return cog_auth_login(&s->idp, user, &cb, &opts, res, &s->err);
}

/* -- the identity pool --------------------------------------------------------------- */

START_TEST(test_identity_credentials)
{
    struct session s;
    struct cog_auth_result res;
    struct cog_identity_credentials c;
    fresh(NULL);
    open_session(&s, &mock, NULL);
    ck_assert_int_eq(login(&s, "alice", NULL, &res), COG_OK);
    mock_reset_stats(&mock);
    ck_assert_int_eq(cog_identity_credentials(&s.idp, res.id_token, &c, &s.err), COG_OK);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetId"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetCredentialsForIdentity"), 1);
    ck_assert_int_eq(strncmp(c.aws.access_key_id, "ASIA", 4), 0);
    ck_assert_uint_eq(strlen(c.aws.secret_access_key), 40);
    ck_assert_int_eq(strncmp(c.identity_id, "us-east-1:", 10), 0);
    ck_assert_int_le(llabs(c.expiration - (long long)time(NULL) - 3600), 10);

    /* What the mock issued is what we hold. */
    struct json_object *id = mock_get_json(&mock, "/_mock/identity");
    struct json_object *issued = json_object_object_get(id, "issued");
    ck_assert_int_eq(json_object_array_length(issued), 1);
    ck_assert_str_eq(cog_json_string(json_object_array_get_idx(issued, 0), "access_key_id"),
                     c.aws.access_key_id);
    json_object_put(id);

    /* The credential_process shape. */
    char *text = cog_identity_credentials_json(&c);
    struct json_object *o = json_tokener_parse(text);
    char when[COG_ISO8601_MAX];
    cog_iso8601(c.expiration, when);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "Version")), 1);
    ck_assert_str_eq(cog_json_string(o, "AccessKeyId"), c.aws.access_key_id);
    ck_assert_str_eq(cog_json_string(o, "SecretAccessKey"), c.aws.secret_access_key);
    ck_assert_str_eq(cog_json_string(o, "SessionToken"), c.aws.session_token);
    ck_assert_str_eq(cog_json_string(o, "Expiration"), when);
    ck_assert_int_eq(json_object_object_length(o), 5);
    ck_assert_uint_eq(strlen(when), 20);
    ck_assert_int_eq(when[10], 'T');
    json_object_put(o);
    cog_free_secret(text);
    cog_identity_credentials_clear(&c);
    ck_assert_ptr_null(c.aws.secret_access_key);
    cog_auth_result_clear(&res);
    close_session(&s);
}
END_TEST

START_TEST(test_identity_errors)
{
    struct session s;
    struct cog_auth_result res;
    struct cog_identity_credentials c;
    fresh(NULL);
    open_session(&s, &mock, NULL);
    ck_assert_int_eq(login(&s, "alice", NULL, &res), COG_OK);

    mock_fault(&mock, "{\"op\":\"GetCredentialsForIdentity\",\"kind\":\"status\",\"status\":503}");
    ck_assert_int_eq(cog_identity_credentials(&s.idp, res.id_token, &c, &s.err),
                     COG_ERR_UNAVAILABLE);
    mock_fault(&mock, "{\"op\":\"GetId\",\"kind\":\"throttle\"}");
    ck_assert_int_eq(cog_identity_credentials(&s.idp, res.id_token, &c, &s.err),
                     COG_ERR_UNAVAILABLE);
    /* An expired ID token: the identity service refuses it. */
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/clock", "{\"offset\":7200}", NULL), 200);
    ck_assert_int_eq(cog_identity_credentials(&s.idp, res.id_token, &c, &s.err), COG_ERR_AUTH);
    ck_assert_str_eq(s.err.code, "NotAuthorizedException");
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/clock", "{}", NULL), 200);
    ck_assert_ptr_null(c.aws.access_key_id);
    close_session(&s);

    /* Another identity pool: the service does not know it. */
    open_session(&s, &mock, NULL);
    free(s.cfg.identity_pool_id);
    s.cfg.identity_pool_id = strdup("us-east-1:00000000-0000-4000-8000-000000000000");
    ck_assert_int_eq(cog_identity_credentials(&s.idp, res.id_token, &c, &s.err), COG_ERR_CONFIG);
    ck_assert_str_eq(s.err.code, "ResourceNotFoundException");
    free(s.cfg.identity_pool_id);
    s.cfg.identity_pool_id = NULL;
    ck_assert_int_eq(cog_identity_credentials(&s.idp, res.id_token, &c, &s.err), COG_ERR_CONFIG);
    cog_auth_result_clear(&res);
    close_session(&s);
}
END_TEST

/* -- refresh, revoke, sign out --------------------------------------------------------- */

START_TEST(test_refresh_and_revoke)
{
    struct session s;
    struct cog_auth_result res, fresh_res;
    fresh(NULL);
    open_session(&s, &mock, NULL);
    ck_assert_int_eq(login(&s, "alice", NULL, &res), COG_OK);
    mock_reset_stats(&mock);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, "alice", NULL, &fresh_res, &s.err),
                     COG_OK);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    ck_assert_str_ne(fresh_res.id_token, res.id_token);
    ck_assert_str_eq(fresh_res.refresh_token, res.refresh_token);
    ck_assert_str_eq(fresh_res.username, "alice");
    ck_assert_str_eq(cog_json_string(fresh_res.claims, "token_use"), "id");
    cog_auth_result_clear(&fresh_res);

    ck_assert_int_eq(cog_revoke_token(&s.idp, res.refresh_token, &s.err), COG_OK);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, "alice", NULL, &fresh_res, &s.err),
                     COG_ERR_AUTH);
    ck_assert_str_eq(s.err.message, "Refresh Token has been revoked");
    ck_assert_ptr_null(fresh_res.id_token);
    /* Nonsense is refused before the network. */
    mock_reset_stats(&mock);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, "", "alice", NULL, &fresh_res, &s.err),
                     COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
    cog_auth_result_clear(&res);
    close_session(&s);
}
END_TEST

START_TEST(test_global_sign_out)
{
    struct session s;
    struct cog_auth_result a, b, r;
    fresh(NULL);
    open_session(&s, &mock, NULL);
    ck_assert_int_eq(login(&s, "alice", NULL, &a), COG_OK);
    ck_assert_int_eq(login(&s, "alice", NULL, &b), COG_OK);
    ck_assert_int_eq(cog_global_sign_out(&s.idp, b.access_token, &s.err), COG_OK);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, a.refresh_token, "alice", NULL, &r, &s.err),
                     COG_ERR_AUTH);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, b.refresh_token, "alice", NULL, &r, &s.err),
                     COG_ERR_AUTH);
    /* Its own access token is gone too. */
    ck_assert_int_eq(cog_global_sign_out(&s.idp, b.access_token, &s.err), COG_ERR_AUTH);
    cog_auth_result_clear(&a);
    cog_auth_result_clear(&b);
    close_session(&s);
}
END_TEST

/* A client with a secret: the refresh hashes the token's user, RevokeToken
 * sends the secret. */
START_TEST(test_client_secret)
{
    static const char *const args[] = {"--client-secret", "s3cr3tValue", NULL};
    struct mock m;
    struct session s;
    struct cog_auth_result res, r;
    mock_start(&m, args, "client_secret = s3cr3tValue\n");
    mock_add_user(&m, "{\"username\":\"3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6\",\"password\":\"" PW
                      "\",\"attributes\":{\"email\":\"bob@example.com\"}}");
    open_session(&s, &m, "client_secret = s3cr3tValue\n");
    ck_assert_int_eq(login(&s, "bob@example.com", NULL, &res), COG_OK);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, NULL, NULL, &r, &s.err),
                     COG_ERR_INVALID_INPUT);
    /* "Unable to verify secret hash": Cognito cannot tell a hash of the wrong
     * name from a wrong secret, and both are the setup's fault, not a refusal. */
    ck_assert_int_eq(
        cog_auth_refresh(&s.idp, res.refresh_token, "bob@example.com", NULL, &r, &s.err),
        COG_ERR_CONFIG);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, res.username, NULL, &r, &s.err),
                     COG_OK);
    cog_auth_result_clear(&r);
    ck_assert_int_eq(cog_revoke_token(&s.idp, res.refresh_token, &s.err), COG_OK);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, res.username, NULL, &r, &s.err),
                     COG_ERR_AUTH);
    cog_auth_result_clear(&res);
    close_session(&s);
    mock_stop(&m);
}
END_TEST

/* -- remembered devices ------------------------------------------------------------------ */

struct device {
    char *key, *group;
    struct cog_srp_device_secret secret;
};

static void device_free(struct device *d)
{
    free(d->key);
    free(d->group);
    cog_srp_device_secret_clear(&d->secret);
}

/* After an MFA login: ConfirmDevice and, if the pool wants the user's word,
 * UpdateDeviceStatus. */
static void remember(struct session *s, const struct cog_auth_result *res, struct device *d)
{
    bool confirm = false;
    ck_assert_ptr_nonnull(res->new_device_key);
    d->key = strdup(res->new_device_key);
    d->group = strdup(res->new_device_group_key);
    ck_assert_int_eq(cog_srp_device_secret_new(d->group, d->key, NULL, NULL, &d->secret, &s->err),
                     COG_OK);
    ck_assert_int_eq(cog_confirm_device(&s->idp, res->access_token, d->key, &d->secret, "host1",
                                        &confirm, &s->err),
                     COG_OK);
    ck_assert(confirm);
    ck_assert_int_eq(cog_update_device_status(&s->idp, res->access_token, d->key, true, &s->err),
                     COG_OK);
}

START_TEST(test_remembered_device)
{
    struct session s;
    struct cog_auth_result res, r;
    struct device d = {0};
    bool refused = false;
    fresh("{\"device_tracking\":\"USER_OPT_IN\"}");
    open_session(&s, &mock, NULL);

    ck_assert_int_eq(login(&s, "sam", NULL, &res), COG_OK);
    ck_assert(res.passed_mfa);
    ck_assert_int_eq(s.codes_asked, 1);
    remember(&s, &res, &d);
    cog_auth_result_clear(&res);

    /* The device answers for itself: no code, no new device. */
    const struct cog_auth_opts dev = {.device_key = d.key,
                                      .device_group_key = d.group,
                                      .device_password = d.secret.password_b64,
                                      .device_refused = &refused};
    ck_assert_int_eq(login(&s, "sam", &dev, &res), COG_OK);
    ck_assert_int_eq(s.codes_asked, 1);
    ck_assert(res.device_authenticated);
    ck_assert(!res.passed_mfa);
    ck_assert_ptr_null(res.new_device_key);
    ck_assert(!refused);
    /* Its refresh token belongs to the device. */
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, "sam", d.key, &r, &s.err), COG_OK);
    cog_auth_result_clear(&r);
    ck_assert_int_eq(cog_auth_refresh(&s.idp, res.refresh_token, "sam", NULL, &r, &s.err),
                     COG_ERR_AUTH);
    struct json_object *devs = mock_get_json(&mock, "/_mock/devices/sam");
    struct json_object *one = json_object_array_get_idx(json_object_object_get(devs, "devices"), 0);
    ck_assert_str_eq(cog_json_string(one, "name"), "host1");
    ck_assert_int_eq(json_object_get_int(json_object_object_get(one, "authentications")), 1);
    json_object_put(devs);

    /* Forgotten: the login goes on without it, with MFA, and says so. */
    ck_assert_int_eq(cog_forget_device(&s.idp, res.access_token, d.key, &s.err), COG_OK);
    cog_auth_result_clear(&res);
    ck_assert_int_eq(login(&s, "sam", &dev, &res), COG_OK);
    ck_assert(refused);
    ck_assert_int_eq(s.codes_asked, 2);
    ck_assert(res.passed_mfa);
    ck_assert_ptr_nonnull(res.new_device_key);
    cog_auth_result_clear(&res);

    /* A wrong device password: the device's proof fails, the login does not. */
    device_free(&d);
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(login(&s, "sam", NULL, &res), COG_OK);
    remember(&s, &res, &d);
    cog_auth_result_clear(&res);
    refused = false;
    const struct cog_auth_opts wrong = {.device_key = d.key,
                                        .device_group_key = d.group,
                                        .device_password = "not-the-device-password",
                                        .device_refused = &refused};
    ck_assert_int_eq(login(&s, "sam", &wrong, &res), COG_OK);
    ck_assert(refused);
    ck_assert(res.passed_mfa);
    cog_auth_result_clear(&res);
    device_free(&d);
    close_session(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tokens");
    TCase *tc = tcase_create("mock");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_identity_credentials);
    tcase_add_test(tc, test_identity_errors);
    tcase_add_test(tc, test_refresh_and_revoke);
    tcase_add_test(tc, test_global_sign_out);
    tcase_add_test(tc, test_client_secret);
    tcase_add_test(tc, test_remembered_device);
    suite_add_tcase(s, tc);
    return test_main(s);
}
