/* The configuration keys of the mapping: their syntax and the rules
 * between them (cognito.conf(5)), and the syntax of a Unix name
 * (config_mapping.h). */
#include "build-config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/config_mapping.h"
#include "libcognito/core/util.h"

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
bool mapping_each_pair(const char *v, bool (*fn)(void *ctx, const char *left, const char *right),
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

bool mapping_parse_id(const char *s, long min, long max, uint32_t *out)
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
    return mapping_parse_id(right, 1000, COG_ID_MAX, &gid);
}

/* A local group: a Unix group name or a numeric gid; never the root group. */
static bool map_target_ok(void *ctx, const char *left, const char *right)
{
    uint32_t gid;
    char name[COG_UNIX_NAME_MAX + 1];
    (void)ctx;
    (void)left;
    if (isdigit((unsigned char)right[0]))
        return mapping_parse_id(right, 1, COG_ID_MAX, &gid);
    return cog_mapping_unix_name(right, name) && strcmp(name, right) == 0 &&
           strcmp(right, "root") != 0;
}

const char *cog_mapping_check_group_gids(const char *v)
{
    return mapping_each_pair(v, pin_ok, NULL)
               ? NULL
               : "not a list of GROUP:GID (GID from 1000 to 2147483646)";
}

const char *cog_mapping_check_group_map(const char *v)
{
    return mapping_each_pair(v, map_target_ok, NULL)
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
    mapping_parse_id(right, 1000, COG_ID_MAX, &gid);
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
        mapping_each_pair(cfg->group_gids, pin_outside, &r);
    if (r.bad)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "group_gids: a gid inside the uid range %d-%d", cfg->uid_min,
                             cfg->uid_max);
    return COG_OK;
}

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

const char *cog_mapping_check_deny_names(const char *v)
{
    for (const char *p = v; *p != '\0';) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        char name[COG_UNIX_NAME_MAX + 1], low[COG_UNIX_NAME_MAX + 1];
        size_t len = n > 0 && p[n - 1] == '*' ? n - 1 : n;
        if (n > 0 && (len == 0 || len > COG_UNIX_NAME_MAX))
            return "not a list of Unix names (a trailing * matches any rest)";
        if (n > 0) {
            memcpy(name, p, len);
            name[len] = '\0';
            /* A prefix may end in '-' or '.'; a name is checked whole. */
            if (!cog_mapping_unix_name(name, low) || strcmp(low, name) != 0)
                return "not a list of lower-case Unix names (a trailing * matches any rest)";
        }
        p += n;
    }
    return NULL;
}
