/* The mapping from pool users to Unix users, and the two writers (sync and
 * login) that apply it. Expected uids were computed independently, with
 * Python's hashlib, from the rule in cognito.conf(5). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
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
    tdir_remove(&dir);
}

/* The cache of dir, mapped: both files of each kind. */
struct opened {
    struct cog_cache_map nss, nss_d, acc, acc_d;
    struct cog_cache_view v, va;
};

static void open_cache(struct opened *o)
{
    char p[256];
    memset(o, 0, sizeof(*o));
    snprintf(p, sizeof(p), "%s/" COG_CACHE_NSS_FILE, dir.cache);
    ck_assert_int_eq(cog_cache_map_open(&o->nss, p, COG_DISK_NSS), COG_CACHE_OK);
    snprintf(p, sizeof(p), "%s/" COG_CACHE_ACCOUNTS_FILE, dir.cache);
    ck_assert_int_eq(cog_cache_map_open(&o->acc, p, COG_DISK_ACCOUNTS), COG_CACHE_OK);
    snprintf(p, sizeof(p), "%s/" COG_CACHE_NSS_DELTA_FILE, dir.cache);
    bool d = cog_cache_map_open(&o->nss_d, p, COG_DISK_NSS) == COG_CACHE_OK;
    snprintf(p, sizeof(p), "%s/" COG_CACHE_ACCOUNTS_DELTA_FILE, dir.cache);
    bool ad = cog_cache_map_open(&o->acc_d, p, COG_DISK_ACCOUNTS) == COG_CACHE_OK;
    o->v.main = &o->nss;
    o->v.delta = d ? &o->nss_d : NULL;
    o->va.main = &o->acc;
    o->va.delta = ad ? &o->acc_d : NULL;
    ck_assert(cog_cache_map_verify(&o->nss));
}

static void close_cache(struct opened *o)
{
    cog_cache_map_close(&o->nss);
    cog_cache_map_close(&o->nss_d);
    cog_cache_map_close(&o->acc);
    cog_cache_map_close(&o->acc_d);
}

static uint32_t uid_of(struct opened *o, const char *name)
{
    struct cog_view_user u;
    if (cog_view_user_by_name(&o->v, name, &u) != COG_CACHE_OK)
        return 0;
    return u.rec->uid;
}

/* The user's supplementary gids as "a,b,c". */
static void gids_of(struct opened *o, const char *name, char *out, size_t len)
{
    struct cog_view_user u;
    const uint32_t *g;
    uint32_t n = 0;
    out[0] = '\0';
    ck_assert_int_eq(cog_view_user_by_name(&o->v, name, &u), COG_CACHE_OK);
    ck_assert(cog_cache_list(u.map, u.rec->gids, &g, &n));
    for (uint32_t i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%u", i ? "," : "", g[i]);
}

struct log_capture {
    char text[8192];
};

static void capture(void *ctx, int priority, const char *message)
{
    struct log_capture *c = ctx;
    (void)priority;
    snprintf(c->text + strlen(c->text), sizeof(c->text) - strlen(c->text), "%s\n", message);
}

START_TEST(test_hash_known_answers)
{
    /* python3: lo + int.from_bytes(sha256(key[#i]).digest()[:8], "big") % (hi - lo + 1) */
    ck_assert_uint_eq(
        cog_mapping_hash_id("0b6f3a52-7c1e-4f3e-9d8a-2f6b1c9e4d77", 0, 10000000, 1999999999),
        917391991);
    ck_assert_uint_eq(
        cog_mapping_hash_id("0b6f3a52-7c1e-4f3e-9d8a-2f6b1c9e4d77", 1, 10000000, 1999999999),
        774240616);
    ck_assert_uint_eq(cog_mapping_hash_id("admins", 0, 2000000000, 2099999999), 2070075963);
    ck_assert_uint_eq(cog_mapping_hash_id("sub-0017", 1, 50000, 50009), 50001);
}
END_TEST

START_TEST(test_unix_names)
{
    char out[COG_UNIX_NAME_MAX + 1];
    ck_assert(cog_mapping_unix_name("Alice", out));
    ck_assert_str_eq(out, "alice");
    ck_assert(cog_mapping_unix_name("j.doe-2_x", out));
    ck_assert(cog_mapping_unix_name("_svc", out));
    ck_assert(!cog_mapping_unix_name("9lives", out));
    ck_assert(!cog_mapping_unix_name("-x", out));
    ck_assert(!cog_mapping_unix_name(".x", out));
    ck_assert(!cog_mapping_unix_name("a b", out));
    ck_assert(!cog_mapping_unix_name("a:b", out));
    ck_assert(!cog_mapping_unix_name("al/ice", out));
    ck_assert(!cog_mapping_unix_name("j\xc3\xbcrgen", out));
    ck_assert(!cog_mapping_unix_name("alice@example.com", out));
    ck_assert(!cog_mapping_unix_name("", out));
    ck_assert(!cog_mapping_unix_name(NULL, out));
    ck_assert(cog_mapping_unix_name("abcdefghijklmnopqrstuvwxyzabcdef", out));
    ck_assert(!cog_mapping_unix_name("abcdefghijklmnopqrstuvwxyzabcdefg", out));
}
END_TEST

START_TEST(test_unix_name_of_claims)
{
    struct cog_config cfg;
    char out[COG_UNIX_NAME_MAX + 1];
    const char *attrs[] = {"preferred_username=J.Doe", NULL};
    struct json_object *c = tclaims("Uuid-123", "s", NULL, attrs);
    tconfig(&cfg, &dir, NULL);
    ck_assert(cog_mapping_unix_name_of_claims(&cfg, c, out));
    ck_assert_str_eq(out, "uuid-123");
    cog_config_free(&cfg);
    tconfig(&cfg, &dir, "username_attribute = preferred_username\n");
    ck_assert(cog_mapping_unix_name_of_claims(&cfg, c, out));
    ck_assert_str_eq(out, "j.doe");
    json_object_put(c);
    c = tclaims("x", "s", NULL, NULL); /* no preferred_username claim */
    ck_assert(!cog_mapping_unix_name_of_claims(&cfg, c, out));
    json_object_put(c);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_sync_maps_users_and_groups)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct cog_view_group g;
    char gids[128];

    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};
    tconfig(&cfg, &dir,
            "group_map = admins:sudo, admins:4242, devs:docker, ghosts:nosuchgroup\n"
            "home_template = /srv/%u/%U%%\ndefault_shell = /bin/zsh\n");
    cog_pool_init(&pool);
    struct cog_pool_user *u =
        tuser(&pool, "Alice", "0b6f3a52-7c1e-4f3e-9d8a-2f6b1c9e4d77", 100, "admins,devs");
    u->name = "Alice Liddell";
    u = tuser(&pool, "bob", "sub-bob", 101, "devs");
    u->given_name = "Bob";
    u->family_name = "Builder: Jr, III";
    u->enabled = false;
    u->status = "RESET_REQUIRED";
    tuser(&pool, "carol", "sub-carol", 102, NULL);
    tpool_groups(&pool);
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), &ml, NULL, &err), COG_OK);
    ck_assert_ptr_nonnull(strstr(log.text, "group_map: no local group 'nosuchgroup'"));
    open_cache(&o);

    ck_assert_uint_eq(uid_of(&o, "alice"), 917391991);
    struct cog_view_user vu;
    ck_assert_int_eq(cog_view_user_by_name(&o.v, "alice", &vu), COG_CACHE_OK);
    ck_assert_uint_eq(vu.rec->gid, 917391991);
    ck_assert_str_eq(cog_cache_str(vu.map, vu.rec->home), "/srv/alice/917391991%");
    ck_assert_str_eq(cog_cache_str(vu.map, vu.rec->shell), "/bin/zsh");
    ck_assert_str_eq(cog_cache_str(vu.map, vu.rec->gecos), "Alice Liddell");
    ck_assert_int_eq(cog_view_user_by_name(&o.v, "bob", &vu), COG_CACHE_OK);
    ck_assert_str_eq(cog_cache_str(vu.map, vu.rec->gecos), "Bob Builder  Jr  III");

    /* admins: hashed gid in the gid range; mapped to local sudo (27) and gid 4242;
     * devs adds local docker (999). */
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "admins", &g), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_gid(&g), 2070075963);
    uint32_t devs = cog_mapping_hash_id("devs", 0, 2000000000, 2099999999);
    gids_of(&o, "alice", gids, sizeof(gids));
    char want[128];
    snprintf(want, sizeof(want), "27,999,4242,%u,2070075963", devs);
    if (devs < 2070075963)
        snprintf(want, sizeof(want), "27,999,4242,%u,2070075963", devs);
    else
        snprintf(want, sizeof(want), "27,999,4242,2070075963,%u", devs);
    ck_assert_str_eq(gids, want);
    /* The local groups themselves are not ours to answer for. */
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "sudo", &g), COG_CACHE_NOTFOUND);
    ck_assert_int_eq(cog_view_group_by_gid(&o.v, 27, &g), COG_CACHE_NOTFOUND);

    /* Account facts. */
    struct cog_account acc;
    ck_assert_int_eq(cog_account_lookup(&cfg, "bob", &acc, &err), COG_OK);
    ck_assert(!acc.enabled);
    ck_assert_str_eq(acc.status, "RESET_REQUIRED");
    ck_assert_uint_eq(acc.ngroups, 1);
    ck_assert_str_eq(acc.groups[0], "devs");
    ck_assert_int_eq(acc.created, 101);
    cog_account_clear(&acc);

    close_cache(&o);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

/* sub-0000, sub-0001 and sub-0017 all hash to 50004 in [50000, 50009];
 * their first probes: sub-0000 50006, sub-0001 50005, sub-0017 50001. */
START_TEST(test_uid_collision_by_create_date)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};

    tconfig(&cfg, &dir, "uid_min = 50000\nuid_max = 50009\n");
    cog_pool_init(&pool);
    tuser(&pool, "zoe", "sub-0000", 200, NULL);
    tuser(&pool, "adam", "sub-0001", 100, NULL);
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), &ml, NULL, &err), COG_OK);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "adam"), 50004); /* created first */
    ck_assert_uint_eq(uid_of(&o, "zoe"), 50006);
    close_cache(&o);
    ck_assert_uint_ge(ml.collisions, 1);
    ck_assert_ptr_nonnull(strstr(log.text, "uid 50004: sub sub-0000"));
    ck_assert_ptr_nonnull(strstr(log.text, "'zoe' (sub sub-0000) gets uid 50006"));

    /* An older account appears later: whoever holds 50004 here keeps it. */
    tuser(&pool, "eve", "sub-0017", 50, NULL);
    tsync(&cfg, &pool, time(NULL));
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "adam"), 50004);
    ck_assert_uint_eq(uid_of(&o, "zoe"), 50006);
    ck_assert_uint_eq(uid_of(&o, "eve"), 50001);
    close_cache(&o);

    /* A fresh host seeing all three at once: strictly by UserCreateDate. */
    struct tdir other;
    struct cog_config cfg2;
    tdir_make(&other);
    tconfig(&cfg2, &other, "uid_min = 50000\nuid_max = 50009\n");
    tsync(&cfg2, &pool, time(NULL));
    struct tdir saved = dir;
    dir = other;
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "eve"), 50004);
    ck_assert_uint_eq(uid_of(&o, "adam"), 50005);
    ck_assert_uint_eq(uid_of(&o, "zoe"), 50006);
    close_cache(&o);
    dir = saved;
    tdir_remove(&other);
    cog_config_free(&cfg2);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_uid_attribute)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;

    tconfig(&cfg, &dir, "uid_attribute = custom:uid\nuid_min = 1000\n");
    cog_pool_init(&pool);
    tuser(&pool, "ann", "s1", 10, NULL)->uid_value = "4242";
    tuser(&pool, "ben", "s2", 20, NULL)->uid_value = "4242"; /* taken: left out */
    tuser(&pool, "cat", "s3", 30, NULL)->uid_value = "abc";  /* not a uid: left out */
    tuser(&pool, "dan", "s4", 40, NULL)->uid_value = "999";  /* a system uid: left out */
    tuser(&pool, "eli", "s5", 50, NULL)->uid_value = "1000"; /* localuser's: left out */
    tuser(&pool, "fay", "s6", 60, NULL);                     /* no attribute: hashed */
    tsync(&cfg, &pool, time(NULL));
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "ann"), 4242);
    ck_assert_uint_eq(uid_of(&o, "ben"), 0);
    ck_assert_uint_eq(uid_of(&o, "cat"), 0);
    ck_assert_uint_eq(uid_of(&o, "dan"), 0);
    ck_assert_uint_eq(uid_of(&o, "eli"), 0);
    ck_assert_uint_eq(uid_of(&o, "fay"), cog_mapping_hash_id("s6", 0, 1000, 1999999999));
    close_cache(&o);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_names)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};

    tconfig(&cfg, &dir, "username_attribute = preferred_username\n");
    cog_pool_init(&pool);
    tuser(&pool, "u1", "s1", 20, NULL)->name_value = "Carol";
    tuser(&pool, "u2", "s2", 10, NULL)->name_value = "carol"; /* older: keeps the name */
    tuser(&pool, "u3", "s3", 30, NULL)->name_value = "9lives";
    tuser(&pool, "u4", "s4", 40, NULL)->name_value = "localuser";
    tuser(&pool, "u5", "s5", 50, NULL)->name_value = "docker";
    tuser(&pool, "u6", "s6", 60, NULL); /* no preferred_username */
    tuser(&pool, "u7", "s7", 70, NULL)->name_value = "Dave";
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), &ml, NULL, &err), COG_OK);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "carol"), cog_mapping_hash_id("s2", 0, 10000000, 1999999999));
    ck_assert_uint_eq(uid_of(&o, "dave"), cog_mapping_hash_id("s7", 0, 10000000, 1999999999));
    ck_assert_uint_eq(uid_of(&o, "9lives"), 0);
    ck_assert_uint_eq(uid_of(&o, "localuser"), 0);
    ck_assert_uint_eq(uid_of(&o, "docker"), 0);
    ck_assert_uint_eq(uid_of(&o, "u6"), 0);
    ck_assert_uint_eq(o.nss.nrec[0], 2);
    ck_assert_uint_eq(ml.skipped, 5);
    ck_assert_ptr_nonnull(strstr(log.text, "'u1' (sub s1) maps to 'carol', which sub s2 has"));
    ck_assert_ptr_nonnull(strstr(log.text, "'u3': not a valid Unix name"));
    ck_assert_ptr_nonnull(strstr(log.text, "'localuser' (sub s4): a local user or group"));
    ck_assert_ptr_nonnull(strstr(log.text, "'u6': no username attribute"));
    close_cache(&o);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_groups)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct cog_view_group g;

    tconfig(&cfg, &dir, "group_gids = pinned:4000\n");
    cog_pool_init(&pool);
    tuser(&pool, "alice", "s1", 1, "pinned,alice,Sudo,with space,Devs");
    tpool_groups(&pool);
    tsync(&cfg, &pool, time(NULL));
    open_cache(&o);
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "pinned", &g), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_gid(&g), 4000);
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "devs", &g), COG_CACHE_OK); /* lowered */
    ck_assert_uint_eq(cog_view_group_gid(&g),
                      cog_mapping_hash_id("Devs", 0, 2000000000, 2099999999));
    /* "alice" is alice's private group, "sudo" a local one, "with space" no name. */
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "alice", &g), COG_CACHE_OK);
    ck_assert_ptr_null(g.rec);
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "sudo", &g), COG_CACHE_NOTFOUND);
    ck_assert_uint_eq(o.nss.nrec[1], 2);
    close_cache(&o);

    /* A group keeps its gid even when config later pins another group there. */
    uint32_t devs = cog_mapping_hash_id("Devs", 0, 2000000000, 2099999999);
    struct cog_config cfg2;
    char extra[128];
    snprintf(extra, sizeof(extra), "group_gids = pinned:4000\ngid_min = %u\ngid_max = %u\n", devs,
             devs + 1);
    tconfig(&cfg2, &dir, extra);
    struct cog_pool_group *ng = cog_pool_add_group(&pool);
    ng->name = "Newer";
    ng->created = 999;
    pool.users[0].ngroups = 0;
    cog_pool_user_add_group(&pool, &pool.users[0], "Devs");
    cog_pool_user_add_group(&pool, &pool.users[0], "Newer");
    tsync(&cfg2, &pool, time(NULL));
    open_cache(&o);
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "devs", &g), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_gid(&g), devs);
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "newer", &g), COG_CACHE_OK);
    ck_assert_uint_eq(cog_view_group_gid(&g), devs + 1);
    close_cache(&o);
    cog_config_free(&cfg2);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_ssh_keys_and_gecos)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_account acc;
    struct cog_error err = {0};

    tconfig(&cfg, &dir, "ssh_key_attribute = custom:ssh\n");
    cog_pool_init(&pool);
    struct cog_pool_user *u = tuser(&pool, "alice", "s1", 1, NULL);
    u->ssh_keys = "ssh-ed25519 AAAA1 a@b\r\n\n   \n  ssh-rsa AAAA2 c@d  \nbad\x01key\n";
    u->given_name = "Al";
    tsync(&cfg, &pool, time(NULL));
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &acc, &err), COG_OK);
    ck_assert_uint_eq(acc.nkeys, 2);
    ck_assert_str_eq(acc.keys[0], "ssh-ed25519 AAAA1 a@b");
    ck_assert_str_eq(acc.keys[1], "ssh-rsa AAAA2 c@d");
    cog_account_clear(&acc);
    struct opened o;
    struct cog_view_user vu;
    open_cache(&o);
    ck_assert_int_eq(cog_view_user_by_name(&o.v, "alice", &vu), COG_CACHE_OK);
    ck_assert_str_eq(cog_cache_str(vu.map, vu.rec->gecos), "Al");
    close_cache(&o);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_config_rules)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    const char *bad[] = {
        "group_map = admins\n",         "group_map = admins:root\n",
        "group_map = admins:0\n",       "group_map = admins:Not A Group\n",
        "group_gids = devs:99\n",       "group_gids = devs:x\n",
        "home_template = home/%u\n",    "home_template = /home/%n\n",
        "home_template = /home/a:b\n",  "uid_min = 999\n",
        "uid_attribute = custom uid\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cog_config_init(&cfg);
        ck_assert_msg(cog_config_parse_buffer(&cfg, bad[i], strlen(bad[i]), "t", &err) ==
                          COG_ERR_CONFIG,
                      "accepted %s", bad[i]);
        cog_config_free(&cfg);
    }
    const char *base = "region = us-east-1\nuser_pool_id = us-east-1_A\nclient_id = c\n";
    const char *cross[] = {
        "uid_min = 5000\nuid_max = 4000\n",
        "gid_min = 1500000000\n",
        "group_gids = devs:20000000\n",
    };
    for (size_t i = 0; i < sizeof(cross) / sizeof(cross[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "%s%s", base, cross[i]);
        cog_config_init(&cfg);
        ck_assert_int_eq(cog_config_parse_buffer(&cfg, text, strlen(text), "t", &err), COG_OK);
        ck_assert_msg(cog_config_finish(&cfg, &err) == COG_ERR_CONFIG, "accepted %s", cross[i]);
        cog_config_free(&cfg);
    }
    const char *good = "group_map = Domain Admins:sudo, devs:999\ngroup_gids = x:5000\n";
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, good, strlen(good), "t", &err), COG_OK);
    cog_config_free(&cfg);
}
END_TEST

/* ---- the login writer -------------------------------------------------------- */

static void login(const struct cog_config *cfg, const char *user, const char *sub,
                  const char *groups, const char *const *attrs)
{
    struct cog_error err = {0};
    struct json_object *claims = tclaims(user, sub, groups, attrs);
    ck_assert_msg(cog_cache_store_login(cfg, claims, NULL, NULL, &err) == COG_OK, "%s",
                  err.message);
    json_object_put(claims);
}

static ino_t inode_of(const char *name)
{
    char p[256];
    struct stat sb;
    snprintf(p, sizeof(p), "%s/%s", dir.cache, name);
    ck_assert_int_eq(stat(p, &sb), 0);
    return sb.st_ino;
}

START_TEST(test_login_on_empty_host)
{
    struct cog_config cfg;
    struct opened o;
    tconfig(&cfg, &dir, NULL);
    login(&cfg, "Newbie", "sub-new", "devs", NULL);
    open_cache(&o);
    ck_assert_uint_eq(o.nss.nrec[0], 0); /* an empty full file, for readers to find */
    ck_assert_ptr_nonnull(o.v.delta);
    ck_assert_uint_eq(uid_of(&o, "newbie"),
                      cog_mapping_hash_id("sub-new", 0, 10000000, 1999999999));
    struct cog_view_group g;
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "devs", &g), COG_CACHE_OK);
    close_cache(&o);

    struct cog_account acc;
    struct cog_error err = {0};
    ck_assert_int_eq(cog_account_lookup(&cfg, "newbie", &acc, &err), COG_OK);
    ck_assert(acc.enabled);
    ck_assert(acc.from_login);
    ck_assert_str_eq(acc.sub, "sub-new");
    cog_account_clear(&acc);

    /* A user that cannot be a Unix user here is refused, and nothing changes. */
    struct json_object *c = tclaims("localuser", "sub-x", NULL, NULL);
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_ERR_INVALID_INPUT);
    json_object_put(c);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_login_after_sync)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    char name[32], sub[32], gids[128];

    tconfig(&cfg, &dir, "username_attribute = preferred_username\n");
    cog_pool_init(&pool);
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        snprintf(sub, sizeof(sub), "sub-%d", i);
        tuser(&pool, name, sub, i, i % 2 ? "odd" : "even")->name_value =
            cog_pool_strdup(&pool, name);
    }
    tpool_groups(&pool);
    tsync(&cfg, &pool, time(NULL) - 10);
    ino_t full = inode_of(COG_CACHE_NSS_FILE);
    uint32_t u5 = cog_mapping_hash_id("sub-5", 0, 10000000, 1999999999);
    uint32_t u6 = cog_mapping_hash_id("sub-6", 0, 10000000, 1999999999);

    /* A new user: only the logins file changes. */
    const char *pn[] = {"preferred_username=fresh", NULL};
    login(&cfg, "u-fresh", "sub-fresh", "odd", pn);
    ck_assert_uint_eq(inode_of(COG_CACHE_NSS_FILE), full);
    open_cache(&o);
    ck_assert_uint_eq(o.nss_d.nrec[0], 1);
    ck_assert_uint_eq(uid_of(&o, "fresh"),
                      cog_mapping_hash_id("sub-fresh", 0, 10000000, 1999999999));
    close_cache(&o);

    /* user5 moves from "odd" to "even": the delta's word wins, members follow. */
    const char *p5[] = {"preferred_username=user5", NULL};
    login(&cfg, "user5", "sub-5", "even", p5);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "user5"), u5);
    struct cog_view_group g;
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "even", &g), COG_CACHE_OK);
    snprintf(gids, sizeof(gids), "%u", cog_view_group_gid(&g));
    char got[128];
    gids_of(&o, "user5", got, sizeof(got));
    ck_assert_str_eq(got, gids);
    ck_assert_uint_eq(o.nss_d.nrec[0], 2); /* fresh and user5, nothing else */
    close_cache(&o);

    /* user6 renames itself "sixer": same uid, the old name is gone. */
    const char *p6[] = {"preferred_username=sixer", NULL};
    login(&cfg, "user6", "sub-6", "even", p6);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "sixer"), u6);
    ck_assert_uint_eq(uid_of(&o, "user6"), 0);
    struct cog_view_user vu;
    ck_assert_int_eq(cog_view_user_by_uid(&o.v, u6, &vu), COG_CACHE_OK);
    ck_assert_str_eq(cog_cache_str(vu.map, vu.rec->name), "sixer");
    close_cache(&o);

    /* Another account naming itself like one the host holds does not take
     * the name: it is bound to sub-7 while the cache holds user7. */
    const char *p7[] = {"preferred_username=user7", NULL};
    uint32_t u7 = cog_mapping_hash_id("sub-7", 0, 10000000, 1999999999);
    struct json_object *c7 = tclaims("user7-again", "sub-7b", NULL, p7);
    struct cog_error err7 = {0};
    ck_assert_int_eq(cog_cache_store_login(&cfg, c7, NULL, NULL, &err7), COG_ERR_INVALID_INPUT);
    json_object_put(c7);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "user7"), u7);
    ck_assert_int_eq(cog_view_user_by_uid(&o.v, u7, &vu), COG_CACHE_OK);
    close_cache(&o);

    /* The same login twice does not grow the logins file. */
    login(&cfg, "user6", "sub-6", "even", p6);
    open_cache(&o);
    uint32_t n = o.nss_d.nrec[0];
    close_cache(&o);
    login(&cfg, "user6", "sub-6", "even", p6);
    open_cache(&o);
    ck_assert_uint_eq(o.nss_d.nrec[0], n);
    close_cache(&o);

    /* A sync whose listing started before the last logins keeps them; the
     * next one folds them in. user6 is "sixer" in the pool by then. */
    pool.users[6].name_value = "sixer";
    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL) - 1000, &ml, NULL, &err), COG_OK);
    ck_assert_uint_eq(ml.collisions, 0);
    open_cache(&o);
    ck_assert_ptr_nonnull(o.v.delta);
    ck_assert_uint_eq(uid_of(&o, "fresh"),
                      cog_mapping_hash_id("sub-fresh", 0, 10000000, 1999999999));
    ck_assert_uint_eq(uid_of(&o, "sixer"), u6);
    close_cache(&o);
    tsync(&cfg, &pool, time(NULL) + 1);
    open_cache(&o);
    ck_assert_ptr_null(o.v.delta);
    ck_assert_uint_eq(uid_of(&o, "fresh"), 0); /* not in the pool listing */
    ck_assert_uint_eq(uid_of(&o, "sixer"), u6);
    ck_assert_uint_eq(uid_of(&o, "user5"), u5);
    close_cache(&o);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

/* A login waits for a sync's commit, but not longer than the config's timeout. */
START_TEST(test_login_waits_for_the_lock)
{
    struct cog_config cfg;
    struct cog_cache_lock lk;
    struct cog_error err = {0};
    tconfig(&cfg, &dir, "timeout = 1\n");
    ck_assert_int_eq(cog_cache_lock(dir.cache, 0, &lk, &err), COG_OK);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* flock is per open file: this is a second writer even in one process tree. */
        struct json_object *c = tclaims("waiter", "sub-wait", NULL, NULL);
        long long t0 = cog_now_ms();
        cog_status st = cog_cache_store_login(&cfg, c, NULL, NULL, &err);
        long long waited = cog_now_ms() - t0;
        _exit(st == COG_ERR_UNAVAILABLE && waited >= 900 && waited < 5000 ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the login did not give up in time");
    cog_cache_unlock(&lk);
    login(&cfg, "waiter", "sub-wait", NULL, NULL);
    cog_config_free(&cfg);
}
END_TEST

/* ---- who may become which Unix user (threat model: the pool user) ------------------ */

START_TEST(test_deny_list)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct cog_view_group g;
    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};
    char gids[128];

    tconfig(&cfg, &dir, "deny_names = ops, build-*\ngroup_map = wheel:sudo\n");
    const char *denied[] = {
        "root",      "admin", "adm",    "wheel",  "sudo", "sudoers", "staff", "shadow",
        "disk",      "kmem",  "tty",    "docker", "lxd",  "libvirt", "kvm",   "systemd-network",
        "systemd-x", "ops",   "build-7"};
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
        ck_assert_msg(cog_mapping_name_denied(&cfg, denied[i]), "%s not denied", denied[i]);
    ck_assert(!cog_mapping_name_denied(&cfg, "alice"));
    ck_assert(!cog_mapping_name_denied(&cfg, "systemd")); /* the prefix is "systemd-" */
    ck_assert(!cog_mapping_name_denied(&cfg, "opsx"));

    cog_pool_init(&pool);
    tuser(&pool, "Admin", "s1", 1, NULL);
    tuser(&pool, "systemd-timesync", "s2", 2, NULL);
    tuser(&pool, "ops", "s3", 3, NULL);
    tuser(&pool, "build-1", "s4", 4, NULL);
    tuser(&pool, "daemon", "s5", 5, NULL);   /* in the local passwd file */
    tuser(&pool, "localgrp", "s6", 6, NULL); /* in the local group file */
    tuser(&pool, "okay", "s7", 7, "wheel,Docker,systemd-journal,ops,devs");
    tpool_groups(&pool);
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), &ml, NULL, &err), COG_OK);
    open_cache(&o);
    const char *gone[] = {"admin", "systemd-timesync", "ops", "build-1", "daemon", "localgrp"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        ck_assert_msg(uid_of(&o, gone[i]) == 0, "%s became a Unix user", gone[i]);
        ck_assert_int_eq(cog_view_group_by_name(&o.v, gone[i], &g), COG_CACHE_NOTFOUND);
    }
    ck_assert_uint_ne(uid_of(&o, "okay"), 0);
    ck_assert_ptr_nonnull(strstr(log.text, "user 'admin' (sub s1): the name is on the deny list"));
    /* Cognito groups: none of the privileged names, only devs. */
    const char *no_group[] = {"wheel", "docker", "systemd-journal", "ops"};
    for (size_t i = 0; i < sizeof(no_group) / sizeof(no_group[0]); i++)
        ck_assert_int_eq(cog_view_group_by_name(&o.v, no_group[i], &g), COG_CACHE_NOTFOUND);
    ck_assert_int_eq(cog_view_group_by_name(&o.v, "devs", &g), COG_CACHE_OK);
    ck_assert_ptr_nonnull(strstr(log.text, "group 'wheel': the name is on the deny list"));
    /* The explicit group_map line still puts wheel's members into local sudo (27). */
    gids_of(&o, "okay", gids, sizeof(gids));
    ck_assert_msg(strncmp(gids, "27,", 3) == 0, "%s", gids);
    close_cache(&o);

    /* The login writer refuses the same names. */
    struct json_object *c = tclaims("wheel", "s9", NULL, NULL);
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_ERR_INVALID_INPUT);
    json_object_put(c);
    cog_pool_free(&pool);
    cog_config_free(&cfg);

    /* deny_names: lower-case Unix names or prefixes only. */
    const char *bad[] = {"deny_names = Root\n", "deny_names = *\n", "deny_names = a:b\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cog_config_init(&cfg);
        ck_assert_msg(cog_config_parse_buffer(&cfg, bad[i], strlen(bad[i]), "t", &err) ==
                          COG_ERR_CONFIG,
                      "accepted %s", bad[i]);
        cog_config_free(&cfg);
    }
}
END_TEST

/* uid_attribute is often writable by the user: it must not take anyone's id. */
START_TEST(test_uid_rules)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};

    tconfig(&cfg, &dir,
            "uid_attribute = custom:uid\nuid_min = 1000\nuid_max = 900000\ngroup_map = "
            "admins:5555\n");
    cog_pool_init(&pool);
    tuser(&pool, "victim", "s-victim", 50, NULL); /* hashed */
    tsync(&cfg, &pool, time(NULL));
    open_cache(&o);
    uint32_t v = uid_of(&o, "victim");
    close_cache(&o);
    ck_assert_uint_eq(v, cog_mapping_hash_id("s-victim", 0, 1000, 900000));

    char vs[16];
    snprintf(vs, sizeof(vs), "%u", v);
    /* Older accounts than the victim, so a plain age order would favour them. */
    tuser(&pool, "mallory", "s-mal", 10, NULL)->uid_value = vs;
    tuser(&pool, "high", "s-high", 11, NULL)->uid_value = "2000000001"; /* a gid of the gid range */
    tuser(&pool, "low", "s-low", 12, NULL)->uid_value = "999";
    tuser(&pool, "local", "s-local", 13, NULL)->uid_value = "1000";   /* localuser, localgrp */
    tuser(&pool, "mapped", "s-mapped", 14, NULL)->uid_value = "5555"; /* group_map's gid */
    tuser(&pool, "fine", "s-fine", 15, NULL)->uid_value = "7000";
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), &ml, NULL, &err), COG_OK);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "victim"), v);
    ck_assert_uint_eq(uid_of(&o, "mallory"), 0);
    ck_assert_uint_eq(uid_of(&o, "high"), 0);
    ck_assert_uint_eq(uid_of(&o, "low"), 0);
    ck_assert_uint_eq(uid_of(&o, "local"), 0);
    ck_assert_uint_eq(uid_of(&o, "mapped"), 0);
    ck_assert_uint_eq(uid_of(&o, "fine"), 7000);
    close_cache(&o);
    char want[128];
    snprintf(want, sizeof(want), "user 'mallory': uid %u from custom:uid is taken", v);
    ck_assert_msg(strstr(log.text, want) != NULL, "%s", log.text);

    /* A login with the victim's uid is refused too. */
    const char *attrs[] = {NULL, NULL};
    char a[64];
    snprintf(a, sizeof(a), "custom:uid=%u", v);
    attrs[0] = a;
    struct json_object *c = tclaims("eve", "s-eve", NULL, attrs);
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_ERR_INVALID_INPUT);
    json_object_put(c);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "eve"), 0);
    ck_assert_uint_eq(uid_of(&o, "victim"), v);
    close_cache(&o);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

/* A Unix name stays with the sub the host first gave it to. */
START_TEST(test_sub_binding)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct opened o;
    struct log_capture log = {""};
    struct cog_mapping_log ml = {capture, &log, 0, 0};
    struct cog_error err = {0};

    tconfig(&cfg, &dir, "username_attribute = preferred_username\n");
    cog_pool_init(&pool);
    tuser(&pool, "u-carol", "s-carol", 50, NULL)->name_value = "carol";
    tuser(&pool, "u-bob", "s-bob", 60, NULL)->name_value = "bob";
    tsync(&cfg, &pool, time(NULL));
    open_cache(&o);
    uint32_t carol = uid_of(&o, "carol"), bob = uid_of(&o, "bob");
    close_cache(&o);
    ck_assert_uint_ne(carol, 0);

    /* An older account sets preferred_username=carol: carol keeps it. */
    tuser(&pool, "u-mal", "s-mal", 10, NULL)->name_value = "carol";
    /* bob renames itself; another account asks for "bob" in the same sync. */
    pool.users[1].name_value = "bobby";
    tuser(&pool, "u-eve", "s-eve", 20, NULL)->name_value = "bob";
    ck_assert_int_eq(cog_cache_store_pool(&cfg, &pool, time(NULL), &ml, NULL, &err), COG_OK);
    open_cache(&o);
    ck_assert_uint_eq(uid_of(&o, "carol"), carol);
    ck_assert_uint_eq(uid_of(&o, "bobby"), bob);
    ck_assert_uint_eq(uid_of(&o, "bob"), 0);
    close_cache(&o);
    ck_assert_msg(strstr(log.text, "'u-eve' (sub s-eve) maps to 'bob', which this host gave to "
                                   "sub s-bob") != NULL,
                  "%s", log.text);
    struct cog_account acc;
    ck_assert_int_eq(cog_account_lookup(&cfg, "carol", &acc, &err), COG_OK);
    ck_assert_str_eq(acc.sub, "s-carol");
    cog_account_clear(&acc);

    /* A login whose token has another sub for a bound name: refused. */
    const char *pc[] = {"preferred_username=carol", NULL};
    struct json_object *c = tclaims("carol-again", "s-new", NULL, pc);
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_ERR_INVALID_INPUT);
    json_object_put(c);
    ck_assert_int_eq(cog_account_lookup(&cfg, "carol", &acc, &err), COG_OK);
    ck_assert_str_eq(acc.sub, "s-carol");
    cog_account_clear(&acc);
    /* The one it belongs to still logs in. */
    c = tclaims("u-carol", "s-carol", NULL, pc);
    ck_assert_int_eq(cog_cache_store_login(&cfg, c, NULL, NULL, &err), COG_OK);
    json_object_put(c);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mapping");
    TCase *tc = tcase_create("mapping");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hash_known_answers);
    tcase_add_test(tc, test_unix_names);
    tcase_add_test(tc, test_unix_name_of_claims);
    tcase_add_test(tc, test_sync_maps_users_and_groups);
    tcase_add_test(tc, test_uid_collision_by_create_date);
    tcase_add_test(tc, test_uid_attribute);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_groups);
    tcase_add_test(tc, test_ssh_keys_and_gecos);
    tcase_add_test(tc, test_config_rules);
    tcase_add_test(tc, test_login_on_empty_host);
    tcase_add_test(tc, test_login_after_sync);
    tcase_add_test(tc, test_login_waits_for_the_lock);
    tcase_add_test(tc, test_deny_list);
    tcase_add_test(tc, test_uid_rules);
    tcase_add_test(tc, test_sub_binding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
