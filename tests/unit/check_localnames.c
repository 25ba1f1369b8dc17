/* Local accounts win even when the local files cannot be read: a passwd or
 * group file that exists but fails to open or to read (a caller's
 * RLIMIT_NOFILE under su, a directory, an I/O error) refuses the name, the
 * login's update and the sync; it never counts as a file with no accounts,
 * which would hand a local user's name to a pool user. Only a file that
 * does not exist is empty. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping.h"
#include "tests/cachetest.h"
#include "tests/testutil.h"

static struct tdir dir;

static void setup(void)
{
    tdir_make(&dir);
}

static void teardown(void)
{
    tdir_remove(&dir);
}

struct seen {
    char names[8][32];
    size_t n;
};

static bool note(void *ctx, const char *name, uint32_t id)
{
    struct seen *s = ctx;
    (void)id;
    if (s->n < 8)
        snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
    return true;
}

/* A group line of members past bytes long, between two short ones. */
static void write_group(const char *path, size_t bytes)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("first:x:100:\nbig:x:101:", f);
    for (size_t n = 0; n < bytes; n += 9)
        fprintf(f, "%smember%02zu", n ? "," : "", n % 100);
    fputs("\nlast:x:102:\n", f);
    fclose(f);
}

START_TEST(test_scan)
{
    char path[512];
    struct seen s = {0};
    struct cog_error err = {0};
    bool missing = false;

    /* Missing: empty, and said so. */
    tdir_file(&dir, "none", path, sizeof(path));
    ck_assert_int_eq(cog_local_file_scan(path, false, note, &s, &missing, &err), COG_OK);
    ck_assert(missing);
    ck_assert_uint_eq(s.n, 0);

    /* An entry longer than the first buffer: read whole, and the one after it too. */
    tdir_file(&dir, "group.long", path, sizeof(path));
    write_group(path, 100 * 1024);
    ck_assert_int_eq(cog_local_file_scan(path, true, note, &s, &missing, &err), COG_OK);
    ck_assert(!missing);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_str_eq(s.names[1], "big");
    ck_assert_str_eq(s.names[2], "last");

    /* Past 1 MiB: an error, not the entries before it. */
    write_group(path, 2 * 1024 * 1024);
    ck_assert_int_eq(cog_local_file_scan(path, true, note, &s, &missing, &err), COG_ERR_INTERNAL);

    /* Exists, cannot be read: an error. */
    ck_assert_int_eq(cog_local_file_scan(dir.path, false, note, &s, &missing, &err),
                     COG_ERR_INTERNAL);
    ck_assert(!missing);
    ck_assert_ptr_nonnull(strstr(err.message, dir.path));
}
END_TEST

/* No descriptor left (the caller's RLIMIT_NOFILE and open files): the
 * local files cannot be opened, and the name is refused. */
START_TEST(test_no_descriptors)
{
    struct cog_config cfg;
    struct rlimit rl, was;
    int held[64], n = 0;
    tconfig(&cfg, &dir, NULL);
    ck_assert_ptr_null(cog_local_name(&cfg, "newbie"));

    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &was), 0);
    rl = was;
    rl.rlim_cur = 48;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    while (n < 64 && (held[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        n++;
    ck_assert_int_lt(n, 64);
    const char *why = cog_local_name(&cfg, "localuser");
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "the local passwd file cannot be read");
    ck_assert_ptr_nonnull(cog_local_name(&cfg, "newbie"));
    while (n > 0)
        close(held[--n]);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &was), 0);
    ck_assert_ptr_null(cog_local_name(&cfg, "newbie"));
    cog_config_free(&cfg);
}
END_TEST

/* An unreadable passwd or group file (here a directory in its place) fails
 * the login's update and the sync, and leaves the cache as it was. */
START_TEST(test_writers_refuse)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_error err = {0};
    char nss[512], file[512], kept[520];
    struct stat before, after;

    tconfig(&cfg, &dir, NULL);
    cog_pool_init(&pool);
    tuser(&pool, "carol", "s-carol", 10, "devs");
    tpool_groups(&pool);
    tsync(&cfg, &pool, time(NULL));
    tdir_file(&dir, "cache/" COG_CACHE_NSS_FILE, nss, sizeof(nss));
    ck_assert_int_eq(stat(nss, &before), 0);

    const char *files[] = {"passwd", "group"};
    for (int i = 0; i < 2; i++) {
        tdir_file(&dir, files[i], file, sizeof(file));
        snprintf(kept, sizeof(kept), "%s.kept", file);
        ck_assert_int_eq(rename(file, kept), 0);
        ck_assert_int_eq(mkdir(file, 0755), 0);
        struct json_object *c = tclaims("newbie", "s-new", NULL, NULL);
        ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_ERR_INTERNAL);
        ck_assert_ptr_nonnull(strstr(err.message, file));
        json_object_put(c);
        ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err),
                         COG_ERR_INTERNAL);
        ck_assert_ptr_nonnull(strstr(err.message, file));
        ck_assert_int_eq(rmdir(file), 0);
        ck_assert_int_eq(rename(kept, file), 0);
    }
    ck_assert_int_eq(stat(nss, &after), 0);
    ck_assert_uint_eq(before.st_ino, after.st_ino);

    /* Control: the same login with readable files is stored. */
    struct json_object *c = tclaims("newbie", "s-new", NULL, NULL);
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_OK);
    json_object_put(c);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("localnames");
    TCase *tc = tcase_create("localnames");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scan);
    tcase_add_test(tc, test_no_descriptors);
    tcase_add_test(tc, test_writers_refuse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
