/* The logins journal (cache_journal.c): a login's update is durable through
 * one appended record, so its files are replaced without fsync. These tests
 * play the crash: the files left behind (old, damaged, missing) are brought
 * back to the last record by the next writer; a torn last record is
 * skipped; a sync or a drop empties the journal first, so no older
 * login's record undoes it; a journal that is not root's 0600 file stops
 * every writer; a record naming any other file is never obeyed; and the
 * journal is emptied before it grows past its bound. */
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
#include "libcognito/mapping/mapping.h"
#include "tests/cachetest.h"
#include "tests/testutil.h"

static struct tdir dir;
static struct cog_config cfg;

static void setup(void)
{
    tdir_make(&dir);
    tconfig(&cfg, &dir, NULL);
}

static void teardown(void)
{
    cog_config_free(&cfg);
    tdir_remove(&dir);
}

static cog_status try_login(const char *name, const char *sub, struct cog_error *err)
{
    struct json_object *c = tclaims(name, sub, "devs", NULL);
    cog_status st = cog_cache_store_login(&cfg, c, NULL, NULL, err);
    json_object_put(c);
    return st;
}

static void login(const char *name, const char *sub)
{
    struct cog_error err = {0};
    ck_assert_msg(try_login(name, sub, &err) == COG_OK, "%s", err.message);
}

static void path_of(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir.cache, name);
}

static off_t size_of(const char *name)
{
    char path[256];
    struct stat sb;
    path_of(name, path, sizeof(path));
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* The whole file (NULL when absent); *len its size. */
static char *slurp(const char *name, size_t *len)
{
    char path[256];
    path_of(name, path, sizeof(path));
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, fp);
    fclose(fp);
    return buf;
}

static uint32_t uid_of(const char *name)
{
    struct cog_cache_files f;
    struct cog_error err = {0};
    struct cog_view_user u;
    uint32_t uid = 0;
    ck_assert_int_eq(cog_cache_files_open(dir.cache, &f, &err), COG_OK);
    if (cog_view_user_by_name(&f.vnss, name, &u) == COG_CACHE_OK)
        uid = u.rec->uid;
    cog_cache_files_close(&f);
    return uid;
}

/* The next writer's lock (a login's: it settles, it does not empty). */
static void next_login_lock(void)
{
    struct cog_cache_lock lk;
    struct cog_error err = {0};
    ck_assert_msg(cog_cache_lock_login(dir.cache, 1000, &lk, &err) == COG_OK, "%s", err.message);
    cog_cache_unlock(&lk);
}

static const char *const logins[3] = {COG_CACHE_NSS_DELTA_FILE, COG_CACHE_ACCOUNTS_DELTA_FILE,
                                      COG_CACHE_KEYS_DELTA_FILE};

/* A login leaves a 0600 journal whose record the files match; after a
 * "crash" that left the files old, damaged or gone, the next writer puts
 * back exactly what the login wrote. */
START_TEST(test_crash_after_record_restored)
{
    char path[256], *want[3];
    size_t wlen[3], glen;
    struct stat sb;

    login("alice", "sub-a");
    login("bob", "sub-b");
    path_of(COG_CACHE_JOURNAL_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_gt(sb.st_size, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(want[i] = slurp(logins[i], &wlen[i]));
    uint32_t bob = uid_of("bob");
    ck_assert_uint_ne(bob, 0);

    /* Nothing lost: the next lock finds the files as recorded, and leaves
     * them (the same inode) and the journal alone. */
    path_of(COG_CACHE_NSS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ino_t ino = sb.st_ino;
    off_t jsize = size_of(COG_CACHE_JOURNAL_FILE);
    next_login_lock();
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_ino, ino);
    ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), jsize);

    /* The crash: nss.logins zeroed, accounts.logins cut short, keys.logins gone. */
    int fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    char zeros[512] = {0};
    ck_assert_int_eq(write(fd, zeros, sizeof(zeros)), (ssize_t)sizeof(zeros));
    close(fd);
    path_of(COG_CACHE_ACCOUNTS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(truncate(path, 100), 0);
    path_of(COG_CACHE_KEYS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_uint_eq(uid_of("bob"), 0);

    next_login_lock();
    for (int i = 0; i < 3; i++) {
        char *got = slurp(logins[i], &glen);
        ck_assert_msg(got != NULL && glen == wlen[i] && memcmp(got, want[i], glen) == 0,
                      "%s not restored", logins[i]);
        free(got);
        free(want[i]);
    }
    ck_assert_uint_eq(uid_of("bob"), bob);
    /* Restored durably, so the journal was emptied. */
    ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), 0);
    path_of(COG_CACHE_KEYS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, COG_CACHE_PUBLIC_MODE);
    path_of(COG_CACHE_ACCOUNTS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, COG_CACHE_PRIVATE_MODE);
}
END_TEST

/* A crash mid-append: the torn tail is skipped (its login never returned),
 * the record before it stands, and later logins append after it. */
START_TEST(test_torn_tail_skipped)
{
    char path[256], *want, *got;
    size_t wlen, glen;

    login("alice", "sub-a");
    ck_assert_ptr_nonnull(want = slurp(COG_CACHE_NSS_DELTA_FILE, &wlen));
    /* Half of a record: the first bytes of the journal itself. */
    size_t jlen;
    char *j = slurp(COG_CACHE_JOURNAL_FILE, &jlen);
    path_of(COG_CACHE_JOURNAL_FILE, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, j, jlen / 2), (ssize_t)(jlen / 2));
    close(fd);
    free(j);
    next_login_lock();
    ck_assert_ptr_nonnull(got = slurp(COG_CACHE_NSS_DELTA_FILE, &glen));
    ck_assert(glen == wlen && memcmp(got, want, glen) == 0);
    free(got);
    free(want);

    login("bob", "sub-b");
    ck_assert_ptr_nonnull(want = slurp(COG_CACHE_NSS_DELTA_FILE, &wlen));
    path_of(COG_CACHE_NSS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    next_login_lock();
    ck_assert_ptr_nonnull(got = slurp(COG_CACHE_NSS_DELTA_FILE, &glen));
    ck_assert_msg(glen == wlen && memcmp(got, want, glen) == 0, "bob's record not the last");
    ck_assert_uint_ne(uid_of("bob"), 0);
    free(got);
    free(want);
}
END_TEST

/* A sync and a drop empty the journal before they write: a login's older
 * record never undoes them, even when the files vanish afterwards. */
START_TEST(test_other_writers_empty_it)
{
    struct cog_pool pool;
    struct cog_error err = {0};
    char path[256];

    login("alice", "sub-a");
    login("bob", "sub-b");
    ck_assert_int_gt(size_of(COG_CACHE_JOURNAL_FILE), 0);
    ck_assert_int_eq(cog_cache_drop_user(&cfg, "bob", &err), COG_OK);
    ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), 0);
    ck_assert_uint_eq(uid_of("bob"), 0);
    next_login_lock();
    ck_assert_uint_eq(uid_of("bob"), 0); /* the drop stands */

    login("carol", "sub-c");
    ck_assert_int_gt(size_of(COG_CACHE_JOURNAL_FILE), 0);
    cog_pool_init(&pool);
    tuser(&pool, "dave", "sub-d", 1, NULL);
    tsync(&cfg, &pool, time(NULL) + 10); /* listed after every login: none kept */
    cog_pool_free(&pool);
    ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), 0);
    for (int i = 0; i < 3; i++) {
        path_of(logins[i], path, sizeof(path));
        (void)unlink(path);
    }
    next_login_lock();
    ck_assert_uint_eq(uid_of("carol"), 0);
    ck_assert_uint_ne(uid_of("dave"), 0);
    ck_assert_int_eq(size_of(COG_CACHE_NSS_DELTA_FILE), -1);
}
END_TEST

/* nss.cache removed by hand after a crash: the restore cannot tell readers
 * through it, and must not stop the sync that makes it again. */
START_TEST(test_restore_without_full_file)
{
    struct cog_pool pool;
    char path[256];

    login("alice", "sub-a");
    path_of(COG_CACHE_NSS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    path_of(COG_CACHE_NSS_FILE, path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    cog_pool_init(&pool);
    tuser(&pool, "dave", "sub-d", 1, NULL);
    tsync(&cfg, &pool, 1); /* asserts the sync succeeded */
    cog_pool_free(&pool);
    ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), 0);
    ck_assert_uint_ne(uid_of("dave"), 0);
    ck_assert_uint_ne(uid_of("alice"), 0); /* restored, and newer than the listing: kept */
}
END_TEST

/* Not root's 0600 file: every writer stops, nothing is written. */
START_TEST(test_untrusted_journal_refused)
{
    struct cog_error err = {0};
    char path[256];
    struct cog_cache_lock lk;

    login("alice", "sub-a");
    path_of(COG_CACHE_JOURNAL_FILE, path, sizeof(path));
    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_ne(try_login("bob", "sub-b", &err), COG_OK);
    ck_assert_msg(strstr(err.message, COG_CACHE_JOURNAL_FILE) != NULL, "%s", err.message);
    ck_assert_uint_eq(uid_of("bob"), 0);
    ck_assert_int_ne(cog_cache_lock(dir.cache, 1000, &lk, &err), COG_OK);
    ck_assert_int_eq(chmod(path, 0600), 0);
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_ne(try_login("bob", "sub-b", &err), COG_OK);
        ck_assert_int_eq(chown(path, 0, 0), 0);
    }
    login("bob", "sub-b");
    ck_assert_uint_ne(uid_of("bob"), 0);
}
END_TEST

/* A record naming any file but the three logins files is not obeyed. */
START_TEST(test_foreign_names_never_written)
{
    struct cog_cache_model m;
    struct cog_error err = {0};
    char *img, path[256];
    size_t len;

    cog_cache_model_init(&m);
    m.delta = true;
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_OK);
    struct cog_cache_image set[3] = {
        {"evil", img, len, 0644},
        {COG_CACHE_KEYS_DELTA_FILE, img, len, 0644},
        {COG_CACHE_NSS_DELTA_FILE, img, len, 0644},
    };
    ck_assert_int_eq(cog_journal_replace_set(NULL, dir.cache, set, 3, &err), COG_OK);
    path_of("evil", path, sizeof(path));
    ck_assert_int_eq(unlink(path), 0);
    next_login_lock();
    ck_assert_int_eq(size_of("evil"), -1);
    ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), 0); /* no whole record: emptied */
    free(img);
    cog_cache_model_free(&m);
}
END_TEST

/* Many logins: the journal is emptied before it passes its bound (1 MiB),
 * and the users are all there. */
START_TEST(test_journal_stays_bounded)
{
    char name[32], sub[32];
    off_t prev = 0, most = 0;
    bool emptied = false;
    for (int i = 0; i < 120; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        snprintf(sub, sizeof(sub), "sub-%d", i);
        login(name, sub);
        off_t now = size_of(COG_CACHE_JOURNAL_FILE);
        emptied = emptied || now < prev;
        most = now > most ? now : most;
        prev = now;
    }
    ck_assert(emptied);
    ck_assert_int_le(most, 1 << 20);
    ck_assert_uint_ne(uid_of("user0"), 0);
    ck_assert_uint_ne(uid_of("user119"), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("journal");
    TCase *tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_crash_after_record_restored);
    tcase_add_test(tc, test_torn_tail_skipped);
    tcase_add_test(tc, test_other_writers_empty_it);
    tcase_add_test(tc, test_restore_without_full_file);
    tcase_add_test(tc, test_untrusted_journal_refused);
    tcase_add_test(tc, test_foreign_names_never_written);
    tcase_add_test(tc, test_journal_stays_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
