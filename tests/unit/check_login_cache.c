/* The login-time writer end to end: a real SRP login against the mock IdP
 * (cog_auth_login verifies the ID token), then cog_cache_store_login with
 * the verified claims, as pam_cognito does after every successful login;
 * the NSS module (test build) resolves the never-seen user right after, in
 * the same process, with its groups. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/util.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "tests/cachetest.h"
#include "tests/testutil.h"

static struct mock mock;

static cog_status ask_password(void *ctx, const char *prompt, char **answer)
{
    (void)prompt;
    *answer = strdup(ctx);
    return COG_OK;
}

/* Logs user in against the mock; the verified claims go to the cache. */
static void login_and_store(const struct cog_config *cfg, const char *user, const char *password,
                            bool with_getuser)
{
    struct cog_idp idp;
    struct cog_auth_result res = {0};
    struct cog_error err = {0};
    struct cog_auth_callbacks cb = {.ctx = (void *)password, .ask_password = ask_password};
    struct json_object *getuser = NULL;

    ck_assert_int_eq(cog_idp_open(&idp, cfg, &err), COG_OK);
    ck_assert_msg(cog_auth_login(&idp, user, &cb, NULL, &res, &err) == COG_OK, "%s", err.message);
    if (with_getuser) {
        struct json_object *req = json_object_new_object();
        cog_json_add_string(req, "AccessToken", res.access_token);
        if (cog_idp_call(&idp, "GetUser", req, &getuser, &err) != COG_OK)
            getuser = NULL; /* the mock may not implement GetUser yet */
        cog_json_put_wiped(req);
    }
    long long t0 = cog_now_ms();
    ck_assert_msg(cog_cache_store_login(cfg, res.claims, getuser, NULL, &err) == COG_OK, "%s",
                  err.message);
    ck_assert_int_lt(cog_now_ms() - t0, 2000);
    json_object_put(getuser);
    cog_auth_result_clear(&res);
    cog_idp_close(&idp);
}

START_TEST(test_login_then_nss)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct nssmod nss;
    struct passwd pw;
    char buf[1024], extra[2 * PATH_MAX], cache[PATH_MAX];

    mock_start(&mock, NULL, NULL);
    mock_add_user(&mock, "{\"username\":\"Newcomer\",\"password\":\"Passw0rd!\","
                         "\"sub\":\"7d1f2c3b-0000-4000-8000-00000000abcd\","
                         "\"attributes\":{\"name\":\"New Comer\",\"custom:ssh\":"
                         "\"ssh-ed25519 AAAAkey new@host\"},\"groups\":[\"admins\",\"devs\"]}");
    mock_add_user(&mock, "{\"username\":\"second\",\"password\":\"Passw0rd!\"}");
    snprintf(cache, sizeof(cache), "%s/cache", mock.dir);
    snprintf(extra, sizeof(extra),
             "group_map = admins:sudo\nssh_key_attribute = custom:ssh\n"
             "local_passwd_file = %s/passwd\nlocal_group_file = %s/group\n",
             mock.dir, mock.dir);
    char p[PATH_MAX + 16];
    snprintf(p, sizeof(p), "%s/passwd", mock.dir);
    FILE *f = fopen(p, "w");
    fputs("root:x:0:0::/root:/bin/sh\n", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/group", mock.dir);
    f = fopen(p, "w");
    fputs("root:x:0:\nsudo:x:27:\n", f);
    fclose(f);
    mock_write_config(&mock, mock.conf, extra);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, mock.conf, &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);

    /* The module is loaded before the user ever logged in: no cache at all. */
    nssmod_load(&nss, cache);
    int e = 0;
    ck_assert_int_eq(nss.getpwnam_r("newcomer", &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);

    login_and_store(&cfg, "Newcomer", "Passw0rd!", true);
    ck_assert_int_eq(nss.getpwnam_r("newcomer", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    uint32_t uid =
        cog_mapping_hash_id("7d1f2c3b-0000-4000-8000-00000000abcd", 0, 10000000, 1999999999);
    ck_assert_uint_eq(pw.pw_uid, uid);
    ck_assert_str_eq(pw.pw_gecos, "New Comer");
    ck_assert_str_eq(pw.pw_dir, "/home/newcomer");
    gid_t groups[8];
    size_t n = nss_groups_of(&nss, "newcomer", uid, groups, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(groups[0], 27);
    struct group gr;
    char gbuf[1024];
    ck_assert_int_eq(nss.getgrnam_r("devs", &gr, gbuf, sizeof(gbuf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(gr.gr_mem[0], "newcomer");

    /* What acct_mgmt and authorized-keys read. */
    struct cog_account acc;
    ck_assert_int_eq(cog_account_lookup(&cfg, "newcomer", &acc, &err), COG_OK);
    ck_assert(acc.enabled);
    ck_assert_str_eq(acc.sub, "7d1f2c3b-0000-4000-8000-00000000abcd");
    ck_assert_uint_eq(acc.ngroups, 2);
    ck_assert_uint_eq(acc.nkeys, 1);
    ck_assert_str_eq(acc.keys[0], "ssh-ed25519 AAAAkey new@host");
    cog_account_clear(&acc);

    /* A second user logs in: both resolve; the NSS files stay 0644, the
     * account facts root-only. */
    login_and_store(&cfg, "second", "Passw0rd!", false);
    ck_assert_int_eq(nss.getpwnam_r("second", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_int_eq(nss.getpwuid_r(uid, &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(pw.pw_name, "newcomer");
    struct stat sb;
    snprintf(p, sizeof(p), "%s/" COG_CACHE_NSS_DELTA_FILE, cache);
    ck_assert_int_eq(stat(p, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0644);
    snprintf(p, sizeof(p), "%s/" COG_CACHE_ACCOUNTS_DELTA_FILE, cache);
    ck_assert_int_eq(stat(p, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0600);

    cog_config_free(&cfg);
    mock_stop(&mock);
}
END_TEST

/* A host account through NSS (not in the test's local files, not on the
 * deny list): what a user of another NSS source looks like here. */
static const char *host_only_name(const struct cog_config *cfg)
{
    static const char *const names[] = {"games", "man",   "lp",     "mail", "news",
                                        "uucp",  "proxy", "backup", "list", "irc"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *why = cog_local_name(cfg, names[i]);
        if (getpwnam(names[i]) != NULL && !cog_mapping_name_denied(cfg, names[i]) && why != NULL &&
            strstr(why, "another NSS source") != NULL)
            return names[i];
    }
    return NULL;
}

static cog_status store(const struct cog_config *cfg, const char *name, const char *checked)
{
    struct cog_error err = {0};
    struct json_object *c = tclaims(name, "5b0e6a52-0000-4000-8000-00000000c0de", NULL, NULL);
    cog_status st = cog_cache_store_login_checked(cfg, c, NULL, checked, NULL, &err);
    json_object_put(c);
    return st;
}

/* pam_cognito hands the update the name it has just passed through
 * cog_local_name: only the host NSS question is skipped for that name; the
 * local files and the deny list still refuse, and any other name still
 * gets the NSS check. */
START_TEST(test_checked_name_skips_only_nss)
{
    struct tdir d;
    struct cog_config cfg;
    struct cog_cache_files f;
    struct cog_view_user vu;
    struct cog_error err = {0};

    tdir_make(&d);
    tconfig(&cfg, &d, NULL);
    const char *host = host_only_name(&cfg);
    ck_assert_msg(host != NULL, "no host account (games, man, lp...) to test with");
    /* The previous way and a mismatched name: NSS is asked, the name refused. */
    ck_assert_int_eq(store(&cfg, host, NULL), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(store(&cfg, host, "someoneelse"), COG_ERR_INVALID_INPUT);
    /* The local files and the deny list win even for the checked name. */
    ck_assert_int_eq(store(&cfg, "localuser", "localuser"), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(store(&cfg, "localgrp", "localgrp"), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(store(&cfg, "wheel", "wheel"), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_cache_files_open(d.cache, &f, &err), COG_OK);
    ck_assert_int_ne(cog_view_user_by_name(&f.vnss, "localuser", &vu), COG_CACHE_OK);
    cog_cache_files_close(&f);
    /* The name the caller vouched for: not asked again, so stored (what the
     * caller's own check would have refused is the caller's to refuse). */
    ck_assert_int_eq(store(&cfg, host, host), COG_OK);
    ck_assert_int_eq(cog_cache_files_open(d.cache, &f, &err), COG_OK);
    ck_assert_int_eq(cog_view_user_by_name(&f.vnss, host, &vu), COG_CACHE_OK);
    cog_cache_files_close(&f);
    cog_config_free(&cfg);
    tdir_remove(&d);
}
END_TEST

/* The inode of DIR/nss.logins (0: none): a rewrite renames a new file in. */
static ino_t logins_inode(const struct tdir *d)
{
    char path[512];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/" COG_CACHE_NSS_DELTA_FILE, d->cache);
    return stat(path, &sb) == 0 ? sb.st_ino : 0;
}

static void login_as(const struct cog_config *cfg, const char *sub, const char *groups,
                     const char *key)
{
    struct cog_error err = {0};
    char attr[256];
    snprintf(attr, sizeof(attr), "custom:ssh=%s", key ? key : "");
    const char *attrs[] = {attr, NULL};
    struct json_object *c = tclaims("alice", sub, groups, key ? attrs : NULL);
    ck_assert_msg(cog_cache_store_login_checked(cfg, c, NULL, "alice", NULL, &err) == COG_OK, "%s",
                  err.message);
    json_object_put(c);
}

/* A login the cache already shows as it is writes nothing; any change to
 * what the cache holds of the user (a key, a group, a hidden name), and
 * only that, is written. */
START_TEST(test_unchanged_login_writes_nothing)
{
    struct tdir d;
    struct cog_config cfg;
    struct cog_account a;
    struct cog_error err = {0};
    const char *key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBqsKvfqD0xuWgvEfwL0yWmBIz8mxdU alice";

    tdir_make(&d);
    tconfig(&cfg, &d, "ssh_key_attribute = custom:ssh\n");
    login_as(&cfg, "sub-alice", "devs", NULL);
    ino_t first = logins_inode(&d);
    ck_assert_uint_ne(first, 0);
    login_as(&cfg, "sub-alice", "devs", NULL);
    ck_assert_uint_eq(logins_inode(&d), first);

    login_as(&cfg, "sub-alice", "devs", key); /* a key added */
    ino_t keyed = logins_inode(&d);
    ck_assert_uint_ne(keyed, first);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &a, &err), COG_OK);
    ck_assert_uint_eq(a.nkeys, 1);
    cog_account_clear(&a);
    login_as(&cfg, "sub-alice", "devs", key);
    ck_assert_uint_eq(logins_inode(&d), keyed);

    login_as(&cfg, "sub-alice", "devs,ops", key); /* one more group */
    ino_t grouped = logins_inode(&d);
    ck_assert_uint_ne(grouped, keyed);
    login_as(&cfg, "sub-alice", "devs,ops", key);
    ck_assert_uint_eq(logins_inode(&d), grouped);

    /* Dropped from the cache: the next login brings her back. */
    ck_assert_int_eq(cog_cache_drop_user(&cfg, "alice", &err), COG_OK);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &a, &err), COG_ERR_USER_UNKNOWN);
    login_as(&cfg, "sub-alice", "devs,ops", key);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &a, &err), COG_OK);
    ck_assert_str_eq(a.sub, "sub-alice");
    cog_account_clear(&a);

    /* Another sub under her name is never "already shown". */
    struct json_object *c = tclaims("alice", "sub-mallory", "devs,ops", NULL);
    (void)cog_cache_store_login_checked(&cfg, c, NULL, "alice", NULL, &err);
    json_object_put(c);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &a, &err), COG_OK);
    ck_assert_str_eq(a.sub, "sub-alice");
    cog_account_clear(&a);
    cog_config_free(&cfg);
    tdir_remove(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("login_cache");
    TCase *tc = tcase_create("login_cache");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_login_then_nss);
    tcase_add_test(tc, test_checked_name_skips_only_nss);
    tcase_add_test(tc, test_unchanged_login_writes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
