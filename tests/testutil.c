#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "tests/testutil.h"

void test_skip_if_slow(const char *name)
{
    if (getenv("COGNITO_SKIP_SLOW_TESTS") == NULL)
        return;
    printf("SKIP: %s is a slow test; COGNITO_SKIP_SLOW_TESTS is set (this tree's "
           "scripts/test.sh ran it)\n",
           name);
    exit(77);
}

int test_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void test_appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    if (len + 1 < cap)
        vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

const char *test_srcdir(void)
{
    const char *d = getenv("top_srcdir");
    return d && *d ? d : ".";
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* True when extra sets key itself (a line "key =" or "key="). */
static bool extra_sets(const char *extra, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = extra; line != NULL && *line != '\0';) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, key, n) == 0 && (line[n] == ' ' || line[n] == '='))
            return true;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return false;
}

void mock_write_config(const struct mock *m, const char *path, const char *extra_conf)
{
    char value[PATH_MAX];
    const char *extra = extra_conf ? extra_conf : "";
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    /* Defaults first; a key the test sets itself replaces its default. */
    const struct {
        const char *key;
        const char *fmt;
    } defaults[] = {
        {"region", MOCK_REGION}, {"user_pool_id", MOCK_POOL_ID}, {"client_id", MOCK_CLIENT_ID},
        {"endpoint", "%s"},      {"ca_file", "%s/ca.pem"},       {"cache_dir", "%s/cache"},
        {"timeout", "5"},
    };
    fprintf(f, "# written by the test harness\n");
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (extra_sets(extra, defaults[i].key))
            continue;
        const char *arg = strcmp(defaults[i].key, "endpoint") == 0 ? m->url : m->dir;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(value, sizeof(value), defaults[i].fmt, arg);
#pragma GCC diagnostic pop
        fprintf(f, "%s = %s\n", defaults[i].key, value);
    }
    fputs(extra, f);
    fclose(f);
    chmod(path, 0644);
}

void mock_start(struct mock *m, const char *const *args, const char *extra_conf)
{
    int pipefd[2];
    char script[PATH_MAX];
    const char *python = getenv("PYTHON3");
    const char *tmp = getenv("TMPDIR");

    memset(m, 0, sizeof(*m));
    snprintf(m->dir, sizeof(m->dir), "%s/cognito-mock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(m->dir));
    snprintf(script, sizeof(script), "%s/tests/mock/mock_idp.py", test_srcdir());
    if (python == NULL || *python == '\0')
        python = "python3";
    ck_assert_int_eq(pipe(pipefd), 0);

    const char *argv[32];
    int n = 0;
    argv[n++] = python;
    argv[n++] = script;
    argv[n++] = "--dir";
    argv[n++] = m->dir;
    argv[n++] = "--region";
    argv[n++] = MOCK_REGION;
    argv[n++] = "--pool-id";
    argv[n++] = MOCK_POOL_ID;
    argv[n++] = "--client-id";
    argv[n++] = MOCK_CLIENT_ID;
    for (int i = 0; args != NULL && args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    m->pid = fork();
    ck_assert_int_ge(m->pid, 0);
    if (m->pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp(python, (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);

    /* Wait for "READY <port>"; the first start makes an RSA key and a CA. */
    char line[128];
    size_t got = 0;
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    while (got + 1 < sizeof(line)) {
        int r = poll(&p, 1, 60000);
        ck_assert_msg(r > 0, "mock IdP did not start within 60 s");
        ssize_t k = read(pipefd[0], line + got, 1);
        ck_assert_msg(k == 1, "mock IdP exited before it was ready");
        if (line[got] == '\n')
            break;
        got++;
    }
    line[got] = '\0';
    close(pipefd[0]);
    ck_assert_msg(sscanf(line, "READY %d", &m->port) == 1, "mock said '%s'", line);
    snprintf(m->url, sizeof(m->url), "https://127.0.0.1:%d/", m->port);
    snprintf(m->conf, sizeof(m->conf), "%s/cognito.conf", m->dir);
    char cache[PATH_MAX + 8];
    snprintf(cache, sizeof(cache), "%s/cache", m->dir);
    mkdir(cache, 0755);
    mock_write_config(m, m->conf, extra_conf);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void mock_stop(struct mock *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGTERM);
        waitpid(m->pid, NULL, 0);
        m->pid = 0;
    }
    if (m->dir[0] != '\0' && getenv("COGNITO_KEEP_TMP") == NULL)
        nftw(m->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct buf {
    char *data;
    size_t len;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
    struct buf *b = userp;
    size_t n = size * nmemb;
    char *nd = realloc(b->data, b->len + n + 1);
    if (nd == NULL)
        return 0;
    memcpy(nd + b->len, data, n);
    b->data = nd;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

long mock_control(const struct mock *m, const char *method, const char *path, const char *json_body,
                  char **body)
{
    char url[256], ca[PATH_MAX + 8];
    struct buf b = {0};
    long status = 0;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

    ck_assert_ptr_nonnull(c);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", m->port, path);
    snprintf(ca, sizeof(ca), "%s/ca.pem", m->dir);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (json_body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "control %s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (body)
        *body = b.data ? b.data : strdup("");
    else
        free(b.data);
    return status;
}

void mock_add_user(const struct mock *m, const char *user_json)
{
    char *body = NULL;
    long st = mock_control(m, "POST", "/_mock/users", user_json, &body);
    ck_assert_msg(st == 200, "adding user failed: %ld %s", st, body);
    free(body);
}

struct json_object *mock_get_json(const struct mock *m, const char *path)
{
    char *body = NULL;
    ck_assert_int_eq(mock_control(m, "GET", path, NULL, &body), 200);
    struct json_object *o = json_tokener_parse(body);
    ck_assert_msg(o != NULL, "GET %s: not JSON: %s", path, body);
    free(body);
    return o;
}

long mock_stat(const struct mock *m, const char *key, const char *op)
{
    long v = -1;
    struct json_object *o = mock_get_json(m, "/_mock/stats"), *x;
    if (op != NULL) {
        struct json_object *ops;
        if (json_object_object_get_ex(o, "ops", &ops) && json_object_object_get_ex(ops, op, &x))
            v = json_object_get_int64(x);
        else
            v = 0;
    } else if (json_object_object_get_ex(o, key, &x)) {
        v = json_object_get_int64(x);
    }
    json_object_put(o);
    return v;
}

void mock_reset_stats(const struct mock *m)
{
    ck_assert_int_eq(mock_control(m, "POST", "/_mock/stats/reset", "{}", NULL), 200);
}

void mock_fault(const struct mock *m, const char *fault_json)
{
    char *body = NULL;
    long st = mock_control(m, "POST", "/_mock/faults", fault_json, &body);
    ck_assert_msg(st == 200, "setting fault failed: %ld %s", st, body);
    free(body);
}
