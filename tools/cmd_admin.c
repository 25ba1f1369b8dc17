/* The administrator's commands that read (and, for `cache drop`, edit) the
 * local user cache (check-config is cmd_check.c). None touches the network:
 * authorized-keys runs on sshd's path for every public-key attempt and must
 * answer from the cache alone, fast, as an unprivileged user. */
#include "build-config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/signin/account.h"
#include "libcognito/mapping/admin.h"
#include "libcognito/cache/cache.h"
#include "libcognito/wire/identity.h"
#include "libcognito/wire/idp.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/cache/sshkey.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"
#include "tools/term.h"

static const char *cache_dir_of(const struct cog_config *cfg)
{
    return cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
}

/* The user, after the common options: USER or -u USER (as every command). */
static int one_user_arg(int argc, char **argv, const char *usage, const char **user)
{
    const char *name = NULL;
    if (argc == 2 && argv[1][0] != '-')
        name = argv[1];
    else if (argc == 3 && (strcmp(argv[1], "-u") == 0 || strcmp(argv[1], "--user") == 0))
        name = argv[2];
    if (name == NULL) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (!cog_username_valid(name)) {
        fprintf(stderr, "cognitoctl: '%.64s' is not a valid user name\n", name);
        return EXIT_USAGE;
    }
    *user = name;
    return EXIT_OK;
}

/* ---- authorized-keys ------------------------------------------------------------ */

static const char keys_usage[] =
    "Usage: cognitoctl authorized-keys [--config PATH] USER | -u USER\n"
    "\n"
    "Prints USER's SSH public keys, one a line, from the user cache (the attribute\n"
    "named by ssh_key_attribute, as the last sync or login stored it), for sshd:\n"
    "\n"
    "  AuthorizedKeysCommand /usr/bin/cognitoctl authorized-keys %u\n"
    "  AuthorizedKeysCommandUser nobody\n"
    "\n"
    "Only plain public keys are printed (TYPE BASE64 [COMMENT]); a line with\n"
    "options (command=, from=, cert-authority, ...) or that is no key is left\n"
    "out and logged to syslog, unless ssh_key_options = allow.\n"
    "Never uses the network. Prints nothing and exits 0 for a user the cache does\n"
    "not know, a local account (local files or another NSS source) and a name on\n"
    "the deny list, and for a disabled user. Exits 3 (and sshd ignores the output) when\n"
    "there is no usable cache. When the configuration file is not readable (an\n"
    "old root-only one), the cache is read from " CACHEDIR ".\n";

/* The config when this user may read it; else the compiled-in cache_dir:
 * sshd runs us as AuthorizedKeysCommandUser, who may not read a root-only
 * file, and the keys need nothing from it but cache_dir. */
static int keys_config(const struct globals *g, struct cog_config *cfg)
{
    if (access(g->config_path, R_OK) != 0 && errno == EACCES) {
        cog_config_init(cfg);
        return EXIT_OK;
    }
    return ctl_load_config_local(g, cfg);
}

/* One line of the key attribute, if sshd may have it: the attribute is often
 * one the user edits, and options would let them choose what the key does
 * (command=, environment=, tunnels) or make it a CA (cert-authority). */
static void print_key(const struct cog_config *cfg, const char *user, const char *line, size_t n)
{
    const char *why = NULL;
    enum cog_ssh_key_kind kind = cog_ssh_key_check(line, &why);
    if (kind == COG_SSH_KEY_PLAIN ||
        (kind == COG_SSH_KEY_OPTIONS && cfg->ssh_key_options == COG_SSH_OPTIONS_ALLOW)) {
        printf("%s\n", line);
        return;
    }
    /* The line itself may be anything: the log names it by number only.
     * sshd drops our stderr unless it runs in the foreground. */
    fprintf(stderr, "cognitoctl: authorized-keys: key %zu of %s left out: %s\n", n, user, why);
    openlog("cognitoctl", LOG_PID, LOG_AUTHPRIV);
    syslog(LOG_WARNING, "authorized-keys: key %zu of %s left out: %s", n, user, why);
    closelog();
}

int cmd_authorized_keys(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct cog_account acct;
    struct cog_error err = {0};
    const char *user = NULL;
    int rc = ctl_common_options(&argc, argv, g, keys_usage);
    if (rc >= 0)
        return rc;
    if ((rc = one_user_arg(argc, argv, keys_usage, &user)) != EXIT_OK)
        return rc;
    if ((rc = keys_config(g, &cfg)) != EXIT_OK)
        return rc;
    /* Local accounts win (localnames.h): a name another source knows gets
     * no pool user's keys, whatever a stale cache holds. */
    const char *why = cog_local_name(&cfg, user);
    if (why != NULL) {
        fprintf(stderr, "cognitoctl: %s is not a Cognito user here: %s\n", user, why);
        rc = EXIT_OK;
        goto out;
    }
    cog_status st = cog_account_lookup(&cfg, user, &acct, &err);
    if (st == COG_ERR_USER_UNKNOWN) {
        rc = EXIT_OK; /* not ours: sshd goes on to AuthorizedKeysFile */
        goto out;
    }
    if (st != COG_OK) {
        rc = ctl_fail("authorized-keys", &err);
        goto out;
    }
    /* A disabled user, or one whose UserStatus does not count as active
     * (an unconfirmed sign-up, a reset-required or compromised account),
     * has no keys. */
    bool active = acct.enabled && cog_user_status_active(&cfg, acct.status);
    for (size_t i = 0; active && i < acct.nkeys; i++)
        print_key(&cfg, user, acct.keys[i], i + 1);
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_INTERNAL;
    cog_account_clear(&acct);
out:
    cog_config_free(&cfg);
    return rc;
}

/* ---- users ------------------------------------------------------------------------ */

static const char users_usage[] =
    "Usage: cognitoctl users [--config PATH] [--json] [show USER | [show] -u USER]\n"
    "\n"
    "Lists the Cognito users of the user cache as libnss_cognito.so.2 shows them\n"
    "(name, uid, gid, status), or shows one: its passwd entry, every group NSS\n"
    "gives it (Cognito groups and group_map's local ones), its Cognito groups,\n"
    "sub, UserStatus, Enabled and SSH keys. Reads only the cache (no network).\n";

/* A gid's name: the cache's group (or private group), else the system's. */
static const char *gid_name(const struct cog_cache_view *v, uint32_t gid, char *buf, size_t len)
{
    struct cog_view_group vg;
    if (cog_view_group_by_gid(v, gid, &vg) == COG_CACHE_OK)
        return cog_view_group_name(&vg);
    const struct group *gr = getgrgid((gid_t)gid);
    if (gr != NULL)
        return gr->gr_name;
    snprintf(buf, len, "%u", gid);
    return buf;
}

static struct json_object *user_json(const struct cog_cache_files *f, const struct cog_view_user *u,
                                     bool full)
{
    struct json_object *o = json_object_new_object();
    const struct cog_cache_map *m = u->map, *am = NULL;
    const struct cog_disk_account *a = NULL;
    const char *name = cog_cache_str(m, u->rec->name);
    char buf[16];
    if (o == NULL || name == NULL)
        return o;
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "uid", json_object_new_int64(u->rec->uid));
    json_object_object_add(o, "gid", json_object_new_int64(u->rec->gid));
    bool have_acct = cog_view_account_by_name(&f->vacc, name, &am, &a) == COG_CACHE_OK;
    const char *status = have_acct ? cog_cache_str(am, a->status) : NULL;
    json_object_object_add(o, "status", json_object_new_string(status ? status : "?"));
    json_object_object_add(o, "enabled",
                           json_object_new_boolean(have_acct && (a->flags & COG_DISK_ENABLED)));
    json_object_object_add(o, "from_login", json_object_new_boolean(m == f->vnss.delta));
    if (!full)
        return o;
    const char *gecos = cog_cache_str(m, u->rec->gecos), *home = cog_cache_str(m, u->rec->home),
               *shell = cog_cache_str(m, u->rec->shell);
    json_object_object_add(o, "gecos", json_object_new_string(gecos ? gecos : ""));
    json_object_object_add(o, "home", json_object_new_string(home ? home : ""));
    json_object_object_add(o, "shell", json_object_new_string(shell ? shell : ""));
    struct json_object *groups = json_object_new_array();
    json_object_array_add(
        groups, json_object_new_string(gid_name(&f->vnss, u->rec->gid, buf, sizeof(buf))));
    const uint32_t *gids;
    uint32_t n = 0;
    if (cog_cache_list(m, u->rec->gids, &gids, &n))
        for (uint32_t i = 0; i < n; i++)
            json_object_array_add(
                groups, json_object_new_string(gid_name(&f->vnss, gids[i], buf, sizeof(buf))));
    json_object_object_add(o, "unix_groups", groups);
    struct json_object *cg = json_object_new_array(), *keys = json_object_new_array();
    const uint32_t *items;
    if (have_acct && cog_cache_list(am, a->groups, &items, &n))
        for (uint32_t i = 0; i < n; i++)
            json_object_array_add(cg, json_object_new_string(cog_cache_str(am, items[i])));
    if (have_acct && cog_cache_list(am, a->keys, &items, &n))
        for (uint32_t i = 0; i < n; i++)
            json_object_array_add(keys, json_object_new_string(cog_cache_str(am, items[i])));
    const char *sub = have_acct ? cog_cache_str(am, a->sub) : NULL;
    json_object_object_add(o, "sub", json_object_new_string(sub ? sub : ""));
    json_object_object_add(o, "cognito_groups", cg);
    json_object_object_add(o, "ssh_keys", keys);
    return o;
}

static void print_user_text(struct json_object *o)
{
    static const char *const fields[] = {"name",  "uid", "gid",    "gecos",   "home",
                                         "shell", "sub", "status", "enabled", "from_login"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        struct json_object *v = json_object_object_get(o, fields[i]);
        printf("%-15s %s\n", fields[i], term_shown(json_object_get_string(v)));
    }
    static const char *const lists[] = {"unix_groups", "cognito_groups", "ssh_keys"};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        struct json_object *v = json_object_object_get(o, lists[i]);
        printf("%-15s", lists[i]);
        for (size_t k = 0; k < json_object_array_length(v); k++)
            printf("%s%s", i == 2 ? "\n  " : " ",
                   term_shown(json_object_get_string(json_object_array_get_idx(v, k))));
        printf("\n");
    }
}

static int open_cache(const struct cog_config *cfg, struct cog_cache_files *f)
{
    struct cog_error err = {0};
    if (cog_cache_files_open(cache_dir_of(cfg), f, &err) != COG_OK)
        return ctl_fail("users", &err);
    if (f->vnss.main == NULL && f->vnss.delta == NULL) {
        fprintf(stderr, "cognitoctl: %s: no usable user cache (run cognitoctl sync)\n",
                cache_dir_of(cfg));
        return EXIT_UNAVAILABLE;
    }
    return EXIT_OK;
}

int cmd_users(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct cog_cache_files f;
    struct json_object *out = NULL;
    const char *user = NULL;
    int rc = ctl_common_options(&argc, argv, g, users_usage);
    if (rc >= 0)
        return rc;
    if (argc >= 2 && strcmp(argv[1], "show") == 0) {
        if ((rc = one_user_arg(argc - 1, argv + 1, users_usage, &user)) != EXIT_OK)
            return rc;
    } else if (argc == 3 && (strcmp(argv[1], "-u") == 0 || strcmp(argv[1], "--user") == 0)) {
        if ((rc = one_user_arg(argc, argv, users_usage, &user)) != EXIT_OK)
            return rc;
    } else if (argc != 1 && !(argc == 2 && strcmp(argv[1], "list") == 0)) {
        fputs(users_usage, stderr);
        return EXIT_USAGE;
    }
    if ((rc = ctl_load_config_local(g, &cfg)) != EXIT_OK)
        return rc;
    memset(&f, 0, sizeof(f));
    if ((rc = open_cache(&cfg, &f)) != EXIT_OK)
        goto out;
    struct cog_view_user u;
    if (user != NULL) {
        if (cog_view_user_by_name(&f.vnss, user, &u) != COG_CACHE_OK) {
            fprintf(stderr, "cognitoctl users: no user '%s' in the cache\n", user);
            rc = EXIT_REFUSED;
            goto out;
        }
        out = user_json(&f, &u, true);
        if (out == NULL) {
            rc = EXIT_INTERNAL;
            goto out;
        }
        if (g->json)
            ctl_print_json(out);
        else
            print_user_text(out);
        goto out;
    }
    struct cog_view_cursor c = {0};
    if ((out = json_object_new_array()) == NULL) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    if (!g->json)
        printf("%-24s %10s %10s %-22s %s\n", "NAME", "UID", "GID", "STATUS", "ENABLED");
    while (cog_view_next_user(&f.vnss, &c, &u) == COG_CACHE_OK) {
        struct json_object *o = user_json(&f, &u, false);
        if (o == NULL) {
            rc = EXIT_INTERNAL;
            goto out;
        }
        if (g->json) {
            json_object_array_add(out, o);
            continue;
        }
        printf("%-24s %10s %10s %-22s %s\n",
               term_shown(json_object_get_string(json_object_object_get(o, "name"))),
               json_object_get_string(json_object_object_get(o, "uid")),
               json_object_get_string(json_object_object_get(o, "gid")),
               term_shown(json_object_get_string(json_object_object_get(o, "status"))),
               json_object_get_boolean(json_object_object_get(o, "enabled")) ? "yes" : "no");
        json_object_put(o);
    }
    if (g->json)
        ctl_print_json(out);
out:
    json_object_put(out);
    cog_cache_files_close(&f);
    cog_config_free(&cfg);
    return rc;
}

/* ---- cache ------------------------------------------------------------------------ */

static const char cache_usage[] =
    "Usage: cognitoctl cache [--config PATH] [--json] [show | verify | drop USER|-u USER]\n"
    "\n"
    "  show         each cache file: present, size, when built, records (default);\n"
    "               and the logins journal\n"
    "  verify       checks every file in full (header, bounds, checksums, owner and\n"
    "               mode); exits 1 when a file is damaged or untrusted, or the\n"
    "               full files are missing\n"
    "  drop USER    hides USER from libnss_cognito.so.2, pam_cognito's account\n"
    "               phase and authorized-keys at once, until a sync or a login\n"
    "               brings the user back (needs write access to cache_dir)\n";

static const struct {
    const char *name;
    enum cog_disk_kind kind;
    bool required;
} cache_files[] = {
    {COG_CACHE_NSS_FILE, COG_DISK_NSS, true},
    {COG_CACHE_NSS_DELTA_FILE, COG_DISK_NSS, false},
    {COG_CACHE_ACCOUNTS_FILE, COG_DISK_ACCOUNTS, true},
    {COG_CACHE_ACCOUNTS_DELTA_FILE, COG_DISK_ACCOUNTS, false},
};

static const char *map_rc_text(enum cog_cache_rc rc)
{
    switch (rc) {
    case COG_CACHE_OK:
        return "ok";
    case COG_CACHE_ABSENT:
        return "absent";
    case COG_CACHE_UNTRUSTED:
        return "untrusted (not root's, or writable by others)";
    case COG_CACHE_CORRUPT:
        return "damaged";
    default:
        return "unreadable";
    }
}

/* show and verify: one JSON object per file; *bad counts what verify refuses. */
static struct json_object *cache_report(const char *dir, bool verify, int *bad)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; arr != NULL && i < sizeof(cache_files) / sizeof(cache_files[0]); i++) {
        struct cog_cache_map m;
        struct json_object *o = json_object_new_object();
        char *path = cog_cache_path(dir, cache_files[i].name);
        memset(&m, 0, sizeof(m));
        enum cog_cache_rc rc =
            path ? cog_cache_map_open(&m, path, cache_files[i].kind) : COG_CACHE_ERROR;
        if (rc == COG_CACHE_OK && verify && !cog_cache_map_verify(&m))
            rc = COG_CACHE_CORRUPT;
        if ((rc != COG_CACHE_OK && rc != COG_CACHE_ABSENT) ||
            (rc == COG_CACHE_ABSENT && cache_files[i].required))
            (*bad)++;
        json_object_object_add(o, "file", json_object_new_string(path ? path : ""));
        json_object_object_add(o, "state", json_object_new_string(map_rc_text(rc)));
        if (rc == COG_CACHE_OK) {
            json_object_object_add(o, "size", json_object_new_int64((int64_t)m.size));
            json_object_object_add(o, "built_at", json_object_new_int64(m.hdr->built_at));
            json_object_object_add(o, "records", json_object_new_int64(m.nrec[0]));
            if (cache_files[i].kind == COG_DISK_NSS)
                json_object_object_add(o, "groups", json_object_new_int64(m.nrec[1]));
        }
        json_object_array_add(arr, o);
        cog_cache_map_close(&m);
        free(path);
    }
    return arr;
}

/* The logins journal: not a file readers map, but one every writer reads
 * first (and refuses when it is not root's 0600 file). */
static struct json_object *journal_report(const char *dir, int *bad)
{
    struct cog_journal_info ji;
    struct json_object *o = json_object_new_object();
    char *path = cog_cache_path(dir, COG_CACHE_JOURNAL_FILE);
    const char *state = "ok";
    cog_journal_info(dir, &ji);
    if (!ji.present)
        state = "absent";
    else if (!ji.readable)
        state = "unreadable";
    else if (!ji.trusted)
        state = "untrusted (not root's 0600 file: every writer stops)";
    else if (!ji.valid)
        state = "no whole header (the next writer empties it)";
    if (ji.present && ji.readable && !ji.trusted)
        (*bad)++;
    if (o != NULL) {
        json_object_object_add(o, "file", json_object_new_string(path ? path : ""));
        json_object_object_add(o, "state", json_object_new_string(state));
        if (ji.valid) {
            json_object_object_add(o, "size", json_object_new_int64((int64_t)ji.size));
            json_object_object_add(o, "epoch", json_object_new_int64((int64_t)ji.epoch));
            json_object_object_add(o, "used", json_object_new_int64((int64_t)ji.used));
            json_object_object_add(o, "last_record", json_object_new_int64((int64_t)ji.last_len));
        }
    }
    free(path);
    return o;
}

struct json_object *ctl_cache_report(const char *dir, bool verify, int *bad)
{
    struct json_object *arr = cache_report(dir, verify, bad);
    if (arr != NULL)
        json_object_array_add(arr, journal_report(dir, bad));
    return arr;
}

static void print_cache_text(struct json_object *arr)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *o = json_object_array_get_idx(arr, i), *v;
        printf("%s: %s", json_object_get_string(json_object_object_get(o, "file")),
               json_object_get_string(json_object_object_get(o, "state")));
        if (json_object_object_get_ex(o, "built_at", &v)) {
            char when[COG_ISO8601_MAX];
            cog_iso8601(json_object_get_int64(v), when);
            printf(", %s bytes, built %s, %s records",
                   json_object_get_string(json_object_object_get(o, "size")), when,
                   json_object_get_string(json_object_object_get(o, "records")));
            if (json_object_object_get_ex(o, "groups", &v))
                printf(", %s groups", json_object_get_string(v));
        }
        if (json_object_object_get_ex(o, "used", &v))
            printf(", %s bytes, %s bytes of records since it was last emptied",
                   json_object_get_string(json_object_object_get(o, "size")),
                   json_object_get_string(v));
        printf("\n");
    }
}

int cmd_cache(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    const char *action, *user = NULL;
    int bad = 0;
    int rc = ctl_common_options(&argc, argv, g, cache_usage);
    if (rc >= 0)
        return rc;
    action = argc > 1 ? argv[1] : "show";
    if (strcmp(action, "drop") == 0) {
        if ((rc = one_user_arg(argc - 1, argv + 1, cache_usage, &user)) != EXIT_OK)
            return rc;
    } else if ((strcmp(action, "show") != 0 && strcmp(action, "verify") != 0) || argc > 2) {
        fputs(cache_usage, stderr);
        return EXIT_USAGE;
    }
    if ((rc = ctl_load_config_local(g, &cfg)) != EXIT_OK)
        return rc;
    if (user != NULL) {
        if (cog_cache_drop_user(&cfg, user, &err) != COG_OK)
            rc = ctl_fail("cache drop", &err);
        else if (!g->json)
            printf("%s is hidden from the cache until the next sync or login\n", user);
        else
            printf("{\"dropped\": \"%s\"}\n", user); /* a valid user name needs no escaping */
        goto out;
    }
    struct json_object *arr =
        ctl_cache_report(cache_dir_of(&cfg), strcmp(action, "verify") == 0, &bad);
    if (arr == NULL) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    if (g->json)
        ctl_print_json(arr);
    else
        print_cache_text(arr);
    json_object_put(arr);
    if (strcmp(action, "verify") == 0 && bad > 0) {
        fprintf(stderr, "cognitoctl cache verify: %d file(s) missing, damaged or untrusted\n", bad);
        rc = EXIT_REFUSED;
    }
out:
    cog_config_free(&cfg);
    return rc;
}
