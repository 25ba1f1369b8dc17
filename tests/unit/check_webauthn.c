/* Passkeys end to end against the mock as relying party: a software key
 * (tests/softkey.c) enrolled through StartWebAuthnRegistration /
 * CompleteWebAuthnRegistration, then assertions built by
 * cog_webauthn_answer, decoded and checked field by field here, and
 * verified by the mock (POST /_mock/webauthn/verify: the RP checks of
 * mockidp/webauthn.py, the same code the WEB_AUTHN challenge runs): good,
 * wrong rpId, wrong origin, replayed sign count, UV required but not given. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "libcognito/signin/webauthn.h"
#include "tests/softkey.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define RP_ID "auth.mock.example"

static struct mock mock;
static char key_path[PATH_MAX];

struct session {
    struct cog_config cfg;
    struct cog_idp idp;
    struct cog_error err;
    struct cog_authenticator key;
};

static void mock_up(void)
{
    mock_start(&mock, NULL, NULL);
}

static void mock_down(void)
{
    mock_stop(&mock);
}

static void silent(void *ctx, const char *text)
{
    (void)ctx;
    (void)text;
}

static void open_session(struct session *s, const char *extra)
{
    char path[PATH_MAX];
    memset(s, 0, sizeof(*s));
    snprintf(path, sizeof(path), "%s/webauthn.conf", mock.dir);
    mock_write_config(&mock, path, extra);
    cog_config_init(&s->cfg);
    ck_assert_int_eq(cog_config_load_file(&s->cfg, path, &s->err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&s->cfg, &s->err), COG_OK);
    ck_assert_int_eq(cog_idp_open(&s->idp, &s->cfg, &s->err), COG_OK);
    ck_assert_int_eq(softkey_authenticator(&s->key, key_path), COG_OK);
}

static void close_session(struct session *s)
{
    cog_authenticator_close(&s->key);
    cog_idp_close(&s->idp);
    cog_config_free(&s->cfg);
}

/* One token call as alice; the answer (caller puts it) or NULL. */
static struct json_object *token_call(struct session *s, const char *token, const char *op,
                                      struct json_object *req)
{
    struct json_object *resp = NULL;
    cog_json_add_string(req, "AccessToken", token);
    cog_status st = cog_idp_call(&s->idp, op, req, &resp, &s->err);
    json_object_put(req);
    ck_assert_msg(st == COG_OK, "%s: %s", op, s->err.message);
    return resp;
}

/* A clean pool, alice with a password, the softkey enrolled as her passkey
 * through the real registration APIs. */
static void enrol(const char *rp_settings)
{
    struct session s;
    struct cog_auth_result res;
    struct cog_auth_opts opts = {.password = PW};
    struct cog_auth_callbacks cb = {.show_info = silent, .show_error = silent};
    char *cred = NULL;

    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"" PW "\","
                         "\"sub\":\"0b4c1f2e-8f7a-4c3d-9e2b-1a2b3c4d5e6f\"}");
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/rp",
                                  rp_settings ? rp_settings : "{\"rp_id\":\"" RP_ID "\"}", NULL),
                     200);
    snprintf(key_path, sizeof(key_path), "%s/softkey.json", mock.dir);
    unlink(key_path);
    open_session(&s, NULL);
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(cog_auth_login(&s.idp, "alice", &cb, &opts, &res, &s.err), COG_OK);
    struct json_object *start =
        token_call(&s, res.access_token, "StartWebAuthnRegistration", json_object_new_object());
    const char *options =
        json_object_to_json_string(json_object_object_get(start, "CredentialCreationOptions"));
    ck_assert_int_eq(cog_webauthn_register(&s.cfg, options, &s.key, NULL, &cred, &s.err), COG_OK);
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "Credential", json_tokener_parse(cred));
    json_object_put(token_call(&s, res.access_token, "CompleteWebAuthnRegistration", req));
    json_object_put(start);
    free(cred);
    cog_auth_result_clear(&res);
    close_session(&s);
}

/* CREDENTIAL_REQUEST_OPTIONS as the WEB_AUTHN challenge sends them. */
static char *issue_options(void)
{
    char *body = NULL;
    ck_assert_int_eq(
        mock_control(&mock, "POST", "/_mock/webauthn/options", "{\"user\":\"alice\"}", &body), 200);
    struct json_object *o = json_tokener_parse(body);
    char *opts = strdup(cog_json_string(o, "options"));
    json_object_put(o);
    free(body);
    return opts;
}

/* The mock's verdict on a CREDENTIAL: NULL when accepted, else its reason. */
static char *rp_verdict(const char *credential)
{
    struct json_object *req = json_object_new_object(), *o;
    char *body = NULL, *reason = NULL;
    cog_json_add_string(req, "user", "alice");
    cog_json_add_string(req, "credential", credential);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/verify",
                                  json_object_to_json_string(req), &body),
                     200);
    o = json_tokener_parse(body);
    if (!json_object_get_boolean(json_object_object_get(o, "ok")))
        reason = strdup(cog_json_string(o, "reason"));
    json_object_put(o);
    json_object_put(req);
    free(body);
    return reason;
}

/* Options issued, answered with the softkey, judged by the mock. */
static char *login_once(const char *conf, const char *pin, const char *swap_rp)
{
    struct session s;
    char *opts = issue_options(), *cred = NULL, *why;
    if (swap_rp != NULL) {
        struct json_object *o = json_tokener_parse(opts);
        json_object_object_add(o, "rpId", json_object_new_string(swap_rp));
        free(opts);
        opts = strdup(json_object_to_json_string(o));
        json_object_put(o);
    }
    open_session(&s, conf);
    ck_assert_msg(cog_webauthn_answer(&s.cfg, opts, &s.key, pin, &cred, &s.err) == COG_OK, "%s",
                  s.err.message);
    why = rp_verdict(cred);
    free(cred);
    free(opts);
    close_session(&s);
    return why;
}

static unsigned char *b64url_field(struct json_object *o, const char *key, size_t *n)
{
    const char *v = cog_json_string(o, key);
    ck_assert_msg(v != NULL, "%s missing", key);
    ck_assert_msg(strpbrk(v, "=+/") == NULL, "%s is not unpadded base64url: %s", key, v);
    unsigned char *raw = cog_b64url_decode(v, n);
    ck_assert_ptr_nonnull(raw);
    return raw;
}

START_TEST(test_answer_shape)
{
    struct session s;
    char *opts, *cred = NULL;
    size_t n;
    enrol(NULL);
    opts = issue_options();
    struct json_object *oj = json_tokener_parse(opts);
    const char *challenge = cog_json_string(oj, "challenge");
    const char *allowed = cog_json_string(
        json_object_array_get_idx(json_object_object_get(oj, "allowCredentials"), 0), "id");
    ck_assert_ptr_nonnull(allowed);
    open_session(&s, NULL);
    ck_assert_int_eq(cog_webauthn_answer(&s.cfg, opts, &s.key, NULL, &cred, &s.err), COG_OK);

    struct json_object *c = json_tokener_parse(cred), *r = json_object_object_get(c, "response");
    ck_assert_str_eq(cog_json_string(c, "type"), "public-key");
    ck_assert_str_eq(cog_json_string(c, "id"), allowed);
    ck_assert_str_eq(cog_json_string(c, "rawId"), allowed);
    ck_assert_str_eq(cog_json_string(c, "authenticatorAttachment"), "cross-platform");
    struct json_object *ext = json_object_object_get(c, "clientExtensionResults");
    ck_assert(json_object_is_type(ext, json_type_object) && json_object_object_length(ext) == 0);

    unsigned char *cd = b64url_field(r, "clientDataJSON", &n);
    char want[512];
    snprintf(want, sizeof(want),
             "{\"type\":\"webauthn.get\",\"challenge\":\"%s\",\"origin\":\"https://" RP_ID
             "\",\"crossOrigin\":false}",
             challenge);
    ck_assert_str_eq((char *)cd, want);

    unsigned char *ad = b64url_field(r, "authenticatorData", &n), hash[32];
    unsigned int hn = 0;
    ck_assert_uint_eq(n, 37);
    EVP_Digest(RP_ID, strlen(RP_ID), hash, &hn, EVP_sha256(), NULL);
    ck_assert_int_eq(memcmp(ad, hash, 32), 0);
    ck_assert_int_eq(ad[32] & 0x01, 0x01);                          /* UP */
    ck_assert_uint_eq((unsigned)ad[36] | (unsigned)ad[35] << 8, 1); /* first use */

    unsigned char *sig = b64url_field(r, "signature", &n);
    ck_assert(n >= 8 && n <= 72 && sig[0] == 0x30);
    unsigned char *uh = b64url_field(r, "userHandle", &n);
    ck_assert_uint_eq(n, 36);
    ck_assert_int_eq(memcmp(uh, "0b4c1f2e-8f7a-4c3d-9e2b-1a2b3c4d5e6f", 36), 0);

    char *why = rp_verdict(cred);
    ck_assert_msg(why == NULL, "mock refused a good assertion: %s", why);
    free(cd);
    free(ad);
    free(sig);
    free(uh);
    json_object_put(c);
    json_object_put(oj);
    free(cred);
    free(opts);
    close_session(&s);
}
END_TEST

START_TEST(test_good_twice)
{
    enrol(NULL);
    char *why = login_once(NULL, NULL, NULL);
    ck_assert_msg(why == NULL, "%s", why);
    why = login_once(NULL, NULL, NULL);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_int_eq(softkey_count(key_path), 2);
    struct json_object *o = mock_get_json(&mock, "/_mock/webauthn/credentials/alice");
    struct json_object *c = json_object_array_get_idx(json_object_object_get(o, "credentials"), 0);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(c, "count")), 2);
    json_object_put(o);
}
END_TEST

START_TEST(test_wrong_rp_id)
{
    enrol(NULL);
    /* Options naming another rpId: the key signs for it, the origin follows
     * it (https://evil.example) and the RP refuses that first ... */
    char *why = login_once(NULL, NULL, "evil.example");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "origin"));
    free(why);
    /* ... and with the right origin, the rpIdHash gives it away. */
    why = login_once("webauthn_origin = https://" RP_ID "\n", NULL, "evil.example");
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "rpIdHash mismatch");
    free(why);
    /* The refusal spent nothing: the right rpId still works. */
    why = login_once(NULL, NULL, NULL);
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

START_TEST(test_origin)
{
    enrol(NULL);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/rp",
                                  "{\"origins\":[\"https://login.mock.example\"]}", NULL),
                     200);
    /* The default origin https://<rpId> is not one this pool takes ... */
    char *why = login_once(NULL, NULL, NULL);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "origin"));
    free(why);
    /* ... webauthn_origin names the one it does. */
    why = login_once("webauthn_origin = https://login.mock.example\n", NULL, NULL);
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

START_TEST(test_replayed_sign_count)
{
    enrol(NULL);
    char *why = login_once(NULL, NULL, NULL);
    ck_assert_msg(why == NULL, "%s", why);
    /* A clone of the key (or a replay) signs with a count already seen. */
    ck_assert(softkey_set_count(key_path, 0));
    why = login_once(NULL, NULL, NULL);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "sign count"));
    free(why);
}
END_TEST

START_TEST(test_uv_required)
{
    enrol("{\"rp_id\":\"" RP_ID "\",\"user_verification\":\"required\"}");
    char *opts = issue_options();
    ck_assert(cog_webauthn_uv_required(opts));
    free(opts);
    /* A key that cannot verify its user: UP only, refused. */
    ck_assert(softkey_set_uv(key_path, false));
    char *why = login_once(NULL, NULL, NULL);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "user not verified");
    free(why);
    /* A key with a PIN, but no PIN given: refused too. */
    ck_assert(softkey_set_pin(key_path, "4321"));
    why = login_once(NULL, NULL, NULL);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "user not verified");
    free(why);
    /* The PIN given: verified, accepted. */
    why = login_once(NULL, "4321", NULL);
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

/* The conversation around the key, as the login shows it. */
struct transcript {
    char said[512];
};

static cog_status give_pin(void *ctx, const char *prompt, char **answer)
{
    struct transcript *t = ctx;
    test_appendf(t->said, sizeof(t->said), "ask:%s|", prompt);
    *answer = strdup("1357");
    return COG_OK;
}

static void note_info(void *ctx, const char *text)
{
    struct transcript *t = ctx;
    test_appendf(t->said, sizeof(t->said), "info:%s|", text);
}

static char *respond_once(struct transcript *t)
{
    struct session s;
    struct cog_auth_callbacks cb = {.ctx = t, .ask_password = give_pin, .show_info = note_info};
    char *opts = issue_options(), *cred = NULL, *why;
    open_session(&s, NULL);
    ck_assert_msg(cog_webauthn_respond(&s.cfg, opts, &s.key, &cb, &cred, &s.err) == COG_OK, "%s",
                  s.err.message);
    why = rp_verdict(cred);
    free(cred);
    free(opts);
    close_session(&s);
    return why;
}

START_TEST(test_respond_prompts)
{
    struct transcript t = {""};
    enrol("{\"rp_id\":\"" RP_ID "\",\"user_verification\":\"required\"}");
    /* A key without a PIN (built-in UV): no PIN asked, the touch shown. */
    char *why = respond_once(&t);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_str_eq(t.said, "info:Touch your security key.|");
    /* A key with a PIN: asked first, echo off (ask_password), then the touch. */
    ck_assert(softkey_set_uv(key_path, false));
    ck_assert(softkey_set_pin(key_path, "1357"));
    t.said[0] = '\0';
    why = respond_once(&t);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_str_eq(t.said, "ask:Security key PIN: |info:Touch your security key.|");
    /* UV only preferred: the PIN is not asked even though the key has one. */
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/rp",
                                  "{\"user_verification\":\"preferred\"}", NULL),
                     200);
    t.said[0] = '\0';
    why = respond_once(&t);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_str_eq(t.said, "info:Touch your security key.|");
}
END_TEST

/* A key that answers wrongly: the client refuses before Cognito sees it. */
struct hostile {
    const struct cog_authenticator *real;
    int mode; /* 0: other rpIdHash, 1: credential not asked for, 2: short authData */
};

static int hostile_assert(void *ctx, const struct cog_webauthn_request *req, const char *pin,
                          struct cog_webauthn_assertion *out, struct cog_error *err)
{
    struct hostile *h = ctx;
    int st = h->real->get_assertion(h->real->ctx, req, pin, out, err);
    if (st != COG_OK)
        return st;
    if (h->mode == 0)
        out->auth_data.data[0] ^= 1;
    else if (h->mode == 1)
        out->credential_id.data[0] ^= 1;
    else
        out->auth_data.len = 36;
    return COG_OK;
}

/* A captured CREDENTIAL sent again for a new challenge: refused. */
START_TEST(test_replayed_assertion)
{
    struct session s;
    char *opts, *cred = NULL, *why;
    enrol(NULL);
    opts = issue_options();
    open_session(&s, NULL);
    ck_assert_int_eq(cog_webauthn_answer(&s.cfg, opts, &s.key, NULL, &cred, &s.err), COG_OK);
    why = rp_verdict(cred);
    ck_assert_msg(why == NULL, "%s", why);
    /* Again for the same challenge: its sign count was seen. */
    why = rp_verdict(cred);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "sign count"));
    free(why);
    free(issue_options()); /* the next sign-in's challenge */
    why = rp_verdict(cred);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "challenge mismatch");
    free(why);
    free(cred);
    free(opts);
    close_session(&s);
}
END_TEST

/* The mock makes and registers the key (what PAM tests use): it logs in. */
START_TEST(test_mock_made_key)
{
    char body[PATH_MAX + 64];
    enrol(NULL);
    unlink(key_path);
    snprintf(body, sizeof(body), "{\"user\":\"alice\",\"path\":\"%s\"}", key_path);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/webauthn/softkey", body, NULL), 200);
    char *why = login_once(NULL, NULL, NULL);
    ck_assert_msg(why == NULL, "%s", why);
    ck_assert_int_eq(softkey_count(key_path), 1);
}
END_TEST

START_TEST(test_hostile_key_refused)
{
    struct session s;
    enrol(NULL);
    open_session(&s, NULL);
    static const char *const expect[] = {"another site", "did not ask for", "incomplete"};
    for (int mode = 0; mode < 3; mode++) {
        struct hostile h = {&s.key, mode};
        struct cog_authenticator bad = {.ctx = &h, .get_assertion = hostile_assert};
        char *opts = issue_options(), *cred = NULL;
        ck_assert_int_eq(cog_webauthn_answer(&s.cfg, opts, &bad, NULL, &cred, &s.err),
                         COG_ERR_AUTH);
        ck_assert_ptr_null(cred);
        ck_assert_msg(strstr(s.err.message, expect[mode]) != NULL, "%s", s.err.message);
        free(opts);
    }
    close_session(&s);
}
END_TEST

START_TEST(test_bad_options_refused)
{
    struct session s;
    char *cred = NULL;
    enrol(NULL);
    open_session(&s, NULL);
    static const char *const bad[] = {
        "not json",
        "{\"rpId\":\"" RP_ID "\"}",
        "{\"challenge\":\"c2hvcnQ\",\"rpId\":\"" RP_ID "\"}",
        "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"https://"
        "x.example\"}",
        "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"UPPER."
        "example\"}",
        "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"" RP_ID "\","
        "\"allowCredentials\":[{\"type\":\"public-key\",\"id\":\"a+b/\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(cog_webauthn_answer(&s.cfg, bad[i], &s.key, NULL, &cred, &s.err),
                         COG_ERR_INVALID_INPUT);
        ck_assert_ptr_null(cred);
    }
    /* The key was never asked. */
    ck_assert_int_eq(softkey_count(key_path), 0);
    close_session(&s);
}
END_TEST

START_TEST(test_origin_config_checked)
{
    struct cog_config cfg;
    struct cog_error err;
    cog_config_init(&cfg);
    ck_assert_int_eq(
        cog_config_set(&cfg, "webauthn_origin", "https://a.example:8443", "t", 1, &err), COG_OK);
    ck_assert_int_ne(cog_config_set(&cfg, "webauthn_origin", "https://a.example/", "t", 2, &err),
                     COG_OK);
    ck_assert_int_ne(cog_config_set(&cfg, "webauthn_origin", "http://a.example", "t", 3, &err),
                     COG_OK);
    ck_assert_int_ne(cog_config_set(&cfg, "webauthn_origin", "https://u@a.example", "t", 4, &err),
                     COG_OK);
    cog_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("webauthn");
    TCase *tc = tcase_create("mock");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_add_test(tc, test_answer_shape);
    tcase_add_test(tc, test_good_twice);
    tcase_add_test(tc, test_wrong_rp_id);
    tcase_add_test(tc, test_origin);
    tcase_add_test(tc, test_replayed_sign_count);
    tcase_add_test(tc, test_uv_required);
    tcase_add_test(tc, test_respond_prompts);
    tcase_add_test(tc, test_replayed_assertion);
    tcase_add_test(tc, test_mock_made_key);
    tcase_add_test(tc, test_hostile_key_refused);
    tcase_add_test(tc, test_bad_options_refused);
    tcase_add_test(tc, test_origin_config_checked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
