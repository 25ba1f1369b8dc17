/* The cache file format: what the writer builds the reader finds, by name
 * and by id, with group members and each user's gids; the logins file
 * shadows the full one; a damaged, truncated or foreign file is refused or
 * yields "not found", never a crash (these tests also run under ASan). */
#include "build-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
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
    tdir_remove(&dir);
}

/* A user straight into a model (the mapping is tested elsewhere). */
static size_t muser(struct cog_cache_model *m, const char *name, uint32_t uid, const char *sub,
                    const uint32_t *gids, size_t ngids)
{
    struct cog_cache_user *u = cog_cache_model_add_user(m);
    char home[64], gecos[64];
    ck_assert_ptr_nonnull(u);
    snprintf(home, sizeof(home), "/home/%s", name);
    snprintf(gecos, sizeof(gecos), "User %s", name);
    u->name = cog_cache_model_strdup(m, name);
    u->sub = cog_cache_model_strdup(m, sub ? sub : name);
    u->home = cog_cache_model_strdup(m, home);
    u->gecos = cog_cache_model_strdup(m, gecos);
    u->shell = "/bin/bash";
    u->status = "CONFIRMED";
    u->enabled = true;
    u->uid = u->gid = uid;
    if (ngids > 0) {
        uint32_t *g = cog_cache_model_alloc(m, ngids * sizeof(*g));
        memcpy(g, gids, ngids * sizeof(*g));
        u->gids = g;
        u->ngids = ngids;
    }
    return m->nusers - 1;
}

static void mgroup(struct cog_cache_model *m, const char *name, uint32_t gid,
                   const uint32_t *members, size_t n)
{
    struct cog_cache_group *g = cog_cache_model_add_group(m);
    ck_assert_ptr_nonnull(g);
    g->name = cog_cache_model_strdup(m, name);
    g->gid = gid;
    uint32_t *copy = cog_cache_model_alloc(m, (n ? n : 1) * sizeof(*copy));
    if (n > 0)
        memcpy(copy, members, n * sizeof(*copy));
    g->members = copy;
    g->nmembers = n;
}

static void write_file(const struct cog_cache_model *m, enum cog_disk_kind kind, const char *name)
{
    char *img;
    size_t len;
    struct cog_error err = {0};
    ck_assert_int_eq(cog_cache_build(m, kind, &img, &len, &err), COG_OK);
    ck_assert_int_eq(
        cog_cache_replace(NULL, dir.cache, name, img, len, COG_CACHE_PUBLIC_MODE, &err), COG_OK);
    free(img);
}

static void path_of(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir.cache, name);
}

/* alice (5000) in devs and ops, bob (5001) in devs, carol (5002) in none. */
static void small_model(struct cog_cache_model *m)
{
    cog_cache_model_init(m);
    m->built_at = 1700000000;
    uint32_t a[] = {7000, 7001, 27}, b[] = {7000};
    muser(m, "alice", 5000, "sub-a", a, 3);
    muser(m, "bob", 5001, "sub-b", b, 1);
    muser(m, "carol", 5002, "sub-c", NULL, 0);
    uint32_t devs[] = {0, 1}, ops[] = {0};
    mgroup(m, "devs", 7000, devs, 2);
    mgroup(m, "ops", 7001, ops, 1);
}

START_TEST(test_roundtrip)
{
    struct cog_cache_model m;
    struct cog_cache_map map;
    char path[256];
    const uint32_t *items;
    uint32_t n;

    small_model(&m);
    write_file(&m, COG_DISK_NSS, COG_CACHE_NSS_FILE);
    path_of(COG_CACHE_NSS_FILE, path, sizeof(path));
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0644);

    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert(cog_cache_map_verify(&map));
    ck_assert_uint_eq(map.nrec[0], 3);
    ck_assert_uint_eq(map.nrec[1], 2);
    const struct cog_disk_user *u = cog_cache_user_by_name(&map, "bob");
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(u->uid, 5001);
    ck_assert_str_eq(cog_cache_str(&map, u->home), "/home/bob");
    ck_assert_str_eq(cog_cache_str(&map, u->gecos), "User bob");
    ck_assert_str_eq(cog_cache_str(&map, u->shell), "/bin/bash");
    u = cog_cache_user_by_uid(&map, 5000);
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(cog_cache_str(&map, u->name), "alice");
    ck_assert(cog_cache_list(&map, u->gids, &items, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(items[2], 27);
    ck_assert_ptr_null(cog_cache_user_by_name(&map, "dave"));
    ck_assert_ptr_null(cog_cache_user_by_name(&map, "alic"));
    ck_assert_ptr_null(cog_cache_user_by_uid(&map, 5003));
    /* A home that ends in the name holds it (test_lists_shared: one that
     * does not). */
    ck_assert_uint_eq(u->name, u->home + strlen("/home/"));
    ck_assert_str_eq(cog_cache_str(&map, u->home), "/home/alice");
    /* The same shell string is stored once. */
    ck_assert_uint_eq(cog_cache_user_by_name(&map, "alice")->shell,
                      cog_cache_user_by_name(&map, "carol")->shell);

    const struct cog_disk_group *g = cog_cache_group_by_name(&map, "devs");
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(g->gid, 7000);
    ck_assert(cog_cache_list(&map, g->members, &items, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(cog_cache_str(&map, items[0]), "alice");
    ck_assert_str_eq(cog_cache_str(&map, items[1]), "bob");
    ck_assert_ptr_nonnull(cog_cache_group_by_gid(&map, 7001));
    ck_assert_ptr_null(cog_cache_group_by_gid(&map, 5000));

    /* Through a view: private groups and members. */
    struct cog_cache_view v = {&map, NULL};
    struct cog_view_group vg;
    ck_assert_int_eq(cog_view_group_by_gid(&v, 5002, &vg), COG_CACHE_OK);
    ck_assert_ptr_null(vg.rec);
    ck_assert_str_eq(cog_view_group_name(&vg), "carol");
    ck_assert_int_eq(cog_view_group_by_name(&v, "ops", &vg), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_gid(&vg), 7001);
    ck_assert_int_eq(cog_view_group_by_name(&v, "nobody", &vg), COG_CACHE_NOTFOUND);

    /* Enumeration: 3 users; 2 Cognito groups then 3 private ones. */
    struct cog_view_cursor c = {0};
    struct cog_view_user vu;
    int users = 0, groups = 0;
    while (cog_view_next_user(&v, &c, &vu) == COG_CACHE_OK)
        users++;
    memset(&c, 0, sizeof(c));
    while (cog_view_next_group(&v, &c, &vg) == COG_CACHE_OK)
        groups++;
    ck_assert_int_eq(users, 3);
    ck_assert_int_eq(groups, 5);

    cog_cache_map_close(&map);
    cog_cache_model_free(&m);
}
END_TEST

START_TEST(test_accounts_file)
{
    struct cog_cache_model m;
    struct cog_cache_map map;
    char path[256];
    const uint32_t *items;
    uint32_t n;

    small_model(&m);
    const char *groups[] = {"Developers", "ops"};
    const char *keys[] = {"ssh-ed25519 AAAAC3 alice@laptop", "ssh-rsa AAAAB3 alice@desk"};
    m.users[0].groups = groups;
    m.users[0].ngroups = 2;
    m.users[0].keys = keys;
    m.users[0].nkeys = 2;
    m.users[0].created = 1600000000;
    m.users[1].enabled = false;
    m.users[1].status = "RESET_REQUIRED";
    write_file(&m, COG_DISK_ACCOUNTS, COG_CACHE_ACCOUNTS_FILE);
    path_of(COG_CACHE_ACCOUNTS_FILE, path, sizeof(path));
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_ACCOUNTS), COG_CACHE_OK);
    ck_assert(cog_cache_map_verify(&map));
    /* A file of one kind is never read as the other. */
    struct cog_cache_map wrong;
    ck_assert_int_eq(cog_cache_map_open(&wrong, path, COG_DISK_NSS), COG_CACHE_CORRUPT);

    const struct cog_disk_account *a = cog_cache_account_by_name(&map, "alice");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(cog_cache_str(&map, a->sub), "sub-a");
    ck_assert(a->flags & COG_DISK_ENABLED);
    ck_assert_int_eq(a->created, 1600000000);
    ck_assert(cog_cache_list(&map, a->keys, &items, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(cog_cache_str(&map, items[1]), "ssh-rsa AAAAB3 alice@desk");
    ck_assert(cog_cache_list(&map, a->groups, &items, &n));
    ck_assert_str_eq(cog_cache_str(&map, items[0]), "Developers");
    a = cog_cache_account_by_sub(&map, "sub-b");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(cog_cache_str(&map, a->name), "bob");
    ck_assert(!(a->flags & COG_DISK_ENABLED));
    ck_assert_str_eq(cog_cache_str(&map, a->status), "RESET_REQUIRED");
    ck_assert_ptr_null(cog_cache_account_by_sub(&map, "sub-x"));
    cog_cache_map_close(&map);

    /* And through the lookup API pam_cognito and authorized-keys use. */
    struct cog_config cfg;
    struct cog_account acc;
    struct cog_error err = {0};
    tconfig(&cfg, &dir, NULL);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &acc, &err), COG_OK);
    ck_assert_str_eq(acc.sub, "sub-a");
    ck_assert(acc.enabled);
    ck_assert_uint_eq(acc.uid, 5000);
    ck_assert_uint_eq(acc.nkeys, 2);
    ck_assert_str_eq(acc.keys[0], "ssh-ed25519 AAAAC3 alice@laptop");
    ck_assert_uint_eq(acc.ngroups, 2);
    ck_assert(!acc.from_login);
    cog_account_clear(&acc);
    ck_assert_int_eq(cog_account_lookup(&cfg, "zed", &acc, &err), COG_ERR_USER_UNKNOWN);
    unlink(path);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &acc, &err), COG_ERR_UNAVAILABLE);
    cog_config_free(&cfg);
    cog_cache_model_free(&m);
}
END_TEST

/* A word list that repeats is stored once: users with the same gids, or
 * the same Cognito groups, share one list (a lookup's list is then often in
 * cache already); a list in another order, or a longer one, is its own.
 * Past a thousand distinct lists the table has grown, and still shares. */
START_TEST(test_lists_shared)
{
    struct cog_cache_model m;
    struct cog_cache_map nss, acc;
    char path[256], name[32];
    const uint32_t *items;
    uint32_t n;
    const char *both[] = {"devs", "ops"}, *one[] = {"devs"};
    uint32_t ab[] = {7000, 7001}, ba[] = {7001, 7000}, abc[] = {7000, 7001, 27};
    enum { MANY = 3000 };

    cog_cache_model_init(&m);
    m.built_at = 1700000000;
    muser(&m, "alice", 5000, NULL, ab, 2);
    muser(&m, "bob", 5001, NULL, ab, 2);
    muser(&m, "carol", 5002, NULL, ab, 1);
    muser(&m, "dave", 5003, NULL, ba, 2);
    muser(&m, "erin", 5004, NULL, abc, 3);
    m.users[4].home = "/srv/erin-home";
    m.users[0].groups = m.users[1].groups = both;
    m.users[0].ngroups = m.users[1].ngroups = 2;
    m.users[2].groups = one;
    m.users[2].ngroups = 1;
    for (uint32_t i = 0; i < MANY; i++) { /* i and i + MANY / 2 share a list */
        uint32_t g[] = {10000 + i % (MANY / 2), 7};
        snprintf(name, sizeof(name), "u%u", i);
        muser(&m, name, 20000 + i, NULL, g, 2);
    }
    write_file(&m, COG_DISK_NSS, COG_CACHE_NSS_FILE);
    write_file(&m, COG_DISK_ACCOUNTS, COG_CACHE_ACCOUNTS_FILE);
    path_of(COG_CACHE_NSS_FILE, path, sizeof(path));
    ck_assert_int_eq(cog_cache_map_open(&nss, path, COG_DISK_NSS), COG_CACHE_OK);
    path_of(COG_CACHE_ACCOUNTS_FILE, path, sizeof(path));
    ck_assert_int_eq(cog_cache_map_open(&acc, path, COG_DISK_ACCOUNTS), COG_CACHE_OK);

    const struct cog_disk_user *a = cog_cache_user_by_name(&nss, "alice"),
                               *b = cog_cache_user_by_name(&nss, "bob"),
                               *c = cog_cache_user_by_name(&nss, "carol"),
                               *d = cog_cache_user_by_name(&nss, "dave"),
                               *e = cog_cache_user_by_name(&nss, "erin");
    ck_assert(a && b && c && d && e);
    ck_assert_uint_ne(a->gids, 0);
    ck_assert_uint_eq(a->gids, b->gids);
    ck_assert_uint_ne(a->gids, c->gids);
    ck_assert_uint_ne(a->gids, d->gids);
    ck_assert_uint_ne(a->gids, e->gids);
    ck_assert(cog_cache_list(&nss, d->gids, &items, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(items[0], 7001);
    ck_assert(cog_cache_list(&nss, c->gids, &items, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(items[0], 7000);
    ck_assert_str_eq(cog_cache_str(&nss, e->home), "/srv/erin-home");
    ck_assert_str_eq(cog_cache_str(&nss, e->name), "erin");
    ck_assert(cog_cache_list(&nss, e->gids, &items, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(items[2], 27);
    for (uint32_t i = 0; i < MANY / 2; i++) {
        snprintf(name, sizeof(name), "u%u", i);
        const struct cog_disk_user *x = cog_cache_user_by_name(&nss, name);
        snprintf(name, sizeof(name), "u%u", i + MANY / 2);
        const struct cog_disk_user *y = cog_cache_user_by_name(&nss, name);
        ck_assert(x && y);
        ck_assert_uint_eq(x->gids, y->gids);
        ck_assert(cog_cache_list(&nss, y->gids, &items, &n));
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(items[0], 10000 + i);
        ck_assert_uint_eq(items[1], 7);
    }

    const struct cog_disk_account *aa = cog_cache_account_by_name(&acc, "alice"),
                                  *ab_ = cog_cache_account_by_name(&acc, "bob"),
                                  *ac = cog_cache_account_by_name(&acc, "carol");
    ck_assert(aa && ab_ && ac);
    ck_assert_uint_ne(aa->groups, 0);
    ck_assert_uint_eq(aa->groups, ab_->groups);
    ck_assert_uint_ne(aa->groups, ac->groups);
    ck_assert(cog_cache_list(&acc, ac->groups, &items, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(cog_cache_str(&acc, items[0]), "devs");
    cog_cache_map_close(&nss);
    cog_cache_map_close(&acc);
    cog_cache_model_free(&m);
}
END_TEST

/* Many users: every one found by name and uid, misses miss, ids unique. */
START_TEST(test_many_users)
{
    struct cog_cache_model m;
    struct cog_cache_map map;
    char path[256], name[32];
    const int n = 20000;

    cog_cache_model_init(&m);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        uint32_t gid = 3000000 + (uint32_t)(i % 7);
        muser(&m, name, 100000 + (uint32_t)i * 7, NULL, &gid, 1);
    }
    for (int g = 0; g < 7; g++) {
        snprintf(name, sizeof(name), "team%d", g);
        mgroup(&m, name, 3000000 + (uint32_t)g, NULL, 0);
    }
    write_file(&m, COG_DISK_NSS, COG_CACHE_NSS_FILE);
    path_of(COG_CACHE_NSS_FILE, path, sizeof(path));
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_OK);
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        const struct cog_disk_user *u = cog_cache_user_by_name(&map, name);
        ck_assert_ptr_nonnull(u);
        ck_assert_uint_eq(u->uid, 100000 + (uint32_t)i * 7);
        ck_assert_ptr_eq(cog_cache_user_by_uid(&map, u->uid), u);
        ck_assert_ptr_null(cog_cache_user_by_uid(&map, u->uid + 1));
        snprintf(name, sizeof(name), "user%d", n + i);
        ck_assert_ptr_null(cog_cache_user_by_name(&map, name));
    }
    cog_cache_map_close(&map);
    cog_cache_model_free(&m);
}
END_TEST

/* Two live users with one name or uid are a writer bug, not a file. */
START_TEST(test_duplicates_refused)
{
    struct cog_cache_model m;
    char *img = NULL;
    size_t len;
    struct cog_error err = {0};

    cog_cache_model_init(&m);
    muser(&m, "alice", 5000, NULL, NULL, 0);
    muser(&m, "alice", 5001, NULL, NULL, 0);
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_ERR_INTERNAL);
    m.users[1].name = "bob";
    m.users[1].uid = 5000;
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_ERR_INTERNAL);
    /* A hidden record may share keys with a live one: it only hides the rest. */
    m.users[1].hidden = true;
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_OK);
    free(img);
    cog_cache_model_free(&m);
}
END_TEST

/* Every lookup and walk on a damaged map must end, without a crash. */
static void exercise(const struct cog_cache_map *map)
{
    struct cog_cache_view v = {map, NULL};
    struct cog_view_user u;
    struct cog_view_group g;
    struct cog_view_cursor c = {0};
    const char *names[] = {"alice", "bob", "carol", "devs", "ops", "x"};
    for (size_t i = 0; i < 6; i++) {
        cog_view_user_by_name(&v, names[i], &u);
        if (cog_view_group_by_name(&v, names[i], &g) == COG_CACHE_OK)
            ck_assert_ptr_nonnull(cog_view_group_name(&g));
    }
    for (uint32_t id = 4999; id < 5004; id++)
        cog_view_user_by_uid(&v, id, &u);
    for (uint32_t id = 6999; id < 7003; id++)
        cog_view_group_by_gid(&v, id, &g);
    int guard = 0;
    while (cog_view_next_user(&v, &c, &u) == COG_CACHE_OK && guard++ < 100)
        ck_assert_ptr_nonnull(cog_cache_str(u.map, u.rec->name));
    memset(&c, 0, sizeof(c));
    while (cog_view_next_group(&v, &c, &g) == COG_CACHE_OK && guard++ < 200)
        ck_assert_ptr_nonnull(cog_view_group_name(&g));
}

static void write_raw(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* Whether every byte where a and b differ is the top byte of a word of
 * the body (the last of each 8 from the header's end). */
static bool top_bytes_only(const char *a, const char *b, size_t len)
{
    for (size_t k = sizeof(struct cog_disk_header); k < len; k++)
        if (a[k] != b[k] && (k - sizeof(struct cog_disk_header)) % 8 != 7)
            return false;
    return true;
}

START_TEST(test_damage_never_crashes)
{
    struct cog_cache_model m;
    struct cog_cache_map map;
    char path[256], *img, *bad;
    size_t len;
    struct cog_error err = {0};

    small_model(&m);
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_OK);
    path_of("damaged", path, sizeof(path));
    bad = malloc(len);

    /* Truncated anywhere: refused at open (the size is in the header). */
    for (size_t cut = 0; cut < len; cut += (cut < 512 ? 1 : 37)) {
        write_raw(path, img, cut);
        ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_CORRUPT);
    }
    /* Any header byte changed: refused (the header has its own sum), except
     * the notify word, which writers change in place by design. */
    size_t notify_at = offsetof(struct cog_disk_header, notify);
    for (size_t i = 0; i < sizeof(struct cog_disk_header); i++) {
        memcpy(bad, img, len);
        bad[i] ^= 0x5a;
        write_raw(path, bad, len);
        enum cog_cache_rc rc = cog_cache_map_open(&map, path, COG_DISK_NSS);
        if (i >= notify_at) {
            ck_assert_int_eq(rc, COG_CACHE_OK);
            cog_cache_map_close(&map);
        } else {
            ck_assert_msg(rc == COG_CACHE_CORRUPT, "header byte %zu", i);
        }
    }
    /* Body bytes changed, one to four at a time: the map may open (lookups
     * do not read every page), the sum catches it (but for its one blind
     * spot, below), and nothing crashes.
     * In memory (the same checks as a file), so there can be many rounds. */
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        memcpy(bad, img, len);
        int flips = 1 + round % 4;
        for (int f = 0; f < flips; f++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = sizeof(struct cog_disk_header) +
                        (seed >> 8) % (len - sizeof(struct cog_disk_header));
            seed = seed * 1103515245u + 12345u;
            bad[at] = (char)(round % 3 == 0 ? 0xff : (seed >> 16));
        }
        if (memcmp(bad, img, len) == 0)
            continue;
        if (cog_cache_map_buffer(&map, bad, len, COG_DISK_NSS) == COG_CACHE_OK) {
            /* The sum (cog_disk_checksum) misses only changes confined to
             * the top byte of an even number of words: the multiply carries
             * a word's low bits up, never its top byte down. */
            ck_assert_msg(!cog_cache_map_verify(&map) || top_bytes_only(bad, img, len),
                          "round %d: damage the sum must catch went unseen", round);
            exercise(&map);
        }
    }
    /* A record pointing far outside the string pool: that record is "not found". */
    memcpy(bad, img, len);
    tdisk_user(bad, 1)->home = 0xfffffff0u;
    write_raw(path, bad, len);
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert_ptr_null(cog_cache_user_by_name(&map, "bob"));
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&map, "alice"));
    cog_cache_map_close(&map);
    /* Not our file at all. */
    write_raw(path, "root:x:0:0:root:/root:/bin/bash\n", 32);
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_CORRUPT);
    path_of("missing", path, sizeof(path));
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_ABSENT);

    free(bad);
    free(img);
    cog_cache_model_free(&m);
}
END_TEST

/* A file someone else could have written is not trusted. */
START_TEST(test_untrusted_files)
{
    struct cog_cache_model m;
    struct cog_cache_map map;
    char path[256];

    small_model(&m);
    write_file(&m, COG_DISK_NSS, COG_CACHE_NSS_FILE);
    path_of(COG_CACHE_NSS_FILE, path, sizeof(path));
    chmod(path, 0666);
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_UNTRUSTED);
    chmod(path, 0644);
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_UNTRUSTED);
        ck_assert_int_eq(chown(path, 0, 0), 0);
    }
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_OK);
    cog_cache_map_close(&map);
    cog_cache_model_free(&m);
}
END_TEST

static bool collect(void *ctx, const char *name)
{
    char *seen = ctx;
    strcat(seen, name);
    strcat(seen, ",");
    return true;
}

/* The logins file answers first; its hidden records hide the full file's. */
START_TEST(test_delta_shadows_main)
{
    struct cog_cache_model full, delta;
    struct cog_cache_map mm, dm;
    char mp[256], dp[256];
    struct cog_view_user u;
    struct cog_view_group g;

    small_model(&full);
    write_file(&full, COG_DISK_NSS, COG_CACHE_NSS_FILE);
    /* Since the sync: bob renamed himself robert (same uid), a new dave
     * took the name carol had (carol's uid is hidden), erin joined ops. */
    cog_cache_model_init(&delta);
    delta.delta = true;
    uint32_t ops = 7001;
    muser(&delta, "robert", 5001, "sub-b", NULL, 0);
    muser(&delta, "carol", 5100, "sub-d", NULL, 0);
    muser(&delta, "erin", 5200, "sub-e", &ops, 1);
    delta.users[muser(&delta, "bob", 5001, "", NULL, 0)].hidden = true;
    delta.users[muser(&delta, "carol", 5002, "", NULL, 0)].hidden = true;
    uint32_t members[] = {2};
    mgroup(&delta, "ops", 7001, members, 1);
    write_file(&delta, COG_DISK_NSS, COG_CACHE_NSS_DELTA_FILE);

    path_of(COG_CACHE_NSS_FILE, mp, sizeof(mp));
    path_of(COG_CACHE_NSS_DELTA_FILE, dp, sizeof(dp));
    ck_assert_int_eq(cog_cache_map_open(&mm, mp, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert_int_eq(cog_cache_map_open(&dm, dp, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert(dm.hdr->flags & COG_DISK_DELTA);
    struct cog_cache_view v = {&mm, &dm};

    ck_assert_int_eq(cog_view_user_by_name(&v, "bob", &u), COG_CACHE_NOTFOUND);
    ck_assert_int_eq(cog_view_user_by_uid(&v, 5001, &u), COG_CACHE_OK);
    ck_assert_str_eq(cog_cache_str(u.map, u.rec->name), "robert");
    ck_assert_int_eq(cog_view_user_by_name(&v, "carol", &u), COG_CACHE_OK);
    ck_assert_uint_eq(u.rec->uid, 5100);
    ck_assert_int_eq(cog_view_user_by_uid(&v, 5002, &u), COG_CACHE_NOTFOUND);
    ck_assert_int_eq(cog_view_user_by_name(&v, "alice", &u), COG_CACHE_OK);
    ck_assert_ptr_eq(u.map, &mm);
    /* Private groups follow the users. */
    ck_assert_int_eq(cog_view_group_by_gid(&v, 5002, &g), COG_CACHE_NOTFOUND);
    ck_assert_int_eq(cog_view_group_by_name(&v, "robert", &g), COG_CACHE_OK);

    /* Members: the full file's (minus users the delta speaks for) and the delta's. */
    char seen[256] = "";
    ck_assert_int_eq(cog_view_group_by_name(&v, "ops", &g), COG_CACHE_OK);
    ck_assert_ptr_eq(g.map, &dm);
    ck_assert_uint_eq(cog_view_group_members(&v, &g, collect, seen), 2);
    ck_assert_str_eq(seen, "alice,erin,");
    seen[0] = '\0';
    /* bob's record in the full file is older than the delta's robert. */
    ck_assert_int_eq(cog_view_group_by_name(&v, "devs", &g), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_members(&v, &g, collect, seen), 1);
    ck_assert_str_eq(seen, "alice,");

    /* A walk shows each visible user once. */
    struct cog_view_cursor c = {0};
    seen[0] = '\0';
    while (cog_view_next_user(&v, &c, &u) == COG_CACHE_OK)
        collect(seen, cog_cache_str(u.map, u.rec->name));
    ck_assert_str_eq(seen, "robert,carol,erin,alice,");
    cog_cache_map_close(&mm);
    cog_cache_map_close(&dm);
    cog_cache_model_free(&delta);
    cog_cache_model_free(&full);
}
END_TEST

/* A cache from before the keys files: the first login makes keys.cache
 * from accounts.cache and makes accounts.cache root-only. */
START_TEST(test_upgrade_makes_keys_file)
{
    struct cog_cache_model m;
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_cache_map map;
    char path[256];
    struct stat sb;
    const char *keys[] = {"ssh-ed25519 AAAAC3 alice@laptop"};

    small_model(&m);
    m.users[0].keys = keys;
    m.users[0].nkeys = 1;
    write_file(&m, COG_DISK_NSS, COG_CACHE_NSS_FILE);
    write_file(&m, COG_DISK_ACCOUNTS, COG_CACHE_ACCOUNTS_FILE); /* 0644, as it was */
    tconfig(&cfg, &dir, NULL);
    struct json_object *c = tclaims("newbie", "sub-new", NULL, NULL);
    ck_assert_msg(cog_cache_store_login(&cfg, c, NULL, NULL, &err) == COG_OK, "%s", err.message);
    json_object_put(c);
    path_of(COG_CACHE_ACCOUNTS_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0600);
    path_of(COG_CACHE_KEYS_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0644);
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_ACCOUNTS), COG_CACHE_OK);
    ck_assert_uint_eq(map.nrec[0], 1); /* only alice has keys */
    const struct cog_disk_account *a = cog_cache_account_by_name(&map, "alice");
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(cog_cache_str(&map, a->sub), "");
    ck_assert_str_eq(cog_cache_str(&map, a->status), "CONFIRMED");
    ck_assert(a->flags & COG_DISK_ENABLED);
    const uint32_t *items;
    uint32_t n;
    ck_assert(cog_cache_list(&map, a->keys, &items, &n) && n == 1);
    ck_assert(!cog_cache_list(&map, a->groups, &items, &n) || n == 0);
    cog_cache_map_close(&map);
    path_of(COG_CACHE_ACCOUNTS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0600);
    cog_config_free(&cfg);
    cog_cache_model_free(&m);
}
END_TEST

static size_t dir_entries(void)
{
    size_t n = 0;
    DIR *dp = opendir(dir.cache);
    for (struct dirent *e; dp != NULL && (e = readdir(dp)) != NULL;)
        n += e->d_name[0] != '.';
    if (dp != NULL)
        closedir(dp);
    return n;
}

/* A login's three files are one set: nothing is renamed unless every file
 * was written whole, no temp file stays behind, and a good set lands. */
START_TEST(test_replace_set_all_or_nothing)
{
    struct cog_cache_model m;
    struct cog_error err = {0};
    struct cog_cache_map map;
    char *img;
    size_t len;
    char path[512];

    small_model(&m);
    ck_assert_int_eq(cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err), COG_OK);
    struct cog_cache_image bad[] = {
        {COG_CACHE_ACCOUNTS_DELTA_FILE, img, len, COG_CACHE_PRIVATE_MODE},
        {COG_CACHE_NSS_DELTA_FILE, img, len - 8, COG_CACHE_PUBLIC_MODE}, /* cut short */
    };
    ck_assert_int_eq(cog_cache_replace_set(NULL, dir.cache, bad, 2, &err), COG_ERR_CONFIG);
    ck_assert_uint_eq(dir_entries(), 0);
    struct cog_cache_image good[] = {
        {COG_CACHE_NSS_FILE, img, len, COG_CACHE_PUBLIC_MODE},
        {COG_CACHE_NSS_DELTA_FILE, img, len, COG_CACHE_PUBLIC_MODE},
    };
    ck_assert_int_eq(cog_cache_replace_set(NULL, dir.cache, good, 2, &err), COG_OK);
    ck_assert_uint_eq(dir_entries(), 2);
    path_of(COG_CACHE_NSS_DELTA_FILE, path, sizeof(path));
    ck_assert_int_eq(cog_cache_map_open(&map, path, COG_DISK_NSS), COG_CACHE_OK);
    ck_assert(cog_cache_map_verify(&map));
    ck_assert_ptr_nonnull(cog_cache_user_by_name(&map, "alice"));
    cog_cache_map_close(&map);
    free(img);
    cog_cache_model_free(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_accounts_file);
    tcase_add_test(tc, test_many_users);
    tcase_add_test(tc, test_lists_shared);
    tcase_add_test(tc, test_duplicates_refused);
    tcase_add_test(tc, test_damage_never_crashes);
    tcase_add_test(tc, test_untrusted_files);
    tcase_add_test(tc, test_delta_shadows_main);
    tcase_add_test(tc, test_upgrade_makes_keys_file);
    tcase_add_test(tc, test_replace_set_all_or_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
