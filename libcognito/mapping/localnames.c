/* Local accounts win (localnames.h): the local files, then NSS compared
 * with the user cache. */
#include "build-config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping.h"

#define ENTRY_BUF 16384
/* The longest entry a local file may hold (a group of many members). */
#define ENTRY_MAX (1024 * 1024)

cog_status cog_local_file_scan(const char *path, bool group,
                               bool (*fn)(void *ctx, const char *name, uint32_t id), void *ctx,
                               bool *missing, struct cog_error *err)
{
    cog_status st = COG_OK;
    size_t cap = ENTRY_BUF;
    char *buf = NULL;
    FILE *f = fopen(path, "re");

    *missing = f == NULL && errno == ENOENT;
    if (f == NULL) {
        if (!*missing)
            st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "cannot read %s: %s", path,
                               strerror(errno));
        goto out;
    }
    for (bool more = true; more;) {
        const char *name = NULL;
        uint32_t id = 0;
        int rc;
        if (buf == NULL && (buf = malloc(cap)) == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
        if (group) {
            struct group gr, *res = NULL;
            rc = fgetgrent_r(f, &gr, buf, cap, &res);
            if (rc == 0 && res != NULL) {
                name = gr.gr_name;
                id = gr.gr_gid;
            }
        } else {
            struct passwd pw, *res = NULL;
            rc = fgetpwent_r(f, &pw, buf, cap, &res);
            if (rc == 0 && res != NULL) {
                name = pw.pw_name;
                id = pw.pw_uid;
            }
        }
        if (rc == ERANGE && cap < ENTRY_MAX) {
            /* glibc puts the stream back at the entry's start. */
            free(buf);
            buf = NULL;
            cap *= 2;
            continue;
        }
        if ((rc != 0 && rc != ENOENT) || ferror(f)) {
            st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "cannot read %s: %s", path,
                               strerror(rc != 0 ? rc : EIO));
            goto out;
        }
        more = name != NULL && fn(ctx, name, id);
    }
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    return st;
}

struct has {
    const char *name;
    bool found;
};

static bool has_name(void *ctx, const char *name, uint32_t id)
{
    struct has *h = ctx;
    (void)id;
    h->found = strcmp(name, h->name) == 0;
    return !h->found;
}

/* Whether name is a user (or group) of the passwd (group) file at path; a
 * file that cannot be read whole gives why instead. */
static const char *file_has(const char *path, bool group, const char *name, const char *yes)
{
    struct has h = {name, false};
    struct cog_error err = {0};
    bool missing;
    if (cog_local_file_scan(path, group, has_name, &h, &missing, &err) != COG_OK)
        return group ? "the local group file cannot be read"
                     : "the local passwd file cannot be read";
    return h.found ? yes : NULL;
}

static bool same_str(const struct cog_cache_map *m, uint32_t off, const char *s)
{
    const char *mine = cog_cache_str(m, off);
    return mine != NULL && s != NULL && strcmp(mine, s) == 0;
}

const char *cog_local_nss_name(const char *name, const struct cog_cache_view *nss)
{
    char buf[ENTRY_BUF];
    struct passwd pw, *pwr = NULL;
    struct group gr, *grr = NULL;
    struct cog_view_user vu;
    struct cog_view_group vg;
    struct cog_cache_view none = {0};

    if (nss == NULL)
        nss = &none;
    int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &pwr);
    if (rc != 0 && rc != ENOENT && rc != ESRCH)
        return "the user lookup (NSS) failed";
    if (pwr != NULL &&
        (cog_view_user_by_name(nss, name, &vu) != COG_CACHE_OK || vu.rec->uid != pw.pw_uid ||
         vu.rec->gid != pw.pw_gid || !same_str(vu.map, vu.rec->home, pw.pw_dir) ||
         !same_str(vu.map, vu.rec->shell, pw.pw_shell)))
        return "another NSS source has a user of that name";
    rc = getgrnam_r(name, &gr, buf, sizeof(buf), &grr);
    if (rc != 0 && rc != ENOENT && rc != ESRCH)
        return "the group lookup (NSS) failed";
    if (grr != NULL && (cog_view_group_by_name(nss, name, &vg) != COG_CACHE_OK ||
                        cog_view_group_gid(&vg) != gr.gr_gid))
        return "another NSS source has a group of that name";
    return NULL;
}

const char *cog_local_name(const struct cog_config *cfg, const char *name)
{
    struct cog_cache_files f;
    struct cog_error err = {0};
    const char *why = NULL;

    char low[COG_UNIX_NAME_MAX + 1];
    /* The mapping lowers names before it checks them: so does this. */
    if (cog_mapping_name_denied(cfg, name) ||
        (cog_mapping_unix_name(name, low) && cog_mapping_name_denied(cfg, low)))
        return "the name is on the deny list";
    why = file_has(cfg->local_passwd_file ? cfg->local_passwd_file : COG_DEFAULT_PASSWD_FILE, false,
                   name, "a local user has that name");
    if (why == NULL)
        why = file_has(cfg->local_group_file ? cfg->local_group_file : COG_DEFAULT_GROUP_FILE, true,
                       name, "a local group has that name");
    if (why != NULL)
        return why;
    /* A sync or a login can rename a cache file in between opening the cache
     * here and NSS's answer, which our own module gives from the files it
     * finds then: a pool user the new file holds would look like another
     * source's. So a mismatch counts only if it holds against the cache
     * opened again after NSS answered; another source's account mismatches
     * every time. */
    for (int tries = 0; tries < 2; tries++) {
        if (cog_cache_files_open(cfg->cache_dir ? cfg->cache_dir : CACHEDIR, &f, &err) != COG_OK)
            return "out of memory";
        why = cog_local_nss_name(name, &f.vnss);
        cog_cache_files_close(&f);
        if (why == NULL)
            break;
    }
    return why;
}
