/* Scale is not a denial of service: the cache writer's tables all grow.
 * A sync with more than 1023 distinct group names used to spin forever in
 * the writer's string table while holding cache.lock, so every login's cache
 * update waited out `timeout`. Here the writer must finish under a watchdog
 * alarm with 1,100 groups, and a sync, a rebuild and a login at 100,000
 * users and 5,000 groups must finish in bounded time (printed). */
#include "build-config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"
#include "tests/cachetest.h"
#include "tests/testutil.h"

static struct tdir dir;

static void setup(void)
{
    tdir_make(&dir);
}

static void teardown(void)
{
    alarm(0);
    tdir_remove(&dir);
}

/* A pool of nusers users in ngroups groups: user i is in groups i % ngroups,
 * (i * 7) % ngroups and (i * 13) % ngroups; every group has members. */
static void make_pool(struct cog_pool *p, size_t nusers, size_t ngroups)
{
    char name[64];
    cog_pool_init(p);
    for (size_t g = 0; g < ngroups; g++) {
        struct cog_pool_group *pg = cog_pool_add_group(p);
        ck_assert_ptr_nonnull(pg);
        snprintf(name, sizeof(name), "team-%zu", g);
        pg->name = cog_pool_strdup(p, name);
        pg->created = 1000 + (int64_t)g;
    }
    for (size_t i = 0; i < nusers; i++) {
        struct cog_pool_user *u = cog_pool_add_user(p);
        ck_assert_ptr_nonnull(u);
        snprintf(name, sizeof(name), "user%zu", i);
        u->username = cog_pool_strdup(p, name);
        snprintf(name, sizeof(name), "sub-%08zu", i);
        u->sub = cog_pool_strdup(p, name);
        u->created = 1600000000 + (int64_t)i;
        u->enabled = true;
        u->status = "CONFIRMED";
        size_t gs[3] = {i % ngroups, (i * 7) % ngroups, (i * 13) % ngroups};
        for (int k = 0; k < 3; k++) {
            if (k > 0 && (gs[k] == gs[0] || gs[k] == gs[k - 1]))
                continue;
            ck_assert(cog_pool_user_add_group(p, u, p->groups[gs[k]].name));
        }
    }
}

static long long sync_ms(const struct cog_config *cfg, const struct cog_pool *pool,
                         struct cog_sync_stats *stats)
{
    struct cog_error err = {0};
    long long t0 = cog_now_ms();
    ck_assert_msg(cog_cache_store_pool(cfg, pool, time(NULL), NULL, stats, &err) == COG_OK, "%s",
                  err.message);
    return cog_now_ms() - t0;
}

/* The old writer spun forever from the 1,025th distinct name on. */
START_TEST(test_more_than_1023_groups_finish)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_sync_stats stats = {0};
    struct cog_cache_files f;
    struct cog_error err = {0};

    tconfig(&cfg, &dir, "gid_min = 3000000\ngid_max = 3999999\n");
    make_pool(&pool, 2200, 1100);
    alarm(20); /* the watchdog: a spin is a failure, not a hung CI */
    long long ms = sync_ms(&cfg, &pool, &stats);
    alarm(0);
    printf("sync of 2,200 users in 1,100 groups: %lld ms\n", ms);
    ck_assert_uint_eq(stats.users, 2200);
    ck_assert_uint_eq(stats.groups, 1100);
    ck_assert_int_eq(cog_cache_files_open(dir.cache, &f, &err), COG_OK);
    struct cog_view_group g;
    for (int i = 0; i < 1100; i += 37) {
        char name[32];
        snprintf(name, sizeof(name), "team-%d", i);
        ck_assert_int_eq(cog_view_group_by_name(&f.vnss, name, &g), COG_CACHE_OK);
        ck_assert_str_eq(cog_view_group_name(&g), name);
    }
    cog_cache_files_close(&f);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

static bool count_member(void *ctx, const char *name)
{
    (void)name;
    (*(size_t *)ctx)++;
    return true;
}

/* 100,000 users, 5,000 groups: a sync onto an empty host, a rebuild with
 * every prior kept, and a login on top, each well inside the bound. */
START_TEST(test_100k_users_5k_groups)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_sync_stats stats = {0};
    struct cog_cache_files f;
    struct cog_error err = {0};
    /* Bounded generously for ASan and a loaded 2-core CI machine; a spin or
     * anything quadratic in users or groups is far past it. */
    const long long bound_ms = 60000;

    tconfig(&cfg, &dir, "gid_min = 3000000\ngid_max = 3999999\n");
    make_pool(&pool, 100000, 5000);
    alarm(120);
    long long first = sync_ms(&cfg, &pool, &stats);
    ck_assert_uint_eq(stats.users, 100000);
    ck_assert_uint_eq(stats.groups, 5000);
    long long rebuild = sync_ms(&cfg, &pool, &stats);
    ck_assert_uint_eq(stats.users, 100000);
    struct json_object *c = tclaims("user42", "sub-00000042", "team-42,team-4999", NULL);
    long long t0 = cog_now_ms();
    ck_assert_msg(cog_cache_store_login(&cfg, c, NULL, NULL, &err) == COG_OK, "%s", err.message);
    long long login = cog_now_ms() - t0;
    json_object_put(c);
    alarm(0);
    printf("100,000 users in 5,000 groups: sync %lld ms (build %lld ms), rebuild %lld ms, "
           "login %lld ms\n",
           first, stats.build_ms, rebuild, login);
    ck_assert_int_lt(first, bound_ms);
    ck_assert_int_lt(rebuild, bound_ms);
    ck_assert_int_lt(login, bound_ms / 10);

    ck_assert_int_eq(cog_cache_files_open(dir.cache, &f, &err), COG_OK);
    struct cog_view_user u;
    struct cog_view_group g;
    ck_assert_int_eq(cog_view_user_by_name(&f.vnss, "user99999", &u), COG_CACHE_OK);
    ck_assert_int_eq(cog_view_user_by_uid(&f.vnss, u.rec->uid, &u), COG_CACHE_OK);
    ck_assert_str_eq(cog_cache_str(u.map, u.rec->name), "user99999");
    ck_assert_int_eq(cog_view_group_by_name(&f.vnss, "team-4999", &g), COG_CACHE_OK);
    size_t members = 0;
    cog_view_group_members(&f.vnss, &g, count_member, &members);
    ck_assert_uint_ge(members, 20);
    cog_cache_files_close(&f);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache_scale");
    TCase *tc = tcase_create("cache_scale");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_more_than_1023_groups_finish);
    tcase_add_test(tc, test_100k_users_5k_groups);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
