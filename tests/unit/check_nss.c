/* libnss_cognito.so.2 called the way glibc calls it (the test build, which
 * reads COGNITO_NSS_CACHE_DIR): statuses, ERANGE on small buffers,
 * enumeration, initgroups, damaged caches, a cache replaced while the
 * process holds the old one, and threads looking up while that happens.
 * Each test runs in its own process (Check forks), so each loads a fresh
 * module. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/mapping.h"
#include "tests/cachetest.h"
#include "tests/testutil.h"

static struct tdir dir;
static struct cog_config cfg;
static struct nssmod nss;

#define UID(sub) cog_mapping_hash_id(sub, 0, 10000000, 1999999999)
#define GID(name) cog_mapping_hash_id(name, 0, 2000000000, 2099999999)

/* alice (admins, devs), bob (devs), and 40 members of "crowd". */
static void sync_pool(const char *suffix)
{
    struct cog_pool pool;
    char name[32], sub[32];
    cog_pool_init(&pool);
    struct cog_pool_user *u = tuser(&pool, "alice", "sub-alice", 1, "admins,devs");
    u->name = "Alice Liddell";
    tuser(&pool, "bob", "sub-bob", 2, "devs");
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "crowd%02d%s", i, suffix);
        snprintf(sub, sizeof(sub), "sub-crowd%d%s", i, suffix);
        tuser(&pool, name, sub, 10 + i, "crowd");
    }
    tpool_groups(&pool);
    tsync(&cfg, &pool, time(NULL));
    cog_pool_free(&pool);
}

static void setup(void)
{
    tdir_make(&dir);
    tconfig(&cfg, &dir, "group_map = admins:sudo\n");
    sync_pool("");
    nssmod_load(&nss, dir.cache);
}

static void teardown(void)
{
    cog_config_free(&cfg);
    tdir_remove(&dir);
}

START_TEST(test_passwd_lookups)
{
    struct passwd pw;
    char buf[1024];
    int e = 0;

    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(pw.pw_name, "alice");
    ck_assert_uint_eq(pw.pw_uid, UID("sub-alice"));
    ck_assert_uint_eq(pw.pw_gid, UID("sub-alice"));
    ck_assert_str_eq(pw.pw_gecos, "Alice Liddell");
    ck_assert_str_eq(pw.pw_dir, "/home/alice");
    ck_assert_str_eq(pw.pw_shell, "/bin/bash");
    ck_assert_str_eq(pw.pw_passwd, "*");

    ck_assert_int_eq(nss.getpwuid_r(UID("sub-bob"), &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(pw.pw_name, "bob");

    e = 0;
    ck_assert_int_eq(nss.getpwnam_r("nobody-here", &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    ck_assert_int_eq(e, ENOENT);
    ck_assert_int_eq(nss.getpwuid_r(0, &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    ck_assert_int_eq(nss.getpwuid_r(UID("sub-bob") + 1, &pw, buf, sizeof(buf), &e),
                     NSS_STATUS_NOTFOUND);
}
END_TEST

START_TEST(test_group_lookups)
{
    struct group gr;
    char buf[4096];
    int e = 0;

    ck_assert_int_eq(nss.getgrnam_r("devs", &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_uint_eq(gr.gr_gid, GID("devs"));
    ck_assert_str_eq(gr.gr_mem[0], "alice");
    ck_assert_str_eq(gr.gr_mem[1], "bob");
    ck_assert_ptr_null(gr.gr_mem[2]);
    ck_assert_int_eq(nss.getgrgid_r(GID("admins"), &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(gr.gr_name, "admins");
    /* Private groups: gid = uid, no members. */
    ck_assert_int_eq(nss.getgrgid_r(UID("sub-bob"), &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(gr.gr_name, "bob");
    ck_assert_ptr_null(gr.gr_mem[0]);
    ck_assert_int_eq(nss.getgrnam_r("alice", &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_uint_eq(gr.gr_gid, UID("sub-alice"));
    /* A mapped local group is the local files' to answer. */
    ck_assert_int_eq(nss.getgrnam_r("sudo", &gr, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    ck_assert_int_eq(nss.getgrgid_r(27, &gr, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
}
END_TEST

START_TEST(test_initgroups)
{
    gid_t got[16];
    size_t n = nss_groups_of(&nss, "alice", UID("sub-alice"), got, 16);
    gid_t want[3] = {27, GID("admins"), GID("devs")};
    if (want[1] > want[2]) {
        gid_t t = want[1];
        want[1] = want[2];
        want[2] = t;
    }
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(got[i], want[i]);

    /* glibc's rules: grow the array, skip the primary and gids already there, stop at limit. */
    long start = 1, size = 1;
    gid_t *groups = malloc(sizeof(gid_t));
    int e = 0;
    groups[0] = 27;
    ck_assert_int_eq(nss.initgroups_dyn("alice", 12345, &start, &size, &groups, 2, &e),
                     NSS_STATUS_SUCCESS);
    ck_assert_int_eq(start, 2);
    ck_assert_int_eq(size, 2);
    ck_assert_uint_eq(groups[0], 27);
    free(groups);
    start = 0;
    size = 0;
    groups = NULL;
    ck_assert_int_eq(nss.initgroups_dyn("nobody-here", 1, &start, &size, &groups, 0, &e),
                     NSS_STATUS_NOTFOUND);
    ck_assert_int_eq(start, 0);
    free(groups);
}
END_TEST

/* Every buffer too small gets ERANGE and TRYAGAIN; the first big enough works. */
START_TEST(test_small_buffers)
{
    struct passwd pw;
    struct group gr;
    char buf[4096];
    int e;
    size_t len;

    for (len = 0; len < sizeof(buf); len++) {
        e = 0;
        enum nss_status st = nss.getpwnam_r("alice", &pw, buf, len, &e);
        if (st == NSS_STATUS_SUCCESS)
            break;
        ck_assert_int_eq(st, NSS_STATUS_TRYAGAIN);
        ck_assert_int_eq(e, ERANGE);
    }
    /* alice, *, Alice Liddell, /home/alice, /bin/bash with their NULs */
    ck_assert_uint_eq(len, 6 + 2 + 14 + 12 + 10);
    ck_assert_str_eq(pw.pw_shell, "/bin/bash");

    for (len = 0; len < sizeof(buf); len++) {
        e = 0;
        enum nss_status st = nss.getgrnam_r("crowd", &gr, buf, len, &e);
        if (st == NSS_STATUS_SUCCESS)
            break;
        ck_assert_int_eq(st, NSS_STATUS_TRYAGAIN);
        ck_assert_int_eq(e, ERANGE);
    }
    ck_assert_uint_gt(len, 41 * sizeof(char *));
    int members = 0;
    while (gr.gr_mem[members] != NULL)
        members++;
    ck_assert_int_eq(members, 40);
    ck_assert_str_eq(gr.gr_mem[39], "crowd39");
}
END_TEST

static int walk_users(size_t buflen, char names[][32], int max)
{
    struct passwd pw;
    char *buf = malloc(4096);
    int n = 0, e = 0, tries = 0;
    ck_assert_int_eq(nss.setpwent(0), NSS_STATUS_SUCCESS);
    for (;;) {
        enum nss_status st = nss.getpwent_r(&pw, buf, buflen, &e);
        if (st == NSS_STATUS_TRYAGAIN) {
            /* ERANGE must not skip an entry: retry with room. */
            ck_assert_int_eq(e, ERANGE);
            ck_assert_int_eq(nss.getpwent_r(&pw, buf, 4096, &e), NSS_STATUS_SUCCESS);
            tries++;
        } else if (st != NSS_STATUS_SUCCESS) {
            ck_assert_int_eq(st, NSS_STATUS_NOTFOUND);
            break;
        }
        if (n < max)
            snprintf(names[n], 32, "%s", pw.pw_name);
        n++;
    }
    nss.endpwent();
    free(buf);
    return n;
}

START_TEST(test_enumeration)
{
    char names[64][32];
    ck_assert_int_eq(walk_users(4096, names, 64), 42);
    ck_assert_str_eq(names[0], "alice");
    /* With a buffer too small for some entries, no entry is lost or repeated. */
    char again[64][32];
    ck_assert_int_eq(walk_users(20, again, 64), 42);
    for (int i = 0; i < 42; i++)
        ck_assert_str_eq(names[i], again[i]);

    struct group gr;
    char buf[4096];
    int e = 0, groups = 0;
    ck_assert_int_eq(nss.setgrent(0), NSS_STATUS_SUCCESS);
    while (nss.getgrent_r(&gr, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS)
        groups++;
    nss.endgrent();
    ck_assert_int_eq(groups, 3 + 42); /* admins, devs, crowd + private groups */
    /* getpwent without setpwent starts a walk, as glibc allows. */
    struct passwd pw;
    ck_assert_int_eq(nss.getpwent_r(&pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    nss.endpwent();
}
END_TEST

static void cache_path(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir.cache, name);
}

START_TEST(test_missing_cache_is_unavailable)
{
    struct passwd pw;
    struct group gr;
    char buf[1024], path[256];
    int e = 0;
    long start = 0, size = 0;
    gid_t *groups = NULL;

    cache_path(COG_CACHE_NSS_FILE, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    ck_assert_int_eq(nss.getpwuid_r(UID("sub-alice"), &pw, buf, sizeof(buf), &e),
                     NSS_STATUS_UNAVAIL);
    ck_assert_int_eq(nss.getgrnam_r("devs", &gr, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    ck_assert_int_eq(nss.getgrgid_r(1, &gr, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    ck_assert_int_eq(nss.setpwent(0), NSS_STATUS_UNAVAIL);
    ck_assert_int_eq(nss.getpwent_r(&pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    ck_assert_int_eq(nss.initgroups_dyn("alice", 1, &start, &size, &groups, 0, &e),
                     NSS_STATUS_UNAVAIL);
    /* It comes back without a restart. */
    sync_pool("");
    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
}
END_TEST

static void replace_bytes(const char *path, const char *data, size_t len)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    ck_assert_int_eq(rename(tmp, path), 0);
}

START_TEST(test_damaged_cache)
{
    struct passwd pw;
    char buf[1024], path[256];
    int e = 0;
    size_t len;

    cache_path(COG_CACHE_NSS_FILE, path, sizeof(path));
    char *good = test_read_file(path, &len);
    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);

    /* Truncated: unavailable (a rename by someone else; the re-stat finds it). */
    replace_bytes(path, good, len / 2);
    sleep(1);
    usleep(100000);
    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    /* Garbage, empty, a text file: unavailable. */
    replace_bytes(path, "garbage", 7);
    sleep(1);
    usleep(100000);
    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    /* A damaged record: that user is not found, the others are. */
    char *bad = malloc(len);
    memcpy(bad, good, len);
    struct cog_disk_header h;
    memcpy(&h, bad, sizeof(h));
    for (uint32_t i = 0; i < h.count[0]; i++) {
        if (tdisk_user(bad, i)->uid == UID("sub-bob"))
            tdisk_user(bad, i)->shell = 0x7fffffffu;
    }
    replace_bytes(path, bad, len);
    sleep(1);
    usleep(100000);
    ck_assert_int_eq(nss.getpwnam_r("bob", &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    ck_assert_int_eq(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    /* A damaged logins file costs only the logins. */
    replace_bytes(path, good, len);
    char dpath[256];
    cache_path(COG_CACHE_NSS_DELTA_FILE, dpath, sizeof(dpath));
    replace_bytes(dpath, "junk", 4);
    sleep(1);
    usleep(100000);
    ck_assert_int_eq(nss.getpwnam_r("bob", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    free(bad);
    free(good);
}
END_TEST

/* A sync or a login replaces files; a process holding the old mapping sees
 * the new one at its next call (the writer bumps the old file's notify word),
 * while a walk in progress finishes on the generation it started. */
START_TEST(test_replaced_while_held)
{
    struct passwd pw;
    char buf[1024];
    int e = 0;
    char names[64][32];

    ck_assert_int_eq(nss.getpwnam_r("crowd00", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_int_eq(nss.setpwent(0), NSS_STATUS_SUCCESS);
    ck_assert_int_eq(nss.getpwent_r(&pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(pw.pw_name, "alice");

    sync_pool("x"); /* the crowd is renamed crowdNNx */
    ck_assert_int_eq(nss.getpwnam_r("crowd00", &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    ck_assert_int_eq(nss.getpwnam_r("crowd00x", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);

    /* The walk started before the sync still sees the old crowd. */
    int n = 1;
    while (nss.getpwent_r(&pw, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS) {
        if (n < 64)
            snprintf(names[n], 32, "%s", pw.pw_name);
        n++;
    }
    nss.endpwent();
    ck_assert_int_eq(n, 42);
    ck_assert_str_eq(names[2], "crowd00");

    /* A login is seen at once too (the logins file, announced the same way). */
    struct json_object *c = tclaims("latecomer", "sub-late", "devs", NULL);
    struct cog_error err = {0};
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_OK);
    json_object_put(c);
    ck_assert_int_eq(nss.getpwnam_r("latecomer", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_uint_eq(pw.pw_uid, UID("sub-late"));
    gid_t got[8];
    ck_assert_uint_eq(nss_groups_of(&nss, "latecomer", pw.pw_gid, got, 8), 1);
    ck_assert_uint_eq(got[0], GID("devs"));
    struct group gr;
    char gbuf[4096];
    ck_assert_int_eq(nss.getgrnam_r("devs", &gr, gbuf, sizeof(gbuf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(gr.gr_mem[2], "latecomer");
}
END_TEST

struct hammer {
    volatile int stop;
    int lookups, bad;
};

static void *hammer(void *arg)
{
    struct hammer *h = arg;
    struct passwd pw;
    struct group gr;
    char buf[4096];
    int e;
    while (!h->stop) {
        enum nss_status a = nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e);
        if (a != NSS_STATUS_SUCCESS || pw.pw_uid != UID("sub-alice") ||
            strcmp(pw.pw_dir, "/home/alice") != 0)
            __atomic_add_fetch(&h->bad, 1, __ATOMIC_RELAXED);
        if (nss.getgrnam_r("crowd", &gr, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS) {
            /* One generation or the other, never a mix. */
            int n = 0;
            while (gr.gr_mem[n] != NULL)
                n++;
            size_t l = strlen(gr.gr_mem[0]);
            if (n != 40 || (l != 7 && l != 8) || strlen(gr.gr_mem[39]) != l)
                __atomic_add_fetch(&h->bad, 1, __ATOMIC_RELAXED);
        }
        __atomic_add_fetch(&h->lookups, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

START_TEST(test_threads_while_replacing)
{
    pthread_t t[4];
    struct hammer h = {0, 0, 0};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &h), 0);
    for (int round = 0; round < 30; round++)
        sync_pool(round % 2 ? "" : "y");
    h.stop = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_gt(h.lookups, 30);
    ck_assert_int_eq(h.bad, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("nss");
    TCase *tc = tcase_create("nss");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_passwd_lookups);
    tcase_add_test(tc, test_group_lookups);
    tcase_add_test(tc, test_initgroups);
    tcase_add_test(tc, test_small_buffers);
    tcase_add_test(tc, test_enumeration);
    tcase_add_test(tc, test_missing_cache_is_unavailable);
    tcase_add_test(tc, test_damaged_cache);
    tcase_add_test(tc, test_replaced_while_held);
    tcase_add_test(tc, test_threads_while_replacing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
