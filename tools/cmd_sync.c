#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/mapping/admin.h"
#include "libcognito/cache/cache.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/snapshot/snapshot_install.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"

static const char sync_usage[] =
    "Usage: cognitoctl sync [--config PATH] [--json] [--quiet] [--splay SECONDS]\n"
    "\n"
    "Reads every user and group of the user pool with the admin APIs (ListUsers,\n"
    "ListGroups, ListUsersInGroup, signed with AWS Signature V4) within export_rps\n"
    "requests per second, and replaces the user cache that libnss_cognito.so.2 answers from. The "
    "AWS credentials come\n"
    "from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else from\n"
    "the root-only file named by admin_credentials_file. A failed sync leaves the\n"
    "old cache as it was.\n"
    "\n"
    "With snapshot_url set, installs the fleet's signed snapshot from there\n"
    "instead (verified with snapshot_public_key; see cognitoctl(1)).\n"
    "\n"
    "  --quiet          print nothing but errors\n"
    "  --json           print a JSON summary instead of text\n"
    "  --splay SECONDS  first wait a random 0..SECONDS (a fleet's timers spread out)\n";

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
                         const struct cog_mapping_log *log, unsigned long throttled, double seconds,
                         bool json, bool quiet)
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
        json_object_object_add(o, "throttled", json_object_new_int64((int64_t)throttled));
        json_object_object_add(o, "elapsed_ms", json_object_new_int64((int64_t)(seconds * 1000)));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return EXIT_OK;
    }
    if (!quiet)
        printf("Synced %zu users and %zu groups into %s in %.1f s (%zu left out, %zu "
               "collisions resolved, %lu throttled requests retried)\n",
               s->users, s->groups, cfg->cache_dir, seconds, log->skipped, log->collisions,
               throttled);
    return EXIT_OK;
}

/* A snapshot's drops go to syslog too: the timer's runs leave a trace. */
static void snapshot_log(void *ctx, int priority, const char *message)
{
    syslog(LOG_AUTHPRIV | priority, "%s", message);
    mapping_log(ctx, priority, message);
}

static int snapshot_summary(const struct cog_config *cfg, const struct cog_snapshot_report *r,
                            bool json, bool quiet)
{
    if (json) {
        struct json_object *o = json_object_new_object();
        if (o == NULL)
            return EXIT_INTERNAL;
        json_object_object_add(o, "snapshot_serial", json_object_new_int64(r->serial));
        json_object_object_add(o, "previous_serial", json_object_new_int64(r->previous));
        json_object_object_add(o, "unchanged", json_object_new_boolean(r->unchanged));
        json_object_object_add(o, "users", json_object_new_int64((int64_t)r->users));
        json_object_object_add(o, "groups", json_object_new_int64((int64_t)r->groups));
        json_object_object_add(o, "dropped", json_object_new_int64((int64_t)r->dropped));
        json_object_object_add(o, "kept_logins", json_object_new_int64((int64_t)r->kept_logins));
        json_object_object_add(o, "retired_logins",
                               json_object_new_int64((int64_t)r->retired_logins));
        json_object_object_add(o, "cache_dir", json_object_new_string(cfg->cache_dir));
        json_object_object_add(o, "elapsed_ms", json_object_new_int64(r->elapsed_ms));
        ctl_print_json(o);
        json_object_put(o);
        return EXIT_OK;
    }
    if (quiet)
        return EXIT_OK;
    if (r->unchanged)
        printf("Snapshot %lld is installed; nothing to do\n", (long long)r->serial);
    else
        printf("Installed snapshot %lld (%zu users, %zu groups; %zu left out for local accounts, "
               "%zu logins retired, %zu kept) into %s in %.1f s\n",
               (long long)r->serial, r->users, r->groups, r->dropped, r->retired_logins,
               r->kept_logins, cfg->cache_dir, (double)r->elapsed_ms / 1000.0);
    return EXIT_OK;
}

/* One line saying why, and that nothing changed. */
static int snapshot_fail(const struct cog_error *err)
{
    const char *what = err->status == COG_ERR_TOKEN         ? "snapshot refused: "
                       : err->status == COG_ERR_UNAVAILABLE ? "snapshot unavailable: "
                                                            : "";
    fprintf(stderr, "cognitoctl sync: %s%s; the cache was not changed\n", what,
            err->message[0] ? err->message : cog_status_name(err->status));
    return ctl_exit_code(err->status);
}

static int sync_snapshot(const struct cog_config *cfg, struct sync_out *out, bool json)
{
    struct cog_error err = {0};
    struct cog_snapshot_report r;
    struct cog_mapping_log log = {.fn = snapshot_log, .ctx = out};
    openlog("cognitoctl", LOG_PID, LOG_AUTHPRIV);
    cog_status st = cog_snapshot_sync(cfg, &log, &r, &err);
    int rc = st == COG_OK ? snapshot_summary(cfg, &r, json, out->quiet) : snapshot_fail(&err);
    closelog();
    return rc;
}

/* --splay: sleeps a uniformly random 0..seconds. */
static void splay(unsigned long seconds)
{
    uint64_t r = 0;
    if (seconds == 0 || getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return;
    unsigned long long ms = r % ((unsigned long long)seconds * 1000 + 1);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
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
    unsigned long splay_s = 0;
    int rc = ctl_common_options(&argc, argv, g, sync_usage);

    if (rc >= 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) {
            out.quiet = true;
        } else if (strcmp(argv[i], "--splay") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            splay_s = strtoul(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || argv[i][0] == '-' || splay_s > 86400) {
                fprintf(stderr, "cognitoctl sync: --splay takes 0 to 86400 seconds\n");
                return EXIT_USAGE;
            }
        } else {
            fputs(sync_usage, stderr);
            return EXIT_USAGE;
        }
    }
    out.tty = out.tty && !out.quiet && !g->json;
    rc = ctl_load_config(g, &cfg);
    if (rc != EXIT_OK)
        return rc;
    splay(splay_s);
    if (cfg.snapshot_url != NULL) {
        rc = sync_snapshot(&cfg, &out, g->json);
        cog_config_free(&cfg);
        return rc;
    }
    cog_pool_init(&pool);
    memset(&admin, 0, sizeof(admin));
    if (strcmp(cfg.cache_dir, CACHEDIR) != 0 && !out.quiet && !g->json)
        fprintf(stderr, "cognitoctl sync: note: libnss_cognito.so.2 reads %s, not cache_dir %s\n",
                CACHEDIR, cfg.cache_dir);

    long long t0 = cog_now_ms();
    /* The listing starts now: logins from here on stay in the logins file. */
    int64_t listed_at = (int64_t)time(NULL);
    cog_status st = cog_admin_open(&admin, &cfg, &err);
    /* The same budget as the exporter's: Cognito's UserList quota is the
     * whole account's, so a host's read paces itself, not only backs off. */
    if (st == COG_OK)
        cog_pace_init(&admin.pace, cfg.export_rps);
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
    rc = print_summary(&cfg, &stats, &log, admin.pace.throttled,
                       (double)(cog_now_ms() - t0) / 1000.0, g->json, out.quiet);
out:
    cog_admin_close(&admin);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
    return rc;
}
