/* The whole authenticateUser state machine against a server the fuzzer plays,
 * through the idp transport seam: no network, no clock, no files.
 *
 * Input: a flags byte, then the server's answers in order, split by the line
 * "----". An answer is "STATUS[ ERRORTYPE]\n" and a body; without a leading
 * status it is all body, status 200. Status 0 is a dropped connection, and so
 * is every request after the answers run out.
 *
 * Flags: bit 0 USER_PASSWORD_AUTH (else SRP), bit 1 the app client has a
 * secret, bit 2 the JWKS fetch takes the next answer (else the fixed JWKS),
 * bit 3 the password comes with the options (else asked), bit 4 a remembered
 * device, bits 5-7 N: the N-th prompt is cancelled (0: none).
 *
 * Properties: COG_OK only with the one ID token the fixed key signed (the
 * scripted-JWKS seeds carry no other key: a seed that adds one must carry no
 * token that key signed); a bounded number of requests and prompts; the
 * password never on the wire in SRP; nothing shown to the user that could
 * drive a terminal; no leaks. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/fuzz/fixtures.h"
#include "tests/fuzz/fuzz.h"

#define SEPARATOR "\n----\n"
/* InitiateAuth, 16 challenge rounds, two JWKS fetches, and room for the
 * side calls later challenges make (AssociateSoftwareToken, ...). */
#define MAX_REQUESTS 48
#define MAX_PROMPTS 48
#define PASSWORD "Fz-Passw0rd!q"

enum {
    F_PASSWORD_FLOW = 1 << 0,
    F_SECRET = 1 << 1,
    F_SCRIPTED_JWKS = 1 << 2,
    F_PASSWORD_OPT = 1 << 3,
    F_DEVICE = 1 << 4,
};

struct server {
    const uint8_t *next; /* unread answers */
    size_t left;
    bool exhausted;
    bool watch_password; /* SRP, and the server never sent the password itself */
    bool scripted_jwks;
    unsigned requests;
    unsigned prompts;
    unsigned cancel_at; /* 1-based prompt number to cancel, 0: none */
};

/* Four configs (flow x secret), built once and only read afterwards. */
static const struct cog_config *config_for(unsigned flags)
{
    static struct cog_config cfgs[4];
    static bool ready[4];
    unsigned i = flags & (F_PASSWORD_FLOW | F_SECRET);
    if (!ready[i]) {
        struct cog_config *c = &cfgs[i];
        struct cog_error err;
        cog_config_init(c);
        const char *text = (i & F_PASSWORD_FLOW) ? "auth_flow = USER_PASSWORD_AUTH\n" : "";
        FUZZ_CHECK(cog_config_parse_buffer(c, text, strlen(text), "fuzz", &err) == COG_OK);
        FUZZ_CHECK(cog_config_set(c, "region", FUZZ_REGION, "fuzz", 0, &err) == COG_OK &&
                   cog_config_set(c, "user_pool_id", FUZZ_POOL_ID, "fuzz", 0, &err) == COG_OK &&
                   cog_config_set(c, "client_id", FUZZ_CLIENT_ID, "fuzz", 0, &err) == COG_OK &&
                   cog_config_set(c, "endpoint", "https://idp.fuzz.invalid/", "fuzz", 0, &err) ==
                       COG_OK);
        if (i & F_SECRET)
            FUZZ_CHECK(cog_config_set(c, "client_secret", "fuzzsecret0123456789", "fuzz", 0,
                                      &err) == COG_OK);
        /* No JWKS cache: every key comes through the transport. */
        free(c->cache_dir);
        c->cache_dir = NULL;
        FUZZ_CHECK(cog_config_finish(c, &err) == COG_OK);
        ready[i] = true;
    }
    return &cfgs[i];
}

/* Takes the next answer off the script into resp. */
static cog_status answer(struct server *s, struct cog_http_response *resp, struct cog_error *err)
{
    s->requests++;
    FUZZ_CHECK(s->requests <= MAX_REQUESTS);
    if (s->exhausted)
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "connection reset (script ended)");
    const uint8_t *rec = s->next;
    const uint8_t *sep = memmem(rec, s->left, SEPARATOR, strlen(SEPARATOR));
    size_t len = sep ? (size_t)(sep - rec) : s->left;
    if (sep != NULL) {
        s->next = sep + strlen(SEPARATOR);
        s->left -= len + strlen(SEPARATOR);
    } else {
        s->exhausted = true;
    }

    long status = 200;
    size_t off = 0;
    if (len > 0 && rec[0] >= '0' && rec[0] <= '9') {
        status = 0;
        while (off < len && off < 3 && rec[off] >= '0' && rec[off] <= '9')
            status = status * 10 + (rec[off++] - '0');
        if (off < len && rec[off] == ' ') {
            size_t h = ++off;
            while (off < len && rec[off] != '\n')
                off++;
            char *type = fuzz_cstr(rec + h, off - h);
            snprintf(resp->error_type, sizeof(resp->error_type), "%s", type);
            free(type);
        }
        if (off < len && rec[off] == '\n')
            off++;
    }
    if (status == 0)
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "connection reset");
    resp->status = status;
    resp->len = len - off;
    resp->body = malloc(resp->len + 1);
    FUZZ_CHECK(resp->body != NULL);
    memcpy(resp->body, rec + off, resp->len);
    resp->body[resp->len] = '\0';
    return COG_OK;
}

static cog_status post(void *ctx, const char *url, const char *target, const char *body,
                       size_t body_len, struct cog_http_response *resp, struct cog_error *err)
{
    struct server *s = ctx;
    struct cog_error ignored;
    struct json_object *req = NULL;

    /* What we send must be one JSON object for the service we mean. */
    FUZZ_CHECK(strcmp(url, "https://idp.fuzz.invalid/") == 0);
    FUZZ_CHECK(strncmp(target, "AWSCognitoIdentityProviderService.", 34) == 0);
    FUZZ_CHECK(strlen(body) == body_len);
    FUZZ_CHECK(cog_idp_parse_body(body, body_len, &req, &ignored) == COG_OK);
    cog_json_put_wiped(req);
    /* SRP exists so that the password never leaves the host. */
    if (s->watch_password)
        FUZZ_CHECK(strstr(body, PASSWORD) == NULL);
    return answer(s, resp, err);
}

static cog_status get(void *ctx, const char *url, struct cog_http_response *resp,
                      struct cog_error *err)
{
    struct server *s = ctx;
    FUZZ_CHECK(strcmp(url, "https://idp.fuzz.invalid/" FUZZ_POOL_ID "/.well-known/jwks.json") == 0);
    if (s->scripted_jwks)
        return answer(s, resp, err);
    s->requests++;
    FUZZ_CHECK(s->requests <= MAX_REQUESTS);
    resp->status = 200;
    resp->body = strdup(FUZZ_JWKS);
    FUZZ_CHECK(resp->body != NULL);
    resp->len = strlen(resp->body);
    return COG_OK;
}

/* Every prompt counts, is shown text, and may be the one the user cancels. */
static cog_status prompt(struct server *s, const char *text, const char *reply, char **answer_out)
{
    s->prompts++;
    FUZZ_CHECK(s->prompts <= MAX_PROMPTS);
    FUZZ_CHECK(fuzz_text_shown_safe(text));
    if (s->prompts == s->cancel_at)
        return COG_ERR_ABORTED;
    if (answer_out != NULL) {
        *answer_out = strdup(reply);
        FUZZ_CHECK(*answer_out != NULL);
    }
    return COG_OK;
}

static cog_status ask_password(void *ctx, const char *p, char **answer_out)
{
    return prompt(ctx, p, PASSWORD, answer_out);
}

static cog_status ask_code(void *ctx, enum cog_code_kind kind, const char *p, char **answer_out)
{
    return prompt(ctx, p, "123456", answer_out);
}

static cog_status select_mfa(void *ctx, const char *p, const char *const *labels, size_t n,
                             size_t *picked)
{
    FUZZ_CHECK(n >= 1 && labels != NULL);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(fuzz_text_shown_safe(labels[i]));
    *picked = n - 1;
    return prompt(ctx, p, NULL, NULL);
}

static cog_status ask_new_password(void *ctx, const char *p, const char *again, char **answer_out)
{
    FUZZ_CHECK(fuzz_text_shown_safe(again));
    return prompt(ctx, p, "N3w-Passw0rd!z", answer_out);
}

static cog_status ask_text(void *ctx, const char *p, char **answer_out)
{
    return prompt(ctx, p, "fuzz answer", answer_out);
}

static void show(void *ctx, const char *text)
{
    struct server *s = ctx;
    s->prompts++;
    FUZZ_CHECK(s->prompts <= MAX_PROMPTS);
    FUZZ_CHECK(fuzz_text_shown_safe(text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Any a will do (the script never checks the claim); a short one keeps A cheap. */
    static const unsigned char srp_a[16] = {0x5e, 0xed, 0xf0, 0x0d, 0x01, 0x23, 0x45, 0x67,
                                            0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76};
    struct cog_idp idp;
    struct cog_auth_result res;
    struct cog_error err = {0};

    if (size < 1)
        return 0;
    unsigned flags = data[0];
    struct server s = {
        .next = data + 1,
        .left = size - 1,
        /* A server may echo anything back, the password too: only a password the
         * script never held (not even \u-escaped) proves a leak. */
        .watch_password = !(flags & F_PASSWORD_FLOW) && !memmem(data, size, "Passw0rd", 8) &&
                          !memmem(data, size, "\\u", 2),
        .scripted_jwks = flags & F_SCRIPTED_JWKS,
        .cancel_at = flags >> 5,
    };
    const struct cog_idp_transport transport = {
        .ctx = &s, .post = post, .get = get, .srp_a = srp_a, .srp_a_len = sizeof(srp_a)};
    const struct cog_auth_callbacks cb = {
        .ctx = &s,
        .ask_password = ask_password,
        .ask_code = ask_code,
        .select_mfa = select_mfa,
        .ask_new_password = ask_new_password,
        .ask_text = ask_text,
        .show_info = show,
        .show_error = show,
    };
    const struct cog_auth_opts opts = {
        .password = (flags & F_PASSWORD_OPT) ? PASSWORD : NULL,
        .device_key = (flags & F_DEVICE) ? "us-east-1_0a1b2c3d-fuzz" : NULL,
        .device_group_key = (flags & F_DEVICE) ? "-fuzzGroup" : NULL,
        .device_password = (flags & F_DEVICE) ? "fuzz-device-password" : NULL,
    };

    FUZZ_CHECK(cog_idp_open_transport(&idp, config_for(flags), &transport, &err) == COG_OK);
    cog_status st = cog_auth_login(&idp, "alice", &cb, &opts, &res, &err);
    if (st == COG_OK) {
        /* The fuzzer cannot sign: success means it replayed the one good token. */
        FUZZ_CHECK(res.id_token != NULL && strcmp(res.id_token, FUZZ_ID_TOKEN) == 0);
        FUZZ_CHECK(res.username != NULL && strcmp(res.username, "alice") == 0);
        FUZZ_CHECK(res.claims != NULL && res.access_token != NULL);
    } else {
        FUZZ_CHECK(err.status == st);
        FUZZ_CHECK(res.id_token == NULL && res.claims == NULL && res.username == NULL);
        FUZZ_CHECK(cog_text_valid(err.message, sizeof(err.message)));
    }
    cog_auth_result_clear(&res);
    cog_idp_close(&idp);
    return 0;
}
