/* The logins journal (cache_journal.c): a login's update is durable through
 * one record written in place, so its files are replaced without fsync.
 * These tests play the crash: the files left behind (old, damaged, missing)
 * are brought back to the last record by the next writer; a torn last
 * record or a torn header gives way to the one before; a sync or a drop
 * empties the journal first, so no older login's record undoes it; a
 * journal that is not root's 0600 file stops every writer; a record naming
 * any other file is never obeyed; and the journal keeps its size, emptied
 * before a record would pass its end. */
#include "build-config.h"

#include <dirent.h>
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

/* What the journal holds now. */
static struct cog_journal_info jinfo(void)
{
    struct cog_journal_info ji;
    cog_journal_info(dir.cache, &ji);
    ck_assert(ji.present && ji.readable && ji.trusted && ji.valid);
    return ji;
}

/* len bytes of junk over the journal at off (a write the crash tore). */
static void tear(off_t off, size_t len)
{
    char path[256], junk[4096];
    memset(junk, 0x5a, sizeof(junk));
    ck_assert_uint_le(len, sizeof(junk));
    path_of(COG_CACHE_JOURNAL_FILE, path, sizeof(path));
    int fd = open(path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, junk, len, off), (ssize_t)len);
    close(fd);
}

/* Whether logins file name holds exactly want (wlen bytes). */
static bool holds(const char *name, const char *want, size_t wlen)
{
    size_t glen;
    char *got = slurp(name, &glen);
    bool same = got != NULL && glen == wlen && memcmp(got, want, glen) == 0;
    free(got);
    return same;
}

/* Puts want back as logins file name (the files as a crash left them). */
static void put_back(const char *name, const char *want, size_t wlen)
{
    char path[256];
    path_of(name, path, sizeof(path));
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(want, 1, wlen, fp), wlen);
    fclose(fp);
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
    ck_assert_int_eq(sb.st_size, 1 << 20); /* made whole at once: records overwrite in place */
    ck_assert_uint_gt(jinfo().used, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(want[i] = slurp(logins[i], &wlen[i]));
    uint32_t bob = uid_of("bob");
    ck_assert_uint_ne(bob, 0);

    /* Nothing lost: the next lock finds the files as recorded, and leaves
     * them (the same inode) and the journal alone. */
    path_of(COG_CACHE_NSS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ino_t ino = sb.st_ino;
    struct cog_journal_info before = jinfo();
    next_login_lock();
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_ino, ino);
    struct cog_journal_info after = jinfo();
    ck_assert_uint_eq(after.seq, before.seq);
    ck_assert_uint_eq(after.used, before.used);

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
    ck_assert_uint_eq(jinfo().used, 0);
    ck_assert_uint_gt(jinfo().epoch, after.epoch);
    path_of(COG_CACHE_KEYS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, COG_CACHE_PUBLIC_MODE);
    path_of(COG_CACHE_ACCOUNTS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, COG_CACHE_PRIVATE_MODE);
}
END_TEST

/* The three logins files as they are now. */
struct files_state {
    char *data[3];
    size_t len[3];
};

static void save_state(struct files_state *fs)
{
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(fs->data[i] = slurp(logins[i], &fs->len[i]));
}

/* The files as a crash mid-login left them: as before that login. */
static void put_state(const struct files_state *fs)
{
    for (int i = 0; i < 3; i++)
        put_back(logins[i], fs->data[i], fs->len[i]);
}

static bool in_state(const struct files_state *fs)
{
    bool same = true;
    for (int i = 0; i < 3; i++)
        same = same && holds(logins[i], fs->data[i], fs->len[i]);
    return same;
}

static void free_state(struct files_state *fs)
{
    for (int i = 0; i < 3; i++)
        free(fs->data[i]);
}

/* A crash mid-login tears its record or its header (that login never
 * returned, so its files were never renamed): the record before it is the
 * last again, what a later crash restores, and later logins go on after it. */
START_TEST(test_torn_record_or_header_skipped)
{
    struct files_state a, c;
    char path[256];
    path_of(COG_CACHE_NSS_DELTA_FILE, path, sizeof(path));

    login("alice", "sub-a");
    save_state(&a);
    struct cog_journal_info ja = jinfo();
    login("bob", "sub-b");
    /* Bob's record torn mid-way, his files never renamed. */
    struct cog_journal_info ji = jinfo();
    tear((off_t)(ji.last_off + ji.last_len / 2), 64);
    put_state(&a);
    next_login_lock();
    ck_assert(in_state(&a));
    ck_assert_uint_eq(uid_of("bob"), 0);
    ck_assert_uint_eq(jinfo().last_off, ja.last_off); /* the current header names hers */
    ck_assert_uint_eq(jinfo().last_len, ja.last_len);
    /* Alice's record is the last again: the next crash brings back hers. */
    ck_assert_int_eq(unlink(path), 0);
    next_login_lock();
    ck_assert(in_state(&a));

    login("carol", "sub-c");
    save_state(&c);
    login("dave", "sub-d");
    /* Dave's header torn: the other slot, naming carol's record, is current. */
    ji = jinfo();
    tear((off_t)(ji.seq % 2) * 512, 48);
    put_state(&c);
    next_login_lock();
    ck_assert(in_state(&c));
    ck_assert_uint_eq(uid_of("dave"), 0);
    ck_assert_int_eq(unlink(path), 0);
    next_login_lock();
    ck_assert(in_state(&c));

    /* And the logins after it are recorded as usual. */
    login("erin", "sub-e");
    ck_assert_int_eq(unlink(path), 0);
    next_login_lock();
    ck_assert_uint_ne(uid_of("erin"), 0);
    ck_assert_uint_ne(uid_of("carol"), 0);
    ck_assert_uint_eq(uid_of("dave"), 0);
    free_state(&a);
    free_state(&c);
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
    ck_assert_uint_gt(jinfo().used, 0);
    ck_assert_int_eq(cog_cache_drop_user(&cfg, "bob", &err), COG_OK);
    ck_assert_uint_eq(jinfo().used, 0);
    ck_assert_uint_eq(uid_of("bob"), 0);
    next_login_lock();
    ck_assert_uint_eq(uid_of("bob"), 0); /* the drop stands */

    login("carol", "sub-c");
    ck_assert_uint_gt(jinfo().used, 0);
    cog_pool_init(&pool);
    tuser(&pool, "dave", "sub-d", 1, NULL);
    tsync(&cfg, &pool, time(NULL) + 10); /* listed after every login: none kept */
    cog_pool_free(&pool);
    ck_assert_uint_eq(jinfo().used, 0);
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
    ck_assert_uint_eq(jinfo().used, 0);
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
    ck_assert_uint_eq(jinfo().used, 0); /* the record was not whole: no record */
    free(img);
    cog_cache_model_free(&m);
}
END_TEST

/* Whether name is one of the cache's own files set aside (NAME.aside-K). */
static bool aside_of(const char *name, const char *file)
{
    size_t n = strlen(file);
    unsigned k;
    char end;
    return strncmp(name, file, n) == 0 && sscanf(name + n, ".aside-%u%c", &k, &end) == 1 &&
           k < COG_CACHE_ASIDE_RING;
}

/* Whether the cache directory holds only the cache's own files: no temp
 * file or replaced file left behind by a login, but those set aside for
 * the next writer that is not a login to remove (*aside counts them). */
static bool only_cache_files(unsigned *aside)
{
    static const char *const known[] = {".",
                                        "..",
                                        COG_CACHE_NSS_FILE,
                                        COG_CACHE_NSS_DELTA_FILE,
                                        COG_CACHE_ACCOUNTS_FILE,
                                        COG_CACHE_ACCOUNTS_DELTA_FILE,
                                        COG_CACHE_KEYS_FILE,
                                        COG_CACHE_KEYS_DELTA_FILE,
                                        COG_CACHE_LOCK_FILE,
                                        COG_CACHE_JOURNAL_FILE};
    DIR *d = opendir(dir.cache);
    struct dirent *e;
    bool only = d != NULL;
    while (d != NULL && (e = readdir(d)) != NULL) {
        bool ours = false, set_aside = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ours = ours || strcmp(e->d_name, known[i]) == 0;
        for (size_t i = 0; i < 3; i++)
            set_aside = set_aside || aside_of(e->d_name, logins[i]);
        *aside += set_aside;
        ours = ours || set_aside;
        if (!ours)
            fprintf(stderr, "left behind: %s\n", e->d_name);
        only = only && ours;
    }
    if (d != NULL)
        closedir(d);
    return only;
}

/* Many logins: the journal keeps its size (1 MiB), emptied before a
 * record would pass its end, the users are all there, and nothing else is
 * left in the directory (a login exchanges each file with its new one and
 * sets the old aside, at most COG_CACHE_ASIDE_RING of each, or removes it);
 * the next writer that is not a login removes those set aside. */
START_TEST(test_journal_stays_bounded)
{
    char name[32], sub[32];
    uint64_t prev = 0;
    bool emptied = false;
    for (int i = 0; i < 120; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        snprintf(sub, sizeof(sub), "sub-%d", i);
        login(name, sub);
        struct cog_journal_info ji = jinfo();
        emptied = emptied || ji.used < prev;
        prev = ji.used;
        ck_assert_uint_le(ji.last_off + ji.last_len, 1 << 20);
        ck_assert_int_eq(size_of(COG_CACHE_JOURNAL_FILE), 1 << 20);
    }
    ck_assert(emptied);
    unsigned aside = 0;
    ck_assert(only_cache_files(&aside));
    ck_assert_uint_gt(aside, 0);
    ck_assert_uint_le(aside, 3 * COG_CACHE_ASIDE_RING);
    struct cog_cache_lock lk;
    struct cog_error err = {0};
    ck_assert_msg(cog_cache_lock(dir.cache, 1000, &lk, &err) == COG_OK, "%s", err.message);
    cog_cache_unlock(&lk);
    aside = 0;
    ck_assert(only_cache_files(&aside));
    ck_assert_uint_eq(aside, 0);
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
    tcase_add_test(tc, test_torn_record_or_header_skipped);
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
