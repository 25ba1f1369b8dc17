#include "build-config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"

cog_status cog_idp_open(struct cog_idp *idp, const struct cog_config *cfg, struct cog_error *err)
{
    struct cog_http_opts opts = {
        .ca_file = cfg->ca_file,
        .proxy = cfg->proxy,
        .timeout_ms = (long)cfg->timeout * 1000,
    };
    memset(idp, 0, sizeof(*idp));
    idp->cfg = cfg;
    idp->url = cog_config_idp_url(cfg);
    if (idp->url == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    idp->http = cog_http_new(&opts, err);
    if (idp->http == NULL) {
        free(idp->url);
        idp->url = NULL;
        return err ? err->status : COG_ERR_INTERNAL;
    }
    return COG_OK;
}

cog_status cog_idp_open_transport(struct cog_idp *idp, const struct cog_config *cfg,
                                  const struct cog_idp_transport *transport, struct cog_error *err)
{
    memset(idp, 0, sizeof(*idp));
    if (transport == NULL || transport->post == NULL || transport->get == NULL)
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "incomplete transport");
    idp->cfg = cfg;
    idp->transport = transport;
    idp->url = cog_config_idp_url(cfg);
    if (idp->url == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    return COG_OK;
}

cog_status cog_idp_get(struct cog_idp *idp, const char *url, struct cog_http_response *resp,
                       struct cog_error *err)
{
    if (idp->transport != NULL) {
        memset(resp, 0, sizeof(*resp));
        return idp->transport->get(idp->transport->ctx, url, resp, err);
    }
    return cog_http_get(idp->http, url, resp, err);
}

time_t cog_idp_now(const struct cog_idp *idp)
{
    if (idp->transport != NULL && idp->transport->now != 0)
        return idp->transport->now;
    return time(NULL);
}

void cog_idp_close(struct cog_idp *idp)
{
    if (idp == NULL)
        return;
    cog_http_free(idp->http);
    free(idp->url);
    memset(idp, 0, sizeof(*idp));
}

cog_status cog_idp_parse_body(const char *body, size_t len, struct json_object **out,
                              struct cog_error *err)
{
    struct json_tokener *tok = NULL;
    struct json_object *obj = NULL;
    cog_status st = COG_OK;

    *out = NULL;
    if (len > (size_t)INT32_MAX) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "answer too large");
        goto out;
    }
    tok = json_tokener_new_ex(32);
    if (tok == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    obj = json_tokener_parse_ex(tok, body, (int)len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        (size_t)json_tokener_get_parse_end(tok) != len ||
        !json_object_is_type(obj, json_type_object)) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "the service sent an unreadable answer");
        goto out;
    }
    *out = obj;
    obj = NULL;
out:
    if (obj != NULL)
        cog_json_put_wiped(obj);
    if (tok != NULL)
        json_tokener_free(tok);
    return st;
}

/* Copies the exception name out of an AWS type string: the part after the last
 * '#' ("com.amazon...#NotAuthorizedException") and before any ':' (the header
 * form "NotAuthorizedException:http://internal..."). Only [A-Za-z0-9] kept. */
static void exception_name(const char *type, char *out, size_t out_len)
{
    const char *hash = strrchr(type, '#');
    const char *p = hash ? hash + 1 : type;
    size_t n = 0;
    while (*p != '\0' && *p != ':' && n + 1 < out_len) {
        char c = *p++;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[n++] = c;
        else
            break;
    }
    out[n] = '\0';
}

cog_status cog_idp_parse_error(long http_status, const char *body, size_t len,
                               const char *error_type_header, struct cog_error *err)
{
    struct json_object *obj = NULL;
    char code[COG_ERROR_CODE_MAX] = "";
    char message[COG_ERROR_MESSAGE_MAX] = "";
    cog_status st;
    struct cog_error ignored;

    if (body != NULL && len > 0 && cog_idp_parse_body(body, len, &obj, &ignored) == COG_OK) {
        const char *type = cog_json_string(obj, "__type");
        if (type == NULL)
            type = cog_json_string(obj, "code");
        if (type != NULL)
            exception_name(type, code, sizeof(code));
        const char *msg = cog_json_string(obj, "message");
        if (msg == NULL)
            msg = cog_json_string(obj, "Message");
        /* The message is shown to users and logged: keep it printable and short. */
        if (msg != NULL && cog_text_valid(msg, sizeof(message) - 1))
            snprintf(message, sizeof(message), "%s", msg);
    }
    if (code[0] == '\0' && error_type_header != NULL)
        exception_name(error_type_header, code, sizeof(code));

    if (http_status >= 500 || http_status == 429)
        st = COG_ERR_UNAVAILABLE;
    else if (code[0] == '\0')
        st = COG_ERR_UNAVAILABLE; /* a 4xx we cannot read is an unusable service */
    else
        st = cog_status_from_error(code, message);

    if (message[0] == '\0')
        snprintf(message, sizeof(message), "%s (HTTP %ld)", code[0] ? code : "service error",
                 http_status);
    cog_error_set(err, st, code, "%s", message);
    /* A 5xx is the service failing; a throttle or a Lambda error, whatever
     * its HTTP status, is something a third party can cause. */
    if (http_status >= 500 && !cog_exception_provoked(code))
        cog_error_unreachable(err);
    if (obj != NULL)
        json_object_put(obj);
    return st;
}

cog_status cog_idp_call_target(struct cog_idp *idp, const char *url, const char *target,
                               struct json_object *req, struct json_object **resp,
                               struct cog_error *err)
{
    cog_status st;
    char target_hdr[160];
    char *body = NULL;
    size_t body_len = 0;

    *resp = NULL;
    if (snprintf(target_hdr, sizeof(target_hdr), "X-Amz-Target: %s", target) >=
        (int)sizeof(target_hdr)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "operation name too long");
        goto out;
    }
    const char *headers[] = {target_hdr, "Content-Type: application/x-amz-json-1.1", NULL};
    const char *json = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &body_len);
    if (json == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* Our own copy, so the serialised password can be wiped after sending. */
    body = malloc(body_len + 1);
    if (body == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    memcpy(body, json, body_len + 1);
    cog_wipe((char *)json, body_len);

    st = cog_idp_post(idp, url, target, headers, body, body_len, resp, err);
out:
    if (body != NULL) {
        cog_wipe(body, body_len);
        free(body);
    }
    return st;
}

cog_status cog_idp_post(struct cog_idp *idp, const char *url, const char *target,
                        const char *const *headers, const char *body, size_t body_len,
                        struct json_object **resp, struct cog_error *err)
{
    struct cog_http_response hr = {0};
    cog_status st;
    if (idp->transport != NULL)
        st = idp->transport->post(idp->transport->ctx, url, target, body, body_len, &hr, err);
    else
        st = cog_http_post(idp->http, url, headers, body, body_len, &hr, err);
    if (st == COG_OK) {
        if (hr.status >= 200 && hr.status < 300)
            st = cog_idp_parse_body(hr.body, hr.len, resp, err);
        else
            st = cog_idp_parse_error(hr.status, hr.body, hr.len, hr.error_type, err);
    }
    cog_http_response_clear(&hr);
    return st;
}

cog_status cog_idp_call(struct cog_idp *idp, const char *op, struct json_object *req,
                        struct json_object **resp, struct cog_error *err)
{
    char target[128];
    if (snprintf(target, sizeof(target), "AWSCognitoIdentityProviderService.%s", op) >=
        (int)sizeof(target))
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "operation name too long");
    return cog_idp_call_target(idp, idp->url, target, req, resp, err);
}

cog_status cog_idp_add_secret_hash(const struct cog_config *cfg, struct json_object *obj,
                                   const char *key, const char *username, struct cog_error *err)
{
    char hash[COG_SECRET_HASH_MAX];
    if (cfg->client_secret == NULL)
        return COG_OK;
    cog_status st = cog_secret_hash(cfg->client_secret, username, cfg->client_id, hash);
    if (st != COG_OK)
        return cog_error_set(err, st, NULL, "cannot compute SECRET_HASH");
    bool ok = cog_json_add_string(obj, key, hash);
    cog_wipe(hash, sizeof(hash));
    return ok ? COG_OK : cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

cog_status cog_secret_hash(const char *client_secret, const char *username, const char *client_id,
                           char out[COG_SECRET_HASH_MAX])
{
    cog_status st = COG_ERR_NOMEM;
    unsigned char mac[32];
    unsigned int maclen = 0;
    char *msg = NULL, *b64 = NULL;

    if (client_secret == NULL || username == NULL || client_id == NULL || out == NULL) {
        st = COG_ERR_INVALID_INPUT;
        goto out;
    }
    out[0] = '\0';
    size_t ulen = strlen(username), clen = strlen(client_id);
    msg = malloc(ulen + clen + 1);
    if (msg == NULL)
        goto out;
    memcpy(msg, username, ulen);
    memcpy(msg + ulen, client_id, clen);
    if (HMAC(EVP_sha256(), client_secret, (int)strnlen(client_secret, INT_MAX),
             (const unsigned char *)msg, ulen + clen, mac, &maclen) == NULL ||
        maclen != sizeof(mac)) {
        st = COG_ERR_INTERNAL;
        goto out;
    }
    b64 = cog_base64_encode(mac, sizeof(mac));
    if (b64 == NULL || strlen(b64) >= COG_SECRET_HASH_MAX)
        goto out;
    memcpy(out, b64, strlen(b64) + 1);
    st = COG_OK;
out:
    cog_wipe(mac, sizeof(mac));
    free(b64);
    free(msg);
    return st;
}
