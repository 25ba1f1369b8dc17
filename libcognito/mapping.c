/* Pool users and groups to Unix users and groups: the rules are in mapping.h
 * and cognito.conf(5). Nothing here touches the network or the cache files;
 * the writers hand in the pool, what the host gave out before, and take the
 * model. */
#include "build-config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/evp.h>

#include "libcognito/arena.h"
#include "libcognito/buf.h"
#include "libcognito/idmap.h"
#include "libcognito/idp.h"
#include "libcognito/mapping.h"
#include "libcognito/util.h"

#define GECOS_MAX 255
#define SSH_KEY_MAX (16 * 1024)
#define SSH_KEYS_MAX 32
#define PROBES_MAX 1000

/* ---- configuration ---------------------------------------------------------- */

void cog_mapping_config_defaults(struct cog_config *cfg)
{
    cfg->uid_min = COG_DEFAULT_UID_MIN;
    cfg->uid_max = COG_DEFAULT_UID_MAX;
    cfg->gid_min = COG_DEFAULT_GID_MIN;
    cfg->gid_max = COG_DEFAULT_GID_MAX;
}

const char *cog_mapping_check_attribute(const char *v)
{
    size_t n = strlen(v);
    if (n > 128)
        return "not an attribute name";
    for (const char *p = v; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("_:.-", *p))
            return "not an attribute name";
    }
    return NULL;
}

/* Calls fn for each "left:right" of a comma-separated list (split at the last
 * ':', since Cognito group names may hold one); false when one is malformed
 * or fn says so. */
static bool each_pair(const char *v, bool (*fn)(void *ctx, const char *left, const char *right),
                      void *ctx)
{
    char left[COG_USERNAME_MAX + 1], right[64];
    for (const char *p = v; *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *colon = NULL;
        for (const char *q = p; q < end; q++) {
            if (*q == ':')
                colon = q;
        }
        if (colon == NULL || colon == p)
            return false;
        size_t ll = (size_t)(colon - p), rl = (size_t)(end - colon - 1);
        while (ll > 0 && p[ll - 1] == ' ')
            ll--;
        const char *r = colon + 1;
        while (rl > 0 && *r == ' ') {
            r++;
            rl--;
        }
        while (rl > 0 && r[rl - 1] == ' ')
            rl--;
        if (ll == 0 || ll >= sizeof(left) || rl == 0 || rl >= sizeof(right))
            return false;
        memcpy(left, p, ll);
        left[ll] = '\0';
        memcpy(right, r, rl);
        right[rl] = '\0';
        if (!fn(ctx, left, right))
            return false;
        p = end;
    }
    return true;
}

static bool parse_id(const char *s, long min, long max, uint32_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return false;
    long n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return false;
    *out = (uint32_t)n;
    return true;
}

static bool pin_ok(void *ctx, const char *left, const char *right)
{
    uint32_t gid;
    (void)ctx;
    (void)left;
    return parse_id(right, 1000, COG_ID_MAX, &gid);
}

/* A local group: a Unix group name or a numeric gid; never the root group. */
static bool map_target_ok(void *ctx, const char *left, const char *right)
{
    uint32_t gid;
    char name[COG_UNIX_NAME_MAX + 1];
    (void)ctx;
    (void)left;
    if (isdigit((unsigned char)right[0]))
        return parse_id(right, 1, COG_ID_MAX, &gid);
    return cog_mapping_unix_name(right, name) && strcmp(name, right) == 0 &&
           strcmp(right, "root") != 0;
}

const char *cog_mapping_check_group_gids(const char *v)
{
    return each_pair(v, pin_ok, NULL) ? NULL
                                      : "not a list of GROUP:GID (GID from 1000 to 2147483646)";
}

const char *cog_mapping_check_group_map(const char *v)
{
    return each_pair(v, map_target_ok, NULL)
               ? NULL
               : "not a list of COGNITO_GROUP:LOCAL_GROUP (a local name or gid, never root)";
}

const char *cog_mapping_check_home_template(const char *v)
{
    if (v[0] != '/' || strlen(v) > 200 || strpbrk(v, ":,\n") != NULL)
        return "not an absolute path template";
    for (const char *p = v; *p; p++) {
        if (*p == '%') {
            p++;
            if (*p != 'u' && *p != 'U' && *p != '%')
                return "not a template (%u, %U and %% only)";
        }
    }
    return NULL;
}

struct pin_range {
    long min, max;
    bool bad;
};

static bool pin_outside(void *ctx, const char *left, const char *right)
{
    struct pin_range *r = ctx;
    uint32_t gid = 0;
    (void)left;
    parse_id(right, 1000, COG_ID_MAX, &gid);
    if (gid >= r->min && gid <= r->max)
        r->bad = true;
    return true;
}

cog_status cog_mapping_check_config(const struct cog_config *cfg, struct cog_error *err)
{
    if (cfg->uid_min > cfg->uid_max || cfg->gid_min > cfg->gid_max)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "uid_min/uid_max or gid_min/gid_max are not in order");
    /* Private groups take gid = uid: Cognito groups must live elsewhere. */
    if (cfg->gid_min <= cfg->uid_max && cfg->uid_min <= cfg->gid_max)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "the gid range %d-%d overlaps the uid range %d-%d", cfg->gid_min,
                             cfg->gid_max, cfg->uid_min, cfg->uid_max);
    struct pin_range r = {cfg->uid_min, cfg->uid_max, false};
    if (cfg->group_gids != NULL)
        each_pair(cfg->group_gids, pin_outside, &r);
    if (r.bad)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "group_gids: a gid inside the uid range %d-%d", cfg->uid_min,
                             cfg->uid_max);
    return COG_OK;
}

/* ---- the pool ------------------------------------------------------------------- */

void cog_pool_init(struct cog_pool *p)
{
    memset(p, 0, sizeof(*p));
    p->arena = cog_arena_new();
}

void cog_pool_free(struct cog_pool *p)
{
    free(p->users);
    free(p->groups);
    cog_arena_free(p->arena);
    memset(p, 0, sizeof(*p));
}

char *cog_pool_strdup(struct cog_pool *p, const char *s)
{
    return p->arena ? cog_arena_strdup(p->arena, s) : NULL;
}

static bool grow(void **array, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *na = ncap <= SIZE_MAX / elem ? realloc(*array, ncap * elem) : NULL;
    if (na == NULL)
        return false;
    *array = na;
    *cap = ncap;
    return true;
}

struct cog_pool_user *cog_pool_add_user(struct cog_pool *p)
{
    if (p->arena == NULL || !grow((void **)&p->users, &p->users_cap, p->nusers, sizeof(*p->users)))
        return NULL;
    struct cog_pool_user *u = &p->users[p->nusers++];
    memset(u, 0, sizeof(*u));
    return u;
}

struct cog_pool_group *cog_pool_add_group(struct cog_pool *p)
{
    if (p->arena == NULL ||
        !grow((void **)&p->groups, &p->groups_cap, p->ngroups, sizeof(*p->groups)))
        return NULL;
    struct cog_pool_group *g = &p->groups[p->ngroups++];
    memset(g, 0, sizeof(*g));
    return g;
}

bool cog_pool_user_add_group(struct cog_pool *p, struct cog_pool_user *u, const char *group)
{
    /* Arrays of a user live in the arena: a pool of a million users must
     * not cost a million mallocs. */
    if (u->ngroups == u->groups_cap) {
        size_t ncap = u->groups_cap ? u->groups_cap * 2 : 4;
        const char **ng = cog_arena_alloc(p->arena, ncap * sizeof(*ng));
        if (ng == NULL)
            return false;
        if (u->ngroups > 0)
            memcpy(ng, u->groups, u->ngroups * sizeof(*ng));
        u->groups = ng;
        u->groups_cap = ncap;
    }
    const char *copy = cog_arena_strdup(p->arena, group);
    if (copy == NULL)
        return false;
    u->groups[u->ngroups++] = copy;
    return true;
}

/* One attribute's value into the fields the configuration gives it. */
static bool set_attribute(struct cog_pool *p, struct cog_pool_user *u, const struct cog_config *cfg,
                          const char *name, const char *value)
{
    const char *copy = cog_pool_strdup(p, value);
    if (copy == NULL)
        return false;
    if (strcmp(name, "sub") == 0)
        u->sub = copy;
    if (strcmp(name, "name") == 0)
        u->name = copy;
    if (strcmp(name, "given_name") == 0)
        u->given_name = copy;
    if (strcmp(name, "family_name") == 0)
        u->family_name = copy;
    if (cfg->username_attribute != NULL && strcmp(name, cfg->username_attribute) == 0)
        u->name_value = copy;
    if (cfg->uid_attribute != NULL && strcmp(name, cfg->uid_attribute) == 0)
        u->uid_value = copy;
    if (cfg->ssh_key_attribute != NULL && strcmp(name, cfg->ssh_key_attribute) == 0)
        u->ssh_keys = copy;
    return true;
}

static bool attribute_wanted(const struct cog_config *cfg, const char *name)
{
    static const char *const always[] = {"sub", "name", "given_name", "family_name"};
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
        if (strcmp(name, always[i]) == 0)
            return true;
    }
    const char *configured[] = {cfg->username_attribute, cfg->uid_attribute,
                                cfg->ssh_key_attribute};
    for (size_t i = 0; i < 3; i++) {
        if (configured[i] != NULL && strcmp(name, configured[i]) == 0)
            return true;
    }
    return false;
}

cog_status cog_pool_user_set_attributes(struct cog_pool *p, struct cog_pool_user *u,
                                        const struct cog_config *cfg, struct json_object *list,
                                        struct cog_error *err)
{
    if (list == NULL)
        return COG_OK;
    if (!json_object_is_type(list, json_type_array))
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                             "the service sent attributes that are "
                             "not a list");
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        struct json_object *a = json_object_array_get_idx(list, i);
        const char *name = cog_json_string(a, "Name"), *value = cog_json_string(a, "Value");
        if (name == NULL || value == NULL || !attribute_wanted(cfg, name))
            continue;
        if (!set_attribute(p, u, cfg, name, value))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    return COG_OK;
}

cog_status cog_pool_user_from_login(struct cog_pool *p, struct cog_pool_user *u,
                                    const struct cog_config *cfg, struct json_object *claims,
                                    struct json_object *getuser, struct cog_error *err)
{
    const char *username = cog_json_string(claims, "cognito:username");
    const char *sub = cog_json_string(claims, "sub");
    if (username == NULL || sub == NULL)
        return cog_error_set(err, COG_ERR_TOKEN, NULL,
                             "the ID token has no cognito:username or sub claim");
    u->username = cog_pool_strdup(p, username);
    u->sub = cog_pool_strdup(p, sub);
    u->enabled = true; /* a login just succeeded */
    u->status = cog_pool_strdup(p, "CONFIRMED");
    if (u->username == NULL || u->sub == NULL || u->status == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    json_object_object_foreach(claims, key, val)
    {
        char num[32];
        const char *value = NULL;
        if (json_object_is_type(val, json_type_string))
            value = json_object_get_string(val);
        else if (json_object_is_type(val, json_type_int)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(val));
            value = num;
        }
        if (value == NULL || strcmp(key, "sub") == 0 || !attribute_wanted(cfg, key))
            continue;
        if (!set_attribute(p, u, cfg, key, value))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    struct json_object *groups = json_object_object_get(claims, "cognito:groups");
    if (groups != NULL && json_object_is_type(groups, json_type_array)) {
        size_t n = json_object_array_length(groups);
        for (size_t i = 0; i < n; i++) {
            struct json_object *g = json_object_array_get_idx(groups, i);
            if (json_object_is_type(g, json_type_string) &&
                !cog_pool_user_add_group(p, u, json_object_get_string(g)))
                return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        }
    }
    if (getuser != NULL) {
        /* GetUser answers for the token's user; anything else is not ours to trust. */
        const char *who = cog_json_string(getuser, "Username");
        if (who != NULL && strcmp(who, username) != 0)
            return cog_error_set(err, COG_ERR_TOKEN, NULL,
                                 "GetUser answered for another user than the ID token's");
        struct json_object *attrs = NULL;
        json_object_object_get_ex(getuser, "UserAttributes", &attrs);
        cog_status st = cog_pool_user_set_attributes(p, u, cfg, attrs, err);
        if (st != COG_OK)
            return st;
        if (strcmp(u->sub, sub) != 0)
            return cog_error_set(err, COG_ERR_TOKEN, NULL,
                                 "GetUser's sub differs from the ID token's");
    }
    return COG_OK;
}

/* ---- names and ids ---------------------------------------------------------------- */

bool cog_mapping_unix_name(const char *src, char out[COG_UNIX_NAME_MAX + 1])
{
    size_t n = 0;
    if (src == NULL)
        return false;
    for (const char *p = src; *p != '\0'; p++, n++) {
        if (n == COG_UNIX_NAME_MAX)
            return false;
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        bool ok = (c >= 'a' && c <= 'z') || c == '_' ||
                  (n > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
        if (!ok)
            return false;
        out[n] = c;
    }
    out[n] = '\0';
    return n > 0;
}

bool cog_mapping_unix_name_of_claims(const struct cog_config *cfg, struct json_object *claims,
                                     char out[COG_UNIX_NAME_MAX + 1])
{
    const char *key = cfg->username_attribute ? cfg->username_attribute : "cognito:username";
    return cog_mapping_unix_name(cog_json_string(claims, key), out);
}

uint32_t cog_mapping_hash_id(const char *key, unsigned probe, uint32_t min, uint32_t max)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char msg[COG_USERNAME_MAX + 16];
    uint64_t h = 0;

    /* Keys are subs (36 characters) and group names (at most 128). */
    int n = probe > 0 ? snprintf(msg, sizeof(msg), "%s#%u", key, probe)
                      : snprintf(msg, sizeof(msg), "%s", key);
    if (n > 0 && (size_t)n < sizeof(msg) &&
        EVP_Digest(msg, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32) {
        for (int i = 0; i < 8; i++)
            h = h << 8 | md[i];
    }
    return min + (uint32_t)(h % ((uint64_t)max - min + 1));
}

/* ---- the local accounts --------------------------------------------------------- */

struct local {
    struct cog_strmap names;     /* user and group names */
    struct cog_strmap group_gid; /* group name -> gid */
    struct cog_u32map uids, gids;
    struct cog_arena *arena;
};

static void logf_(struct cog_mapping_log *log, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(struct cog_mapping_log *log, int prio, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (log == NULL || log->fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log->fn(log->ctx, prio, msg);
}

/* Reads the local passwd and group files directly (never through NSS, which
 * would ask our own cache). A missing file is empty. */
static cog_status local_load(struct local *l, const struct cog_config *cfg,
                             struct cog_mapping_log *log, struct cog_error *err)
{
    cog_status st = COG_OK;
    const char *pw_path = cfg->local_passwd_file ? cfg->local_passwd_file : COG_DEFAULT_PASSWD_FILE;
    const char *gr_path = cfg->local_group_file ? cfg->local_group_file : COG_DEFAULT_GROUP_FILE;
    char buf[16384];
    FILE *f = NULL;

    memset(l, 0, sizeof(*l));
    l->arena = cog_arena_new();
    if (l->arena == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    f = fopen(pw_path, "re");
    if (f == NULL)
        logf_(log, LOG_WARNING, "cannot read %s: %s", pw_path, strerror(errno));
    while (f != NULL) {
        struct passwd pw, *res = NULL;
        if (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
            break;
        const char *name = cog_arena_strdup(l->arena, pw.pw_name);
        if (name == NULL || !cog_strmap_put(&l->names, name, 0) ||
            !cog_u32map_put(&l->uids, pw.pw_uid, 0)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    if (f != NULL)
        fclose(f);
    f = fopen(gr_path, "re");
    if (f == NULL)
        logf_(log, LOG_WARNING, "cannot read %s: %s", gr_path, strerror(errno));
    while (f != NULL) {
        struct group gr, *res = NULL;
        if (fgetgrent_r(f, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
            break;
        const char *name = cog_arena_strdup(l->arena, gr.gr_name);
        if (name == NULL || !cog_strmap_put(&l->names, name, 0) ||
            !cog_strmap_put(&l->group_gid, name, gr.gr_gid) ||
            !cog_u32map_put(&l->gids, gr.gr_gid, 0)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
out:
    if (f != NULL)
        fclose(f);
    return st;
}

static void local_free(struct local *l)
{
    cog_strmap_free(&l->names);
    cog_strmap_free(&l->group_gid);
    cog_u32map_free(&l->uids);
    cog_u32map_free(&l->gids);
    cog_arena_free(l->arena);
}

/* ---- the mapping ---------------------------------------------------------------- */

#define NOBODY SIZE_MAX
#define GROUP_MAP_MAX 64

/* One group_map entry with its local gid. */
struct map_entry {
    char group[COG_USERNAME_MAX + 1];
    uint32_t gid;
};

struct mapper {
    const struct cog_mapping_input *in;
    const struct cog_config *cfg;
    const struct cog_pool *pool;
    struct cog_mapping_log *log;
    struct local local;
    char (*names)[COG_UNIX_NAME_MAX + 1];  /* per pool user; "" = skipped */
    uint32_t *uids;                        /* per pool user; 0 = none yet */
    char (*gnames)[COG_UNIX_NAME_MAX + 1]; /* per pool group; "" = skipped */
    uint32_t *gids;
    struct cog_strmap name_owner;  /* unix name -> pool user */
    struct cog_u32map uid_owner;   /* uid -> pool user */
    struct cog_strmap gname_owner; /* unix group name -> pool group */
    struct cog_u32map gid_owner;   /* gid -> pool group */
    struct cog_strmap group_index; /* Cognito group name -> pool group */
    struct cog_u32map reserved;    /* the input's reserved ids */
    struct map_entry *map;         /* group_map, resolved */
    size_t nmap;
};

/* The sub this host's cache gives the account named name, or NULL. */
static const char *prior_sub_of_name(const struct mapper *m, const char *name)
{
    const struct cog_cache_map *map;
    const struct cog_disk_account *a;
    if (m->in->prior_accounts == NULL ||
        cog_view_account_by_name(m->in->prior_accounts, name, &map, &a) != COG_CACHE_OK)
        return NULL;
    return cog_cache_str(map, a->sub);
}

static uint32_t prior_uid_of_sub(const struct mapper *m, const char *sub)
{
    const struct cog_cache_map *map;
    const struct cog_disk_account *a;
    if (m->in->prior_accounts == NULL || sub == NULL ||
        cog_view_account_by_sub(m->in->prior_accounts, sub, &map, &a) != COG_CACHE_OK)
        return 0;
    return a->uid;
}

/* Is uid held, on this host, by someone other than sub? */
static bool uid_taken(const struct mapper *m, uint32_t uid, const char *sub)
{
    size_t owner;
    if (cog_u32map_get(&m->local.uids, uid, NULL) || cog_u32map_get(&m->local.gids, uid, NULL))
        return true;
    if (cog_u32map_get(&m->reserved, uid, NULL))
        return true;
    if (cog_u32map_get(&m->uid_owner, uid, &owner))
        return strcmp(m->pool->users[owner].sub, sub) != 0;
    if (m->in->incremental && m->in->prior_nss != NULL) {
        /* A login does not rewrite the full file: a uid held there (or in
         * the logins file, or hidden by it) is held, unless the one who
         * holds it now is this very user. */
        const struct cog_cache_view *v = m->in->prior_nss;
        struct cog_view_user vu;
        if (cog_view_user_by_uid(v, uid, &vu) == COG_CACHE_OK) {
            const char *holder = prior_sub_of_name(m, cog_cache_str(vu.map, vu.rec->name));
            return holder == NULL || strcmp(holder, sub) != 0;
        }
        if (cog_cache_user_by_uid(v->main, uid) || cog_cache_user_by_uid(v->delta, uid) ||
            cog_cache_group_by_gid(v->main, uid) || cog_cache_group_by_gid(v->delta, uid))
            return true;
    }
    return false;
}

static bool gid_taken(const struct mapper *m, uint32_t gid, const char *group)
{
    size_t owner;
    if (cog_u32map_get(&m->local.gids, gid, NULL) || cog_u32map_get(&m->uid_owner, gid, NULL) ||
        cog_u32map_get(&m->reserved, gid, NULL))
        return true;
    if (cog_u32map_get(&m->gid_owner, gid, &owner))
        return strcmp(m->pool->groups[owner].name, group) != 0;
    if (m->in->incremental && m->in->prior_nss != NULL) {
        const struct cog_cache_map *maps[2] = {m->in->prior_nss->main, m->in->prior_nss->delta};
        for (int i = 0; i < 2; i++) {
            if (cog_cache_user_by_uid(maps[i], gid) != NULL)
                return true;
            const struct cog_disk_group *g = cog_cache_group_by_gid(maps[i], gid);
            char want[COG_UNIX_NAME_MAX + 1];
            if (g != NULL && (!cog_mapping_unix_name(group, want) ||
                              strcmp(cog_cache_str(maps[i], g->name), want) != 0))
                return true;
        }
    }
    return false;
}

/* Orders pool users for contested names and ids: earlier UserCreateDate, then sub. */
static int by_age(const void *a, const void *b, void *ctx)
{
    const struct cog_pool_user *users = ctx;
    const struct cog_pool_user *x = &users[*(const size_t *)a];
    const struct cog_pool_user *y = &users[*(const size_t *)b];
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->sub ? x->sub : "", y->sub ? y->sub : "");
}

static cog_status assign_names(struct mapper *m, const size_t *order, struct cog_error *err)
{
    const struct cog_pool *p = m->pool;
    /* Two passes: whoever holds a name on this host keeps it; then the rest by age. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < p->nusers; k++) {
            size_t i = order[k];
            const struct cog_pool_user *u = &p->users[i];
            char name[COG_UNIX_NAME_MAX + 1];
            const char *src = m->cfg->username_attribute ? u->name_value : u->username;
            if (m->uids[i] == UINT32_MAX)
                continue; /* already left out */
            if (u->sub == NULL || !cog_text_valid(u->sub, 128) ||
                !cog_mapping_unix_name(src, name)) {
                logf_(m->log, LOG_WARNING, "user '%.128s': %s; left out",
                      u->username ? u->username : "?",
                      u->sub == NULL || !cog_text_valid(u->sub, 128) ? "no usable sub"
                      : src == NULL                                  ? "no username attribute"
                                                                     : "not a valid Unix name");
                m->log->skipped++;
                m->uids[i] = UINT32_MAX;
                continue;
            }
            if (m->names[i][0] != '\0')
                continue;
            const char *holder = prior_sub_of_name(m, name);
            bool holds = holder != NULL && strcmp(holder, u->sub) == 0;
            if (pass == 0 && !holds)
                continue;
            if (cog_strmap_get(&m->local.names, name, NULL)) {
                logf_(m->log, LOG_WARNING,
                      "user '%s' (sub %s): a local user or group has that "
                      "name; left out",
                      name, u->sub);
                m->log->skipped++;
                m->uids[i] = UINT32_MAX;
                continue;
            }
            size_t other;
            if (cog_strmap_get(&m->name_owner, name, &other)) {
                logf_(m->log, LOG_WARNING,
                      "user '%.128s' (sub %s) maps to '%s', which sub %s has; left out",
                      u->username, u->sub, name, p->users[other].sub);
                m->log->skipped++;
                m->log->collisions++;
                m->uids[i] = UINT32_MAX;
                continue;
            }
            memcpy(m->names[i], name, sizeof(name));
            if (!cog_strmap_put(&m->name_owner, m->names[i], i))
                return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        }
    }
    return COG_OK;
}

static cog_status claim_uid(struct mapper *m, size_t i, uint32_t uid, struct cog_error *err)
{
    m->uids[i] = uid;
    if (!cog_u32map_put(&m->uid_owner, uid, i))
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    return COG_OK;
}

/* Explicit uids first, then uids users already hold, then hashed ones in age order. */
static cog_status assign_uids(struct mapper *m, const size_t *order, struct cog_error *err)
{
    const struct cog_pool *p = m->pool;
    const struct cog_config *cfg = m->cfg;
    cog_status st = COG_OK;

    for (int pass = 0; pass < 3 && st == COG_OK; pass++) {
        for (size_t k = 0; k < p->nusers && st == COG_OK; k++) {
            size_t i = order[k];
            const struct cog_pool_user *u = &p->users[i];
            if (m->names[i][0] == '\0' || m->uids[i] != 0)
                continue;
            bool explicit_uid = cfg->uid_attribute != NULL && u->uid_value != NULL;
            uint32_t uid = 0;
            if (pass == 0 && explicit_uid) {
                if (!parse_id(u->uid_value, 1000, COG_ID_MAX, &uid) || uid == 65534) {
                    logf_(m->log, LOG_WARNING,
                          "user '%s': %s '%.32s' is not a usable uid; left out", m->names[i],
                          cfg->uid_attribute, u->uid_value);
                } else if (uid_taken(m, uid, u->sub)) {
                    logf_(m->log, LOG_WARNING, "user '%s': uid %u from %s is taken; left out",
                          m->names[i], uid, cfg->uid_attribute);
                    m->log->collisions++;
                } else {
                    st = claim_uid(m, i, uid, err);
                    continue;
                }
                m->log->skipped++;
                m->names[i][0] = '\0';
                m->uids[i] = UINT32_MAX;
                continue;
            }
            if (explicit_uid)
                continue;
            if (pass == 1) {
                uid = prior_uid_of_sub(m, u->sub);
                if (uid == 0)
                    continue;
                if (uid < 1000 || uid > COG_ID_MAX || uid_taken(m, uid, u->sub)) {
                    logf_(m->log, LOG_WARNING,
                          "user '%s' (sub %s) held uid %u, now taken; "
                          "a new uid follows",
                          m->names[i], u->sub, uid);
                    m->log->collisions++;
                    continue;
                }
                st = claim_uid(m, i, uid, err);
                continue;
            }
            if (pass != 2)
                continue;
            unsigned probe;
            for (probe = 0; probe < PROBES_MAX; probe++) {
                uid = cog_mapping_hash_id(u->sub, probe, (uint32_t)cfg->uid_min,
                                          (uint32_t)cfg->uid_max);
                if (uid != 65534 && !uid_taken(m, uid, u->sub))
                    break;
                if (probe == 0) {
                    size_t other;
                    bool ours = cog_u32map_get(&m->uid_owner, uid, &other);
                    logf_(m->log, LOG_NOTICE,
                          "uid %u: sub %s (created %lld) hashes to it but %s%s has it; "
                          "probing",
                          uid, u->sub, (long long)u->created, ours ? "sub " : "an existing account",
                          ours ? p->users[other].sub : "");
                    m->log->collisions++;
                }
            }
            if (probe == PROBES_MAX) {
                logf_(m->log, LOG_ERR, "user '%s': no free uid in %d-%d; left out", m->names[i],
                      cfg->uid_min, cfg->uid_max);
                m->log->skipped++;
                m->names[i][0] = '\0';
                continue;
            }
            if (probe > 0)
                logf_(m->log, LOG_NOTICE, "user '%s' (sub %s) gets uid %u (probe %u)", m->names[i],
                      u->sub, uid, probe);
            st = claim_uid(m, i, uid, err);
        }
    }
    return st;
}

struct pin_find {
    const char *group;
    uint32_t gid;
};

static bool pin_find(void *ctx, const char *left, const char *right)
{
    struct pin_find *f = ctx;
    if (strcmp(left, f->group) == 0)
        parse_id(right, 1000, COG_ID_MAX, &f->gid);
    return true;
}

static uint32_t prior_gid_of_group(const struct mapper *m, const char *unix_name)
{
    struct cog_view_group g;
    if (m->in->prior_nss == NULL ||
        cog_view_group_by_name(m->in->prior_nss, unix_name, &g) != COG_CACHE_OK || g.rec == NULL)
        return 0;
    return g.rec->gid;
}

static int group_by_age(const void *a, const void *b, void *ctx)
{
    const struct cog_pool_group *groups = ctx;
    const struct cog_pool_group *x = &groups[*(const size_t *)a];
    const struct cog_pool_group *y = &groups[*(const size_t *)b];
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->name, y->name);
}

static cog_status assign_groups(struct mapper *m, struct cog_error *err)
{
    const struct cog_pool *p = m->pool;
    const struct cog_config *cfg = m->cfg;
    size_t *order = malloc((p->ngroups ? p->ngroups : 1) * sizeof(*order));

    if (order == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < p->ngroups; i++)
        order[i] = i;
    qsort_r(order, p->ngroups, sizeof(*order), group_by_age, p->groups);

    for (size_t k = 0; k < p->ngroups; k++) {
        size_t i = order[k];
        const char *cname = p->groups[i].name;
        char name[COG_UNIX_NAME_MAX + 1];
        const char *why = NULL;
        if (!cog_strmap_put(&m->group_index, cname, i))
            goto nomem;
        if (!cog_mapping_unix_name(cname, name))
            why = "not a valid Unix group name";
        else if (cog_strmap_get(&m->local.names, name, NULL))
            why = "a local user or group has that name (use group_map)";
        else if (cog_strmap_get(&m->name_owner, name, NULL))
            why = "a user has that name (their private group)";
        else if (cog_strmap_get(&m->gname_owner, name, NULL))
            why = "another Cognito group maps to the same name";
        if (why != NULL) {
            logf_(m->log, LOG_WARNING, "group '%.128s': %s; not a Unix group", cname, why);
            m->log->skipped++;
            continue;
        }
        memcpy(m->gnames[i], name, sizeof(name));
        if (!cog_strmap_put(&m->gname_owner, m->gnames[i], i))
            goto nomem;
    }
    /* gids: pinned, then held before, then hashed, each pass in age order. */
    for (int pass = 0; pass < 3; pass++) {
        for (size_t k = 0; k < p->ngroups; k++) {
            size_t i = order[k];
            const char *cname = p->groups[i].name;
            struct pin_find pin = {cname, 0};
            if (m->gnames[i][0] == '\0' || m->gids[i] != 0)
                continue;
            if (cfg->group_gids != NULL)
                each_pair(cfg->group_gids, pin_find, &pin);
            uint32_t gid = 0;
            if (pass == 0 && pin.gid != 0) {
                gid = pin.gid;
                if (gid_taken(m, gid, cname)) {
                    logf_(m->log, LOG_WARNING,
                          "group '%s': pinned gid %u is taken; not a Unix "
                          "group",
                          cname, gid);
                    m->log->skipped++;
                    m->gnames[i][0] = '\0';
                    continue;
                }
            } else if (pass == 1 && pin.gid == 0) {
                gid = prior_gid_of_group(m, m->gnames[i]);
                if (gid != 0 && gid_taken(m, gid, cname)) {
                    logf_(m->log, LOG_WARNING,
                          "group '%s' held gid %u, now taken; a new gid "
                          "follows",
                          cname, gid);
                    m->log->collisions++;
                    gid = 0;
                }
            } else if (pass == 2) {
                unsigned probe;
                for (probe = 0; probe < PROBES_MAX; probe++) {
                    gid = cog_mapping_hash_id(cname, probe, (uint32_t)cfg->gid_min,
                                              (uint32_t)cfg->gid_max);
                    if (!gid_taken(m, gid, cname))
                        break;
                }
                if (probe > 0) {
                    logf_(m->log, LOG_NOTICE, "group '%s' gets gid %u (probe %u)", cname, gid,
                          probe);
                    m->log->collisions++;
                }
                if (probe == PROBES_MAX) {
                    m->gnames[i][0] = '\0';
                    m->log->skipped++;
                    continue;
                }
            }
            if (gid == 0)
                continue;
            m->gids[i] = gid;
            if (!cog_u32map_put(&m->gid_owner, gid, i))
                goto nomem;
        }
    }
    free(order);
    return COG_OK;
nomem:
    free(order);
    return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

/* group_map's local groups, resolved once in the local group file. */
struct map_collect {
    struct mapper *m;
    bool nomem;
};

static bool map_collect(void *ctx, const char *left, const char *right)
{
    struct map_collect *c = ctx;
    struct mapper *m = c->m;
    uint32_t gid = 0;
    size_t v;
    if (m->nmap == GROUP_MAP_MAX)
        return true;
    if (isdigit((unsigned char)right[0]))
        parse_id(right, 1, COG_ID_MAX, &gid);
    else if (cog_strmap_get(&m->local.group_gid, right, &v) && v != 0)
        gid = (uint32_t)v;
    if (gid == 0) {
        logf_(m->log, LOG_WARNING, "group_map: no local group '%s'; '%s' adds nothing", right,
              left);
        return true;
    }
    snprintf(m->map[m->nmap].group, sizeof(m->map[m->nmap].group), "%s", left);
    m->map[m->nmap++].gid = gid;
    return true;
}

static cog_status resolve_group_map(struct mapper *m, struct cog_error *err)
{
    struct map_collect c = {m, false};
    if (m->cfg->group_map == NULL)
        return COG_OK;
    m->map = calloc(GROUP_MAP_MAX, sizeof(*m->map));
    if (m->map == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    each_pair(m->cfg->group_map, map_collect, &c);
    return COG_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* "/home/%u" with the name and uid filled in. */
static char *home_of(struct cog_cache_model *out, const char *tmpl, const char *name, uint32_t uid)
{
    struct cog_buf b = {.public_data = true};
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%') {
            cog_buf_addc(&b, *p);
            continue;
        }
        p++;
        if (*p == 'u')
            cog_buf_adds(&b, name);
        else if (*p == 'U')
            cog_buf_printf(&b, "%u", uid);
        else if (*p == '%')
            cog_buf_addc(&b, '%');
        else
            break;
    }
    char *s = b.failed ? NULL : cog_cache_model_strdup(out, b.data ? b.data : "");
    cog_buf_free(&b);
    return s;
}

/* The GECOS full name: `name`, else `given_name family_name`; ':' and ','
 * (field separators) become spaces; bad text gives "". */
static char *gecos_of(struct cog_cache_model *out, const struct cog_pool_user *u)
{
    char buf[GECOS_MAX + 1];
    const char *full = u->name;
    if (full == NULL || *full == '\0') {
        snprintf(buf, sizeof(buf), "%s%s%s", u->given_name ? u->given_name : "",
                 u->given_name && u->family_name ? " " : "", u->family_name ? u->family_name : "");
    } else {
        snprintf(buf, sizeof(buf), "%s", full);
    }
    /* snprintf may have cut a character in two: drop its partial bytes. */
    size_t n = strlen(buf);
    for (int drop = 0; drop < 3 && n > 0 && !cog_text_valid(buf, GECOS_MAX); drop++)
        buf[--n] = '\0';
    for (char *p = buf; *p; p++) {
        if (*p == ':' || *p == ',')
            *p = ' ';
    }
    return cog_cache_model_strdup(out, cog_text_valid(buf, GECOS_MAX) ? buf : "");
}

/* SSH keys: one per line; blank lines dropped, anything not plain text dropped. */
static cog_status keys_of(struct cog_cache_model *out, struct cog_cache_user *cu, const char *value,
                          struct cog_error *err)
{
    const char **keys = NULL;
    size_t n = 0;
    if (value == NULL || *value == '\0')
        return COG_OK;
    keys = cog_cache_model_alloc(out, SSH_KEYS_MAX * sizeof(*keys));
    if (keys == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (const char *p = value; p != NULL && *p != '\0' && n < SSH_KEYS_MAX;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
            len--;
        if (len > 0 && len <= SSH_KEY_MAX) {
            char *k = cog_arena_strndup(out->arena, s, len);
            if (k == NULL)
                return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            if (cog_text_valid(k, SSH_KEY_MAX))
                keys[n++] = k;
        }
        p = end ? end + 1 : NULL;
    }
    cu->keys = keys;
    cu->nkeys = n;
    return COG_OK;
}

static cog_status emit(struct mapper *m, struct cog_cache_model *out, struct cog_error *err)
{
    const struct cog_pool *p = m->pool;
    const struct cog_config *cfg = m->cfg;
    size_t *model_index = malloc((p->nusers ? p->nusers : 1) * sizeof(size_t));
    size_t *nmembers = calloc(p->ngroups ? p->ngroups : 1, sizeof(size_t));
    cog_status st = COG_OK;

    if (model_index == NULL || nmembers == NULL)
        goto nomem;
    for (size_t i = 0; i < p->nusers; i++) {
        const struct cog_pool_user *u = &p->users[i];
        model_index[i] = NOBODY;
        if (m->names[i][0] == '\0' || m->uids[i] == 0 || m->uids[i] == UINT32_MAX)
            continue;
        struct cog_cache_user *cu = cog_cache_model_add_user(out);
        if (cu == NULL)
            goto nomem;
        model_index[i] = out->nusers - 1;
        cu->name = cog_cache_model_strdup(out, m->names[i]);
        cu->sub = cog_cache_model_strdup(out, u->sub);
        cu->uid = cu->gid = m->uids[i];
        cu->home = home_of(out, cfg->home_template ? cfg->home_template : COG_DEFAULT_HOME,
                           m->names[i], m->uids[i]);
        cu->shell = cfg->default_shell ? cfg->default_shell : COG_DEFAULT_SHELL;
        cu->gecos = gecos_of(out, u);
        cu->status = cog_cache_model_strdup(out, u->status ? u->status : "UNKNOWN");
        cu->enabled = u->enabled;
        cu->created = u->created;
        if (!cu->name || !cu->sub || !cu->home || !cu->gecos || !cu->status)
            goto nomem;
        st = keys_of(out, cu, u->ssh_keys, err);
        if (st != COG_OK)
            goto out;

        /* Supplementary gids: each mapped Cognito group, plus group_map's local groups. */
        size_t cap = u->ngroups * (1 + m->nmap);
        uint32_t *gids = cog_cache_model_alloc(out, (cap ? cap : 1) * sizeof(*gids));
        const char **groups =
            cog_cache_model_alloc(out, (u->ngroups ? u->ngroups : 1) * sizeof(*groups));
        if (gids == NULL || groups == NULL)
            goto nomem;
        size_t ng = 0, nn = 0;
        for (size_t g = 0; g < u->ngroups; g++) {
            size_t gi;
            groups[nn] = cog_cache_model_strdup(out, u->groups[g]);
            if (groups[nn] == NULL)
                goto nomem;
            nn++;
            if (cog_strmap_get(&m->group_index, u->groups[g], &gi) && m->gids[gi] != 0) {
                gids[ng++] = m->gids[gi];
                nmembers[gi]++;
            }
            for (size_t k = 0; k < m->nmap; k++) {
                if (strcmp(m->map[k].group, u->groups[g]) == 0)
                    gids[ng++] = m->map[k].gid;
            }
        }
        qsort(gids, ng, sizeof(*gids), cmp_u32);
        size_t uniq = 0;
        for (size_t g = 0; g < ng; g++) {
            if (gids[g] != cu->gid && (uniq == 0 || gids[uniq - 1] != gids[g]))
                gids[uniq++] = gids[g];
        }
        cu->gids = gids;
        cu->ngids = uniq;
        cu->groups = groups;
        cu->ngroups = nn;
    }
    /* Cognito groups with their members. */
    for (size_t gi = 0; gi < p->ngroups; gi++) {
        if (m->gnames[gi][0] == '\0' || m->gids[gi] == 0)
            continue;
        struct cog_cache_group *cg = cog_cache_model_add_group(out);
        if (cg == NULL)
            goto nomem;
        cg->name = cog_cache_model_strdup(out, m->gnames[gi]);
        cg->gid = m->gids[gi];
        uint32_t *members = cog_cache_model_alloc(out, (nmembers[gi] ? nmembers[gi] : 1) * 4);
        if (cg->name == NULL || members == NULL)
            goto nomem;
        cg->members = members;
        nmembers[gi] = 0;
    }
    /* Second walk fills the member lists (model groups follow pool order). */
    size_t gmodel = 0;
    for (size_t gi = 0; gi < p->ngroups; gi++) {
        if (m->gnames[gi][0] == '\0' || m->gids[gi] == 0) {
            nmembers[gi] = NOBODY;
            continue;
        }
        nmembers[gi] = gmodel++;
    }
    for (size_t i = 0; i < p->nusers; i++) {
        if (model_index[i] == NOBODY)
            continue;
        const struct cog_pool_user *u = &p->users[i];
        for (size_t g = 0; g < u->ngroups; g++) {
            size_t gi;
            if (!cog_strmap_get(&m->group_index, u->groups[g], &gi) || nmembers[gi] == NOBODY)
                continue;
            struct cog_cache_group *cg = &out->groups[nmembers[gi]];
            ((uint32_t *)cg->members)[cg->nmembers++] = (uint32_t)model_index[i];
        }
    }
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    free(model_index);
    free(nmembers);
    return st;
}

cog_status cog_mapping_build(const struct cog_mapping_input *in, struct cog_cache_model *out,
                             struct cog_mapping_log *log, struct cog_error *err)
{
    cog_status st;
    struct cog_mapping_log quiet = {0};
    struct mapper m = {.in = in, .cfg = in->cfg, .pool = in->pool, .log = log ? log : &quiet};
    const struct cog_pool *p = in->pool;
    size_t *order = NULL;

    st = local_load(&m.local, in->cfg, m.log, err);
    if (st != COG_OK)
        goto out;
    size_t nu = p->nusers ? p->nusers : 1, ng = p->ngroups ? p->ngroups : 1;
    m.names = calloc(nu, sizeof(*m.names));
    m.uids = calloc(nu, sizeof(*m.uids));
    m.gnames = calloc(ng, sizeof(*m.gnames));
    m.gids = calloc(ng, sizeof(*m.gids));
    order = malloc(nu * sizeof(*order));
    if (!m.names || !m.uids || !m.gnames || !m.gids || !order) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->nusers; i++)
        order[i] = i;
    qsort_r(order, p->nusers, sizeof(*order), by_age, p->users);

    for (size_t i = 0; i < in->nreserved; i++) {
        if (!cog_u32map_put(&m.reserved, in->reserved[i], 0)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    st = resolve_group_map(&m, err);
    if (st == COG_OK)
        st = assign_names(&m, order, err);
    if (st == COG_OK)
        st = assign_uids(&m, order, err);
    if (st == COG_OK)
        st = assign_groups(&m, err);
    if (st == COG_OK)
        st = emit(&m, out, err);
out:
    free(order);
    free(m.names);
    free(m.uids);
    free(m.gnames);
    free(m.gids);
    cog_strmap_free(&m.name_owner);
    cog_u32map_free(&m.uid_owner);
    cog_strmap_free(&m.gname_owner);
    cog_u32map_free(&m.gid_owner);
    cog_strmap_free(&m.group_index);
    free(m.map);
    cog_u32map_free(&m.reserved);
    local_free(&m.local);
    return st;
}
