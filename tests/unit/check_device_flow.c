/* The RFC 8628 client (libcognito/signin/device_flow.c) against scripted answers:
 * what it sends, how it reads every token-endpoint answer, and what it
 * refuses of a hostile device authorization answer. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "libcognito/core/config.h"
#include "libcognito/signin/device_flow.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/testutil.h"

#define ENDPOINT "https://device.example.com/base/"

struct script {
    long status;
    const char *body;
    char url[256];
    char sent[1024];
    unsigned calls;
};

static cog_status post(void *ctx, const char *url, const char *target, const char *body, size_t len,
                       struct cog_http_response *resp, struct cog_error *err)
{
    struct script *s = ctx;
    (void)target;
    (void)err;
    s->calls++;
    snprintf(s->url, sizeof(s->url), "%s", url);
    snprintf(s->sent, sizeof(s->sent), "%.*s", (int)len, body);
    memset(resp, 0, sizeof(*resp));
    resp->status = s->status;
    resp->body = strdup(s->body);
    resp->len = strlen(s->body);
    return COG_OK;
}

static cog_status get(void *ctx, const char *url, struct cog_http_response *resp,
                      struct cog_error *err)
{
    (void)ctx;
    (void)url;
    memset(resp, 0, sizeof(*resp));
    return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "no JWKS here");
}

static struct cog_config cfg;
static struct script script;
static const struct cog_idp_transport transport = {.ctx = &script, .post = post, .get = get};
static struct cog_idp idp;

static void setup(void)
{
    struct cog_error err = {0};
    cog_config_init(&cfg);
    const char *conf = "region = us-east-1\nuser_pool_id = us-east-1_Abc\nclient_id = cid123\n"
                       "device_endpoint = " ENDPOINT "\ncache_dir = /nonexistent/cognito\n";
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, conf, strlen(conf), "test", &err), COG_OK);
    ck_assert_int_eq(cog_idp_open_transport(&idp, &cfg, &transport, &err), COG_OK);
    memset(&script, 0, sizeof(script));
}

static void teardown(void)
{
    cog_idp_close(&idp);
    cog_config_free(&cfg);
}

#define GOOD_START                                                                                 \
    "{\"device_code\":\"dc-secret\",\"user_code\":\"BCDF-GHJK\",\"verification_uri\":"             \
    "\"https://d.example/device\",\"verification_uri_complete\":"                                  \
    "\"https://d.example/device?user_code=BCDF-GHJK\",\"expires_in\":600,\"interval\":3}"

static void start(struct cog_device_flow *f)
{
    struct cog_error err = {0};
    script.status = 200;
    script.body = GOOD_START;
    ck_assert_int_eq(cog_device_start(&idp, f, &err), COG_OK);
    ck_assert_str_eq(script.url, "https://device.example.com/base/device_authorization");
    ck_assert_str_eq(script.sent, "client_id=cid123&scope=openid%20profile");
    ck_assert_str_eq(f->user_code, "BCDF-GHJK");
    ck_assert_int_eq(f->interval, 3);
}

START_TEST(test_start_and_request)
{
    struct cog_device_flow f;
    start(&f);
    cog_device_flow_clear(&f);
}
END_TEST

/* What a server may not make the host show or do. */
static const struct {
    long status;
    const char *body;
} bad_starts[] = {
    {200, "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"http://evil/\","
          "\"expires_in\":600}"},
    {200, "{\"device_code\":\"d\",\"user_code\":\"U\\u001b[2J\",\"verification_uri\":"
          "\"https://d/\",\"expires_in\":600}"},
    {200, "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://d/\","
          "\"verification_uri_complete\":\"javascript:x\",\"expires_in\":600}"},
    {200, "{\"user_code\":\"U\",\"verification_uri\":\"https://d/\",\"expires_in\":600}"},
    {200, "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://d/\"}"},
    {200, "not json"},
    {400, "{\"error\":\"invalid_client\"}"},
    {503, "busy"},
};

START_TEST(test_hostile_start)
{
    struct cog_device_flow f;
    struct cog_error err = {0};
    script.status = bad_starts[_i].status;
    script.body = bad_starts[_i].body;
    ck_assert_int_eq(cog_device_start(&idp, &f, &err), COG_ERR_UNAVAILABLE);
    ck_assert_ptr_null(f.device_code);
    ck_assert_int_eq(err.unreachable, bad_starts[_i].status >= 500);
}
END_TEST

static const struct {
    const char *error;
    cog_status want;
    enum cog_device_poll state;
} polls[] = {
    {"authorization_pending", COG_OK, COG_DEVICE_PENDING},
    {"slow_down", COG_OK, COG_DEVICE_PENDING},
    {"access_denied", COG_ERR_AUTH, COG_DEVICE_PENDING},
    {"expired_token", COG_ERR_CODE, COG_DEVICE_PENDING},
    {"invalid_grant", COG_ERR_UNAVAILABLE, COG_DEVICE_PENDING},
};

START_TEST(test_poll_answers)
{
    struct cog_device_flow f;
    struct cog_auth_result res;
    struct cog_error err = {0};
    enum cog_device_poll state = COG_DEVICE_DONE;
    char body[128];
    start(&f);
    snprintf(body, sizeof(body), "{\"error\":\"%s\"}", polls[_i].error);
    script.status = 400;
    script.body = body;
    ck_assert_int_eq(cog_device_poll(&f, &state, &res, &err), polls[_i].want);
    ck_assert_int_eq(state, polls[_i].state);
    ck_assert_str_eq(script.url, "https://device.example.com/base/token");
    ck_assert_str_eq(script.sent,
                     "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
                     "&device_code=dc-secret&client_id=cid123");
    ck_assert_int_eq(f.interval, strcmp(polls[_i].error, "slow_down") == 0 ? 8 : 3);
    ck_assert_ptr_null(res.id_token);
    cog_device_flow_clear(&f);
}
END_TEST

/* slow_down grows the interval by five seconds, up to a bound. */
START_TEST(test_slow_down_bounded)
{
    struct cog_device_flow f;
    struct cog_auth_result res;
    struct cog_error err = {0};
    enum cog_device_poll state;
    start(&f);
    script.status = 400;
    script.body = "{\"error\":\"slow_down\"}";
    for (int i = 0; i < 20; i++) {
        f.last_poll_ms = 0; /* no waiting in a unit test */
        ck_assert_int_eq(cog_device_poll(&f, &state, &res, &err), COG_OK);
    }
    ck_assert_int_eq(f.interval, COG_DEVICE_MAX_INTERVAL);
    cog_device_flow_clear(&f);
}
END_TEST

/* Past the deadline, or past the poll bound, nothing is sent. */
START_TEST(test_deadline_sends_nothing)
{
    struct cog_device_flow f;
    struct cog_auth_result res;
    struct cog_error err = {0};
    enum cog_device_poll state;
    start(&f);
    unsigned calls = script.calls;
    f.deadline_ms = cog_now_ms() - 1;
    ck_assert_int_eq(cog_device_poll(&f, &state, &res, &err), COG_ERR_CODE);
    f.deadline_ms = cog_now_ms() + 60000;
    f.polls = COG_DEVICE_MAX_POLLS;
    ck_assert_int_eq(cog_device_poll(&f, &state, &res, &err), COG_ERR_CODE);
    ck_assert_uint_eq(script.calls, calls);
    /* A wait for the interval ends at the deadline, not after it. */
    f.polls = 0;
    f.interval = 60;
    f.last_poll_ms = cog_now_ms();
    f.deadline_ms = cog_now_ms() + 300;
    long long t0 = cog_now_ms();
    ck_assert_int_eq(cog_device_poll(&f, &state, &res, &err), COG_ERR_CODE);
    ck_assert_int_lt(cog_now_ms() - t0, 1000);
    ck_assert_uint_eq(script.calls, calls);
    cog_device_flow_clear(&f);
}
END_TEST

/* A 200 without an ID token, or one that cannot be verified, is no login. */
START_TEST(test_tokens_must_verify)
{
    struct cog_device_flow f;
    struct cog_auth_result res;
    struct cog_error err = {0};
    enum cog_device_poll state;
    start(&f);
    script.status = 200;
    script.body = "{\"access_token\":\"a\"}";
    ck_assert_int_eq(cog_device_poll(&f, &state, &res, &err), COG_ERR_UNAVAILABLE);
    ck_assert_int_eq(state, COG_DEVICE_PENDING);
    f.last_poll_ms = 0;
    script.body = "{\"access_token\":\"a\",\"id_token\":\"x.y.z\"}";
    ck_assert_int_ne(cog_device_poll(&f, &state, &res, &err), COG_OK);
    ck_assert_int_eq(state, COG_DEVICE_PENDING);
    ck_assert_ptr_null(res.id_token);
    cog_device_flow_clear(&f);
}
END_TEST

static Suite *device_flow_suite(void)
{
    Suite *s = suite_create("device_flow");
    TCase *tc = tcase_create("device_flow");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_start_and_request);
    tcase_add_loop_test(tc, test_hostile_start, 0,
                        (int)(sizeof(bad_starts) / sizeof(bad_starts[0])));
    tcase_add_loop_test(tc, test_poll_answers, 0, (int)(sizeof(polls) / sizeof(polls[0])));
    tcase_add_test(tc, test_slow_down_bounded);
    tcase_add_test(tc, test_deadline_sends_nothing);
    tcase_add_test(tc, test_tokens_must_verify);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(device_flow_suite());
}
