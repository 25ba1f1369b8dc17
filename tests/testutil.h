/* What the C tests share: the mock IdP as a child process, its control API,
 * config files pointing at it, and the paths of test data. */
#ifndef COGNITO_TESTUTIL_H
#define COGNITO_TESTUTIL_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include <check.h>
#include <json-c/json.h>

struct mock {
    pid_t pid;
    int port;
    char dir[PATH_MAX / 2]; /* temp dir: ca.pem, cognito.conf, cache/ */
    char conf[PATH_MAX];    /* DIR/cognito.conf, written by mock_start */
    char url[64];           /* https://127.0.0.1:PORT/ */
};

#define MOCK_REGION "us-east-1"
#define MOCK_POOL_ID "us-east-1_MockPool1"
#define MOCK_CLIENT_ID "mockclient0123456789abcdef"

/* Appends printf output to the NUL-terminated text in buf (cap bytes),
 * cutting it short when full. */
void test_appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Runs a suite and frees it; the exit status for main(). */
int test_main(Suite *s);
/* A slow test (the fault matrix, hostile inputs, the load): exits 77 (SKIP)
 * when COGNITO_SKIP_SLOW_TESTS is set, as tests/lib.sh's slow_test does. */
void test_skip_if_slow(const char *name);

/* $top_srcdir (or "."), where tests/ and its data live. */
const char *test_srcdir(void);
/* Reads a whole file into a NUL-terminated malloc'd buffer (aborts the test on failure). */
char *test_read_file(const char *path, size_t *len);

/* Starts tests/mock/mock_idp.py in a fresh temp dir with extra CLI args
 * (NULL-terminated, may be NULL) and writes DIR/cognito.conf for it with
 * extra_conf lines appended (may be NULL). Aborts the test on failure. */
void mock_start(struct mock *m, const char *const *args, const char *extra_conf);
void mock_stop(struct mock *m);
/* Writes a config file for the mock at path (mode 0644) with extra lines. */
void mock_write_config(const struct mock *m, const char *path, const char *extra_conf);

/* Calls the control API; returns the HTTP status, *body (if not NULL) the answer. */
long mock_control(const struct mock *m, const char *method, const char *path, const char *json_body,
                  char **body);
/* POST /_mock/users with a USER JSON object; aborts the test unless 200. */
void mock_add_user(const struct mock *m, const char *user_json);
/* GET path of the control API as JSON (caller puts it); aborts unless 200. */
struct json_object *mock_get_json(const struct mock *m, const char *path);
/* Counters from /_mock/stats (op NULL: all requests). */
long mock_stat(const struct mock *m, const char *key, const char *op);
void mock_reset_stats(const struct mock *m);
/* POST /_mock/faults with a fault JSON object. */
void mock_fault(const struct mock *m, const char *fault_json);

#endif
