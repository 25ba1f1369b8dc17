/* The idp transport seam: a whole login driven by scripted answers, no
 * network. This is how transcript-replay tests and fuzz_auth drive libcognito. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/fuzz/fixtures.h"
#include "tests/testutil.h"

#define MAX_STEPS 4

struct answer {
    long status; /* 0: the connection drops */
    const char *error_type;
    const char *body;
};

/* The server's side of the conversation, and what the client said to it. */
struct script {
    struct answer answers[MAX_STEPS];
    size_t n, used;
    char *targets[MAX_STEPS];
    char *bodies[MAX_STEPS];
    unsigned gets;
    char *get_url;
};

static cog_status fill(const struct answer *a, struct cog_http_response *resp,
                       struct cog_error *err)
{
    if (a->status == 0)
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "connection reset");
    resp->status = a->status;
    resp->body = strdup(a->body);
    ck_assert_ptr_nonnull(resp->body);
    resp->len = strlen(a->body);
    snprintf(resp->error_type, sizeof(resp->error_type), "%s", a->error_type ? a->error_type : "");
    return COG_OK;
}

static cog_status script_post(void *ctx, const char *url, const char *target, const char *body,
                              size_t body_len, struct cog_http_response *resp,
                              struct cog_error *err)
{
    struct script *s = ctx;
    ck_assert_uint_lt(s->used, s->n);
    ck_assert_uint_eq(strlen(body), body_len);
    s->targets[s->used] = strdup(target);
    s->bodies[s->used] = strdup(body);
    return fill(&s->answers[s->used++], resp, err);
}

static cog_status script_get(void *ctx, const char *url, struct cog_http_response *resp,
                             struct cog_error *err)
{
    struct script *s = ctx;
    static const struct answer jwks = {200, NULL, FUZZ_JWKS};
    s->gets++;
    free(s->get_url);
    s->get_url = strdup(url);
    return fill(&jwks, resp, err);
}

static void script_free(struct script *s)
{
    for (size_t i = 0; i < s->used; i++) {
        free(s->targets[i]);
        free(s->bodies[i]);
    }
    free(s->get_url);
}

/* The pool the fixtures' tokens were signed for, with no JWKS cache on disk. */
static void fixture_config(struct cog_config *cfg, const char *flow)
{
    struct cog_error err;
    char text[512];
    snprintf(text, sizeof(text),
             "region = %s\nuser_pool_id = %s\nclient_id = %s\nendpoint = https://idp.test/\n"
             "auth_flow = %s\n",
             FUZZ_REGION, FUZZ_POOL_ID, FUZZ_CLIENT_ID, flow);
    cog_config_init(cfg);
    ck_assert_int_eq(cog_config_parse_buffer(cfg, text, strlen(text), "test", &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(cfg, &err), COG_OK);
    free(cfg->cache_dir);
    cfg->cache_dir = NULL;
}

static cog_status fixed_password(void *ctx, const char *prompt, char **answer)
{
    *answer = strdup("Passw0rd!");
    return COG_OK;
}

static cog_status run_login(struct script *s, const char *flow, const unsigned char *a,
                            size_t a_len, struct cog_auth_result *res, struct cog_error *err)
{
    struct cog_config cfg;
    struct cog_idp idp;
    const struct cog_idp_transport t = {
        .ctx = s, .post = script_post, .get = script_get, .srp_a = a, .srp_a_len = a_len};
    const struct cog_auth_callbacks cb = {.ask_password = fixed_password};

    fixture_config(&cfg, flow);
    ck_assert_int_eq(cog_idp_open_transport(&idp, &cfg, &t, err), COG_OK);
    ck_assert_ptr_null(idp.http);
    cog_status st = cog_auth_login(&idp, "alice", &cb, NULL, res, err);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
    return st;
}

static struct json_object *parsed(const char *body)
{
    struct json_object *o = NULL;
    struct cog_error err;
    ck_assert_int_eq(cog_idp_parse_body(body, strlen(body), &o, &err), COG_OK);
    return o;
}

static struct json_object *vector_case(size_t i)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/vectors/srp_vectors.json", test_srcdir());
    struct json_object *all = json_object_from_file(path);
    ck_assert_ptr_nonnull(all);
    struct json_object *c =
        json_object_get(json_object_array_get_idx(json_object_object_get(all, "cases"), i));
    json_object_put(all);
    return c;
}

static struct json_object *vector_case1(void)
{
    return vector_case(0);
}

/* Big-endian bytes of a hex string of exactly 2*len digits. */
static void hex_bytes(const char *hex, unsigned char *out, size_t len)
{
    ck_assert_uint_eq(strlen(hex), 2 * len);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

/* With the SDK's a, SRP_A goes out byte for byte as the SDK sent it, and
 * the PASSWORD_VERIFIER answer speaks as USER_ID_FOR_SRP. */
START_TEST(test_srp_replay)
{
    struct json_object *vc = vector_case1();
    struct json_object *in = json_object_object_get(vc, "inputs");
    struct json_object *want = json_object_object_get(vc, "expected");
    const char *a_hex = cog_json_string(in, "a_hex_128_bytes");
    unsigned char a[128];
    ck_assert_uint_eq(strlen(a_hex), 2 * sizeof(a));
    for (size_t i = 0; i < sizeof(a); i++)
        ck_assert_int_eq(sscanf(a_hex + 2 * i, "%2hhx", &a[i]), 1);
    char challenge[8192];
    snprintf(challenge, sizeof(challenge),
             "{\"ChallengeName\":\"PASSWORD_VERIFIER\",\"Session\":\"S1\",\"ChallengeParameters\":"
             "{\"SALT\":\"%s\",\"SRP_B\":\"%s\",\"SECRET_BLOCK\":\"%s\",\"USER_ID_FOR_SRP\":"
             "\"srp-id-7\",\"USERNAME\":\"srp-id-7\"}}",
             cog_json_string(in, "challenge_SALT"), cog_json_string(in, "challenge_SRP_B"),
             cog_json_string(in, "challenge_SECRET_BLOCK"));
    struct script s = {
        .answers = {{200, NULL, challenge},
                    {400, "NotAuthorizedException:",
                     "{\"__type\":\"NotAuthorizedException\",\"message\":\"Incorrect username or "
                     "password.\"}"}},
        .n = 2,
    };
    struct cog_auth_result res;
    struct cog_error err = {0};

    ck_assert_int_eq(run_login(&s, "USER_SRP_AUTH", a, sizeof(a), &res, &err), COG_ERR_AUTH);
    ck_assert_str_eq(err.code, "NotAuthorizedException");
    ck_assert_uint_eq(s.used, 2);
    ck_assert_uint_eq(s.gets, 0);
    ck_assert_str_eq(s.targets[0], "AWSCognitoIdentityProviderService.InitiateAuth");
    ck_assert_str_eq(s.targets[1], "AWSCognitoIdentityProviderService.RespondToAuthChallenge");
    struct json_object *init = parsed(s.bodies[0]);
    struct json_object *ap = cog_json_object(init, "AuthParameters");
    ck_assert_str_eq(cog_json_string(ap, "SRP_A"), cog_json_string(want, "SRP_A_sent"));
    ck_assert_str_eq(cog_json_string(ap, "USERNAME"), "alice");
    struct json_object *resp = parsed(s.bodies[1]);
    struct json_object *cr = cog_json_object(resp, "ChallengeResponses");
    ck_assert_str_eq(cog_json_string(resp, "Session"), "S1");
    ck_assert_str_eq(cog_json_string(cr, "USERNAME"), "srp-id-7");
    ck_assert_str_eq(cog_json_string(cr, "PASSWORD_CLAIM_SECRET_BLOCK"),
                     cog_json_string(in, "challenge_SECRET_BLOCK"));
    ck_assert_uint_eq(strlen(cog_json_string(cr, "PASSWORD_CLAIM_SIGNATURE")), 44);
    /* SRP: the password never leaves the host. */
    ck_assert_ptr_null(strstr(s.bodies[0], "Passw0rd!"));
    ck_assert_ptr_null(strstr(s.bodies[1], "Passw0rd!"));
    json_object_put(init);
    json_object_put(resp);
    json_object_put(vc);
    script_free(&s);
}
END_TEST

/* Tokens in the answer are verified against the JWKS the transport serves. */
START_TEST(test_tokens_verified_over_transport)
{
    char result[8192];
    snprintf(result, sizeof(result),
             "{\"AuthenticationResult\":{\"IdToken\":\"%s\",\"AccessToken\":\"%s\","
             "\"ExpiresIn\":3600,\"TokenType\":\"Bearer\"},\"ChallengeParameters\":{}}",
             FUZZ_ID_TOKEN, FUZZ_ACCESS_TOKEN);
    struct script s = {.answers = {{200, NULL, result}}, .n = 1};
    struct cog_auth_result res;
    struct cog_error err = {0};

    ck_assert_int_eq(run_login(&s, "USER_PASSWORD_AUTH", NULL, 0, &res, &err), COG_OK);
    ck_assert_str_eq(res.username, "alice");
    ck_assert_str_eq(res.id_token, FUZZ_ID_TOKEN);
    ck_assert_int_eq(res.expires_in, 3600);
    ck_assert_uint_eq(s.gets, 1);
    ck_assert_str_eq(s.get_url, "https://idp.test/" FUZZ_POOL_ID "/.well-known/jwks.json");
    ck_assert_str_eq(s.targets[0], "AWSCognitoIdentityProviderService.InitiateAuth");
    cog_auth_result_clear(&res);
    script_free(&s);
}
END_TEST

/* The access token in the IdToken slot: signed by the pool, still no login. */
START_TEST(test_wrong_token_use_refused)
{
    char result[8192];
    snprintf(result, sizeof(result),
             "{\"AuthenticationResult\":{\"IdToken\":\"%s\",\"AccessToken\":\"%s\"}}",
             FUZZ_ACCESS_TOKEN, FUZZ_ACCESS_TOKEN);
    struct script s = {.answers = {{200, NULL, result}}, .n = 1};
    struct cog_auth_result res;
    struct cog_error err = {0};

    ck_assert_int_eq(run_login(&s, "USER_PASSWORD_AUTH", NULL, 0, &res, &err), COG_ERR_TOKEN);
    ck_assert_ptr_null(res.id_token);
    script_free(&s);
}
END_TEST

START_TEST(test_transport_failure_is_unavailable)
{
    struct script s = {.answers = {{0, NULL, NULL}}, .n = 1};
    struct cog_auth_result res;
    struct cog_error err = {0};

    ck_assert_int_eq(run_login(&s, "USER_SRP_AUTH", NULL, 0, &res, &err), COG_ERR_UNAVAILABLE);
    ck_assert_uint_eq(s.used, 1);
    script_free(&s);
}
END_TEST

START_TEST(test_incomplete_transport_refused)
{
    struct cog_config cfg;
    struct cog_idp idp;
    struct cog_error err = {0};
    const struct cog_idp_transport no_get = {.post = script_post};

    fixture_config(&cfg, "USER_SRP_AUTH");
    ck_assert_int_eq(cog_idp_open_transport(&idp, &cfg, &no_get, &err), COG_ERR_INTERNAL);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
}
END_TEST

/* case5: the SDK's login on a remembered device, with its a for the
 * user, its a for the device and its clock. */
struct device_replay {
    struct json_object *vc;
    unsigned char a[128], device_a[128];
    struct cog_idp_transport t;
    struct cog_config cfg;
};

static void device_replay_init(struct device_replay *d, struct script *s)
{
    struct cog_error err;
    char conf[512];
    d->vc = vector_case(4);
    struct json_object *in = json_object_object_get(d->vc, "inputs");
    struct json_object *dev = json_object_object_get(d->vc, "device_srp");
    hex_bytes(cog_json_string(in, "a_hex_128_bytes"), d->a, sizeof(d->a));
    hex_bytes(cog_json_string(dev, "device_a_hex_128_bytes"), d->device_a, sizeof(d->device_a));
    /* 2026-07-04T12:34:56Z */
    struct tm tm = {
        .tm_year = 126, .tm_mon = 6, .tm_mday = 4, .tm_hour = 12, .tm_min = 34, .tm_sec = 56};
    ck_assert_str_eq(cog_json_string(in, "now_utc"), "2026-07-04T12:34:56Z");
    d->t = (struct cog_idp_transport){.ctx = s,
                                      .post = script_post,
                                      .get = script_get,
                                      .srp_a = d->a,
                                      .srp_a_len = sizeof(d->a),
                                      .device_srp_a = d->device_a,
                                      .device_srp_a_len = sizeof(d->device_a),
                                      .now = timegm(&tm)};
    snprintf(
        conf, sizeof(conf),
        "region = us-east-1\nuser_pool_id = %s\nclient_id = %s\nendpoint = https://idp.test/\n",
        cog_json_string(in, "user_pool_id"), cog_json_string(in, "client_id"));
    cog_config_init(&d->cfg);
    ck_assert_int_eq(cog_config_parse_buffer(&d->cfg, conf, strlen(conf), "test", &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&d->cfg, &err), COG_OK);
    free(d->cfg.cache_dir);
    d->cfg.cache_dir = NULL;
}

static cog_status device_replay_run(struct device_replay *d, bool *refused, struct cog_error *err)
{
    struct cog_idp idp;
    struct cog_auth_result res;
    struct json_object *dev = json_object_object_get(d->vc, "device_srp");
    const struct cog_auth_opts opts = {
        .password = cog_json_string(json_object_object_get(d->vc, "inputs"), "password"),
        .device_key = cog_json_string(dev, "device_key"),
        .device_group_key = cog_json_string(dev, "device_group_key"),
        .device_password = cog_json_string(dev, "random_password"),
        .device_refused = refused,
    };
    ck_assert_int_eq(cog_idp_open_transport(&idp, &d->cfg, &d->t, err), COG_OK);
    cog_status st = cog_auth_login(&idp, "alice", NULL, &opts, &res, err);
    cog_auth_result_clear(&res);
    cog_idp_close(&idp);
    return st;
}

static void device_replay_free(struct device_replay *d)
{
    cog_config_free(&d->cfg);
    json_object_put(d->vc);
}

/* The remembered-device login byte for byte as the SDK made it: SRP_A of
 * the device, both claims (same clock), DEVICE_KEY wherever the SDK sends it. */
START_TEST(test_device_srp_replay)
{
    struct script s = {.n = 4};
    struct device_replay d;
    struct cog_error err = {0};
    bool refused = false;

    device_replay_init(&d, &s);
    struct json_object *wire = json_object_object_get(d.vc, "sdk_transcript");
    ck_assert_uint_eq(json_object_array_length(wire), 4);
    for (size_t i = 0; i < 4; i++)
        s.answers[i] = (struct answer){
            200, NULL, cog_json_string(json_object_array_get_idx(wire, i), "response_json")};
    /* The transcript's tokens are unsigned: everything up to them must match. */
    ck_assert_int_eq(device_replay_run(&d, &refused, &err), COG_ERR_TOKEN);
    ck_assert(!refused);
    ck_assert_uint_eq(s.used, 4);
    for (size_t i = 0; i < 4; i++) {
        struct json_object *theirs =
            json_tokener_parse(cog_json_string(json_object_array_get_idx(wire, i), "request_json"));
        struct json_object *ours = parsed(s.bodies[i]);
        const char *inner = i == 0 ? "AuthParameters" : "ChallengeResponses";
        json_object_object_foreach(cog_json_object(theirs, inner), key, val)
        {
            const char *mine = cog_json_string(cog_json_object(ours, inner), key);
            ck_assert_msg(mine != NULL, "request %zu lacks %s.%s", i, inner, key);
            ck_assert_msg(strcmp(mine, json_object_get_string(val)) == 0,
                          "request %zu %s.%s: we send %s, the SDK %s", i, inner, key, mine,
                          json_object_get_string(val));
        }
        if (i > 0) {
            ck_assert_str_eq(cog_json_string(ours, "ChallengeName"),
                             cog_json_string(theirs, "ChallengeName"));
            ck_assert_str_eq(cog_json_string(ours, "Session"), cog_json_string(theirs, "Session"));
        }
        json_object_put(theirs);
        json_object_put(ours);
    }
    /* We also name the device when starting, as the brief of the flow says. */
    struct json_object *init = parsed(s.bodies[0]);
    ck_assert_str_eq(cog_json_string(cog_json_object(init, "AuthParameters"), "DEVICE_KEY"),
                     "us-east-1_0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    json_object_put(init);
    device_replay_free(&d);
    script_free(&s);
}
END_TEST

#define NOT_FOUND                                                                                  \
    "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Device does not exist.\"}"
#define WRONG_PW                                                                                   \
    "{\"__type\":\"NotAuthorizedException\",\"message\":\"Incorrect username or password.\"}"

/* A forgotten device: Cognito says so after the password, and the login
 * starts again without it (the caller is told to drop it). */
START_TEST(test_forgotten_device_falls_back)
{
    struct script s = {.n = 4};
    struct device_replay d;
    struct cog_error err = {0};
    bool refused = false;

    device_replay_init(&d, &s);
    const char *challenge = cog_json_string(
        json_object_array_get_idx(json_object_object_get(d.vc, "sdk_transcript"), 0),
        "response_json");
    s.answers[0] = (struct answer){200, NULL, challenge};
    s.answers[1] = (struct answer){400, "ResourceNotFoundException:", NOT_FOUND};
    s.answers[2] = (struct answer){200, NULL, challenge};
    s.answers[3] = (struct answer){400, "NotAuthorizedException:", WRONG_PW};
    ck_assert_int_eq(device_replay_run(&d, &refused, &err), COG_ERR_AUTH);
    ck_assert(refused);
    ck_assert_uint_eq(s.used, 4);
    ck_assert_ptr_nonnull(strstr(s.bodies[1], "DEVICE_KEY"));
    ck_assert_ptr_null(strstr(s.bodies[2], "DEVICE_KEY"));
    ck_assert_ptr_null(strstr(s.bodies[3], "DEVICE_KEY"));
    script_free(&s);

    /* The same refusal without the device: it was not the device's fault. */
    struct script s2 = {.n = 4};
    d.t.ctx = &s2;
    refused = false;
    s2.answers[0] = s2.answers[2] = (struct answer){200, NULL, challenge};
    s2.answers[1] = s2.answers[3] = (struct answer){400, "ResourceNotFoundException:", NOT_FOUND};
    ck_assert_int_eq(device_replay_run(&d, &refused, &err), COG_ERR_SERVICE);
    ck_assert(!refused);
    script_free(&s2);

    /* A wrong password with a device is a wrong password: no second try. */
    struct script s3 = {.n = 2};
    d.t.ctx = &s3;
    s3.answers[0] = (struct answer){200, NULL, challenge};
    s3.answers[1] = (struct answer){400, "NotAuthorizedException:", WRONG_PW};
    ck_assert_int_eq(device_replay_run(&d, &refused, &err), COG_ERR_AUTH);
    ck_assert(!refused);
    ck_assert_uint_eq(s3.used, 2);
    script_free(&s3);
    device_replay_free(&d);
}
END_TEST

static Suite *transport_suite(void)
{
    Suite *s = suite_create("transport");
    TCase *tc = tcase_create("scripted");
    tcase_add_test(tc, test_srp_replay);
    tcase_add_test(tc, test_tokens_verified_over_transport);
    tcase_add_test(tc, test_wrong_token_use_refused);
    tcase_add_test(tc, test_transport_failure_is_unavailable);
    tcase_add_test(tc, test_incomplete_transport_refused);
    tcase_add_test(tc, test_device_srp_replay);
    tcase_add_test(tc, test_forgotten_device_falls_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(transport_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
