/* The RFC 8628 device login (issue 17) through the real Linux-PAM library
 * (pam_wrapper + libpamtest) against the mock's device endpoint
 * (tests/mock/mockidp/device.py): the words shown, the polling, every way
 * it ends, and the threat model (another user's token, local and
 * privileged names, which never reach the endpoint). */
#include "build-config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <qrencode.h>

#include "libcognito/signin/qr.h"
#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

static struct mock mock;
/* A port that accepts TCP connections and never answers (write_services). */
static int silent_port;

#define CODE "BCDF-GHJK"
#define EXPIRED "The sign-in code has expired."

static char open_text[256], scan_text[256], complete_uri[200];

/* The mock's config: a fixed code, no interval, and what happens by itself
 * at the Nth poll (device.py "auto"). */
static const char *auto_config(const char *action, const char *user, int after)
{
    static char json[256];
    snprintf(json, sizeof(json),
             "{\"interval\":0,\"user_code\":\"" CODE "\",\"auto\":{\"action\":\"%s\","
             "\"username\":\"%s\",\"after_polls\":%d}}",
             action, user, after);
    return json;
}

#define ALICE                                                                                      \
    "{\"username\":\"alice\",\"sub\":\"a11ce000-0000-4000-8000-00000000a11c\","                    \
    "\"password\":\"Passw0rd!\",\"attributes\":{\"email\":\"alice@example.com\"}}"
#define BOB                                                                                        \
    "{\"username\":\"bob\",\"sub\":\"b0b00000-0000-4000-8000-000000000b0b\","                      \
    "\"password\":\"Passw0rd!\"}"
/* A Google user as Cognito keeps one: no password, an identities claim. */
#define GINA                                                                                       \
    "{\"username\":\"google_1234567890\",\"sub\":\"6a6a0000-0000-4000-8000-0000000006a6\","        \
    "\"password\":\"Unusable-0-password\",\"attributes\":{\"preferred_username\":\"gina\","        \
    "\"identities\":\"[{\\\"providerName\\\":\\\"Google\\\",\\\"userId\\\":\\\"1234567890\\\"}]"   \
    "\"}}"

static void mock_up(void)
{
    char extra[512];
    mock_start(&mock, NULL, NULL);
    snprintf(extra, sizeof(extra),
             "device_endpoint = %sdevice\nhosted_ui_url = %sdevice\nidentity_endpoint = %s\n"
             "local_passwd_file = "
             "%s/local_passwd\n"
             "local_group_file = %s/local_group\n",
             mock.url, mock.url, mock.url, ph_dir(), ph_dir());
    mock_write_config(&mock, ph_path("cognito.conf"), extra);
    /* https://127.0.0.1:PORT/ -> the host the mock names in its links. */
    char host[64];
    snprintf(host, sizeof(host), "%s", mock.url + strlen("https://"));
    host[strcspn(host, "/")] = '\0';
    snprintf(complete_uri, sizeof(complete_uri), "https://%s/device?user_code=" CODE, host);
    snprintf(open_text, sizeof(open_text),
             "To sign in, open https://%s/device and enter the code " CODE ".", host);
    snprintf(scan_text, sizeof(scan_text), "Or scan this QR code, or open %s:", complete_uri);
}

static void mock_down(void)
{
    mock_stop(&mock);
}

static void control(const char *path, const char *json)
{
    char *body = NULL;
    long st = mock_control(&mock, "POST", path, json, &body);
    ck_assert_msg(st == 200, "%s refused: %s", path, body ? body : "");
    free(body);
}

/* A clean pool with alice, bob and gina's Google account, and the device
 * endpoint answering as config says (a fixed user code). */
static void fresh(const char *config)
{
    char cache[3 * PATH_MAX];
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    mock_add_user(&mock, ALICE);
    mock_add_user(&mock, BOB);
    mock_add_user(&mock, GINA);
    control("/_mock/device/reset", "{}");
    control("/_mock/device/config", config);
    snprintf(cache, sizeof(cache), "rm -rf %s/cache/logins* %s/cache/nss* %s/state/*", mock.dir,
             mock.dir, ph_dir());
    ck_assert_int_eq(system(cache), 0);
}

/* How many requests to path the device endpoint saw; the times of the
 * first max of them go to times. */
static size_t requests_to(const char *path, double *times, size_t max)
{
    struct json_object *log = mock_get_json(&mock, "/_mock/device/log");
    struct json_object *reqs = json_object_object_get(log, "requests");
    size_t n = 0;
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *r = json_object_array_get_idx(reqs, i);
        if (strcmp(json_object_get_string(json_object_object_get(r, "path")), path) != 0)
            continue;
        if (n < max)
            times[n] = json_object_get_double(json_object_object_get(r, "t"));
        n++;
    }
    json_object_put(log);
    return n;
}

/* -- the conversation ------------------------------------------------------------------ */

/* How a device login's conversation goes; {0}: nothing is said at all. */
struct conv {
    const char *fallback; /* device_login = fallback: the password prompt first, answered
                           * with this ("" starts the device login), or NULL: none */
    int polls;            /* Enters typed, "not finished yet" between them */
    const char *refusal;  /* the error that ends it, or NULL */
};

static void turn(struct ph_turn *t, size_t *n, size_t cap, int style, const char *text,
                 const char *answer, enum ph_match match)
{
    ck_assert_uint_lt(*n, cap);
    t[(*n)++] = (struct ph_turn){style, text, PH_TEXT, answer, match};
}

/* The turns of c into t (cap of them); how many. */
static size_t conv_turns(struct conv c, struct ph_turn *t, size_t cap)
{
    size_t n = 0;
    if (c.fallback != NULL) {
        turn(t, &n, cap, PAM_TEXT_INFO,
             "No password? Leave it empty to sign in with a code on another device.", NULL,
             PH_EXACT);
        turn(t, &n, cap, PAM_PROMPT_ECHO_OFF, "Password: ", c.fallback, PH_EXACT);
    }
    if (c.polls > 0) {
        /* What every device login shows first. */
        turn(t, &n, cap, PAM_TEXT_INFO, open_text, NULL, PH_EXACT);
        turn(t, &n, cap, PAM_TEXT_INFO, scan_text, NULL, PH_EXACT);
        turn(t, &n, cap, PAM_TEXT_INFO, NULL, NULL, PH_QR);
    }
    for (int i = 0; i < c.polls; i++) {
        if (i > 0)
            turn(t, &n, cap, PAM_TEXT_INFO, "The sign-in is not finished yet.", NULL, PH_EXACT);
        turn(t, &n, cap, PAM_PROMPT_ECHO_ON, "Press Enter after signing in: ", "", PH_EXACT);
    }
    if (c.refusal != NULL)
        turn(t, &n, cap, PAM_ERROR_MSG, c.refusal, NULL, PH_EXACT);
    return n;
}

/* Runs cases for user as service with the conversation c; the QR code
 * drawn, if any, is the one of the link shown. */
static void device_login(const char *service, const char *user, struct conv c,
                         struct pam_testcase *cases, size_t n_cases)
{
    struct ph_turn t[16];
    struct ph_script s = {.turns = t, .n = conv_turns(c, t, 16), .mock = &mock, .user = user};
    ph_run(service, user, &s, cases, n_cases);
    if (c.polls > 0) {
        /* pc_conv_say splits at line ends; the harness joins them again. */
        char *want = NULL;
        struct cog_error err = {0};
        ck_assert_ptr_nonnull(s.qr);
        ck_assert_int_eq(cog_qr_text(complete_uri, &want, &err), COG_OK);
        ck_assert_str_eq(s.qr, want);
        free(want);
    }
    ph_script_clear(&s);
}

/* The same for the authentication alone. */
static void device_auth(const char *service, const char *user, struct conv c, int expected)
{
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, expected)};
    device_login(service, user, c, cases, 1);
}

/* -- the ways a device login ends ----------------------------------------------------- */

START_TEST(test_approved)
{
    fresh(auto_config("approve", "alice", 1));
    /* The account phase finds the login this transaction made: the
     * password login's aftermath ran. */
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    device_login("dev", "alice", (struct conv){.polls = 1}, cases, 2);
    ck_assert_uint_eq(requests_to("/device/device_authorization", NULL, 0), 1);
    ck_assert_uint_eq(requests_to("/device/token", NULL, 0), 1);
}
END_TEST

START_TEST(test_pending_then_approved)
{
    fresh(auto_config("approve", "alice", 3));
    device_auth("dev", "alice", (struct conv){.polls = 3}, PAM_SUCCESS);
    ck_assert_uint_eq(requests_to("/device/token", NULL, 0), 3);
}
END_TEST

START_TEST(test_denied)
{
    fresh(auto_config("deny", "", 1));
    device_auth("dev", "alice", (struct conv){.polls = 1, .refusal = "The sign-in was declined."},
                PAM_AUTH_ERR);
}
END_TEST

START_TEST(test_expired)
{
    fresh(auto_config("expire", "", 2));
    device_auth("dev", "alice", (struct conv){.polls = 2, .refusal = EXPIRED}, PAM_AUTH_ERR);
}
END_TEST

/* device_timeout ends the login even while the server says "pending". */
START_TEST(test_deadline)
{
    fresh("{\"interval\":1,\"user_code\":\"" CODE "\"}");
    long long t0 = cog_now_ms();
    device_auth("dev_2s", "alice", (struct conv){.polls = 3, .refusal = EXPIRED}, PAM_AUTH_ERR);
    long long took = cog_now_ms() - t0;
    ck_assert_msg(took < 3500, "the 2 s device login took %lld ms", took);
}
END_TEST

/* A poll sooner than the server allows earns slow_down: every later poll
 * waits five seconds more (RFC 8628 3.5). */
START_TEST(test_slow_down)
{
    fresh("{\"interval\":0,\"enforce_interval\":2,\"user_code\":\"" CODE "\","
          "\"auto\":{\"action\":\"approve\",\"username\":\"alice\",\"after_polls\":3}}");
    device_auth("dev", "alice", (struct conv){.polls = 3}, PAM_SUCCESS);
    double times[4];
    ck_assert_uint_eq(requests_to("/device/token", times, 4), 3);
    /* The second poll came at once and was told to slow down; the third
     * waited the five seconds. */
    ck_assert_msg(times[1] - times[0] < 2.0, "second poll after %.2f s", times[1] - times[0]);
    ck_assert_msg(times[2] - times[1] >= 4.9, "third poll after %.2f s", times[2] - times[1]);
}
END_TEST

/* Nothing listens: PAM_AUTHINFO_UNAVAIL at once, and nothing shown. */
START_TEST(test_unreachable)
{
    fresh("{}");
    device_auth("dev_down", "alice", (struct conv){0}, PAM_AUTHINFO_UNAVAIL);
}
END_TEST

/* A server that takes the connection and never answers: the deadline
 * (device_timeout = 2s), not the longer timeout, ends the wait. */
START_TEST(test_silent_endpoint)
{
    fresh("{}");
    long long t0 = cog_now_ms();
    device_auth("dev_silent", "alice", (struct conv){0}, PAM_AUTHINFO_UNAVAIL);
    long long took = cog_now_ms() - t0;
    ck_assert_msg(took >= 1500 && took < 4000, "the silent endpoint held the login %lld ms", took);
}
END_TEST

/* The session's end revokes the device login's refresh token at the hosted
 * UI (hosted_ui_url), as a password login's is revoked with RevokeToken. */
START_TEST(test_session_revoked)
{
    fresh(auto_config("approve", "alice", 1));
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
    };
    struct json_object *before = mock_get_json(&mock, "/_mock/tokens");
    int issued = json_object_get_int(json_object_object_get(before, "issued"));
    json_object_put(before);
    device_login("dev_session", "alice", (struct conv){.polls = 1}, cases, 3);
    struct json_object *after = mock_get_json(&mock, "/_mock/tokens");
    ck_assert_int_eq(json_object_get_int(json_object_object_get(after, "issued")), issued + 1);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(after, "revoked")), 1);
    json_object_put(after);
    ck_assert_uint_eq(requests_to("/device/oauth2/revoke", NULL, 0), 1);
}
END_TEST

/* Tokens that ran out before the session opens are refreshed at the hosted
 * UI's token endpoint, and the session gets AWS credentials with them. */
START_TEST(test_session_refreshed)
{
    fresh(auto_config("approve", "alice", 1));
    char *body = NULL;
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", "{\"token_ttl\":30}", &body), 200);
    free(body);
    struct json_object *ids = mock_get_json(&mock, "/_mock/identity");
    size_t issued = json_object_array_length(json_object_object_get(ids, "issued"));
    json_object_put(ids);
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
    };
    device_login("dev_aws", "alice", (struct conv){.polls = 1}, cases, 2);
    ck_assert_uint_eq(requests_to("/device/oauth2/token", NULL, 0), 1);
    ids = mock_get_json(&mock, "/_mock/identity");
    ck_assert_uint_eq(json_object_array_length(json_object_object_get(ids, "issued")), issued + 1);
    json_object_put(ids);
}
END_TEST

/* -- the threat model ------------------------------------------------------------------ */

/* bob signs in on the phone while the host asked for alice. */
START_TEST(test_token_of_another_user)
{
    fresh(auto_config("approve", "bob", 1));
    device_auth("dev", "alice", (struct conv){.polls = 1}, PAM_AUTH_ERR);
}
END_TEST

/* Local names win and privileged names are nobody's: refused before any
 * request, so the endpoint never hears of them. */
static const char *const not_pool_names[] = {"lee", "root", "admin", "sudo"};

START_TEST(test_local_name_never_asked)
{
    fresh(auto_config("approve", "alice", 1));
    device_auth("dev", not_pool_names[_i], (struct conv){0}, PAM_USER_UNKNOWN);
    ck_assert_uint_eq(requests_to("/device/device_authorization", NULL, 0), 0);
    ck_assert_uint_eq(requests_to("/device/token", NULL, 0), 0);
}
END_TEST

/* A Google user's cognito:username is google_<id>: username_attribute
 * names the Unix user. */
START_TEST(test_federated_user)
{
    fresh(auto_config("approve", "google_1234567890", 1));
    device_auth("dev_fed", "gina", (struct conv){.polls = 1}, PAM_SUCCESS);
    /* Without the mapping, google_1234567890 is not gina. */
    device_auth("dev", "gina", (struct conv){.polls = 1}, PAM_AUTH_ERR);
}
END_TEST

/* device_login = fallback: the password prompt says how, and an empty
 * answer starts the device login; a password still works as before. */
START_TEST(test_fallback)
{
    fresh(auto_config("approve", "alice", 1));
    device_auth("dev_fallback", "alice", (struct conv){.fallback = "", .polls = 1}, PAM_SUCCESS);
    device_auth("dev_fallback", "alice", (struct conv){.fallback = "Passw0rd!"}, PAM_SUCCESS);
    ck_assert_uint_eq(requests_to("/device/device_authorization", NULL, 0), 1);
}
END_TEST

/* A TCP port that completes handshakes (the backlog) and never answers. */
static int silent_listener(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("silent listener");
        exit(1);
    }
    return ntohs(a.sin_port);
}

static void write_services(void)
{
    char text[512];
    FILE *f = fopen(ph_path("local_passwd"), "w");
    if (f == NULL ||
        fputs("root:x:0:0:root:/root:/bin/sh\nlee:x:1500:1500:Lee:/home/lee:/bin/sh\n", f) < 0 ||
        fclose(f) != 0)
        exit(1);
    f = fopen(ph_path("local_group"), "w");
    if (f == NULL || fputs("root:x:0:\nlee:x:1500:\n", f) < 0 || fclose(f) != 0)
        exit(1);
#define ACCT "account required @MODULE@ @ARGS@\n"
    ph_service("dev", "auth required @MODULE@ @ARGS@ auth_flow=device\n" ACCT);
    ph_service("dev_session", "auth required @MODULE@ @ARGS@ auth_flow=device\n"
                              "session required @MODULE@ @ARGS@\n");
    ph_service("dev_aws", "auth required @MODULE@ @ARGS@ auth_flow=device\n"
                          "session required @MODULE@ @ARGS@ identity_pool_id="
                          "us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\n");
    ph_service("dev_2s", "auth required @MODULE@ @ARGS@ auth_flow=device device_timeout=2\n");
    ph_service("dev_fed", "auth required @MODULE@ @ARGS@ auth_flow=device "
                          "username_attribute=preferred_username\n");
    ph_service("dev_fallback", "auth required @MODULE@ @ARGS@ device_login=fallback\n");
    ph_service("dev_down", "auth required @MODULE@ @ARGS@ auth_flow=device timeout=2 "
                           "device_endpoint=https://127.0.0.1:1/device\n");
    silent_port = silent_listener();
    snprintf(text, sizeof(text),
             "auth required @MODULE@ @ARGS@ auth_flow=device timeout=30 device_timeout=2 "
             "device_endpoint=https://127.0.0.1:%d/device\n",
             silent_port);
    ph_service("dev_silent", text);
}

static Suite *device_suite(void)
{
    Suite *s = suite_create("device");
    TCase *tc = tcase_create("device");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_approved);
    tcase_add_test(tc, test_pending_then_approved);
    tcase_add_test(tc, test_denied);
    tcase_add_test(tc, test_expired);
    tcase_add_test(tc, test_deadline);
    tcase_add_test(tc, test_slow_down);
    tcase_add_test(tc, test_unreachable);
    tcase_add_test(tc, test_silent_endpoint);
    tcase_add_test(tc, test_token_of_another_user);
    tcase_add_test(tc, test_session_revoked);
    tcase_add_test(tc, test_session_refreshed);
    tcase_add_loop_test(tc, test_local_name_never_asked, 0,
                        (int)(sizeof(not_pool_names) / sizeof(not_pool_names[0])));
    tcase_add_test(tc, test_federated_user);
    tcase_add_test(tc, test_fallback);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    return test_main(device_suite());
}
