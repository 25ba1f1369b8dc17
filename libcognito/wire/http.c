#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "libcognito/wire/http.h"
#include "libcognito/core/util.h"

/*
 * The caller's environment is not an input (docs/threat-model.md).
 *
 * pam_cognito runs inside setuid su, sudo and passwd, whose environment the
 * unprivileged caller writes. libcurl and OpenSSL read environment
 * variables behind our back, at two different times:
 *
 *  - once, in global initialisation: libcurl 7.88's ossl_init opens
 *    SSLKEYLOGFILE for appending (root would create any file, mode 0666 &
 *    ~umask, and write every TLS secret to it), and OPENSSL_init_ssl loads
 *    the OpenSSL configuration that OPENSSL_CONF names (engines, providers,
 *    protocol and trust settings). OpenSSL reads its variables with
 *    secure_getenv, libcurl with plain getenv; root processes that are not
 *    setuid (a daemon started with a user's environment) get neither guard.
 *  - per transfer: the proxy variables (<scheme>_proxy, HTTPS_PROXY,
 *    all_proxy, ALL_PROXY, no_proxy, NO_PROXY) are read by every connect
 *    unless CURLOPT_PROXY and CURLOPT_NOPROXY are set; HOME for .netrc when
 *    CURLOPT_NETRC asks for it; SSL_CERT_FILE/SSL_CERT_DIR when OpenSSL's
 *    default verify paths are used instead of an explicit CA file.
 *
 * The per-transfer reads are switched off by setting each of those options
 * on every handle from the root-owned configuration (cog_http_new below):
 * libcurl consults the variable only when the option is unset. The global
 * ones cannot be switched off by an option, and unsetting the variables
 * would change the environment su hands to the user's shell and race any
 * other thread reading it. So the one-time initialisation runs with
 * `environ` pointing at an empty array: a single pointer store before and
 * one after, with the caller's array untouched, so a concurrent getenv in
 * another thread sees either the whole environment or an empty one, never
 * a torn one. Within the window only libcurl and OpenSSL initialise; they
 * call no setenv. setuid programs are single-threaded when PAM first
 * authenticates, which is when this runs there.
 *
 * If the host program initialised libcurl before us with a key log open,
 * libcurl's global state is not ours to fix; the SSL_CTX callback below
 * still removes the key-log callback from every context of our handles,
 * so no secret of ours reaches that file.
 */
extern char **environ;
static char *clean_environment[] = {NULL};

struct cog_http {
    CURL *curl;
    long timeout_ms;
    long connect_timeout_ms;
    size_t max_body;
    long long deadline_ms; /* monotonic; 0 before the first step */
    unsigned requests;
    unsigned connections;
    const atomic_bool *stop; /* cog_http_set_stop */
    /* Freeze detection (see FROZEN_GAP_MS): the monotonic time of the last
     * sign of life of this handle's transfer, and the longest silence. */
    long long tick_ms;
    long long max_gap_ms;
    bool frozen; /* a transfer of this handle sat out a stop: for the handle's life */
    char errbuf[CURL_ERROR_SIZE];
};

/*
 * A user can stop (SIGSTOP, Ctrl-Z through a pty) their own setuid su
 * while it waits for Cognito. When it continues, the transfer has run out
 * of time, and a timeout is what a dead network looks like: it would
 * count as "unreachable" and open the offline login with an old password
 * (docs/threat-model.md, "Offline login"). libcurl calls the progress
 * callback at least about once a second while a transfer is idle (1.0 s
 * measured while a TLS handshake stalls), so a silence several times that
 * long means this process was not running: the time ran out here, not on
 * the network. Such a failure stays COG_ERR_UNAVAILABLE (the login fails
 * closed) but is never "unreachable", and neither is any later failure on
 * the same handle (one login): the early InitiateAuth's thread shares it,
 * and a stop during that request spends the time of the retry after Enter. A machine so overloaded
 * that a runnable process waits this long is treated the same: no offline login, which fails closed
 * too.
 */
#define FROZEN_GAP_MS 3000

struct body_sink {
    char *buf;
    size_t len;
    size_t cap;
    size_t max;
    bool too_large;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    char **caller = __atomic_load_n(&environ, __ATOMIC_SEQ_CST);
    __atomic_store_n(&environ, clean_environment, __ATOMIC_SEQ_CST);
    /* OpenSSL first, so its configuration is the system's file, then
     * libcurl (which finds OpenSSL initialised and no SSLKEYLOGFILE). */
    if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) == 1)
        curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
    __atomic_store_n(&environ, caller, __ATOMIC_SEQ_CST);
}

/* Every TLS context of our handles: no key log, whoever opened one. */
static CURLcode ssl_ctx_setup(CURL *curl, void *ssl_ctx, void *userp)
{
    (void)curl;
    (void)userp;
    SSL_CTX_set_keylog_callback(ssl_ctx, NULL);
    return CURLE_OK;
}

/* A caller who starves us (RLIMIT_NOFILE or inherited open files,
 * RLIMIT_AS, RLIMIT_STACK) must not turn a login into "Cognito
 * unreachable", which may open the offline login: a local shortage is a
 * local error, found before the first request. A connection needs a
 * socket, the resolver a few more, OpenSSL a file or two; and libcurl
 * resolves a host name in a thread of default attributes, whose stack size
 * comes from the caller's RLIMIT_STACK and must fit in its RLIMIT_AS
 * (setuid root is exempt from RLIMIT_NPROC, not from those). */
#define HTTP_FDS_NEEDED 16

static void *thread_noop(void *arg)
{
    return arg;
}

static bool thread_available(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, thread_noop, NULL) != 0)
        return false;
    pthread_join(t, NULL);
    return true;
}

static bool descriptors_available(void)
{
    int fds[HTTP_FDS_NEEDED];
    int n = 0;
    bool ok = true;
    for (; n < HTTP_FDS_NEEDED; n++) {
        fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fds[n] < 0) {
            ok = errno != EMFILE && errno != ENFILE;
            break;
        }
    }
    while (n-- > 0)
        close(fds[n]);
    return ok;
}

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct body_sink *s = userp;
    size_t n = size * nmemb;
    if (n > s->max - s->len) {
        s->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (cap > s->max + 1)
            cap = s->max + 1;
        char *nb = malloc(cap);
        if (nb == NULL)
            return 0;
        if (s->buf != NULL) {
            memcpy(nb, s->buf, s->len);
            /* the old buffer may hold part of a token */
            cog_wipe(s->buf, s->cap);
            free(s->buf);
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

/* Copies the value of header line data (n bytes) into out when its name is
 * name (lowercase, with the ':'), trimmed and cut to cap - 1 bytes. */
static void header_value(const char *data, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(data, name, nl) != 0)
        return;
    const char *v = data + nl;
    size_t vl = n - nl;
    while (vl > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= cap)
        vl = cap - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t header_seen(char *data, size_t size, size_t nmemb, void *userp)
{
    struct cog_http_response *resp = userp;
    size_t n = size * nmemb;
    header_value(data, n, "x-amzn-errortype:", resp->error_type, sizeof(resp->error_type));
    header_value(data, n, "etag:", resp->etag, sizeof(resp->etag));
    return n;
}

static int stop_asked(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    struct cog_http *http = userp;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    long long now = cog_now_ms();
    if (now - http->tick_ms > http->max_gap_ms)
        http->max_gap_ms = now - http->tick_ms;
    http->tick_ms = now;
    return http->stop != NULL && atomic_load(http->stop);
}

/* The CA file and directory libcurl was built with (compile-time values,
 * never taken from CURL_CA_BUNDLE or SSL_CERT_*), set explicitly below. */
static const char *builtin_ca(CURL *curl, CURLINFO what)
{
    char *v = NULL;
    if (curl_easy_getinfo(curl, what, &v) != CURLE_OK)
        return NULL;
    return v;
}

struct cog_http *cog_http_new(const struct cog_http_opts *opts, struct cog_error *err)
{
    struct cog_http *http = NULL;
    CURL *curl = NULL;
    char *ca_path = NULL, *ca_info = NULL;

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        cog_error_set(err, COG_ERR_INTERNAL, NULL, "libcurl failed to initialise");
        goto fail;
    }
    if (!descriptors_available()) {
        cog_error_set(err, COG_ERR_INTERNAL, NULL,
                      "too few free file descriptors for a request (RLIMIT_NOFILE)");
        goto fail;
    }
    if (!thread_available()) {
        cog_error_set(err, COG_ERR_INTERNAL, NULL,
                      "cannot start the resolver's thread (RLIMIT_AS, RLIMIT_STACK)");
        goto fail;
    }
    http = calloc(1, sizeof(*http));
    curl = curl_easy_init();
    if (http == NULL || curl == NULL) {
        cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto fail;
    }
    http->curl = curl;
    http->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 10000;
    http->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                               : http->timeout_ms < 5000    ? http->timeout_ms
                                                            : 5000;
    http->max_body = opts->max_body ? opts->max_body : COG_HTTP_MAX_BODY_DEFAULT;
    ca_path = cog_strdup(builtin_ca(curl, CURLINFO_CAPATH));
    ca_info = cog_strdup(opts->ca_file ? opts->ca_file : builtin_ca(curl, CURLINFO_CAINFO));

    /* Settings that hold for every request of this handle. TLS verification is
     * never turned off; ca_file replaces the bundle file, the system's CA
     * directory stays. Every option whose default consults the environment
     * is set here: the proxy (an empty string is "none", and an explicit
     * NOPROXY keeps no_proxy from being read), .netrc, the trust anchors. */
    const char *proxy = opts->proxy ? opts->proxy : "";
    bool ok =
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, opts->allow_http ? "http,https" : "https") ==
            CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROXY, proxy) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "") == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PRE_PROXY, "") == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROXY_SSL_VERIFYPEER, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROXY_SSL_VERIFYHOST, 2L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca_info) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_CAPATH, ca_path) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROXY_CAINFO, ca_info) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROXY_CAPATH, ca_path) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_setup) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "pam_cognito/" PACKAGE_VERSION) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, http->errbuf) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)http->max_body) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_seen) == CURLE_OK &&
        /* One connection, resumed TLS sessions, for every request of a login. */
        curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, stop_asked) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, http) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    if (!ok) {
        cog_error_set(err, COG_ERR_INTERNAL, NULL, "libcurl lacks a required option");
        goto fail;
    }
    free(ca_path);
    free(ca_info);
    return http;
fail:
    if (curl != NULL)
        curl_easy_cleanup(curl);
    free(http);
    free(ca_path);
    free(ca_info);
    return NULL;
}

void cog_http_free(struct cog_http *http)
{
    if (http == NULL)
        return;
    curl_easy_cleanup(http->curl);
    free(http);
}

void cog_http_begin_step(struct cog_http *http)
{
    cog_http_begin_step_at(http, cog_now_ms());
}

void cog_http_begin_step_at(struct cog_http *http, long long start_ms)
{
    if (http == NULL) /* a scripted transport has no clock to start */
        return;
    http->deadline_ms = start_ms + http->timeout_ms;
    http->tick_ms = cog_now_ms();
}

void cog_http_set_stop(struct cog_http *http, const atomic_bool *stop)
{
    if (http != NULL)
        http->stop = stop;
}

static cog_status perform_method(struct cog_http *http, const char *method, const char *url,
                                 struct curl_slist *headers, const char *body, size_t body_len,
                                 struct cog_http_response *resp, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct body_sink sink = {.max = http->max_body};
    CURL *curl = http->curl;

    memset(resp, 0, sizeof(*resp));
    if (http->deadline_ms == 0)
        cog_http_begin_step(http);
    long long now = cog_now_ms();
    long long left = http->deadline_ms - now;
    if (left <= 0) {
        /* The step's time went before this request: on the network (an
         * earlier request of the step), or in a stopped process. */
        if (http->frozen || now - http->tick_ms > FROZEN_GAP_MS) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                               "timed out while this process was stopped");
            goto out;
        }
        cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "timed out");
        st = cog_error_unreachable(err);
        goto out;
    }
    http->tick_ms = now;
    http->max_gap_ms = 0;
    http->errbuf[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     left < http->connect_timeout_ms ? (long)left : http->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);

    CURLcode rc = curl_easy_perform(curl);
    now = cog_now_ms();
    if (now - http->tick_ms > http->max_gap_ms)
        http->max_gap_ms = now - http->tick_ms;
    http->tick_ms = now;
    http->frozen = http->frozen || http->max_gap_ms > FROZEN_GAP_MS;
    http->requests++;
    long connects = 0;
    if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        http->connections += (unsigned)connects;
    /* The request body may hold a password: curl must not keep pointing at it. */
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL);

    if (rc != CURLE_OK) {
        if (rc == CURLE_OUT_OF_MEMORY) /* a local shortage, never "unreachable" */
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        else if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "response larger than %zu bytes",
                               http->max_body);
        else if (rc == CURLE_ABORTED_BY_CALLBACK)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "stopped");
        else if (rc == CURLE_OPERATION_TIMEDOUT && http->frozen)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                               "timed out while this process was stopped");
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "timed out");
        else
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s%s%s", curl_easy_strerror(rc),
                               http->errbuf[0] ? ": " : "", http->errbuf);
        /* DNS, connect, TLS, timeout: the service was not reached. An
         * oversized answer was an answer; a transfer this process sat out
         * stopped proves nothing about the network (FROZEN_GAP_MS). */
        if (!sink.too_large && rc != CURLE_FILESIZE_EXCEEDED && !http->frozen)
            cog_error_unreachable(err);
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    if (sink.buf == NULL) {
        sink.buf = calloc(1, 1);
        if (sink.buf == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    resp->body = sink.buf;
    resp->len = sink.len;
    sink.buf = NULL;
out:
    if (sink.buf != NULL) {
        cog_wipe(sink.buf, sink.cap);
        free(sink.buf);
    }
    return st;
}

static cog_status perform(struct cog_http *http, const char *url, struct curl_slist *headers,
                          const char *body, size_t body_len, struct cog_http_response *resp,
                          struct cog_error *err)
{
    return perform_method(http, NULL, url, headers, body, body_len, resp, err);
}

cog_status cog_http_post(struct cog_http *http, const char *url, const char *const *headers,
                         const char *body, size_t body_len, struct cog_http_response *resp,
                         struct cog_error *err)
{
    return cog_http_send(http, NULL, url, headers, body, body_len, resp, err);
}

cog_status cog_http_send(struct cog_http *http, const char *method, const char *url,
                         const char *const *headers, const char *body, size_t body_len,
                         struct cog_http_response *resp, struct cog_error *err)
{
    cog_status st;
    struct curl_slist *list = NULL;

    /* curl adds "Expect: 100-continue" to large POSTs; Cognito answers faster without it. */
    list = curl_slist_append(list, "Expect:");
    for (size_t i = 0; list != NULL && headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *n = curl_slist_append(list, headers[i]);
        if (n == NULL) {
            curl_slist_free_all(list);
            list = NULL;
            break;
        }
        list = n;
    }
    if (list == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = perform_method(http, method, url, list, body, body_len, resp, err);
out:
    curl_slist_free_all(list);
    return st;
}

cog_status cog_http_get(struct cog_http *http, const char *url, struct cog_http_response *resp,
                        struct cog_error *err)
{
    return perform(http, url, NULL, NULL, 0, resp, err);
}

cog_status cog_http_get_with(struct cog_http *http, const char *url, const char *const *headers,
                             struct cog_http_response *resp, struct cog_error *err)
{
    cog_status st;
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *n = curl_slist_append(list, headers[i]);
        if (n == NULL) {
            curl_slist_free_all(list);
            memset(resp, 0, sizeof(*resp));
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        }
        list = n;
    }
    st = perform(http, url, list, NULL, 0, resp, err);
    curl_slist_free_all(list);
    return st;
}

void cog_http_response_clear(struct cog_http_response *resp)
{
    if (resp == NULL)
        return;
    if (resp->body != NULL) {
        cog_wipe(resp->body, resp->len);
        free(resp->body);
    }
    memset(resp, 0, sizeof(*resp));
}

unsigned cog_http_request_count(const struct cog_http *http)
{
    return http->requests;
}

unsigned cog_http_connection_count(const struct cog_http *http)
{
    return http->connections;
}

long cog_http_last_exchange_ms(const struct cog_http *http)
{
    curl_off_t total = 0, connected = 0;
    if (http == NULL || http->curl == NULL ||
        curl_easy_getinfo(http->curl, CURLINFO_TOTAL_TIME_T, &total) != CURLE_OK ||
        curl_easy_getinfo(http->curl, CURLINFO_APPCONNECT_TIME_T, &connected) != CURLE_OK ||
        total <= connected)
        return 0;
    return (long)((total - connected) / 1000);
}
