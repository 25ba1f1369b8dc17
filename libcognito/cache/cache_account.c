/* Account facts as pam_cognito's account phase and `cognitoctl
 * authorized-keys` read them (cog_account_lookup, cache.h). Root reads the
 * root-only accounts files; anyone else reads the public keys files, which
 * hold only what authorized-keys needs (cache_write.c, cog_cache_build_keys). */
#include "build-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"

void cog_account_clear(struct cog_account *a)
{
    if (a == NULL)
        return;
    free(a->name);
    free(a->sub);
    free(a->status);
    for (size_t i = 0; i < a->ngroups; i++)
        free(a->groups[i]);
    for (size_t i = 0; i < a->nkeys; i++)
        free(a->keys[i]);
    free(a->groups);
    free(a->keys);
    memset(a, 0, sizeof(*a));
}

static bool dup_list(const struct cog_cache_map *m, uint32_t list, char ***out, size_t *n)
{
    const uint32_t *items;
    uint32_t count = 0;
    *out = NULL;
    *n = 0;
    if (!cog_cache_list(m, list, &items, &count) || count == 0)
        return true;
    *out = calloc(count, sizeof(**out));
    if (*out == NULL)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        (*out)[i] = strdup(cog_cache_str(m, items[i]));
        if ((*out)[i] == NULL)
            return false;
        (*n)++;
    }
    return true;
}

cog_status cog_account_lookup(const struct cog_config *cfg, const char *username,
                              struct cog_account *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct cog_cache_map main_map, delta_map;
    struct cog_cache_view v = {0};
    const struct cog_cache_map *at;
    const struct cog_disk_account *a;
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
    char *mp = cog_cache_path(dir, COG_CACHE_ACCOUNTS_FILE);
    char *dp = cog_cache_path(dir, COG_CACHE_ACCOUNTS_DELTA_FILE);
    bool public_only = false;

    memset(out, 0, sizeof(*out));
    memset(&main_map, 0, sizeof(main_map));
    memset(&delta_map, 0, sizeof(delta_map));
    if (mp == NULL || dp == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* Who may not read the root-only facts (sshd's AuthorizedKeysCommandUser)
     * reads the public keys files; until a sync has made them, nothing. */
    if (mp != NULL && dp != NULL && access(mp, R_OK) != 0 && errno == EACCES) {
        free(mp);
        free(dp);
        mp = cog_cache_path(dir, COG_CACHE_KEYS_FILE);
        dp = cog_cache_path(dir, COG_CACHE_KEYS_DELTA_FILE);
        public_only = true;
    }
    if (mp == NULL || dp == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    enum cog_cache_rc rc = cog_cache_map_load(&main_map, mp, COG_DISK_ACCOUNTS);
    if (rc != COG_CACHE_OK) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: %s", mp,
                           rc == COG_CACHE_ABSENT      ? "no cache yet (run cognitoctl sync)"
                           : rc == COG_CACHE_UNTRUSTED ? "not owned by root or writable by others"
                                                       : "unreadable or damaged");
        goto out;
    }
    v.main = &main_map;
    if (cog_cache_map_load(&delta_map, dp, COG_DISK_ACCOUNTS) == COG_CACHE_OK)
        v.delta = &delta_map;
    if (cog_view_account_by_name(&v, username, &at, &a) != COG_CACHE_OK) {
        st = cog_error_set(err, COG_ERR_USER_UNKNOWN, NULL, "no user '%.64s' in the cache",
                           username);
        goto out;
    }
    out->name = strdup(cog_cache_str(at, a->name));
    out->sub = strdup(cog_cache_str(at, a->sub));
    out->status = strdup(cog_cache_str(at, a->status));
    out->enabled = (a->flags & COG_DISK_ENABLED) != 0;
    out->uid = a->uid;
    out->created = a->created;
    out->from_login = at == v.delta;
    out->public_only = public_only;
    if (!out->name || !out->sub || !out->status ||
        !dup_list(at, a->groups, &out->groups, &out->ngroups) ||
        !dup_list(at, a->keys, &out->keys, &out->nkeys)) {
        cog_account_clear(out);
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
out:
    cog_cache_map_close(&main_map);
    cog_cache_map_close(&delta_map);
    free(mp);
    free(dp);
    return st;
}
