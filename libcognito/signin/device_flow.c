#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "libcognito/core/buf.h"
#include "libcognito/signin/device_flow.h"
#include "libcognito/signin/jwt.h"
#include "libcognito/signin/qr.h"
#include "libcognito/core/util.h"

#define GRANT_DEVICE "urn:ietf:params:oauth:grant-type:device_code"
/* Longer than any code a sane server sends, shorter than a page of text. */
#define CODE_MAX 512
#define URI_MAX 2048

static const char *client_of(const struct cog_config *cfg)
{
    return cfg->device_client_id != NULL ? cfg->device_client_id : cfg->client_id;
}

/* application/x-www-form-urlencoded: "&key=value" with value %-escaped. */
static void form_add(struct cog_buf *b, const char *key, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    if (b->len > 0)
        cog_buf_addc(b, '&');
    cog_buf_adds(b, key);
    cog_buf_addc(b, '=');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            cog_buf_addc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            cog_buf_add(b, e, 3);
        }
    }
}

/* base + "/" + path, without doubling the slash. */
static char *join_url(const char *base, const char *path)
{
    char *out = NULL;
    size_t n = strlen(base);
    if (asprintf(&out, "%.*s/%s", (int)(n > 0 && base[n - 1] == '/' ? n - 1 : n), base, path) < 0)
        return NULL;
    return out;
}

/* The request's network budget ends no later than the deadline (0: none). */
static cog_status budget(struct cog_idp *idp, long long deadline_ms, struct cog_error *err)
{
    long long now = cog_now_ms();
    long long step = (long long)idp->cfg->timeout * 1000;
    if (deadline_ms != 0 && now >= deadline_ms)
        return cog_error_set(err, COG_ERR_CODE, "expired_token", "the device login timed out");
    long long start = now;
    if (deadline_ms != 0 && deadline_ms - now < step)
        start = deadline_ms - step;
    cog_http_begin_step_at(idp->http, start);
    return COG_OK;
}

/* "Authorization: Basic base64(id:secret)" for the app client with a secret. */
static char *basic_header(const struct cog_config *cfg, const char *client_id)
{
    char *pair = NULL, *out = NULL;
    if (cfg->client_secret == NULL || strcmp(client_id, cfg->client_id) != 0)
        return NULL;
    int n = asprintf(&pair, "%s:%s", client_id, cfg->client_secret);
    if (n < 0)
        return NULL;
    size_t cap = 4 * (((size_t)n + 2) / 3) + 1;
    char *b64 = malloc(cap);
    if (b64 != NULL) {
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)pair, n);
        if (asprintf(&out, "Authorization: Basic %s", b64) < 0)
            out = NULL;
        cog_free_secret(b64);
    }
    cog_free_secret(pair);
    return out;
}

/* POSTs a form; the answer's status and body land in hr. */
static cog_status post_form(struct cog_idp *idp, const char *url, const char *auth,
                            struct cog_buf *form, struct cog_http_response *hr,
                            struct cog_error *err)
{
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", auth, NULL};
    if (form->failed || form->data == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    if (idp->transport != NULL)
        return idp->transport->post(idp->transport->ctx, url, "oauth2", form->data, form->len, hr,
                                    err);
    return cog_http_post(idp->http, url, headers, form->data, form->len, hr, err);
}

/* A copy of a short printable string member; NULL when absent or odd. */
static char *take_text(struct json_object *o, const char *key, size_t max)
{
    const char *v = cog_json_string(o, key);
    if (v == NULL || v[0] == '\0' || !cog_text_valid(v, max) || strpbrk(v, "\r\n") != NULL)
        return NULL;
    return strdup(v);
}

static long take_long(struct json_object *o, const char *key, long dflt)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_string)))
        return dflt;
    long n = (long)json_object_get_int64(v);
    return n < 0 ? dflt : n;
}

static bool https_uri(const char *u)
{
    return u != NULL && strncmp(u, "https://", 8) == 0 && strlen(u) < URI_MAX;
}

cog_status cog_device_start(struct cog_idp *idp, struct cog_device_flow *f, struct cog_error *err)
{
    const struct cog_config *cfg = idp->cfg;
    struct cog_buf form = {0};
    struct cog_http_response hr = {0};
    struct json_object *resp = NULL;
    char *url = NULL;
    cog_status st;

    memset(f, 0, sizeof(*f));
    f->idp = idp;
    long long now = cog_now_ms();
    f->deadline_ms = now + (long long)(cfg->device_timeout > 0 ? cfg->device_timeout
                                                               : COG_DEVICE_TIMEOUT_DEFAULT) *
                               1000;
    if (cfg->device_endpoint == NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "no device_endpoint configured");
        goto out;
    }
    if ((url = join_url(cfg->device_endpoint, "device_authorization")) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    form_add(&form, "client_id", client_of(cfg));
    form_add(&form, "scope", cfg->device_scope ? cfg->device_scope : COG_DEVICE_DEFAULT_SCOPE);
    if ((st = budget(idp, f->deadline_ms, err)) != COG_OK)
        goto out;
    if ((st = post_form(idp, url, NULL, &form, &hr, err)) != COG_OK)
        goto out;
    if (hr.status >= 500) {
        cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "device authorization answered HTTP %ld",
                      hr.status);
        st = cog_error_unreachable(err);
        goto out;
    }
    if (hr.status != 200 || cog_idp_parse_body(hr.body, hr.len, &resp, err) != COG_OK) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                           "device authorization refused (HTTP %ld)", hr.status);
        goto out;
    }
    f->device_code = take_text(resp, "device_code", CODE_MAX);
    f->user_code = take_text(resp, "user_code", 64);
    f->verification_uri = take_text(resp, "verification_uri", URI_MAX);
    f->verification_uri_complete = take_text(resp, "verification_uri_complete", URI_MAX);
    f->interval = take_long(resp, "interval", 5);
    long expires_in = take_long(resp, "expires_in", 0);
    /* Only https pages are shown: a code sent to anything else is a phishing aid. */
    if (f->device_code == NULL || f->user_code == NULL || !https_uri(f->verification_uri) ||
        (f->verification_uri_complete != NULL && !https_uri(f->verification_uri_complete)) ||
        expires_in <= 0) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                           "the device authorization answer is incomplete");
        goto out;
    }
    if (f->interval > COG_DEVICE_MAX_INTERVAL)
        f->interval = COG_DEVICE_MAX_INTERVAL;
    if (expires_in < (f->deadline_ms - now) / 1000)
        f->deadline_ms = now + (long long)expires_in * 1000;
    st = COG_OK;
out:
    if (st != COG_OK)
        cog_device_flow_clear(f);
    cog_json_put_wiped(resp);
    cog_http_response_clear(&hr);
    cog_buf_free(&form);
    free(url);
    return st;
}

bool cog_device_expired(const struct cog_device_flow *f)
{
    return cog_now_ms() >= f->deadline_ms;
}

/* Sleeps until the interval since the last poll has passed; false when the
 * deadline comes first. */
static bool wait_interval(struct cog_device_flow *f)
{
    if (f->last_poll_ms == 0)
        return !cog_device_expired(f);
    long long due = f->last_poll_ms + (long long)f->interval * 1000;
    for (;;) {
        long long now = cog_now_ms();
        if (now >= f->deadline_ms)
            return false;
        if (now >= due)
            return true;
        long long ms = (due < f->deadline_ms ? due : f->deadline_ms) - now;
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* A token answer (device grant or refresh): verified ID token into out. */
static cog_status take_tokens(struct cog_idp *idp, const char *client_id, struct json_object *resp,
                              struct cog_auth_result *out, struct cog_error *err)
{
    struct json_object *claims = NULL;
    const char *id = cog_json_string(resp, "id_token");
    const char *access = cog_json_string(resp, "access_token");
    const char *refresh = cog_json_string(resp, "refresh_token");
    cog_status st;

    memset(out, 0, sizeof(*out));
    if (id == NULL || access == NULL) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "the token answer holds no ID token");
        goto out;
    }
    if ((st = cog_token_verify_for(idp, id, "id", client_id, &claims, err)) != COG_OK)
        goto out;
    const char *uname = cog_json_string(claims, "cognito:username");
    if (uname == NULL || !cog_username_valid(uname)) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "ID token names no valid user");
        goto out;
    }
    out->id_token = strdup(id);
    out->access_token = strdup(access);
    out->refresh_token = cog_strdup(refresh);
    out->username = strdup(uname);
    out->expires_in = take_long(resp, "expires_in", 0);
    out->device_flow = true;
    out->claims = claims;
    claims = NULL;
    if (out->id_token == NULL || out->access_token == NULL || out->username == NULL ||
        (refresh != NULL && out->refresh_token == NULL)) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        cog_auth_result_clear(out);
    }
out:
    if (claims != NULL)
        json_object_put(claims);
    return st;
}

/* RFC 6749 5.2 error answer: the "error" code, or "" when there is none. */
static void oauth_error(const struct cog_http_response *hr, char *code, size_t len)
{
    struct json_object *o = NULL;
    struct cog_error ignored;
    code[0] = '\0';
    if (cog_idp_parse_body(hr->body, hr->len, &o, &ignored) == COG_OK) {
        const char *e = cog_json_string(o, "error");
        if (e != NULL && cog_text_valid(e, 64))
            snprintf(code, len, "%s", e);
    }
    json_object_put(o);
}

cog_status cog_device_poll(struct cog_device_flow *f, enum cog_device_poll *state,
                           struct cog_auth_result *out, struct cog_error *err)
{
    struct cog_idp *idp = f->idp;
    struct cog_buf form = {0};
    struct cog_http_response hr = {0};
    struct json_object *resp = NULL;
    char *url = NULL;
    char code[72];
    cog_status st;

    *state = COG_DEVICE_PENDING;
    memset(out, 0, sizeof(*out));
    if (f->device_code == NULL) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "no device login under way");
        goto out;
    }
    if (f->polls >= COG_DEVICE_MAX_POLLS || !wait_interval(f)) {
        st = cog_error_set(err, COG_ERR_CODE, "expired_token", "the device login timed out");
        goto out;
    }
    if ((url = join_url(idp->cfg->device_endpoint, "token")) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    form_add(&form, "grant_type", GRANT_DEVICE);
    form_add(&form, "device_code", f->device_code);
    form_add(&form, "client_id", client_of(idp->cfg));
    if ((st = budget(idp, f->deadline_ms, err)) != COG_OK)
        goto out;
    f->polls++;
    f->last_poll_ms = cog_now_ms();
    if ((st = post_form(idp, url, NULL, &form, &hr, err)) != COG_OK)
        goto out;
    if (hr.status == 200) {
        if ((st = cog_idp_parse_body(hr.body, hr.len, &resp, err)) == COG_OK &&
            (st = take_tokens(idp, client_of(idp->cfg), resp, out, err)) == COG_OK)
            *state = COG_DEVICE_DONE;
        goto out;
    }
    if (hr.status >= 500) {
        cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "the token endpoint answered HTTP %ld",
                      hr.status);
        st = cog_error_unreachable(err);
        goto out;
    }
    oauth_error(&hr, code, sizeof(code));
    if (strcmp(code, "authorization_pending") == 0) {
        st = COG_OK;
    } else if (strcmp(code, "slow_down") == 0) {
        /* RFC 8628 3.5: five seconds more, for this and every later poll. */
        f->interval =
            f->interval + 5 > COG_DEVICE_MAX_INTERVAL ? COG_DEVICE_MAX_INTERVAL : f->interval + 5;
        st = COG_OK;
    } else if (strcmp(code, "access_denied") == 0) {
        st = cog_error_set(err, COG_ERR_AUTH, "access_denied", "the sign-in was declined");
    } else if (strcmp(code, "expired_token") == 0) {
        st = cog_error_set(err, COG_ERR_CODE, "expired_token", "the device code expired");
    } else {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                           "the token endpoint refused the device code (HTTP %ld, %s)", hr.status,
                           code[0] ? code : "no error code");
    }
out:
    cog_json_put_wiped(resp);
    cog_http_response_clear(&hr);
    cog_buf_free(&form);
    free(url);
    return st;
}

/* Where to go and which code to type, then the QR code of the link that
 * carries the code. */
static void show_instructions(const struct cog_auth_callbacks *cb, const struct cog_device_flow *f)
{
    char text[URI_MAX + 128];
    char *qr = NULL;
    struct cog_error ignored;

    if (cb->show_info == NULL)
        return;
    snprintf(text, sizeof(text), "To sign in, open %s and enter the code %s.", f->verification_uri,
             f->user_code);
    cb->show_info(cb->ctx, text);
    if (f->verification_uri_complete == NULL)
        return;
    snprintf(text, sizeof(text), "Or scan this QR code, or open %s:", f->verification_uri_complete);
    cb->show_info(cb->ctx, text);
    if (cog_qr_text_style(f->verification_uri_complete, f->idp->cfg->qr_style, &qr, &ignored) ==
        COG_OK)
        cb->show_info(cb->ctx, qr);
    free(qr);
}

cog_status cog_device_login(struct cog_idp *idp, const struct cog_auth_callbacks *cb,
                            struct cog_auth_result *out, struct cog_error *err)
{
    struct cog_device_flow f = {0};
    enum cog_device_poll state = COG_DEVICE_PENDING;
    cog_status st;

    memset(out, 0, sizeof(*out));
    if (cb == NULL || cb->ask_text == NULL) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "no way to ask for Enter");
        goto out;
    }
    if ((st = cog_device_start(idp, &f, err)) != COG_OK)
        goto out;
    show_instructions(cb, &f);
    /* Bounded: each round polls once, and the flow stops polling at its
     * deadline or after COG_DEVICE_MAX_POLLS. */
    while (state == COG_DEVICE_PENDING) {
        char *answer = NULL;
        st = cb->ask_text(cb->ctx, COG_DEVICE_PROMPT_ENTER ": ", &answer);
        bool answered = st == COG_OK && answer != NULL;
        cog_free_secret(answer);
        if (!answered) {
            st = st == COG_ERR_NOMEM ? st : COG_ERR_ABORTED;
            cog_error_set(err, st, NULL, "no answer given");
            goto out;
        }
        if ((st = cog_device_poll(&f, &state, out, err)) != COG_OK)
            goto out;
        if (state == COG_DEVICE_PENDING && cb->show_info != NULL)
            cb->show_info(cb->ctx, COG_DEVICE_TEXT_PENDING);
    }
out:
    if (cb != NULL && cb->show_error != NULL && (st == COG_ERR_AUTH || st == COG_ERR_CODE))
        cb->show_error(cb->ctx,
                       st == COG_ERR_AUTH ? COG_DEVICE_TEXT_DENIED : COG_DEVICE_TEXT_EXPIRED);
    if (st != COG_OK)
        cog_auth_result_clear(out);
    cog_device_flow_clear(&f);
    return st;
}

void cog_device_flow_clear(struct cog_device_flow *f)
{
    cog_free_secret(f->device_code);
    free(f->user_code);
    free(f->verification_uri);
    free(f->verification_uri_complete);
    memset(f, 0, sizeof(*f));
}

/* -- the hosted UI: revoke and refresh ---------------------------------------- */

static cog_status hosted_post(struct cog_idp *idp, const char *path, struct cog_buf *form,
                              struct cog_http_response *hr, struct cog_error *err)
{
    const struct cog_config *cfg = idp->cfg;
    char *url = NULL, *auth = NULL;
    cog_status st;

    if (cfg->hosted_ui_url == NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "no hosted_ui_url configured");
        goto out;
    }
    if ((url = join_url(cfg->hosted_ui_url, path)) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    form_add(form, "client_id", client_of(cfg));
    auth = basic_header(cfg, client_of(cfg));
    cog_http_begin_step(idp->http);
    st = post_form(idp, url, auth, form, hr, err);
    if (st == COG_OK && hr->status >= 500) {
        cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s answered HTTP %ld", path, hr->status);
        st = cog_error_unreachable(err);
    }
out:
    cog_free_secret(auth);
    free(url);
    return st;
}

cog_status cog_device_revoke(struct cog_idp *idp, const char *refresh_token, struct cog_error *err)
{
    struct cog_buf form = {0};
    struct cog_http_response hr = {0};
    form_add(&form, "token", refresh_token);
    cog_status st = hosted_post(idp, "oauth2/revoke", &form, &hr, err);
    if (st == COG_OK && hr.status != 200)
        st = cog_error_set(err, COG_ERR_SERVICE, NULL, "revocation refused (HTTP %ld)", hr.status);
    cog_http_response_clear(&hr);
    cog_buf_free(&form);
    return st;
}

cog_status cog_device_refresh(struct cog_idp *idp, const char *refresh_token,
                              struct cog_auth_result *out, struct cog_error *err)
{
    struct cog_buf form = {0};
    struct cog_http_response hr = {0};
    struct json_object *resp = NULL;
    cog_status st;

    memset(out, 0, sizeof(*out));
    form_add(&form, "grant_type", "refresh_token");
    form_add(&form, "refresh_token", refresh_token);
    st = hosted_post(idp, "oauth2/token", &form, &hr, err);
    if (st != COG_OK)
        goto out;
    if (hr.status != 200) {
        st =
            cog_error_set(err, COG_ERR_AUTH, NULL, "the refresh was refused (HTTP %ld)", hr.status);
        goto out;
    }
    if ((st = cog_idp_parse_body(hr.body, hr.len, &resp, err)) != COG_OK ||
        (st = take_tokens(idp, client_of(idp->cfg), resp, out, err)) != COG_OK)
        goto out;
    /* Cognito sends no new refresh token: the old one stays. */
    if (out->refresh_token == NULL && (out->refresh_token = strdup(refresh_token)) == NULL)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    if (st != COG_OK)
        cog_auth_result_clear(out);
    cog_json_put_wiped(resp);
    cog_http_response_clear(&hr);
    cog_buf_free(&form);
    return st;
}
