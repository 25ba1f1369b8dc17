/* What the cache, mapping and NSS tests share: a scratch directory with
 * local passwd/group files and a config pointing at it, pool users made in
 * one line, a login's claims, and the test build of the NSS module. */
#ifndef COGNITO_CACHETEST_H
#define COGNITO_CACHETEST_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/mapping/mapping.h"

struct tdir {
    char path[128];
    char cache[160]; /* path/cache */
};

/* A fresh directory with cache/ and local files: passwd has root (0),
 * daemon (1) and localuser (1000); group has root (0), sudo (27),
 * docker (999) and localgrp (1000). */
void tdir_make(struct tdir *d);
void tdir_remove(struct tdir *d);
/* d->path/name into out. */
void tdir_file(const struct tdir *d, const char *name, char *out, size_t len);

/* A config using d's local files and cache, plus extra "key = value" lines. */
void tconfig(struct cog_config *cfg, const struct tdir *d, const char *extra);

/* A pool user: groups is a comma list (or NULL). */
struct cog_pool_user *tuser(struct cog_pool *p, const char *username, const char *sub,
                            int64_t created, const char *groups);
/* Adds the pool groups named by the users' groups (once each). */
void tpool_groups(struct cog_pool *p);

/* Maps and writes pool as a sync would (listed at listed_at). */
void tsync(const struct cog_config *cfg, const struct cog_pool *pool, int64_t listed_at);

/* ID token claims of a login: groups is a comma list (or NULL); attrs are
 * "name=value" pairs, NULL-terminated (may be NULL). */
struct json_object *tclaims(const char *username, const char *sub, const char *groups,
                            const char *const *attrs);

/* The i-th user record inside a file image (to damage it on purpose). */
struct cog_disk_user *tdisk_user(char *img, uint32_t i);

/* The test build of libnss_cognito.so.2 ($NSS_TEST_MODULE), reading dir. */
struct nssmod {
    void *handle;
    enum nss_status (*getpwnam_r)(const char *, struct passwd *, char *, size_t, int *);
    enum nss_status (*getpwuid_r)(uid_t, struct passwd *, char *, size_t, int *);
    enum nss_status (*setpwent)(int);
    enum nss_status (*getpwent_r)(struct passwd *, char *, size_t, int *);
    enum nss_status (*endpwent)(void);
    enum nss_status (*getgrnam_r)(const char *, struct group *, char *, size_t, int *);
    enum nss_status (*getgrgid_r)(gid_t, struct group *, char *, size_t, int *);
    enum nss_status (*setgrent)(int);
    enum nss_status (*getgrent_r)(struct group *, char *, size_t, int *);
    enum nss_status (*endgrent)(void);
    enum nss_status (*initgroups_dyn)(const char *, gid_t, long int *, long int *, gid_t **,
                                      long int, int *);
};
void nssmod_load(struct nssmod *m, const char *cache_dir);

/* getpwnam through the module with a big buffer; status returned, *uid set. */
enum nss_status nss_uid_of(const struct nssmod *m, const char *name, uid_t *uid);
/* The supplementary gids initgroups_dyn gives name (primary excluded), sorted. */
size_t nss_groups_of(const struct nssmod *m, const char *name, gid_t primary, gid_t *out,
                     size_t max);

#endif
