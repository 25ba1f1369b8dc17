/* How writers open the cache (cog_cache_map_load, cog_cache_files_refresh):
 * a small file is read into memory, a large one read on demand
 * (cache_fetch.c), both with the same checks as the NSS module's mapping
 * (size, sums, owner, mode), and on demand every lookup answers as the
 * mapping does; a login's writer keeps the files its unchanged-check opened
 * only where no one has replaced them since, and always reads a small file
 * again (its copy holds no inode, so a same-numbered new file could take
 * its place). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
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

/* n users user0..user(n-1) from uid 5000, named with prefix. */
static void model_of(struct cog_cache_model *m, const char *prefix, size_t n)
{
    char name[64];
    cog_cache_model_init(m);
    m->built_at = 1700000000;
    for (size_t i = 0; i < n; i++) {
        struct cog_cache_user *u = cog_cache_model_add_user(m);
        ck_assert_ptr_nonnull(u);
        snprintf(name, sizeof(name), "%s%zu", prefix, i);
        u->name = cog_cache_model_strdup(m, name);
        u->sub = u->name;
        u->gecos = "";
        u->home = "/home/x";
        u->shell = "/bin/sh";
        u->status = "CONFIRMED";
        u->enabled = true;
        u->uid = u->gid = 5000 + (uint32_t)i;
    }
}

/* The model as DIR/cache/name (a full file, or a logins file when delta). */
static void put(const char *name, const char *prefix, size_t n, bool delta)
{
    struct cog_cache_model m;
    struct cog_error err = {0};
    char *img;
    size_t len;
    model_of(&m, prefix, n);
    m.delta = delta;
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_OK);
    ck_assert_int_eq(
        cog_cache_replace(NULL, dir.cache, name, img, len, COG_CACHE_PUBLIC_MODE, &err), COG_OK);
    free(img);
    cog_cache_model_free(&m);
}

static size_t size_of(const char *name)
{
    char path[256];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", dir.cache, name);
    ck_assert_int_eq(stat(path, &sb), 0);
    return (size_t)sb.st_size;
}

/* Small: a copy; large: read on demand; both found alike and refused alike. */
START_TEST(test_load_small_read_large_on_demand)
{
    struct cog_cache_map m;
    char path[256];

    put("small", "s", 3, false);
    put("large", "l", 6000, false);
    ck_assert_uint_le(size_of("small"), COG_CACHE_READ_MAX);
    ck_assert_uint_gt(size_of("large"), COG_CACHE_READ_MAX);

    snprintf(path, sizeof(path), "%s/small", dir.cache);
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert(m.loaded);
    ck_assert(cog_cache_map_verify(&m));
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&m, "s2"));
    ck_assert_uint_eq(cog_cache_user_by_uid(&m, 5001)->uid, 5001);
    cog_cache_map_close(&m);
    ck_assert_ptr_null(m.base);
    /* The wrong kind, a file others may write, one owned by someone else. */
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_ACCOUNTS), COG_CACHE_CORRUPT);
    ck_assert_int_eq(chmod(path, 0666), 0);
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_UNTRUSTED);
    ck_assert_int_eq(chmod(path, 0644), 0);
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_UNTRUSTED);
        ck_assert_int_eq(chown(path, 0, 0), 0);
    }
    /* Cut short: the size in the header no longer matches. */
    ck_assert_int_eq(truncate(path, (off_t)size_of("small") - 1), 0);
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_CORRUPT);
    snprintf(path, sizeof(path), "%s/absent", dir.cache);
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_ABSENT);

    snprintf(path, sizeof(path), "%s/large", dir.cache);
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert(!m.loaded);
    ck_assert_ptr_null(m.base);
    ck_assert_ptr_nonnull(m.fetch);
    ck_assert(!cog_cache_map_verify(&m)); /* never whole in memory */
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&m, "l5999"));
    ck_assert(!cog_cache_map_failed(&m));
    cog_cache_map_close(&m);
    ck_assert_int_eq(truncate(path, (off_t)size_of("large") - 8), 0);
    ck_assert_int_eq(cog_cache_map_load(&m, path, COG_DISK_NSS), COG_CACHE_CORRUPT);
}
END_TEST

/* A large file no one replaced is kept as opened; a replaced one, and every
 * small one, is read again and shows the new content. */
START_TEST(test_refresh_keeps_only_what_is_current)
{
    struct cog_cache_files f;
    struct cog_error err = {0};

    put(COG_CACHE_NSS_FILE, "l", 6000, false);
    put(COG_CACHE_NSS_DELTA_FILE, "d", 2, true);
    ck_assert_int_eq(cog_cache_files_open(dir.cache, &f, &err), COG_OK);
    ck_assert(!f.nss.loaded);
    ck_assert(f.nss_d.loaded);
    ck_assert_ptr_null(f.vacc.main); /* no accounts files: absent, not an error */
    const struct cog_cache_fetch *opened = f.nss.fetch;
    ck_assert_ptr_nonnull(opened);
    ino_t ino = f.nss.ino;

    /* Nothing replaced: the reader stays, the copy is read again. */
    ck_assert_int_eq(cog_cache_files_refresh(dir.cache, &f, &err), COG_OK);
    ck_assert_ptr_eq(f.nss.fetch, opened);
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&f.nss_d, "d1"));

    /* The logins file replaced by one of other users (its inode number may
     * well be the old one's): the new users, not the old copy. */
    put(COG_CACHE_NSS_DELTA_FILE, "e", 2, true);
    ck_assert_int_eq(cog_cache_files_refresh(dir.cache, &f, &err), COG_OK);
    ck_assert_ptr_null(cog_cache_user_by_name(&f.nss_d, "d1"));
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&f.nss_d, "e1"));
    ck_assert_ptr_eq(f.vnss.delta, &f.nss_d);

    /* The full file replaced (a sync): the new one is opened. */
    put(COG_CACHE_NSS_FILE, "m", 6000, false);
    ck_assert_int_eq(cog_cache_files_refresh(dir.cache, &f, &err), COG_OK);
    ck_assert_uint_ne(f.nss.ino, ino);
    ck_assert_ptr_null(cog_cache_user_by_name(&f.nss, "l1"));
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&f.nss, "m1"));

    /* Removed: absent from the views. */
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir.cache, COG_CACHE_NSS_DELTA_FILE);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(cog_cache_files_refresh(dir.cache, &f, &err), COG_OK);
    ck_assert_ptr_null(f.vnss.delta);
    ck_assert(!cog_cache_map_present(&f.nss_d));
    cog_cache_files_close(&f);
}
END_TEST

/* An image of n users with pool sentinel `which` damaged (0: the word
 * pool's first word, 1: the string pool's first byte, 2: its last byte);
 * which 3 leaves it whole. */
static char *image_with(size_t n, int which, size_t *len)
{
    struct cog_cache_model m;
    struct cog_error err = {0};
    char *img;
    model_of(&m, "p", n);
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, len, &err), COG_OK);
    cog_cache_model_free(&m);
    const struct cog_disk_header *h = (const void *)img;
    const struct cog_disk_section *w = &h->sect[COG_SEC_WORDS], *str = &h->sect[COG_SEC_STRINGS];
    size_t at[3] = {w->off, str->off, str->off + str->size - 1};
    if (which < 3)
        img[at[which]] = 'x';
    return img;
}

/* The pools' sentinels, checked by pread for a mapped file (so opening it
 * touches no page of the mapping but the header's) as in memory: a damaged
 * one is refused whether the file is mapped, read or handed over. */
START_TEST(test_pool_sentinels_checked_every_way)
{
    struct cog_cache_map map;
    char path[256];
    size_t sizes[2] = {6000, 3}, len;

    snprintf(path, sizeof(path), "%s/sentinel", dir.cache);
    for (size_t k = 0; k < 2; k++) {
        for (int which = 0; which < 4; which++) {
            char *img = image_with(sizes[k], which, &len);
            enum cog_cache_rc want = which < 3 ? COG_CACHE_CORRUPT : COG_CACHE_OK;
            FILE *fp = fopen(path, "w");
            ck_assert_ptr_nonnull(fp);
            ck_assert_uint_eq(fwrite(img, 1, len, fp), len);
            fclose(fp);
            ck_assert_msg(cog_cache_map_open(&map, path, COG_DISK_NSS) == want,
                          "sentinel %d, %zu bytes: mapped", which, len);
            cog_cache_map_close(&map);
            ck_assert_msg(cog_cache_map_load(&map, path, COG_DISK_NSS) == want,
                          "sentinel %d, %zu bytes: loaded", which, len);
            ck_assert(map.loaded == (want == COG_CACHE_OK && len <= COG_CACHE_READ_MAX));
            cog_cache_map_close(&map);
            ck_assert_msg(cog_cache_map_buffer(&map, img, len, COG_DISK_NSS) == want,
                          "sentinel %d, %zu bytes: buffer", which, len);
            free(img);
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache_load");
    TCase *tc = tcase_create("cache_load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_load_small_read_large_on_demand);
    tcase_add_test(tc, test_refresh_keeps_only_what_is_current);
    tcase_add_test(tc, test_pool_sentinels_checked_every_way);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
