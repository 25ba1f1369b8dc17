/* The caller's environment is not an input (docs/threat-model.md): a login
 * against the mock over real TLS with the variables libcurl and OpenSSL
 * read set before the first request, the `proxy` key through a real
 * CONNECT proxy, the umask and rlimits a caller picks, and the JWKS cache's
 * maximum age. Each test runs in its own process (Check forks), so each
 * one's first request is the one that initialises libcurl and OpenSSL. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <check.h>
#include <curl/curl.h>
#include <openssl/ssl.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static struct mock mock;
static char seed_path[PATH_MAX];

/* The user comes from a seed file: no control request (and so no libcurl
 * of the test's own) before the code under test makes its first one. */
static void mock_up(void)
{
    static const char seed[] = "{\"users\":[{\"username\":\"alice\",\"password\":\"Passw0rd!\"}]}";
    const char *tmp = getenv("TMPDIR");
    snprintf(seed_path, sizeof(seed_path), "%s/cognito-env-seed-%ld.json",
             tmp && *tmp ? tmp : "/tmp", (long)getpid());
    FILE *f = fopen(seed_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(seed, f);
    fclose(f);
    const char *const args[] = {"--seed", seed_path, NULL};
    mock_start(&mock, args, NULL);
}

static void mock_down(void)
{
    mock_stop(&mock);
    unlink(seed_path);
}

static void path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", mock.dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    chmod(path, 0644);
}

static cog_status ask_password(void *ctx, const char *prompt, char **answer)
{
    (void)ctx;
    (void)prompt;
    *answer = strdup("Passw0rd!");
    return COG_OK;
}

/* alice's login with the config file at conf. */
static cog_status login_conf(const char *conf, struct cog_error *err)
{
    struct cog_config cfg;
    struct cog_idp idp;
    struct cog_auth_result res;
    const struct cog_auth_callbacks cb = {.ask_password = ask_password};

    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, conf, err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, err), COG_OK);
    cog_status st = cog_idp_open(&idp, &cfg, err);
    if (st == COG_OK) {
        st = cog_auth_login(&idp, "alice", &cb, NULL, &res, err);
        if (st == COG_OK)
            cog_auth_result_clear(&res);
        cog_idp_close(&idp);
    }
    cog_config_free(&cfg);
    return st;
}

/* alice's login with the mock's config plus extra lines. */
static cog_status login_with(const char *extra, struct cog_error *err)
{
    char conf[PATH_MAX];
    path_in(conf, sizeof(conf), "env.conf");
    mock_write_config(&mock, conf, extra);
    return login_conf(conf, err);
}

/* A TCP port on 127.0.0.1 where nothing listens. */
static int dead_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void set_proxy_environment(void)
{
    static const char *const names[] = {"https_proxy", "HTTPS_PROXY", "http_proxy",
                                        "HTTP_PROXY",  "all_proxy",   "ALL_PROXY"};
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", dead_port());
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        setenv(names[i], url, 1);
}

static void clear_proxy_environment(void)
{
    static const char *const names[] = {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                                        "all_proxy",   "ALL_PROXY",   "no_proxy",   "NO_PROXY"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
}

/* An OpenSSL configuration that, when loaded, leaves only cipher suites
 * the mock does not offer (a NULL cipher, TLS 1.3's CCM_8): every handshake
 * with it fails, so whether it was loaded shows. */
static void write_hostile_openssl_conf(char *path, size_t len)
{
    path_in(path, len, "hostile-openssl.cnf");
    write_text(path, "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n"
                     "[sys]\nCipherString = NULL-SHA256@SECLEVEL=0\n"
                     "Ciphersuites = TLS_AES_128_CCM_8_SHA256\n");
}

/* Everything libcurl and OpenSSL would take from the environment, set
 * before the first request: the login is the same as without. */
START_TEST(test_environment_is_not_an_input)
{
    struct cog_error err = {0};
    char keylog[PATH_MAX], cnf[PATH_MAX], netrc_home[PATH_MAX], netrc[PATH_MAX + 16];

    path_in(keylog, sizeof(keylog), "keylog-env.txt");
    write_hostile_openssl_conf(cnf, sizeof(cnf));
    path_in(netrc_home, sizeof(netrc_home), "home");
    mkdir(netrc_home, 0700);
    snprintf(netrc, sizeof(netrc), "%s/.netrc", netrc_home);
    write_text(netrc, "default login x password y\n");
    set_proxy_environment();
    setenv("SSLKEYLOGFILE", keylog, 1);
    setenv("OPENSSL_CONF", cnf, 1);
    setenv("SSL_CERT_FILE", "/nonexistent/cert.pem", 1);
    setenv("SSL_CERT_DIR", "/nonexistent", 1);
    setenv("CURL_CA_BUNDLE", "/nonexistent/cert.pem", 1);
    setenv("CURL_SSL_BACKEND", "none", 1);
    setenv("CURL_HOME", netrc_home, 1);
    setenv("HOME", netrc_home, 1);

    ck_assert_msg(login_with(NULL, &err) == COG_OK, "login failed: %s", err.message);
    ck_assert_msg(access(keylog, F_OK) != 0, "SSLKEYLOGFILE was created");
    /* The caller's environment itself is as it was. */
    ck_assert_str_eq(getenv("SSLKEYLOGFILE"), keylog);
    clear_proxy_environment();
}
END_TEST

/* The control for the test above: an OpenSSL configuration loaded the way
 * the variable would load it does break the login, so the test above would
 * see it. */
START_TEST(test_hostile_openssl_conf_would_break_login)
{
    struct cog_error err = {0};
    char cnf[PATH_MAX];
    write_hostile_openssl_conf(cnf, sizeof(cnf));
    OPENSSL_INIT_SETTINGS *s = OPENSSL_INIT_new();
    ck_assert_ptr_nonnull(s);
    OPENSSL_INIT_set_config_filename(s, cnf);
    ck_assert_int_eq(OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, s), 1);
    OPENSSL_INIT_free(s);
    ck_assert_int_eq(login_with(NULL, &err), COG_ERR_UNAVAILABLE);
}
END_TEST

/* Trust anchors named by the environment count for nothing: with no
 * ca_file, the mock's CA is not trusted even when every variable names it. */
START_TEST(test_environment_trust_anchors_ignored)
{
    struct cog_error err = {0};
    char conf[PATH_MAX], ca[PATH_MAX], text[PATH_MAX + 512];

    path_in(ca, sizeof(ca), "ca.pem");
    setenv("SSL_CERT_FILE", ca, 1);
    setenv("SSL_CERT_DIR", mock.dir, 1);
    setenv("CURL_CA_BUNDLE", ca, 1);
    snprintf(text, sizeof(text),
             "region = " MOCK_REGION "\nuser_pool_id = " MOCK_POOL_ID
             "\nclient_id = " MOCK_CLIENT_ID "\nendpoint = %s\ncache_dir = %s/cache\ntimeout = 5\n",
             mock.url, mock.dir);
    path_in(conf, sizeof(conf), "no-ca.conf");
    write_text(conf, text);
    ck_assert_int_eq(login_conf(conf, &err), COG_ERR_UNAVAILABLE);
    ck_assert_msg(strstr(err.message, "certificate") != NULL || strstr(err.message, "SSL") != NULL,
                  "not a trust failure: %s", err.message);
}
END_TEST

/* libcurl initialised by the host program before us, with a key log open:
 * the file exists (that is the host's doing) but none of our secrets
 * reach it. */
START_TEST(test_host_keylog_gets_no_secret)
{
    struct cog_error err = {0};
    char keylog[PATH_MAX];
    struct stat sb;

    path_in(keylog, sizeof(keylog), "keylog-host.txt");
    setenv("SSLKEYLOGFILE", keylog, 1);
    ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
    ck_assert_msg(stat(keylog, &sb) == 0, "libcurl did not open SSLKEYLOGFILE: no control");
    ck_assert_int_eq(login_with(NULL, &err), COG_OK);
    ck_assert_int_eq(stat(keylog, &sb), 0);
    ck_assert_int_eq(sb.st_size, 0);
}
END_TEST

/* ---- the proxy key ---------------------------------------------------------------------- */

/* A CONNECT proxy in Python's standard library: logs each CONNECT target. */
static const char proxy_py[] =
    "import select, socket, socketserver, sys\n"
    "log = sys.argv[1]\n"
    "class H(socketserver.BaseRequestHandler):\n"
    "    def handle(self):\n"
    "        head = b''\n"
    "        while b'\\r\\n\\r\\n' not in head:\n"
    "            d = self.request.recv(4096)\n"
    "            if not d: return\n"
    "            head += d\n"
    "        line = head.split(b'\\r\\n')[0].decode()\n"
    "        with open(log, 'a') as f: f.write(line + '\\n')\n"
    "        verb, target = line.split()[:2]\n"
    "        if verb != 'CONNECT':\n"
    "            self.request.sendall(b'HTTP/1.1 405 No\\r\\n\\r\\n'); return\n"
    "        host, port = target.rsplit(':', 1)\n"
    "        up = socket.create_connection((host, int(port)))\n"
    "        self.request.sendall(b'HTTP/1.1 200 Connection established\\r\\n\\r\\n')\n"
    "        socks = [self.request, up]\n"
    "        while True:\n"
    "            r, _, _ = select.select(socks, [], [], 30)\n"
    "            if not r: return\n"
    "            for s in r:\n"
    "                d = s.recv(65536)\n"
    "                if not d: return\n"
    "                (up if s is self.request else self.request).sendall(d)\n"
    "class S(socketserver.ThreadingTCPServer):\n"
    "    daemon_threads = True\n"
    "    allow_reuse_address = True\n"
    "srv = S(('127.0.0.1', 0), H)\n"
    "print('READY', srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

struct proxy {
    pid_t pid;
    int port;
    char log[PATH_MAX];
};

static void proxy_start(struct proxy *p)
{
    char script[PATH_MAX], line[64];
    int pipefd[2];
    size_t got = 0;
    const char *python = getenv("PYTHON3");
    if (python == NULL || *python == '\0')
        python = "python3";
    path_in(script, sizeof(script), "connect_proxy.py");
    write_text(script, proxy_py);
    path_in(p->log, sizeof(p->log), "proxy.log");
    unlink(p->log);
    ck_assert_int_eq(pipe(pipefd), 0);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execlp(python, python, script, p->log, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    struct pollfd pf = {.fd = pipefd[0], .events = POLLIN};
    while (got + 1 < sizeof(line)) {
        ck_assert_msg(poll(&pf, 1, 20000) > 0, "proxy did not start");
        ck_assert_int_eq(read(pipefd[0], line + got, 1), 1);
        if (line[got] == '\n')
            break;
        got++;
    }
    line[got] = '\0';
    close(pipefd[0]);
    ck_assert_int_eq(sscanf(line, "READY %d", &p->port), 1);
}

static void proxy_stop(struct proxy *p)
{
    kill(p->pid, SIGTERM);
    waitpid(p->pid, NULL, 0);
}

/* `proxy` takes every request through the proxy, whatever no_proxy says;
 * a dead proxy is a dead path, not a reason to go direct. */
START_TEST(test_proxy_key_is_used)
{
    struct cog_error err = {0};
    struct proxy p;
    char extra[128], want[128];

    proxy_start(&p);
    setenv("no_proxy", "*", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    snprintf(extra, sizeof(extra), "proxy = http://127.0.0.1:%d\n", p.port);
    cog_status st = login_with(extra, &err);
    proxy_stop(&p);
    ck_assert_msg(st == COG_OK, "login through the proxy: %s", err.message);
    char *log = test_read_file(p.log, NULL);
    snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%d ", mock.port);
    ck_assert_msg(strstr(log, want) != NULL, "proxy saw: %s", log);
    free(log);

    snprintf(extra, sizeof(extra), "proxy = http://127.0.0.1:%d\n", dead_port());
    ck_assert_int_eq(login_with(extra, &err), COG_ERR_UNAVAILABLE);
}
END_TEST

START_TEST(test_proxy_key_checked)
{
    static const char *const bad[] = {
        "socks5://127.0.0.1:1080",
        "127.0.0.1:3128",
        "http://user:pw@proxy:3128",
        "http://",
        "ftp://proxy",
        "http://pro xy:1",
    };
    struct cog_config cfg;
    struct cog_error err = {0};
    cog_config_init(&cfg);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(cog_config_set(&cfg, "proxy", bad[i], "t", 1, &err) == COG_ERR_CONFIG,
                      "accepted %s", bad[i]);
    ck_assert_int_eq(cog_config_set(&cfg, "proxy", "https://proxy.example:3128/", "t", 1, &err),
                     COG_OK);
    cog_config_free(&cfg);
}
END_TEST

/* ---- what root writes, whatever the caller's umask and rlimits ---------------------------- */

/* umask 077 must not make the cache directory private (NSS reads it as
 * every user), nor umask 0 make anything writable by others. */
START_TEST(test_umask_does_not_choose_modes)
{
    struct cog_error err = {0};
    char extra[PATH_MAX + 32], dir[PATH_MAX], jwks[PATH_MAX + 64];
    struct stat sb;
    static const mode_t masks[] = {077, 0};

    for (size_t i = 0; i < 2; i++) {
        snprintf(dir, sizeof(dir), "%s/fresh-cache-%zu", mock.dir, i);
        snprintf(extra, sizeof(extra), "cache_dir = %s\n", dir);
        snprintf(jwks, sizeof(jwks), "%s/jwks-%s.json", dir, MOCK_POOL_ID);
        mode_t old = umask(masks[i]);
        cog_status st = login_with(extra, &err);
        umask(old);
        ck_assert_int_eq(st, COG_OK);
        ck_assert_int_eq(stat(dir, &sb), 0);
        ck_assert_int_eq(sb.st_mode & 07777, 0755);
        ck_assert_int_eq(stat(jwks, &sb), 0);
        ck_assert_int_eq(sb.st_mode & 07777, 0644);
    }
}
END_TEST

/* RLIMIT_FSIZE with SIGXFSZ ignored (both survive exec): a write that is
 * cut short fails, and the file it would have replaced stays whole. */
START_TEST(test_file_size_limit_never_truncates)
{
    struct cog_error err = {0};
    char path[PATH_MAX];
    static char big[8192];
    memset(big, 'x', sizeof(big));

    path_in(path, sizeof(path), "replaced.txt");
    write_text(path, "the old whole file\n");
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = 1000, .rlim_max = RLIM_INFINITY};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    ck_assert_int_eq(cog_write_file_atomic(path, big, sizeof(big), 0644, &err), COG_ERR_CONFIG);
    char *text = test_read_file(path, NULL);
    ck_assert_str_eq(text, "the old whole file\n");
    free(text);

    /* A login whose JWKS cache write is cut short still verifies its token
     * (from the fetched keys), and the cache keeps no half file. */
    char extra[PATH_MAX + 32], dir[PATH_MAX], conf[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/fsize-cache", mock.dir);
    snprintf(extra, sizeof(extra), "cache_dir = %s\n", dir);
    path_in(conf, sizeof(conf), "fsize.conf");
    rl.rlim_cur = RLIM_INFINITY;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    mock_write_config(&mock, conf, extra);
    rl.rlim_cur = 64;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    ck_assert_int_eq(login_conf(conf, &err), COG_OK);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        ck_assert_msg(e->d_name[0] == '.', "the cache holds %s", e->d_name);
    closedir(d);
}
END_TEST

/* A caller who leaves us few descriptors (RLIMIT_NOFILE and inherited
 * open files) gets a local error, never "Cognito unreachable", which may
 * open the offline login. With 1 to 3 free the old transport failed the
 * connect or the CA file and called it unreachable. */
START_TEST(test_no_descriptors_is_not_unavailable)
{
    struct cog_error err = {0};
    char conf[PATH_MAX];
    int held[64], n = 0;
    path_in(conf, sizeof(conf), "env.conf");
    mock_write_config(&mock, conf, NULL);
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = 48;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    while (n < 64 && (held[n] = open("/dev/null", O_RDONLY)) >= 0)
        n++;
    ck_assert_int_lt(n, 64);
    for (int i = 0; i < 2; i++) /* room for the config file and a little more */
        close(held[--n]);
    ck_assert_int_eq(login_conf(conf, &err), COG_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(err.message, "descriptors"));
}
END_TEST

/* The address space a caller leaves us too small for libcurl's resolver
 * thread (RLIMIT_AS; RLIMIT_STACK sizes the thread): a local error, found
 * before the first request, not "unreachable". (libcurl answers
 * "localhost" itself; a real host name would need the thread.) Not under
 * AddressSanitizer, which needs the address space. */
START_TEST(test_no_thread_is_not_unavailable)
{
#ifdef UNDER_ASAN
    return;
#endif
    struct cog_error err = {0};
    char conf[PATH_MAX], extra[128];
    long pages = 0;
    snprintf(extra, sizeof(extra), "endpoint = https://localhost:%d/\n", mock.port);
    path_in(conf, sizeof(conf), "env.conf");
    mock_write_config(&mock, conf, extra);
    FILE *f = fopen("/proc/self/statm", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%ld", &pages), 1);
    fclose(f);
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_AS, &rl), 0);
    rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + 6 * 1024 * 1024;
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
    ck_assert_int_eq(login_conf(conf, &err), COG_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(err.message, "thread"));
}
END_TEST

/* ---- JWKS maximum age ------------------------------------------------------------------ */

static void age_file(const char *path, long seconds)
{
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= seconds;
    tv[1] = tv[0];
    ck_assert_int_eq(utimes(path, tv), 0);
}

/* A cached JWKS older than jwks_max_age is fetched again, so a key the
 * pool withdrew (the mock's JWKS without the token's key) stops counting;
 * a younger one is used as it is. */
START_TEST(test_jwks_max_age)
{
    struct cog_error err = {0};
    char extra[PATH_MAX + 64], dir[PATH_MAX], jwks[PATH_MAX + 64];
    snprintf(dir, sizeof(dir), "%s/jwks-age", mock.dir);
    snprintf(jwks, sizeof(jwks), "%s/jwks-%s.json", dir, MOCK_POOL_ID);
    snprintf(extra, sizeof(extra), "cache_dir = %s\n", dir);

    ck_assert_int_eq(login_with(extra, &err), COG_OK); /* caches the keys */
    char *good = test_read_file(jwks, NULL);
    mock_fault(&mock, "{\"op\":\"jwks\",\"kind\":\"jwks_without_kid\",\"count\":-1}");

    /* Fresh: the cache answers, the withdrawn key still counts. */
    mock_reset_stats(&mock);
    ck_assert_int_eq(login_with(extra, &err), COG_OK);
    ck_assert_int_eq(mock_stat(&mock, NULL, "jwks"), 0);

    /* Older than the default day: fetched again, and the key is gone. */
    age_file(jwks, 86400 + 600);
    mock_reset_stats(&mock);
    ck_assert_int_eq(login_with(extra, &err), COG_ERR_TOKEN);
    ck_assert_int_eq(mock_stat(&mock, NULL, "jwks"), 1);

    /* jwks_max_age decides: two days allow a 25-hour-old cache. */
    snprintf(extra, sizeof(extra), "cache_dir = %s\njwks_max_age = 2d\n", dir);
    write_text(jwks, good);
    age_file(jwks, 86400 + 3600);
    mock_reset_stats(&mock);
    ck_assert_int_eq(login_with(extra, &err), COG_OK);
    ck_assert_int_eq(mock_stat(&mock, NULL, "jwks"), 0);

    /* A cache from the future is no cache. */
    write_text(jwks, good);
    age_file(jwks, -3600);
    mock_reset_stats(&mock);
    ck_assert_int_eq(login_with(extra, &err), COG_ERR_TOKEN);
    ck_assert_int_eq(mock_stat(&mock, NULL, "jwks"), 1);
    mock_control(&mock, "POST", "/_mock/faults/clear", "{}", NULL);
    free(good);
}
END_TEST

static Suite *env_suite(void)
{
    Suite *s = suite_create("env");
    TCase *tc = tcase_create("environment");
    tcase_add_unchecked_fixture(tc, mock_up, mock_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_environment_is_not_an_input);
    tcase_add_test(tc, test_hostile_openssl_conf_would_break_login);
    tcase_add_test(tc, test_environment_trust_anchors_ignored);
    tcase_add_test(tc, test_host_keylog_gets_no_secret);
    tcase_add_test(tc, test_proxy_key_is_used);
    tcase_add_test(tc, test_proxy_key_checked);
    tcase_add_test(tc, test_umask_does_not_choose_modes);
    tcase_add_test(tc, test_file_size_limit_never_truncates);
    tcase_add_test(tc, test_no_descriptors_is_not_unavailable);
    tcase_add_test(tc, test_no_thread_is_not_unavailable);
    tcase_add_test(tc, test_jwks_max_age);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(env_suite());
}
