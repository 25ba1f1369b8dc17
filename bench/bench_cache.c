/* The cache writer at scale: a sync onto an empty host, a rebuild with every
 * prior kept, and one login's cache update, for a pool of N users in G
 * groups (each user in three). Prints the times and, against the baseline
 * (10,000 users in 100 groups, measured in the same run), the cost per user
 * as a ratio: about 1 at every size means the writer is linear in users and
 * groups; a table that cannot grow shows as a hang, something quadratic as a
 * ratio that climbs with N. Besides, ten big groups hold every hundredth
 * user each (10,000 members at 1M users): the reader's cost to list one
 * (what getgrnam copies) and the process's peak memory are printed too.
 *
 *   bench_cache [N G]...    default: 100000 5000  1000000 50000
 *
 * Run by bench/cache; needs a scratch directory ($TMPDIR or /tmp). */
#include "build-config.h"

#include <ftw.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"

struct times {
    long long sync, rebuild, login;
    double big_group_ms; /* listing one big group's members through the reader */
    size_t big_members;
};

#define BIG_GROUPS 10

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool count_member(void *ctx, const char *name)
{
    (void)name;
    ++*(size_t *)ctx;
    return true;
}

/* The members of big group 0 as the NSS module lists them (getgrnam). */
static int list_big_group(const char *dir, struct times *t)
{
    struct cog_cache_files f;
    struct cog_error err = {0};
    struct cog_view_group g;
    size_t n = 0;
    if (cog_cache_files_open(dir, &f, &err) != COG_OK)
        return 1;
    double t0 = now_ms();
    int rc = cog_view_group_by_name(&f.vnss, "team-big-0", &g) == COG_CACHE_OK ? 0 : 1;
    if (rc == 0)
        cog_view_group_members(&f.vnss, &g, count_member, &n);
    t->big_group_ms = now_ms() - t0;
    t->big_members = n;
    cog_cache_files_close(&f);
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int run(long n, long groups, struct times *t)
{
    char dir[256], text[1024], name[64];
    const char *tmp = getenv("TMPDIR");
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_error err = {0};
    int rc = 1;

    snprintf(dir, sizeof(dir), "%s/bench-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(text, sizeof(text),
             "region = us-east-1\nuser_pool_id = us-east-1_Bench\nclient_id = c\n"
             "cache_dir = %s\nlocal_passwd_file = /dev/null\nlocal_group_file = /dev/null\n"
             "gid_min = 3000000\ngid_max = 3999999\n",
             dir);
    cog_config_init(&cfg);
    cog_pool_init(&pool);
    if (cog_config_parse_buffer(&cfg, text, strlen(text), "bench", &err) != COG_OK ||
        cog_config_finish(&cfg, &err) != COG_OK)
        goto out;
    for (long g = 0; g < groups; g++) {
        struct cog_pool_group *pg = cog_pool_add_group(&pool);
        snprintf(name, sizeof(name), "team-%ld", g);
        if (pg == NULL || (pg->name = cog_pool_strdup(&pool, name)) == NULL)
            goto out;
    }
    for (long g = 0; g < BIG_GROUPS; g++) {
        struct cog_pool_group *pg = cog_pool_add_group(&pool);
        snprintf(name, sizeof(name), "team-big-%ld", g);
        if (pg == NULL || (pg->name = cog_pool_strdup(&pool, name)) == NULL)
            goto out;
    }
    for (long i = 0; i < n; i++) {
        struct cog_pool_user *u = cog_pool_add_user(&pool);
        if (u == NULL)
            goto out;
        snprintf(name, sizeof(name), "user%ld", i);
        u->username = cog_pool_strdup(&pool, name);
        snprintf(name, sizeof(name), "sub-%08ld", i);
        u->sub = cog_pool_strdup(&pool, name);
        u->created = 1600000000 + i;
        u->enabled = true;
        u->status = "CONFIRMED";
        long gs[3] = {i % groups, (i * 7 + 1) % groups, (i * 13 + 2) % groups};
        for (int k = 0; k < 3; k++) {
            if ((k == 1 && gs[1] == gs[0]) || (k == 2 && (gs[2] == gs[0] || gs[2] == gs[1])))
                continue;
            if (!cog_pool_user_add_group(&pool, u, pool.groups[gs[k]].name))
                goto out;
        }
        if (i % 100 < BIG_GROUPS &&
            !cog_pool_user_add_group(&pool, u, pool.groups[groups + i % 100].name))
            goto out;
    }
    long long t0 = cog_now_ms();
    if (cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err) != COG_OK)
        goto out;
    long long t1 = cog_now_ms();
    if (cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err) != COG_OK)
        goto out;
    long long t2 = cog_now_ms();
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "sub", json_object_new_string("sub-00000042"));
    json_object_object_add(c, "cognito:username", json_object_new_string("user42"));
    json_object_object_add(c, "token_use", json_object_new_string("id"));
    cog_status st = cog_cache_store_login(&cfg, c, NULL, NULL, &err);
    json_object_put(c);
    if (st != COG_OK)
        goto out;
    t->sync = t1 - t0;
    t->rebuild = t2 - t1;
    t->login = cog_now_ms() - t2;
    rc = list_big_group(dir, t);
out:
    if (rc != 0)
        fprintf(stderr, "bench_cache: %ld users, %ld groups: %s\n", n, groups, err.message);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const dflt[] = {"100000", "5000", "1000000", "50000"};
    const char *const *sizes = argc > 1 ? (const char *const *)&argv[1] : dflt;
    int nsizes = argc > 1 ? argc - 1 : 4;
    struct times base, t;

    if (nsizes % 2 != 0) {
        fprintf(stderr, "usage: bench_cache [USERS GROUPS]...\n");
        return 2;
    }
    if (run(10000, 100, &base) != 0)
        return 1;
    double base_per_user = (double)(base.sync + base.rebuild) / 10000.0;
    printf("baseline: 10000 users in 100 groups: sync %lld ms, rebuild %lld ms, login %lld ms\n",
           base.sync, base.rebuild, base.login);
    for (int i = 0; i < nsizes; i += 2) {
        long n = atol(sizes[i]), g = atol(sizes[i + 1]);
        if (n <= 0 || g <= 0 || run(n, g, &t) != 0)
            return 1;
        double per_user = (double)(t.sync + t.rebuild) / (double)n;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%ld users in %ld groups: sync %lld ms, rebuild %lld ms, login %lld ms; "
               "cost per user %.2fx the baseline's\n",
               n, g, t.sync, t.rebuild, t.login, base_per_user > 0 ? per_user / base_per_user : 0);
        printf("  a group of %zu members listed through the reader in %.2f ms; "
               "peak memory so far %ld MB\n",
               t.big_members, t.big_group_ms, ru.ru_maxrss / 1024);
    }
    return 0;
}
