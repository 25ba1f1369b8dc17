/* A large cache file read on demand (cache_fetch.c) answers every lookup as
 * the same file mapped does: users by name and uid with all their strings
 * and gids, groups by name and gid with member lists longer than one read,
 * account facts by name and sub, misses, and a walk of the whole file,
 * which passes the reader's budget and goes on from a mapping while what
 * was read before stays valid. A file cut short in place after the checks
 * is a failed read that stops a writer, never a record taken as absent. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "tests/cachetest.h"
#include "tests/testutil.h"

#define USERS 9000u
#define GROUPS 40u

static struct tdir dir;
static char nss_path[256], acc_path[256];

/* USERS users (every one in group 0, which so has a long member list; each
 * also in group 1 + i % (GROUPS - 1)), SSH keys for every third, as the full
 * NSS and accounts files. */
static void setup(void)
{
    struct cog_cache_model m;
    struct cog_error err = {0};
    char name[64];
    static const char *const keys[] = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0 k"};

    tdir_make(&dir);
    cog_cache_model_init(&m);
    m.built_at = 1700000000;
    uint32_t *all = cog_cache_model_alloc(&m, USERS * sizeof(uint32_t));
    ck_assert_ptr_nonnull(all);
    for (uint32_t i = 0; i < USERS; i++) {
        struct cog_cache_user *u = cog_cache_model_add_user(&m);
        ck_assert_ptr_nonnull(u);
        snprintf(name, sizeof(name), "user%u", i);
        u->name = cog_cache_model_strdup(&m, name);
        snprintf(name, sizeof(name), "0b2c-%08x-sub", i);
        u->sub = cog_cache_model_strdup(&m, name);
        snprintf(name, sizeof(name), "User Number %u,,,", i);
        u->gecos = cog_cache_model_strdup(&m, name);
        snprintf(name, sizeof(name), "/home/user%u", i);
        u->home = cog_cache_model_strdup(&m, name);
        u->shell = "/bin/bash";
        u->status = "CONFIRMED";
        u->enabled = i % 7 != 0;
        u->uid = u->gid = 100000 + i * 3;
        uint32_t *gids = cog_cache_model_alloc(&m, 2 * sizeof(uint32_t));
        const char **groups = cog_cache_model_alloc(&m, 2 * sizeof(char *));
        ck_assert(gids != NULL && groups != NULL);
        gids[0] = 50000;
        gids[1] = 50001 + i % (GROUPS - 1);
        snprintf(name, sizeof(name), "grp%u", 1 + i % (GROUPS - 1));
        groups[0] = "grp0";
        groups[1] = cog_cache_model_strdup(&m, name);
        u->gids = gids;
        u->ngids = 2;
        u->groups = groups;
        u->ngroups = 2;
        u->keys = i % 3 == 0 ? keys : NULL;
        u->nkeys = i % 3 == 0 ? 1 : 0;
        all[i] = i;
    }
    for (uint32_t g = 0; g < GROUPS; g++) {
        struct cog_cache_group *cg = cog_cache_model_add_group(&m);
        ck_assert_ptr_nonnull(cg);
        snprintf(name, sizeof(name), "grp%u", g);
        cg->name = cog_cache_model_strdup(&m, name);
        cg->gid = 50000 + g;
        uint32_t *mem = cog_cache_model_alloc(&m, USERS * sizeof(uint32_t));
        ck_assert_ptr_nonnull(mem);
        size_t n = 0;
        for (uint32_t i = 0; i < USERS; i++)
            if (g == 0 || 1 + i % (GROUPS - 1) == g)
                mem[n++] = all[i];
        cg->members = mem;
        cg->nmembers = n;
    }
    const char *names[2] = {COG_CACHE_NSS_FILE, COG_CACHE_ACCOUNTS_FILE};
    enum cog_disk_kind kinds[2] = {COG_DISK_NSS, COG_DISK_ACCOUNTS};
    for (int k = 0; k < 2; k++) {
        char *img;
        size_t len;
        ck_assert_int_eq(cog_cache_build(&m, kinds[k], &img, &len, &err), COG_OK);
        ck_assert_uint_gt(len, COG_CACHE_READ_MAX);
        ck_assert_int_eq(cog_cache_replace(NULL, dir.cache, names[k], img, len,
                                           k ? COG_CACHE_PRIVATE_MODE : COG_CACHE_PUBLIC_MODE,
                                           &err),
                         COG_OK);
        free(img);
    }
    cog_cache_model_free(&m);
    snprintf(nss_path, sizeof(nss_path), "%s/%s", dir.cache, COG_CACHE_NSS_FILE);
    snprintf(acc_path, sizeof(acc_path), "%s/%s", dir.cache, COG_CACHE_ACCOUNTS_FILE);
}

static void teardown(void)
{
    tdir_remove(&dir);
}

static void same_str(const struct cog_cache_map *a, uint32_t oa, const struct cog_cache_map *b,
                     uint32_t ob)
{
    const char *x = cog_cache_str(a, oa), *y = cog_cache_str(b, ob);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_str_eq(x, y);
}

/* Two lists of string offsets, or of numbers (strings false), alike. */
static void same_list(const struct cog_cache_map *a, uint32_t la, const struct cog_cache_map *b,
                      uint32_t lb, bool strings)
{
    const uint32_t *x, *y;
    uint32_t nx = 0, ny = 0;
    ck_assert(cog_cache_list(a, la, &x, &nx));
    ck_assert(cog_cache_list(b, lb, &y, &ny));
    ck_assert_uint_eq(nx, ny);
    for (uint32_t i = 0; i < nx; i++) {
        if (strings)
            same_str(a, x[i], b, y[i]);
        else
            ck_assert_uint_eq(x[i], y[i]);
    }
}

static void same_user(const struct cog_cache_map *a, const struct cog_disk_user *x,
                      const struct cog_cache_map *b, const struct cog_disk_user *y)
{
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_uint_eq(x->uid, y->uid);
    ck_assert_uint_eq(x->gid, y->gid);
    ck_assert_uint_eq(x->flags, y->flags);
    same_str(a, x->name, b, y->name);
    same_str(a, x->gecos, b, y->gecos);
    same_str(a, x->home, b, y->home);
    same_str(a, x->shell, b, y->shell);
    same_list(a, x->gids, b, y->gids, false);
}

static void same_group(const struct cog_cache_map *a, const struct cog_disk_group *x,
                       const struct cog_cache_map *b, const struct cog_disk_group *y)
{
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_uint_eq(x->gid, y->gid);
    same_str(a, x->name, b, y->name);
    same_list(a, x->members, b, y->members, true);
}

static void same_account(const struct cog_cache_map *a, const struct cog_disk_account *x,
                         const struct cog_cache_map *b, const struct cog_disk_account *y)
{
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_uint_eq(x->uid, y->uid);
    ck_assert_uint_eq(x->flags, y->flags);
    same_str(a, x->name, b, y->name);
    same_str(a, x->sub, b, y->sub);
    same_str(a, x->status, b, y->status);
    same_list(a, x->groups, b, y->groups, true);
    same_list(a, x->keys, b, y->keys, true);
}

START_TEST(test_on_demand_answers_as_mapped)
{
    struct cog_cache_map mn, ma, dn, da;
    char name[64];

    ck_assert_int_eq(cog_cache_map_open(&mn, nss_path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert_int_eq(cog_cache_map_open(&ma, acc_path, COG_DISK_ACCOUNTS), COG_CACHE_OK);
    ck_assert_int_eq(cog_cache_map_load(&dn, nss_path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert_int_eq(cog_cache_map_load(&da, acc_path, COG_DISK_ACCOUNTS), COG_CACHE_OK);
    ck_assert(dn.fetch != NULL && da.fetch != NULL);
    ck_assert_uint_eq(dn.nrec[0], mn.nrec[0]);
    ck_assert_uint_eq(dn.nrec[1], GROUPS);

    /* Point lookups, as a login makes them: a few hundred. */
    for (uint32_t i = 0; i < USERS; i += 37) {
        snprintf(name, sizeof(name), "user%u", i);
        same_user(&mn, cog_cache_user_by_name(&mn, name), &dn, cog_cache_user_by_name(&dn, name));
        uint32_t uid = 100000 + i * 3;
        same_user(&mn, cog_cache_user_by_uid(&mn, uid), &dn, cog_cache_user_by_uid(&dn, uid));
        same_account(&ma, cog_cache_account_by_name(&ma, name), &da,
                     cog_cache_account_by_name(&da, name));
        snprintf(name, sizeof(name), "0b2c-%08x-sub", i);
        same_account(&ma, cog_cache_account_by_sub(&ma, name), &da,
                     cog_cache_account_by_sub(&da, name));
        ck_assert_uint_eq(cog_cache_account_by_sub(&da, name)->uid, uid);
        ck_assert_ptr_null(cog_cache_user_by_uid(&dn, uid + 1));
    }
    ck_assert_ptr_null(cog_cache_user_by_name(&dn, "nobody-here"));
    ck_assert_ptr_null(cog_cache_account_by_sub(&da, "no-such-sub"));
    for (uint32_t g = 0; g < GROUPS; g++) {
        snprintf(name, sizeof(name), "grp%u", g);
        same_group(&mn, cog_cache_group_by_name(&mn, name), &dn,
                   cog_cache_group_by_name(&dn, name));
        same_group(&mn, cog_cache_group_by_gid(&mn, 50000 + g), &dn,
                   cog_cache_group_by_gid(&dn, 50000 + g));
    }
    ck_assert_ptr_null(cog_cache_group_by_gid(&dn, 49999));
    ck_assert(!cog_cache_map_failed(&dn) && !cog_cache_map_failed(&da));

    /* A walk of everything passes the budget: what was read before must
     * still read the same afterwards. */
    const struct cog_disk_user *early = cog_cache_user_by_name(&dn, "user5");
    const char *early_home = cog_cache_str(&dn, early->home);
    struct cog_cache_view vm = {&mn, NULL}, vd = {&dn, NULL};
    struct cog_view_cursor cm = {0}, cd = {0};
    struct cog_view_user um, ud;
    size_t n = 0;
    while (cog_view_next_user(&vm, &cm, &um) == COG_CACHE_OK) {
        ck_assert_int_eq(cog_view_next_user(&vd, &cd, &ud), COG_CACHE_OK);
        same_user(&mn, um.rec, &dn, ud.rec);
        n++;
    }
    ck_assert_int_eq(cog_view_next_user(&vd, &cd, &ud), COG_CACHE_NOTFOUND);
    ck_assert_uint_eq(n, USERS);
    for (uint32_t i = 0; i < da.nrec[0]; i++)
        same_account(&ma, cog_cache_account_at(&ma, i), &da, cog_cache_account_at(&da, i));
    ck_assert_uint_eq(early->uid, 100015);
    ck_assert_str_eq(early_home, "/home/user5");
    ck_assert(!cog_cache_map_failed(&dn) && !cog_cache_map_failed(&da));

    cog_cache_map_close(&mn);
    cog_cache_map_close(&ma);
    cog_cache_map_close(&dn);
    cog_cache_map_close(&da);
    ck_assert_ptr_null(dn.fetch);
}
END_TEST

/* The file cut short in place (the same inode, under the open reader): the
 * lookup that needs the lost bytes fails, the reader says so, and a writer
 * holding these files refuses to write. */
START_TEST(test_failed_read_stops_writers)
{
    struct cog_cache_files f;
    struct cog_error err = {0};

    ck_assert_int_eq(cog_cache_files_open(dir.cache, &f, &err), COG_OK);
    ck_assert_ptr_nonnull(f.nss.fetch);
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&f.nss, "user1"));
    ck_assert_int_eq(cog_cache_files_sound(&f, &err), COG_OK);
    ck_assert_int_eq(truncate(nss_path, 4096), 0);
    /* Not read yet: its slot, record or strings are past the cut. */
    struct cog_view_user vu;
    ck_assert_int_ne(cog_view_user_by_name(&f.vnss, "user8999", &vu), COG_CACHE_OK);
    ck_assert(cog_cache_map_failed(&f.nss));
    ck_assert_int_eq(cog_cache_files_sound(&f, &err), COG_ERR_UNAVAILABLE);
    cog_error_clear(&err);
    /* Opened again, the damaged file is refused outright. */
    ck_assert_int_eq(cog_cache_files_refresh(dir.cache, &f, &err), COG_OK);
    ck_assert(!cog_cache_map_present(&f.nss));
    ck_assert_int_eq(cog_cache_files_sound(&f, &err), COG_OK);
    cog_cache_files_close(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache_fetch");
    TCase *tc = tcase_create("cache_fetch");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_on_demand_answers_as_mapped);
    tcase_add_test(tc, test_failed_read_stops_writers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
