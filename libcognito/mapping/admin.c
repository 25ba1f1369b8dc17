#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/mapping/admin.h"
#include "libcognito/cache/idmap.h"
#include "libcognito/core/util.h"

#define SERVICE "cognito-idp"
#define TARGET_PREFIX "AWSCognitoIdentityProviderService."
#define PAGE_LIMIT 60 /* the most ListUsers and friends return per page */
#define MAX_PAGES 200000

cog_status cog_admin_open(struct cog_admin *a, const struct cog_config *cfg, struct cog_error *err)
{
    struct cog_aws_credentials creds;
    cog_status st = cog_aws_credentials_load(cfg, &creds, err);

    memset(a, 0, sizeof(*a));
    if (st != COG_OK)
        return st;
    return cog_admin_open_with(a, cfg, &creds, err);
}

cog_status cog_admin_open_with(struct cog_admin *a, const struct cog_config *cfg,
                               struct cog_aws_credentials *creds, struct cog_error *err)
{
    cog_status st;

    memset(a, 0, sizeof(*a));
    a->retries = 4;
    a->retry_delay_ms = 200;
    cog_pace_init(&a->pace, 0);
    a->creds = *creds;
    memset(creds, 0, sizeof(*creds));
    st = cog_idp_open(&a->idp, cfg, err);
    if (st != COG_OK)
        goto fail;
    /* https://HOST[:PORT]/PATH: the Host header is signed, so send exactly
     * the one signed rather than curl's own. */
    const char *h = a->idp.url + strlen("https://");
    const char *slash = strchr(h, '/');
    a->host = slash ? strndup(h, (size_t)(slash - h)) : strdup(h);
    a->path = strdup(slash ? slash : "/");
    if (a->host == NULL || a->path == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto fail;
    }
    return COG_OK;
fail:
    cog_admin_close(a);
    return st;
}

void cog_admin_close(struct cog_admin *a)
{
    if (a == NULL)
        return;
    cog_idp_close(&a->idp);
    cog_aws_credentials_clear(&a->creds);
    free(a->host);
    free(a->path);
    memset(a, 0, sizeof(*a));
}

static bool credentials_refused(const char *code)
{
    static const char *const codes[] = {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "AccessDeniedException",
        "ExpiredTokenException",
        "IncompleteSignatureException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(code, codes[i]) == 0)
            return true;
    }
    return false;
}

cog_status cog_admin_signed_post(struct cog_admin *a, const struct cog_admin_target *to,
                                 const char *body, size_t body_len, struct json_object **resp,
                                 struct cog_error *err)
{
    cog_status st;
    char date[COG_AMZ_DATE_LEN];
    struct cog_sigv4_result sig = {0};
    char *hdr[7] = {0}; /* five signed headers, Authorization, the NULL end */

    cog_sigv4_amz_date(time(NULL), date);
    struct cog_sigv4_header signed_headers[] = {
        {"Content-Type", "application/x-amz-json-1.1"},
        {"Host", to->host},
        {"X-Amz-Date", date},
        {"X-Amz-Target", to->target},
        {"X-Amz-Security-Token", a->creds.session_token},
    };
    struct cog_sigv4_request req = {
        .method = "POST",
        .path = to->path,
        .headers = signed_headers,
        .nheaders = a->creds.session_token ? 5 : 4,
        .body = body,
        .body_len = body_len,
        .region = a->idp.cfg->region,
        .service = to->service,
        .amz_date = date,
    };
    if ((st = cog_sigv4_sign(&req, &a->creds, &sig, err)) != COG_OK ||
        (st = cog_sigv4_header_lines(&req, &sig, hdr, err)) != COG_OK)
        goto out;
    if (a->idp.http != NULL)
        cog_http_begin_step(a->idp.http);
    st = cog_idp_post(&a->idp, to->url, to->target, (const char *const *)hdr, body, body_len, resp,
                      err);
out:
    for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
        cog_free_secret(hdr[i]); /* one holds the session token */
    cog_sigv4_result_clear(&sig);
    return st;
}

/* One attempt at a cognito-idp operation. */
static cog_status attempt(struct cog_admin *a, const char *target, const char *body,
                          size_t body_len, struct json_object **resp, struct cog_error *err)
{
    struct cog_admin_target to = {a->idp.url, a->host, a->path, SERVICE, target};
    return cog_admin_signed_post(a, &to, body, body_len, resp, err);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

cog_status cog_admin_call(struct cog_admin *a, const char *op, struct json_object *req,
                          struct json_object **resp, struct cog_error *err)
{
    cog_status st;
    char target[128];
    size_t body_len = 0;

    *resp = NULL;
    if (snprintf(target, sizeof(target), TARGET_PREFIX "%s", op) >= (int)sizeof(target))
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "operation name too long");
    const char *body = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &body_len);
    if (body == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    long delay = a->retry_delay_ms;
    for (int i = 0, throttled = 0;; i++) {
        cog_pace_wait(&a->pace);
        st = attempt(a, target, body, body_len, resp, err);
        if (st == COG_ERR_UNAVAILABLE && err != NULL && cog_pace_is_throttle(err->code)) {
            /* Over the shared quota: full jitter, a bounded number of times. */
            a->pace.throttled++;
            if (++throttled >= a->pace.throttle_tries) {
                st = cog_error_set(err, COG_ERR_UNAVAILABLE, "TooManyRequestsException",
                                   "%s: Cognito still throttles (TooManyRequestsException) after "
                                   "%d tries; the account's UserList quota is busy: lower "
                                   "export_rps or try later",
                                   op, throttled);
                break;
            }
            cog_pace_sleep_ms(cog_pace_backoff_ms(&a->pace, throttled - 1));
            i--;
            continue;
        }
        /* 5xx and network trouble pass; a refusal does not. */
        if (st != COG_ERR_UNAVAILABLE || i >= a->retries)
            break;
        sleep_ms(delay);
        delay *= 2;
    }
    if (st != COG_OK && err != NULL && credentials_refused(err->code)) {
        /* Copies: cog_error_set rewrites err's own buffers. */
        char msg[COG_ERROR_MESSAGE_MAX], code[COG_ERROR_CODE_MAX];
        snprintf(msg, sizeof(msg), "%s", err->message);
        snprintf(code, sizeof(code), "%s", err->code);
        st = cog_error_set(err, COG_ERR_CONFIG, code,
                           "AWS refused the credentials from %s (%s): %.300s", a->creds.source,
                           code, msg);
    }
    return st;
}

/* ---- the whole pool ------------------------------------------------------------ */

static int64_t epoch_of(struct json_object *v)
{
    if (v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
        return (int64_t)json_object_get_double(v);
    return 0;
}

static cog_status add_user(struct cog_pool *pool, const struct cog_config *cfg,
                           struct json_object *obj, struct cog_strmap *by_name,
                           struct cog_error *err)
{
    const char *username = cog_json_string(obj, "Username");
    struct json_object *v;
    if (username == NULL)
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "ListUsers: a user without Username");
    struct cog_pool_user *u = cog_pool_add_user(pool);
    if (u == NULL || (u->username = cog_pool_strdup(pool, username)) == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    u->created = epoch_of(json_object_object_get(obj, "UserCreateDate"));
    u->enabled = json_object_object_get_ex(obj, "Enabled", &v) ? json_object_get_boolean(v) : true;
    const char *status = cog_json_string(obj, "UserStatus");
    u->status = cog_pool_strdup(pool, status ? status : "UNKNOWN");
    if (u->status == NULL || !cog_strmap_put(by_name, u->username, pool->nusers - 1))
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    return cog_pool_user_set_attributes(pool, u, cfg, json_object_object_get(obj, "Attributes"),
                                        err);
}

typedef cog_status (*page_fn)(void *ctx, struct json_object *page, struct cog_error *err);

/* Calls op page by page, following token_key (PaginationToken or NextToken). */
static cog_status paginate(struct cog_admin *a, const char *op, struct json_object *req,
                           const char *token_key, page_fn fn, void *ctx, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_object *resp = NULL;
    for (int pages = 0;; pages++) {
        if (pages == MAX_PAGES) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: more than %d pages", op,
                               MAX_PAGES);
            break;
        }
        st = cog_admin_call(a, op, req, &resp, err);
        if (st != COG_OK)
            break;
        st = fn(ctx, resp, err);
        if (st != COG_OK)
            break;
        const char *next = cog_json_string(resp, token_key);
        if (next == NULL || *next == '\0')
            break;
        if (!cog_json_add_string(req, token_key, next)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        json_object_put(resp);
        resp = NULL;
    }
    json_object_put(resp);
    return st;
}

struct lister {
    struct cog_admin *a;
    struct cog_pool *pool;
    struct cog_strmap by_name;
    size_t members;
    const char *group; /* ListUsersInGroup: which group */
    cog_admin_progress_fn progress;
    void *ctx;
};

static void report(struct lister *l)
{
    if (l->progress != NULL)
        l->progress(l->ctx, l->pool->nusers, l->pool->ngroups, l->members);
}

static struct json_object *list_of(struct json_object *page, const char *key)
{
    struct json_object *v = json_object_object_get(page, key);
    return v != NULL && json_object_is_type(v, json_type_array) ? v : NULL;
}

static cog_status users_page(void *ctx, struct json_object *page, struct cog_error *err)
{
    struct lister *l = ctx;
    struct json_object *users = list_of(page, "Users");
    for (size_t i = 0; users != NULL && i < json_object_array_length(users); i++) {
        cog_status st =
            add_user(l->pool, l->a->idp.cfg, json_object_array_get_idx(users, i), &l->by_name, err);
        if (st != COG_OK)
            return st;
    }
    report(l);
    return COG_OK;
}

static cog_status groups_page(void *ctx, struct json_object *page, struct cog_error *err)
{
    struct lister *l = ctx;
    struct json_object *groups = list_of(page, "Groups");
    for (size_t i = 0; groups != NULL && i < json_object_array_length(groups); i++) {
        struct json_object *g = json_object_array_get_idx(groups, i);
        const char *name = cog_json_string(g, "GroupName");
        if (name == NULL)
            continue;
        struct cog_pool_group *pg = cog_pool_add_group(l->pool);
        if (pg == NULL || (pg->name = cog_pool_strdup(l->pool, name)) == NULL)
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        pg->created = epoch_of(json_object_object_get(g, "CreationDate"));
    }
    report(l);
    return COG_OK;
}

static cog_status members_page(void *ctx, struct json_object *page, struct cog_error *err)
{
    struct lister *l = ctx;
    struct json_object *users = list_of(page, "Users");
    for (size_t i = 0; users != NULL && i < json_object_array_length(users); i++) {
        const char *username = cog_json_string(json_object_array_get_idx(users, i), "Username");
        size_t at;
        /* A user created after ListUsers ran: the next sync (or a login) adds it. */
        if (username == NULL || !cog_strmap_get(&l->by_name, username, &at))
            continue;
        if (!cog_pool_user_add_group(l->pool, &l->pool->users[at], l->group))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        l->members++;
    }
    report(l);
    return COG_OK;
}

/* The attributes the mapping reads: no more travels over the wire. */
static cog_status attributes_to_get(const struct cog_config *cfg, struct json_object *req,
                                    struct cog_error *err)
{
    const char *names[] = {"sub",
                           "name",
                           "given_name",
                           "family_name",
                           cfg->username_attribute,
                           cfg->uid_attribute,
                           cfg->ssh_key_attribute};
    struct json_object *list = json_object_new_array();
    if (list == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i] != NULL && json_object_array_add(list, json_object_new_string(names[i])) != 0)
            goto nomem;
    }
    if (json_object_object_add(req, "AttributesToGet", list) != 0)
        goto nomem;
    return COG_OK;
nomem:
    json_object_put(list);
    return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

static struct json_object *page_request(const struct cog_config *cfg, const char *group)
{
    struct json_object *req = json_object_new_object();
    if (req == NULL || !cog_json_add_string(req, "UserPoolId", cfg->user_pool_id) ||
        json_object_object_add(req, "Limit", json_object_new_int(PAGE_LIMIT)) != 0 ||
        (group != NULL && !cog_json_add_string(req, "GroupName", group))) {
        json_object_put(req);
        return NULL;
    }
    return req;
}

cog_status cog_admin_list_pool(struct cog_admin *a, struct cog_pool *pool,
                               cog_admin_progress_fn progress, void *ctx, struct cog_error *err)
{
    cog_status st;
    const struct cog_config *cfg = a->idp.cfg;
    struct lister l = {.a = a, .pool = pool, .progress = progress, .ctx = ctx};
    struct json_object *req = page_request(cfg, NULL);

    if (req == NULL || (st = attributes_to_get(cfg, req, err)) != COG_OK) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = paginate(a, "ListUsers", req, "PaginationToken", users_page, &l, err);
    if (st != COG_OK)
        goto out;
    json_object_put(req);
    req = page_request(cfg, NULL);
    if (req == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = paginate(a, "ListGroups", req, "NextToken", groups_page, &l, err);
    for (size_t g = 0; st == COG_OK && g < pool->ngroups; g++) {
        json_object_put(req);
        req = page_request(cfg, pool->groups[g].name);
        if (req == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        l.group = pool->groups[g].name;
        st = paginate(a, "ListUsersInGroup", req, "NextToken", members_page, &l, err);
    }
out:
    json_object_put(req);
    cog_strmap_free(&l.by_name);
    return st;
}

/* ---- a few users at a time (the incremental export) ------------------------------ */

cog_status cog_admin_read_users(struct cog_admin *a, struct cog_pool *pool, const char *filter,
                                struct cog_error *err)
{
    cog_status st;
    struct lister l = {.a = a, .pool = pool};
    struct json_object *req = page_request(a->idp.cfg, NULL);

    if (req == NULL || (st = attributes_to_get(a->idp.cfg, req, err)) != COG_OK ||
        !cog_json_add_string(req, "Filter", filter)) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = paginate(a, "ListUsers", req, "PaginationToken", users_page, &l, err);
out:
    json_object_put(req);
    cog_strmap_free(&l.by_name);
    return st;
}

cog_status cog_admin_read_groups(struct cog_admin *a, struct cog_pool *pool, struct cog_error *err)
{
    struct lister l = {.a = a, .pool = pool};
    struct json_object *req = page_request(a->idp.cfg, NULL);
    cog_status st = req == NULL ? cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory")
                                : paginate(a, "ListGroups", req, "NextToken", groups_page, &l, err);
    json_object_put(req);
    return st;
}

struct user_groups {
    struct cog_pool *pool;
    size_t at;
};

static cog_status user_groups_page(void *ctx, struct json_object *page, struct cog_error *err)
{
    struct user_groups *ug = ctx;
    struct json_object *groups = list_of(page, "Groups");
    for (size_t i = 0; groups != NULL && i < json_object_array_length(groups); i++) {
        const char *name = cog_json_string(json_object_array_get_idx(groups, i), "GroupName");
        if (name != NULL && !cog_pool_user_add_group(ug->pool, &ug->pool->users[ug->at], name))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    return COG_OK;
}

cog_status cog_admin_read_user_groups(struct cog_admin *a, struct cog_pool *pool, size_t at,
                                      struct cog_error *err)
{
    struct user_groups ug = {.pool = pool, .at = at};
    struct json_object *req = page_request(a->idp.cfg, NULL);
    cog_status st;
    if (req == NULL || !cog_json_add_string(req, "Username", pool->users[at].username))
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    else
        st = paginate(a, "AdminListGroupsForUser", req, "NextToken", user_groups_page, &ug, err);
    json_object_put(req);
    return st;
}
