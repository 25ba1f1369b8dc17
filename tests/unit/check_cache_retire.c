/* Logins between snapshots: a login on a host gives a user the uid the
 * full file (or the snapshot an exporter would write) gives the same sub;
 * a new snapshot installed beside the logins files retires what it holds
 * (cog_cache_delta_retire), keeps the logins newer than its listing and
 * drops the older ones it lacks; where it disagrees it wins. Two "hosts"
 * here are two cache directories; the "exporter" is a sync into a third,
 * whose full files are copied over a host's, as a snapshot install does. */
#include "build-config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/cache_retire.h"
#include "libcognito/mapping/mapping.h"
#include "tests/cachetest.h"

static struct tdir host, exporter;

static void setup(void)
{
    tdir_make(&host);
    tdir_make(&exporter);
}

static void teardown(void)
{
    tdir_remove(&host);
    tdir_remove(&exporter);
}

static void login(const struct cog_config *cfg, const char *name, const char *sub,
                  const char *groups)
{
    struct cog_error err = {0};
    struct json_object *c = tclaims(name, sub, groups, NULL);
    ck_assert_msg(cog_cache_store_login(cfg, c, NULL, NULL, &err) == COG_OK, "%s", err.message);
    json_object_put(c);
}

/* The uid the cache in dir shows for name (0: none), and where from. */
static uint32_t uid_in(const char *dir, const char *name, bool *from_delta)
{
    struct cog_cache_files f;
    struct cog_error err = {0};
    struct cog_view_user u;
    uint32_t uid = 0;
    ck_assert_int_eq(cog_cache_files_open(dir, &f, &err), COG_OK);
    if (cog_view_user_by_name(&f.vnss, name, &u) == COG_CACHE_OK) {
        uid = u.rec->uid;
        if (from_delta != NULL)
            *from_delta = u.map == f.vnss.delta;
    }
    cog_cache_files_close(&f);
    return uid;
}

/* Copies exporter's full file name over host's, as a snapshot install does. */
static void install(const char *name, mode_t mode)
{
    char from[512], to[512], tmp[520], buf[65536];
    snprintf(from, sizeof(from), "%s/%s", exporter.cache, name);
    snprintf(to, sizeof(to), "%s/%s", host.cache, name);
    snprintf(tmp, sizeof(tmp), "%s.new", to);
    int in = open(from, O_RDONLY), out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(out, 0);
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
    close(in);
    ck_assert_int_eq(fchmod(out, mode), 0);
    close(out);
    ck_assert_int_eq(rename(tmp, to), 0);
}

static void install_snapshot(void)
{
    install(COG_CACHE_ACCOUNTS_FILE, 0600);
    install(COG_CACHE_KEYS_FILE, 0644);
    install(COG_CACHE_NSS_FILE, 0644);
}

static struct cog_retire_stats retire(void)
{
    struct cog_cache_lock lk = {.fd = -1};
    struct cog_error err = {0};
    struct cog_retire_stats s;
    ck_assert_int_eq(cog_cache_lock(host.cache, 0, &lk, &err), COG_OK);
    ck_assert_msg(cog_cache_delta_retire_locked(&lk, host.cache, &s, &err) == COG_OK, "%s",
                  err.message);
    cog_cache_unlock(&lk);
    return s;
}

static bool logins_file_exists(void)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/" COG_CACHE_NSS_DELTA_FILE, host.cache);
    return access(p, F_OK) == 0;
}

START_TEST(test_login_uid_agrees_and_retires)
{
    struct cog_config hc, ec;
    struct cog_pool p0, p1;
    bool delta = false;
    int64_t now = time(NULL);

    tconfig(&hc, &host, NULL);
    tconfig(&ec, &exporter, NULL);
    cog_pool_init(&p0);
    tuser(&p0, "alice", "sub-alice", 100, "devs");
    tuser(&p0, "bob", "sub-bob", 200, NULL);
    tpool_groups(&p0);
    tsync(&hc, &p0, now - 1000);
    uint32_t alice = uid_in(host.cache, "alice", NULL);
    ck_assert_uint_ne(alice, 0);

    /* A known user logs in as the full file shows her: nothing to write. */
    login(&hc, "alice", "sub-alice", "devs");
    ck_assert_uint_eq(uid_in(host.cache, "alice", &delta), alice);
    ck_assert(!delta);
    ck_assert(!logins_file_exists());
    /* Now in one more group: the login writes her, under the same uid. */
    login(&hc, "alice", "sub-alice", "devs,ops");
    ck_assert_uint_eq(uid_in(host.cache, "alice", &delta), alice);
    ck_assert(delta);
    /* New users get the deterministic uid of their sub. */
    login(&hc, "carol", "sub-carol", "devs");
    login(&hc, "dave", "sub-dave", NULL);
    uint32_t carol = uid_in(host.cache, "carol", &delta);
    ck_assert(delta);
    ck_assert_uint_eq(
        carol, cog_mapping_hash_id("sub-carol", 0, (uint32_t)hc.uid_min, (uint32_t)hc.uid_max));

    /* The exporter, knowing nothing of this host, gives carol the same uid. */
    cog_pool_init(&p1);
    tuser(&p1, "alice", "sub-alice", 100, "devs");
    tuser(&p1, "bob", "sub-bob", 200, NULL);
    tuser(&p1, "carol", "sub-carol", 300, "devs");
    tpool_groups(&p1);
    tsync(&ec, &p1, now - 10); /* dave logged in after this listing */
    ck_assert_uint_eq(uid_in(exporter.cache, "carol", NULL), carol);
    ck_assert_uint_eq(uid_in(exporter.cache, "alice", NULL), alice);

    install_snapshot();
    struct cog_retire_stats s = retire();
    ck_assert_uint_eq(s.retired, 2); /* alice, carol */
    ck_assert_uint_eq(s.conflicts, 0);
    ck_assert_uint_eq(s.kept, 1); /* dave: newer than the listing */
    ck_assert_uint_eq(s.dropped, 0);
    ck_assert_uint_eq(uid_in(host.cache, "carol", &delta), carol);
    ck_assert(!delta);
    ck_assert_uint_eq(uid_in(host.cache, "alice", &delta), alice);
    ck_assert(!delta);
    ck_assert_uint_ne(uid_in(host.cache, "dave", &delta), 0);
    ck_assert(delta);

    /* A later snapshot listed after dave's login, without dave: dropped,
     * and with nothing left the logins files go. */
    cog_pool_free(&p1);
    cog_pool_init(&p1);
    tuser(&p1, "alice", "sub-alice", 100, "devs");
    tpool_groups(&p1);
    tsync(&ec, &p1, now + 100);
    install_snapshot();
    s = retire();
    ck_assert_uint_eq(s.dropped, 1);
    ck_assert_uint_eq(s.kept, 0);
    ck_assert(!logins_file_exists());
    ck_assert_uint_eq(uid_in(host.cache, "dave", NULL), 0);
    ck_assert_uint_eq(uid_in(host.cache, "bob", NULL), 0);
    ck_assert_uint_eq(uid_in(host.cache, "alice", NULL), alice);
    /* Nothing to do is fine. */
    struct cog_error err = {0};
    ck_assert_int_eq(cog_cache_delta_retire(host.cache, &err), COG_OK);
    cog_pool_free(&p0);
    cog_pool_free(&p1);
    cog_config_free(&hc);
    cog_config_free(&ec);
}
END_TEST

/* Where the snapshot disagrees with a login (here: another uid range at the
 * exporter), the snapshot wins and the login's record leaves. */
START_TEST(test_snapshot_wins_a_conflict)
{
    struct cog_config hc, ec;
    struct cog_pool p;
    bool delta = true;
    int64_t now = time(NULL);

    tconfig(&hc, &host, NULL);
    tconfig(&ec, &exporter, "uid_min = 30000\nuid_max = 39999\n");
    cog_pool_init(&p);
    tuser(&p, "erin", "sub-erin", 100, NULL);
    tsync(&hc, &p, now - 1000);
    login(&hc, "frank", "sub-frank", NULL);
    uint32_t local = uid_in(host.cache, "frank", NULL);
    tuser(&p, "frank", "sub-frank", 200, NULL);
    tsync(&ec, &p, now + 100);
    uint32_t fleet = uid_in(exporter.cache, "frank", NULL);
    ck_assert_uint_ne(local, fleet);
    install_snapshot();
    struct cog_retire_stats s = retire();
    ck_assert_uint_eq(s.retired, 1);
    ck_assert_uint_eq(s.conflicts, 1);
    ck_assert_uint_eq(uid_in(host.cache, "frank", &delta), fleet);
    ck_assert(!delta);
    cog_pool_free(&p);
    cog_config_free(&hc);
    cog_config_free(&ec);
}
END_TEST

static bool count_member(void *ctx, const char *name)
{
    (void)name;
    ++*(size_t *)ctx;
    return true;
}

/* Many logins in a row on a synced cache: each keeps its own deterministic
 * uid, none is lost, a repeated login changes nothing, two hosts fed the
 * same logins agree on every uid, and their group lists them all once. */
START_TEST(test_many_logins)
{
    struct cog_config hc, ec;
    struct cog_pool p;
    char name[32], sub[32];
    enum { BASE = 2000, LOGINS = 60 };
    uint32_t uids[LOGINS];

    tconfig(&hc, &host, NULL);
    tconfig(&ec, &exporter, NULL); /* the second host */
    cog_pool_init(&p);
    for (int i = 0; i < BASE; i++) {
        snprintf(name, sizeof(name), "base%d", i);
        snprintf(sub, sizeof(sub), "sub-base-%d", i);
        tuser(&p, name, sub, i, NULL);
    }
    tsync(&hc, &p, time(NULL) - 100);
    tsync(&ec, &p, time(NULL) - 100);
    for (int i = 0; i < LOGINS; i++) {
        snprintf(name, sizeof(name), "new%d", i);
        snprintf(sub, sizeof(sub), "sub-new-%d", i);
        login(&hc, name, sub, "team");
        login(&ec, name, sub, "team");
    }
    login(&hc, "new0", "sub-new-0", "team");
    for (int i = 0; i < LOGINS; i++) {
        bool delta = false;
        snprintf(name, sizeof(name), "new%d", i);
        snprintf(sub, sizeof(sub), "sub-new-%d", i);
        uids[i] = uid_in(host.cache, name, &delta);
        ck_assert(delta);
        ck_assert_uint_eq(uids[i], uid_in(exporter.cache, name, NULL));
        ck_assert_uint_eq(uids[i],
                          cog_mapping_hash_id(sub, 0, (uint32_t)hc.uid_min, (uint32_t)hc.uid_max));
        for (int k = 0; k < i; k++)
            ck_assert_uint_ne(uids[k], uids[i]);
    }
    ck_assert_uint_eq(uid_in(host.cache, "base1999", NULL),
                      uid_in(exporter.cache, "base1999", NULL));
    struct cog_cache_files f;
    struct cog_error err = {0};
    struct cog_view_group g;
    size_t members = 0;
    ck_assert_int_eq(cog_cache_files_open(host.cache, &f, &err), COG_OK);
    ck_assert_int_eq(cog_view_group_by_name(&f.vnss, "team", &g), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_members(&f.vnss, &g, count_member, &members), LOGINS);
    cog_cache_files_close(&f);
    cog_pool_free(&p);
    cog_config_free(&hc);
    cog_config_free(&ec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache_retire");
    TCase *tc = tcase_create("retire");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_login_uid_agrees_and_retires);
    tcase_add_test(tc, test_snapshot_wins_a_conflict);
    tcase_add_test(tc, test_many_logins);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
