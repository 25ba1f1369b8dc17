#include "build-config.h"

#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "tests/cachetest.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

void tdir_make(struct tdir *d)
{
    const char *tmp = getenv("TMPDIR");
    char p[256];
    snprintf(d->path, sizeof(d->path), "%s/cognito-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(d->path));
    snprintf(d->cache, sizeof(d->cache), "%s/cache", d->path);
    ck_assert_int_eq(mkdir(d->cache, 0755), 0);
    tdir_file(d, "passwd", p, sizeof(p));
    write_text(p,
               "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
               "localuser:x:1000:1000:Local:/home/localuser:/bin/bash\n");
    tdir_file(d, "group", p, sizeof(p));
    write_text(p, "root:x:0:\nsudo:x:27:localuser\ndocker:x:999:\nlocalgrp:x:1000:\n");
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tdir_remove(struct tdir *d)
{
    if (d->path[0] != '\0' && getenv("COGNITO_KEEP_TMP") == NULL)
        nftw(d->path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void tdir_file(const struct tdir *d, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", d->path, name);
}

void tconfig(struct cog_config *cfg, const struct tdir *d, const char *extra)
{
    struct cog_error err = {0};
    char text[4096];
    snprintf(text, sizeof(text),
             "region = us-east-1\nuser_pool_id = us-east-1_MockPool1\nclient_id = c\n"
             "cache_dir = %s\nlocal_passwd_file = %s/passwd\nlocal_group_file = %s/group\n%s",
             d->cache, d->path, d->path, extra ? extra : "");
    cog_config_init(cfg);
    ck_assert_msg(cog_config_parse_buffer(cfg, text, strlen(text), "test", &err) == COG_OK, "%s",
                  err.message);
    ck_assert_msg(cog_config_finish(cfg, &err) == COG_OK, "%s", err.message);
}

struct cog_pool_user *tuser(struct cog_pool *p, const char *username, const char *sub,
                            int64_t created, const char *groups)
{
    struct cog_pool_user *u = cog_pool_add_user(p);
    ck_assert_ptr_nonnull(u);
    u->username = cog_pool_strdup(p, username);
    u->sub = cog_pool_strdup(p, sub);
    u->created = created;
    u->enabled = true;
    u->status = "CONFIRMED";
    for (const char *g = groups; g != NULL && *g != '\0';) {
        const char *end = strchr(g, ',');
        char name[128];
        size_t n = end ? (size_t)(end - g) : strlen(g);
        snprintf(name, sizeof(name), "%.*s", (int)n, g);
        ck_assert(cog_pool_user_add_group(p, u, name));
        g = end ? end + 1 : NULL;
    }
    return u;
}

void tpool_groups(struct cog_pool *p)
{
    for (size_t i = 0; i < p->nusers; i++) {
        for (size_t k = 0; k < p->users[i].ngroups; k++) {
            const char *name = p->users[i].groups[k];
            bool have = false;
            for (size_t g = 0; g < p->ngroups && !have; g++)
                have = strcmp(p->groups[g].name, name) == 0;
            if (!have) {
                struct cog_pool_group *g = cog_pool_add_group(p);
                ck_assert_ptr_nonnull(g);
                g->name = name;
                g->created = 100 + (int64_t)p->ngroups;
            }
        }
    }
}

void tsync(const struct cog_config *cfg, const struct cog_pool *pool, int64_t listed_at)
{
    struct cog_error err = {0};
    ck_assert_msg(cog_cache_store_pool(cfg, pool, listed_at, NULL, NULL, &err) == COG_OK, "%s",
                  err.message);
}

struct json_object *tclaims(const char *username, const char *sub, const char *groups,
                            const char *const *attrs)
{
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "sub", json_object_new_string(sub));
    json_object_object_add(c, "cognito:username", json_object_new_string(username));
    json_object_object_add(c, "token_use", json_object_new_string("id"));
    if (groups != NULL) {
        struct json_object *a = json_object_new_array();
        for (const char *g = groups; g != NULL && *g != '\0';) {
            const char *end = strchr(g, ',');
            size_t n = end ? (size_t)(end - g) : strlen(g);
            json_object_array_add(a, json_object_new_string_len(g, (int)n));
            g = end ? end + 1 : NULL;
        }
        json_object_object_add(c, "cognito:groups", a);
    }
    for (size_t i = 0; attrs != NULL && attrs[i] != NULL; i++) {
        const char *eq = strchr(attrs[i], '=');
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - attrs[i]), attrs[i]);
        json_object_object_add(c, key, json_object_new_string(eq + 1));
    }
    return c;
}

struct cog_disk_user *tdisk_user(char *img, uint32_t i)
{
    struct cog_disk_header h;
    uint32_t unit;
    memcpy(&h, img, sizeof(h));
    ck_assert_uint_lt(i, h.count[0]);
    memcpy(&unit, img + h.sect[COG_SEC_USERS].off + (size_t)i * 4, 4);
    return (struct cog_disk_user *)(void *)(img + h.sect[COG_SEC_STRINGS].off + (size_t)unit * 8);
}

#define SYM(name)                                                                                  \
    do {                                                                                           \
        *(void **)&m->name = dlsym(m->handle, "_nss_cognito_" #name);                              \
        ck_assert_msg(m->name != NULL, "no _nss_cognito_" #name);                                  \
    } while (0)

void nssmod_load(struct nssmod *m, const char *cache_dir)
{
    const char *path = getenv("NSS_TEST_MODULE");
    ck_assert_msg(path != NULL, "NSS_TEST_MODULE is not set (run through make check)");
    setenv("COGNITO_NSS_CACHE_DIR", cache_dir, 1);
    m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(m->handle != NULL, "dlopen %s: %s", path, dlerror());
    SYM(getpwnam_r);
    SYM(getpwuid_r);
    SYM(setpwent);
    SYM(getpwent_r);
    SYM(endpwent);
    SYM(getgrnam_r);
    SYM(getgrgid_r);
    SYM(setgrent);
    SYM(getgrent_r);
    SYM(endgrent);
    SYM(initgroups_dyn);
}

enum nss_status nss_uid_of(const struct nssmod *m, const char *name, uid_t *uid)
{
    struct passwd pw;
    char buf[4096];
    int e = 0;
    enum nss_status st = m->getpwnam_r(name, &pw, buf, sizeof(buf), &e);
    if (st == NSS_STATUS_SUCCESS && uid != NULL)
        *uid = pw.pw_uid;
    return st;
}

static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

size_t nss_groups_of(const struct nssmod *m, const char *name, gid_t primary, gid_t *out,
                     size_t max)
{
    long start = 0, size = 4;
    gid_t *groups = malloc((size_t)size * sizeof(gid_t));
    int e = 0;
    ck_assert_ptr_nonnull(groups);
    enum nss_status st = m->initgroups_dyn(name, primary, &start, &size, &groups, 0, &e);
    ck_assert_int_eq(st, NSS_STATUS_SUCCESS);
    size_t n = (size_t)start < max ? (size_t)start : max;
    memcpy(out, groups, n * sizeof(gid_t));
    free(groups);
    qsort(out, n, sizeof(gid_t), cmp_gid);
    return n;
}
