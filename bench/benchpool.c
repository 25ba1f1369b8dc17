/* The synthetic pool and scratch setup of the writer benchmarks (benchpool.h). */
#include "build-config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/benchpool.h"

int bench_config(struct cog_config *cfg, const char *dir, struct cog_error *err)
{
    char text[5000];
    snprintf(text, sizeof(text),
             "region = us-east-1\nuser_pool_id = us-east-1_Bench\nclient_id = c\n"
             "cache_dir = %s\nlocal_passwd_file = /dev/null\nlocal_group_file = /dev/null\n"
             "gid_min = 3000000\ngid_max = 3999999\n",
             dir);
    cog_config_init(cfg);
    return cog_config_parse_buffer(cfg, text, strlen(text), "bench", err) == COG_OK &&
                   cog_config_finish(cfg, err) == COG_OK
               ? 0
               : 1;
}

bool bench_setup(const char *what, char dir[4096], struct cog_config *cfg)
{
    struct cog_error err = {0};
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, 4096, "%s/bench-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", what);
    if (mkdtemp(dir) == NULL)
        return false;
    if (bench_config(cfg, dir, &err) != 0) {
        fprintf(stderr, "bench: %s\n", err.message);
        return false;
    }
    return true;
}

static bool add_group(struct cog_pool *pool, const char *prefix, long i)
{
    char name[64];
    struct cog_pool_group *pg = cog_pool_add_group(pool);
    snprintf(name, sizeof(name), "%s%ld", prefix, i);
    return pg != NULL && (pg->name = cog_pool_strdup(pool, name)) != NULL;
}

bool bench_pool_make(struct cog_pool *pool, long n, long groups)
{
    char name[64];

    for (long g = 0; g < groups; g++) {
        if (!add_group(pool, "team-", g))
            return false;
    }
    for (long g = 0; g < BENCH_BIG_GROUPS; g++) {
        if (!add_group(pool, "team-big-", g))
            return false;
    }
    for (long i = 0; i < n; i++) {
        struct cog_pool_user *u = cog_pool_add_user(pool);
        if (u == NULL)
            return false;
        snprintf(name, sizeof(name), "user%ld", i);
        u->username = cog_pool_strdup(pool, name);
        snprintf(name, sizeof(name), "sub-%08ld", i);
        u->sub = cog_pool_strdup(pool, name);
        u->created = 1600000000 + i;
        u->enabled = true;
        u->status = "CONFIRMED";
        long gs[3] = {i % groups, (i * 7 + 1) % groups, (i * 13 + 2) % groups};
        for (int k = 0; k < 3; k++) {
            if ((k == 1 && gs[1] == gs[0]) || (k == 2 && (gs[2] == gs[0] || gs[2] == gs[1])))
                continue;
            if (!cog_pool_user_add_group(pool, u, pool->groups[gs[k]].name))
                return false;
        }
        if (i % 100 < BENCH_BIG_GROUPS &&
            !cog_pool_user_add_group(pool, u, pool->groups[groups + i % 100].name))
            return false;
    }
    return true;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void bench_rmtree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

long bench_peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}
