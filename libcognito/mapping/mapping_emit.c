/* The mapping's decisions as cache records: home, GECOS, SSH keys,
 * supplementary groups and group members. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/arena.h"
#include "libcognito/core/buf.h"
#include "libcognito/mapping/mapping_internal.h"
#include "libcognito/core/util.h"

#define GECOS_MAX 255
#define SSH_KEY_MAX (16 * 1024)
#define SSH_KEYS_MAX 32

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

cog_status mapper_emit(struct mapper *m, struct cog_cache_model *out, struct cog_error *err)
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
