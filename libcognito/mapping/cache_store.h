/* What the cache's writers share (cache_store.c: the logins files, a drop;
 * cache_login.c: a login; cache_sync.c: a sync). Internal to libcognito. */
#ifndef COGNITO_CACHE_STORE_H
#define COGNITO_CACHE_STORE_H

#include "libcognito/cache/cache.h"
#include "libcognito/cache/idmap.h"

struct json_object;

/* A logins model being built. */
struct delta {
    struct cog_cache_model *m;
    struct cog_u32map hidden; /* uid -> model index of a hidden record */
    struct cog_strmap groups; /* unix group name -> model group */
};

/* The model as the full files (m->delta false) or the logins files: account
 * facts (root-only), public keys, NSS; each checked against lk before its rename. */
cog_status cog_store_write_model(const struct cog_cache_lock *lk, const char *dir,
                                 struct cog_cache_model *m, struct cog_error *err);
cog_status cog_store_add_hidden(struct delta *d, const char *name, uint32_t uid,
                                struct cog_error *err);
cog_status cog_store_copy_user(struct cog_cache_model *m, const struct cog_cache_map *nm,
                               const struct cog_disk_user *r, const struct cog_cache_map *am,
                               const struct cog_disk_account *a, struct cog_error *err);
cog_status cog_store_displace(struct delta *d, const struct cog_cache_map *nss,
                              const struct cog_cache_map *acc, const struct cog_cache_user *x,
                              struct cog_error *err);
cog_status cog_store_add_group(struct delta *d, const char *name, uint32_t gid,
                               struct cog_error *err);
cog_status cog_store_copy_groups(struct delta *d, const struct cog_cache_map *old,
                                 struct cog_error *err);
cog_status cog_store_fill_members(struct cog_cache_model *m, struct cog_error *err);
void cog_store_delta_free(struct delta *d);
/* Kept logins over a new full file: displaced records hidden, groups and
 * members filled (cache_retire.c). */
cog_status cog_store_shadow_full(struct delta *d, const struct cog_cache_files *full,
                                 const struct cog_cache_map *old_delta, struct cog_error *err);
/* Removes the three logins files (cache_retire.c), lk checked first. */
cog_status cog_store_remove_logins(const struct cog_cache_lock *lk, const char *dir,
                                   struct cog_error *err);
/* Full files, empty, where there are none or they are damaged (readers
 * need them to exist); f is opened again then. */
cog_status cog_store_ensure_full(const struct cog_cache_lock *lk, const char *dir,
                                 struct cog_cache_files *f, struct cog_error *err);
/* The old logins file's records into d, minus what x replaces. */
cog_status cog_store_carry_old_logins(struct delta *d, const struct cog_cache_files *f,
                                      const struct cog_cache_user *x, struct cog_error *err);
/* d, completed with the old logins' groups and every group's members, as
 * the new logins files; readers are told. journaled: through the logins
 * journal (a login, under cog_cache_lock_login), else each file synced. */
cog_status cog_store_write_logins(const struct cog_cache_lock *lk, const char *dir, struct delta *d,
                                  const struct cog_cache_files *f, bool journaled,
                                  struct cog_error *err);
/* A login's cache update (cog_cache_store_login_checked's arguments) and
 * the writer's work itself (cache_login.c), under the lock in this
 * process: cog_cache_store_login runs it in cog_run_guarded when the
 * login changes the cache; tests and bench/cache time it alone. */
struct cog_login_job {
    const struct cog_config *cfg;
    struct json_object *id_claims, *getuser;
    const char *nss_checked;
    struct cog_mapping_log *log;
    /* The files as the unchanged-check opened them (NULL: none): the
     * writer keeps what no one has replaced since. */
    struct cog_cache_files *files;
};
cog_status cog_store_login_job(void *ctx, struct cog_error *err);
/* Tells log (may be NULL) when lk was taken from a stale holder, and why. */
struct cog_mapping_log;
void cog_store_note_reclaim(struct cog_mapping_log *log, const struct cog_cache_lock *lk);

#endif
