/* Unix names: their syntax, the local accounts and the names a pool user
 * may never take, and who gets a name. */
#include "build-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "libcognito/core/arena.h"
#include "libcognito/core/json.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping_internal.h"
#include "libcognito/core/util.h"

bool cog_mapping_unix_name_of_claims(const struct cog_config *cfg, struct json_object *claims,
                                     char out[COG_UNIX_NAME_MAX + 1])
{
    const char *key = cfg->username_attribute ? cfg->username_attribute : "cognito:username";
    return cog_mapping_unix_name(cog_json_string(claims, key), out);
}

/* ---- the deny list ---------------------------------------------------------------- */

/* Names that carry privilege on common systems (sudoers' %admin, %sudo and
 * %wheel, the groups of device files, of container and VM managers), and
 * systemd's own: no pool user or group may become them. A trailing '*'
 * matches any rest. deny_names adds to this list; nothing removes from it. */
static const char *const builtin_deny[] = {
    "root",     "admin",     "adm",     "wheel",     "sudo",       "sudoers", "staff",
    "shadow",   "disk",      "kmem",    "tty",       "docker",     "lxd",     "libvirt",
    "kvm",      "systemd-*", "bin",     "daemon",    "sys",        "nobody",  "nogroup",
    "operator", "utmp",      "lpadmin", "libvirt-*", "sambashare", "input",   "sshd",
};

static bool deny_match(const char *pattern, size_t plen, const char *name)
{
    if (plen > 0 && pattern[plen - 1] == '*')
        return strncmp(pattern, name, plen - 1) == 0;
    return strlen(name) == plen && strncmp(pattern, name, plen) == 0;
}

bool cog_mapping_name_denied(const struct cog_config *cfg, const char *name)
{
    for (size_t i = 0; i < sizeof(builtin_deny) / sizeof(builtin_deny[0]); i++) {
        if (deny_match(builtin_deny[i], strlen(builtin_deny[i]), name))
            return true;
    }
    for (const char *p = cfg->deny_names; p != NULL && *p != '\0';) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (n > 0 && deny_match(p, n, name))
            return true;
        p += n;
    }
    return false;
}

void mapper_logf(struct cog_mapping_log *log, int prio, const char *fmt, ...)
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

struct local_load {
    struct local *l;
    bool group, nomem;
};

static bool local_add(void *ctx, const char *name, uint32_t id)
{
    struct local_load *ll = ctx;
    struct local *l = ll->l;
    const char *copy = cog_arena_strdup(l->arena, name);
    ll->nomem =
        copy == NULL || !cog_strmap_put(&l->names, copy, 0) ||
        !(ll->group ? cog_strmap_put(&l->group_gid, copy, id) && cog_u32map_put(&l->gids, id, 0)
                    : cog_u32map_put(&l->uids, id, 0));
    return !ll->nomem;
}

/* Reads the local passwd and group files directly (never through NSS, which
 * would ask our own cache). A file that does not exist is empty; one that
 * cannot be read fails the mapping (cog_local_file_scan), l left empty. */
cog_status mapping_local_load(struct local *l, const struct cog_config *cfg,
                              struct cog_mapping_log *log, struct cog_error *err)
{
    const char *paths[2] = {cfg->local_passwd_file ? cfg->local_passwd_file
                                                   : COG_DEFAULT_PASSWD_FILE,
                            cfg->local_group_file ? cfg->local_group_file : COG_DEFAULT_GROUP_FILE};

    memset(l, 0, sizeof(*l));
    l->arena = cog_arena_new();
    if (l->arena == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    cog_status st = COG_OK;
    for (int i = 0; i < 2 && st == COG_OK; i++) {
        struct local_load ll = {l, i == 1, false};
        bool missing = false;
        st = cog_local_file_scan(paths[i], ll.group, local_add, &ll, &missing, err);
        if (st == COG_OK && ll.nomem)
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        if (st == COG_OK && missing)
            mapper_logf(log, LOG_WARNING, "%s does not exist: no local %s", paths[i],
                        ll.group ? "groups" : "users");
    }
    if (st != COG_OK)
        mapping_local_free(l);
    return st;
}

void mapping_local_free(struct local *l)
{
    cog_strmap_free(&l->names);
    cog_strmap_free(&l->group_gid);
    cog_u32map_free(&l->uids);
    cog_u32map_free(&l->gids);
    cog_arena_free(l->arena);
    l->arena = NULL; /* freed twice is harmless: a failed load frees, and its caller too */
}

/* The sub this host's cache gives the account named name, or NULL. */
const char *mapper_prior_sub_of_name(const struct mapper *m, const char *name)
{
    const struct cog_cache_map *map;
    const struct cog_disk_account *a;
    if (m->in->prior_accounts == NULL ||
        cog_view_account_by_name(m->in->prior_accounts, name, &map, &a) != COG_CACHE_OK)
        return NULL;
    return cog_cache_str(map, a->sub);
}

cog_status mapper_assign_names(struct mapper *m, const size_t *order, struct cog_error *err)
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
                mapper_logf(m->log, LOG_WARNING, "user '%.128s': %s; left out",
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
            const char *holder = mapper_prior_sub_of_name(m, name);
            bool holds = holder != NULL && strcmp(holder, u->sub) == 0;
            if (pass == 0 && !holds)
                continue;
            const char *why = cog_mapping_name_denied(m->cfg, name) ? "the name is on the deny list"
                              : cog_strmap_get(&m->local.names, name, NULL)
                                  ? "a local user or group has that name"
                                  : NULL;
            if (why == NULL && m->in->incremental &&
                (m->in->nss_checked == NULL || strcmp(m->in->nss_checked, name) != 0))
                why = cog_local_nss_name(name, m->in->prior_nss);
            if (why != NULL) {
                mapper_logf(m->log, LOG_WARNING, "user '%s' (sub %s): %s; left out", name, u->sub,
                            why);
                m->log->skipped++;
                m->uids[i] = UINT32_MAX;
                continue;
            }
            /* The name is bound to the sub the host first gave it to, as
             * long as the cache holds that account: an editable attribute
             * (preferred_username, username_attribute) cannot take it. */
            if (holder != NULL && *holder != '\0' && !holds) {
                mapper_logf(
                    m->log, LOG_WARNING,
                    "user '%.128s' (sub %s) maps to '%s', which this host gave to sub %.64s; "
                    "left out",
                    u->username ? u->username : "?", u->sub, name, holder);
                m->log->skipped++;
                m->log->collisions++;
                m->uids[i] = UINT32_MAX;
                continue;
            }
            size_t other;
            if (cog_strmap_get(&m->name_owner, name, &other)) {
                mapper_logf(m->log, LOG_WARNING,
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
