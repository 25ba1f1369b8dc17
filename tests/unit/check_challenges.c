/* The challenge machine against scripted servers (the idp transport seam):
 * the requests it sends have the shapes the reference SDK's requests have in
 * tests/vectors/sdk_transcripts.json, and a server that never stops asking
 * gets a bounded number of requests and prompts. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/fuzz/fixtures.h"
#include "tests/testutil.h"

#define MAX_CALLS 64

/* A server that answers the transcript's responses in order, then drops. */
struct replay {
    struct json_object *wire; /* the transcript's "wire" array */
    size_t skip;              /* transcript entries the client is not expected to send */
    size_t next;              /* next wire entry to answer with */
    char *targets[MAX_CALLS];
    struct json_object *bodies[MAX_CALLS];
    size_t n;
    /* how to answer errors the transcript does not have */
    const char *first_error_type;
    const char *first_error_body;
};

static cog_status replay_post(void *ctx, const char *url, const char *target, const char *body,
                              size_t body_len, struct cog_http_response *resp,
                              struct cog_error *err)
{
    struct replay *r = ctx;
    (void)url;
    ck_assert_uint_lt(r->n, MAX_CALLS);
    r->targets[r->n] = strdup(strrchr(target, '.') + 1);
    r->bodies[r->n] = json_tokener_parse(body);
    ck_assert_ptr_nonnull(r->bodies[r->n]);
    ck_assert_uint_eq(strlen(body), body_len);
    r->n++;
    if (r->first_error_type != NULL) {
        resp->status = 400;
        snprintf(resp->error_type, sizeof(resp->error_type), "%s:", r->first_error_type);
        resp->body = strdup(r->first_error_body);
        resp->len = strlen(resp->body);
        r->first_error_type = NULL;
        return COG_OK;
    }
    if (r->next >= json_object_array_length(r->wire))
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "script ended");
    struct json_object *w = json_object_array_get_idx(r->wire, r->next++);
    const char *answer = cog_json_string(w, "response");
    if (answer == NULL)
        answer = "{}";
    resp->status = 200;
    resp->body = strdup(answer);
    resp->len = strlen(answer);
    return COG_OK;
}

static cog_status replay_get(void *ctx, const char *url, struct cog_http_response *resp,
                             struct cog_error *err)
{
    (void)ctx;
    (void)url;
    (void)err;
    resp->status = 200;
    resp->body = strdup(FUZZ_JWKS);
    resp->len = strlen(resp->body);
    return COG_OK;
}

/* Sorted member names of an object, "a,b,c", but the ones only the SDK sends. */
static void keys_of(struct json_object *o, char *out, size_t len)
{
    const char *names[32];
    size_t n = 0;
    out[0] = '\0';
    if (o == NULL)
        return;
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        /* The SDK sends an empty ClientMetadata, and names the new
         * authenticator "my phone"; both are optional to Cognito. */
        if (strcmp(key, "ClientMetadata") != 0 && strcmp(key, "FriendlyDeviceName") != 0 && n < 32)
            names[n++] = key;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        strncat(out, names[i], len - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, ",", len - strlen(out) - 1);
    }
}

/* Our i-th request has the SDK's j-th request's operation and members. */
static void assert_same_shape(struct replay *r, size_t ours, size_t sdk)
{
    char a[512], b[512];
    struct json_object *w = json_object_array_get_idx(r->wire, sdk);
    struct json_object *theirs = json_tokener_parse(cog_json_string(w, "request"));
    ck_assert_uint_lt(ours, r->n);
    ck_assert_str_eq(r->targets[ours], cog_json_string(w, "op"));
    keys_of(r->bodies[ours], a, sizeof(a));
    keys_of(theirs, b, sizeof(b));
    ck_assert_msg(strcmp(a, b) == 0, "%s #%zu: we send {%s}, the SDK {%s}", r->targets[ours], ours,
                  a, b);
    for (const char *inner = "ChallengeResponses"; inner != NULL;
         inner = strcmp(inner, "ChallengeResponses") == 0 ? "AuthParameters" : NULL) {
        keys_of(cog_json_object(r->bodies[ours], inner), a, sizeof(a));
        keys_of(cog_json_object(theirs, inner), b, sizeof(b));
        ck_assert_msg(strcmp(a, b) == 0, "%s #%zu %s: we send {%s}, the SDK {%s}", r->targets[ours],
                      ours, inner, a, b);
    }
    json_object_put(theirs);
}

static void replay_free(struct replay *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->targets[i]);
        json_object_put(r->bodies[i]);
    }
}

/* The front end: fixed answers, the menu's choice given by the test. */
static const char *choice = "2";

static cog_status fixed(const char *value, char **answer)
{
    *answer = strdup(value);
    return *answer ? COG_OK : COG_ERR_NOMEM;
}
static cog_status ask_code(void *ctx, enum cog_code_kind kind, const char *prompt, char **answer)
{
    (void)ctx, (void)kind, (void)prompt;
    return fixed("123456", answer);
}
static cog_status ask_text(void *ctx, const char *prompt, char **answer)
{
    (void)ctx;
    if (strncmp(prompt, "Choice", 6) == 0)
        return fixed(choice, answer);
    return fixed("an answer", answer);
}
static cog_status ask_password(void *ctx, const char *prompt, char **answer)
{
    (void)ctx, (void)prompt;
    return fixed("N3wPassw0rd!", answer);
}
static void show(void *ctx, const char *text)
{
    (void)ctx, (void)text;
}

static const struct cog_auth_callbacks callbacks = {
    .ask_password = ask_password,
    .ask_code = ask_code,
    .ask_text = ask_text,
    .show_info = show,
    .show_error = show,
};

static struct json_object *transcripts;

static void load(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/vectors/sdk_transcripts.json", test_srcdir());
    transcripts = json_object_from_file(path);
}

static void unload(void)
{
    json_object_put(transcripts);
}

/* Replays transcript `name` to a login with the given config lines and
 * options; returns the login's status. */
static cog_status run(struct replay *r, const char *name, const char *conf,
                      const struct cog_auth_opts *opts)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_idp idp;
    struct cog_auth_result res;
    struct json_object *t;
    const struct cog_idp_transport transport = {.ctx = r, .post = replay_post, .get = replay_get};

    ck_assert_msg(json_object_object_get_ex(transcripts, name, &t), "no transcript '%s'", name);
    r->wire = json_object_object_get(t, "wire");
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, conf, strlen(conf), "test", &err), COG_OK);
    free(cfg.cache_dir);
    cfg.cache_dir = NULL;
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    ck_assert_int_eq(cog_idp_open_transport(&idp, &cfg, &transport, &err), COG_OK);
    cog_status st = cog_auth_login(&idp, "alice", &callbacks, opts, &res, &err);
    cog_auth_result_clear(&res);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
    return st;
}

#define CONF                                                                                       \
    "region = us-east-1\nuser_pool_id = us-east-1_aB12cDe34\n"                                     \
    "client_id = 1example23456789abcdefghij\n"

static const struct cog_auth_opts with_password = {.password = "Passw0rd!"};

START_TEST(test_sms_mfa_shape)
{
    struct replay r = {0};
    run(&r, "USER_SRP_AUTH -> SMS_MFA -> sendMFACode (default type)", CONF, &with_password);
    ck_assert_uint_eq(r.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_same_shape(&r, i, i);
    replay_free(&r);
}
END_TEST

START_TEST(test_select_mfa_shape)
{
    struct replay r = {0};
    choice = "2";
    run(&r,
        "USER_SRP_AUTH -> SELECT_MFA_TYPE -> sendMFASelectionAnswer(SOFTWARE_TOKEN_MFA) -> "
        "sendMFACode",
        CONF, &with_password);
    ck_assert_uint_eq(r.n, 4);
    for (size_t i = 0; i < 4; i++)
        assert_same_shape(&r, i, i);
    ck_assert_str_eq(cog_json_string(cog_json_object(r.bodies[2], "ChallengeResponses"), "ANSWER"),
                     "SOFTWARE_TOKEN_MFA");
    replay_free(&r);
}
END_TEST

START_TEST(test_mfa_setup_shape)
{
    struct replay r = {0};
    run(&r,
        "USER_SRP_AUTH -> MFA_SETUP -> associateSoftwareToken(Session) -> "
        "verifySoftwareToken(Session) -> MFA_SETUP",
        CONF, &with_password);
    ck_assert_uint_eq(r.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_same_shape(&r, i, i);
    /* Each call carries the Session the one before returned. */
    ck_assert_str_eq(cog_json_string(r.bodies[2], "Session"), "S2");
    ck_assert_str_eq(cog_json_string(r.bodies[3], "Session"), "S3");
    ck_assert_str_eq(cog_json_string(r.bodies[4], "Session"), "S4");
    replay_free(&r);
}
END_TEST

START_TEST(test_new_password_shape)
{
    struct replay r = {0};
    run(&r,
        "USER_PASSWORD_AUTH -> NEW_PASSWORD_REQUIRED -> completeNewPasswordChallenge -> "
        "SOFTWARE_TOKEN_MFA -> sendMFACode",
        CONF "auth_flow = USER_PASSWORD_AUTH\n", &with_password);
    ck_assert_uint_eq(r.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_same_shape(&r, i, i);
    replay_free(&r);
}
END_TEST

START_TEST(test_custom_auth_shape)
{
    struct replay r = {0};
    run(&r,
        "CUSTOM_AUTH with SRP (authenticationFlowType=CUSTOM_AUTH) -> CUSTOM_CHALLENGE -> "
        "sendCustomChallengeAnswer",
        CONF "auth_flow = CUSTOM_AUTH\n", &with_password);
    ck_assert_uint_eq(r.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_same_shape(&r, i, i);
    replay_free(&r);
}
END_TEST

/* A remembered device: PASSWORD_VERIFIER with DEVICE_KEY, then
 * DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER as the SDK answers them. */
START_TEST(test_remembered_device_shape)
{
    struct replay r = {0};
    static const struct cog_auth_opts device = {
        .password = "Passw0rd!",
        .device_key = "us-east-1_dev",
        .device_group_key = "-ab12CDe3F",
        .device_password = "XtFf2PWS4tSpMQD6oHmPFdt802O95RjPgfPsIMRIXwS34sGR9cwKjQ==",
    };
    run(&r,
        "remembered-device: PASSWORD_VERIFIER answered with DEVICE_SRP_AUTH (see "
        "srp_vectors.json case5 for the math)",
        CONF, &device);
    ck_assert_uint_eq(r.n, 4);
    for (size_t i = 1; i < 4; i++)
        assert_same_shape(&r, i, i);
    /* The SDK names the device on InitiateAuth only once it has loaded it;
     * we always do. */
    struct json_object *ap = cog_json_object(r.bodies[0], "AuthParameters");
    ck_assert_str_eq(cog_json_string(ap, "DEVICE_KEY"), "us-east-1_dev");
    json_object_object_del(ap, "DEVICE_KEY");
    assert_same_shape(&r, 0, 0);
    replay_free(&r);
}
END_TEST

/* PasswordResetRequired on InitiateAuth, then the SDK's forgotPassword and
 * confirmPassword requests. */
START_TEST(test_password_reset_shape)
{
    struct replay r = {
        .first_error_type = "PasswordResetRequiredException",
        .first_error_body = "{\"__type\":\"PasswordResetRequiredException\","
                            "\"message\":\"Password reset required for the user\"}",
    };
    struct cog_auth_opts opts = with_password;
    opts.allow_password_reset = true;
    run(&r, "forgotPassword + confirmPassword", CONF, &opts);
    ck_assert_uint_ge(r.n, 3);
    assert_same_shape(&r, 1, 0);
    assert_same_shape(&r, 2, 1);
    replay_free(&r);
}
END_TEST

/* A server that answers every MFA_SETUP with another MFA_SETUP, and every
 * verification with a wrong code twice before accepting it. */
struct endless {
    unsigned posts, gets, verifies;
};

static cog_status endless_post(void *ctx, const char *url, const char *target, const char *body,
                               size_t body_len, struct cog_http_response *resp,
                               struct cog_error *err)
{
    struct endless *e = ctx;
    const char *op = strrchr(target, '.') + 1;
    const char *answer =
        "{\"ChallengeName\":\"MFA_SETUP\",\"Session\":\"S\","
        "\"ChallengeParameters\":{\"MFAS_CAN_SETUP\":\"[\\\"SOFTWARE_TOKEN_MFA\\\"]\"}}";
    (void)url, (void)body, (void)body_len, (void)err;
    e->posts++;
    resp->status = 200;
    if (strcmp(op, "AssociateSoftwareToken") == 0)
        answer = "{\"SecretCode\":\"JBSWY3DPEHPK3PXP\",\"Session\":\"S\"}";
    if (strcmp(op, "VerifySoftwareToken") == 0) {
        if (++e->verifies % 3 != 0) {
            resp->status = 400;
            snprintf(resp->error_type, sizeof(resp->error_type), "CodeMismatchException:");
            answer = "{\"__type\":\"CodeMismatchException\",\"message\":\"Code mismatch\"}";
        } else {
            answer = "{\"Status\":\"SUCCESS\",\"Session\":\"S\"}";
        }
    }
    resp->body = strdup(answer);
    resp->len = strlen(answer);
    return COG_OK;
}

static unsigned turns;
static cog_status count_code(void *ctx, enum cog_code_kind kind, const char *prompt, char **answer)
{
    turns++;
    return ask_code(ctx, kind, prompt, answer);
}
static void count_show(void *ctx, const char *text)
{
    (void)ctx, (void)text;
    turns++;
}

START_TEST(test_endless_server_is_bounded)
{
    struct endless e = {0};
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_idp idp;
    struct cog_auth_result res;
    const struct cog_idp_transport transport = {.ctx = &e, .post = endless_post, .get = replay_get};
    const struct cog_auth_callbacks cb = {
        .ask_code = count_code, .show_info = count_show, .show_error = count_show};
    const char *conf = CONF "auth_flow = USER_PASSWORD_AUTH\n";

    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, conf, strlen(conf), "test", &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    ck_assert_int_eq(cog_idp_open_transport(&idp, &cfg, &transport, &err), COG_OK);
    turns = 0;
    cog_status st = cog_auth_login(&idp, "alice", &cb, &with_password, &res, &err);
    ck_assert_int_eq(st, COG_ERR_UNAVAILABLE);
    ck_assert_ptr_null(res.id_token);
    ck_assert_uint_le(e.posts, 46);
    ck_assert_uint_le(turns, 48);
    ck_assert_uint_ge(e.posts, 20); /* it did go round many times before stopping */
    cog_idp_close(&idp);
    cog_config_free(&cfg);
}
END_TEST

/* An MFA_SETUP whose VerifySoftwareToken answers 200 with `verify` as body. */
static const char *verify_answer;
static unsigned verify_calls;

static cog_status setup_post(void *ctx, const char *url, const char *target, const char *body,
                             size_t body_len, struct cog_http_response *resp, struct cog_error *err)
{
    const char *op = strrchr(target, '.') + 1;
    const char *answer =
        "{\"ChallengeName\":\"MFA_SETUP\",\"Session\":\"S\","
        "\"ChallengeParameters\":{\"MFAS_CAN_SETUP\":\"[\\\"SOFTWARE_TOKEN_MFA\\\"]\"}}";
    (void)ctx, (void)url, (void)body, (void)body_len, (void)err;
    if (strcmp(op, "AssociateSoftwareToken") == 0)
        answer = "{\"SecretCode\":\"JBSWY3DPEHPK3PXP\",\"Session\":\"S\"}";
    if (strcmp(op, "VerifySoftwareToken") == 0) {
        verify_calls++;
        answer = verify_answer;
    }
    resp->status = 200;
    resp->body = strdup(answer);
    resp->len = strlen(answer);
    return COG_OK;
}

static const struct {
    const char *answer;
    cog_status expect;
    unsigned verifies;
} verify_cases[] = {
    /* An answer that is not Cognito's: no code the user types can help. */
    {"{\"Session\":\"S\"}", COG_ERR_UNAVAILABLE, 1},
    {"{\"Status\":7,\"Session\":\"S\"}", COG_ERR_UNAVAILABLE, 1},
    {"{\"Status\":\"SUCCESSFUL\",\"Session\":\"S\"}", COG_ERR_UNAVAILABLE, 1},
    /* Cognito's own "not verified": the user may try another code. */
    {"{\"Status\":\"ERROR\",\"Session\":\"S\"}", COG_ERR_CODE, 3},
};

START_TEST(test_verify_status)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_idp idp;
    struct cog_auth_result res;
    const struct cog_idp_transport transport = {.post = setup_post, .get = replay_get};
    const struct cog_auth_callbacks cb = {
        .ask_code = count_code, .show_info = count_show, .show_error = count_show};
    const char *conf = CONF "auth_flow = USER_PASSWORD_AUTH\n";

    verify_answer = verify_cases[_i].answer;
    verify_calls = 0;
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, conf, strlen(conf), "test", &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    ck_assert_int_eq(cog_idp_open_transport(&idp, &cfg, &transport, &err), COG_OK);
    cog_status st = cog_auth_login(&idp, "alice", &cb, &with_password, &res, &err);
    ck_assert_msg(st == verify_cases[_i].expect, "%s: %s", verify_answer, cog_status_name(st));
    ck_assert_uint_eq(verify_calls, verify_cases[_i].verifies);
    ck_assert_ptr_null(res.id_token);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("challenges");
    TCase *tc = tcase_create("transcripts");
    tcase_add_unchecked_fixture(tc, load, unload);
    tcase_add_test(tc, test_sms_mfa_shape);
    tcase_add_test(tc, test_select_mfa_shape);
    tcase_add_test(tc, test_mfa_setup_shape);
    tcase_add_test(tc, test_new_password_shape);
    tcase_add_test(tc, test_custom_auth_shape);
    tcase_add_test(tc, test_password_reset_shape);
    tcase_add_test(tc, test_remembered_device_shape);
    tcase_add_test(tc, test_endless_server_is_bounded);
    tcase_add_loop_test(tc, test_verify_status, 0,
                        (int)(sizeof(verify_cases) / sizeof(verify_cases[0])));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
