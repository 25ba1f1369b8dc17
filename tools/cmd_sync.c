#include "build-config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/admin.h"
#include "libcognito/cache.h"
#include "libcognito/mapping.h"
#include "libcognito/util.h"
#include "tools/cmds.h"

static const char sync_usage[] =
    "Usage: cognitoctl sync [--config PATH] [--json] [--quiet]\n"
    "\n"
    "Reads every user and group of the user pool with the admin APIs (ListUsers,\n"
    "ListGroups, ListUsersInGroup, signed with AWS Signature V4) and replaces the\n"
    "user cache that libnss_cognito.so.2 answers from. The AWS credentials come\n"
    "from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else from\n"
    "the root-only file named by admin_credentials_file. A failed sync leaves the\n"
    "old cache as it was.\n"
    "\n"
    "  --quiet  print nothing but errors\n"
    "  --json   print a JSON summary instead of text\n";

struct sync_out {
    bool tty;   /* progress line on stderr */
    bool quiet; /* no notices */
    bool progress_shown;
};

static void progress(void *ctx, size_t users, size_t groups, size_t members)
{
    struct sync_out *o = ctx;
    if (!o->tty)
        return;
    fprintf(stderr, "\rcognitoctl sync: %zu users, %zu groups, %zu memberships read", users, groups,
            members);
    o->progress_shown = true;
}

static void end_progress(struct sync_out *o)
{
    if (o->progress_shown)
        fputc('\n', stderr);
    o->progress_shown = false;
}

/* The mapping's notices: what was left out and why, who got which uid. */
static void mapping_log(void *ctx, int priority, const char *message)
{
    struct sync_out *o = ctx;
    if (o->quiet && priority > LOG_ERR)
        return;
    end_progress(o);
    fprintf(stderr, "cognitoctl sync: %s\n", message);
}

static int print_summary(const struct cog_config *cfg, const struct cog_sync_stats *s,
                         const struct cog_mapping_log *log, double seconds, bool json, bool quiet)
{
    if (json) {
        struct json_object *o = json_object_new_object();
        if (o == NULL)
            return EXIT_INTERNAL;
        json_object_object_add(o, "users", json_object_new_int64((int64_t)s->users));
        json_object_object_add(o, "groups", json_object_new_int64((int64_t)s->groups));
        json_object_object_add(o, "skipped", json_object_new_int64((int64_t)log->skipped));
        json_object_object_add(o, "collisions", json_object_new_int64((int64_t)log->collisions));
        json_object_object_add(o, "kept_logins", json_object_new_int64((int64_t)s->kept_logins));
        json_object_object_add(o, "cache_dir", json_object_new_string(cfg->cache_dir));
        json_object_object_add(o, "build_ms", json_object_new_int64(s->build_ms));
        json_object_object_add(o, "elapsed_ms", json_object_new_int64((int64_t)(seconds * 1000)));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return EXIT_OK;
    }
    if (!quiet)
        printf("Synced %zu users and %zu groups into %s in %.1f s (%zu left out, %zu "
               "collisions resolved)\n",
               s->users, s->groups, cfg->cache_dir, seconds, log->skipped, log->collisions);
    return EXIT_OK;
}

int cmd_sync(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct cog_admin admin;
    struct cog_pool pool;
    struct cog_error err = {0};
    struct cog_sync_stats stats = {0};
    struct sync_out out = {.tty = isatty(STDERR_FILENO) == 1};
    struct cog_mapping_log log = {.fn = mapping_log, .ctx = &out};
    int rc = ctl_common_options(&argc, argv, g, sync_usage);

    if (rc >= 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) {
            out.quiet = true;
        } else {
            fputs(sync_usage, stderr);
            return EXIT_USAGE;
        }
    }
    out.tty = out.tty && !out.quiet && !g->json;
    rc = ctl_load_config(g, &cfg);
    if (rc != EXIT_OK)
        return rc;
    cog_pool_init(&pool);
    memset(&admin, 0, sizeof(admin));
    if (strcmp(cfg.cache_dir, CACHEDIR) != 0 && !out.quiet && !g->json)
        fprintf(stderr, "cognitoctl sync: note: libnss_cognito.so.2 reads %s, not cache_dir %s\n",
                CACHEDIR, cfg.cache_dir);

    long long t0 = cog_now_ms();
    /* The listing starts now: logins from here on stay in the logins file. */
    int64_t listed_at = (int64_t)time(NULL);
    cog_status st = cog_admin_open(&admin, &cfg, &err);
    if (st == COG_OK)
        st = cog_admin_list_pool(&admin, &pool, progress, &out, &err);
    end_progress(&out);
    if (st == COG_OK)
        st = cog_cache_store_pool(&cfg, &pool, listed_at, &log, &stats, &err);
    if (st != COG_OK) {
        rc = ctl_fail("sync", &err);
        if (!out.quiet)
            fprintf(stderr, "cognitoctl sync: the cache was not changed\n");
        goto out;
    }
    rc =
        print_summary(&cfg, &stats, &log, (double)(cog_now_ms() - t0) / 1000.0, g->json, out.quiet);
out:
    cog_admin_close(&admin);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
    return rc;
}
