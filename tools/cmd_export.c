/* cognitoctl export: the fleet exporter. Reads the pool within its own
 * request budget, maps it once (snapshot_build.h) and publishes a signed
 * snapshot (snapshot_manifest.h) to snapshot_url or --out. */
#include "build-config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/mapping/admin.h"
#include "libcognito/cache/cache.h"
#include "libcognito/snapshot/cloudtrail.h"
#include "libcognito/snapshot/export_delta.h"
#include "libcognito/snapshot/export_state.h"
#include "libcognito/wire/s3.h"
#include "libcognito/snapshot/snapshot_build.h"
#include "libcognito/snapshot/snapshot_manifest.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"
#include "tools/export_files.h"

static const char export_usage[] =
    "Usage: cognitoctl export [--config PATH] [--previous DIR] [--out DIR] [--full | "
    "--incremental]\n"
    "                         [--quiet]\n"
    "\n"
    "Reads the whole user pool within export_rps requests per second, decides\n"
    "every Unix name, uid and gid once, and publishes a snapshot signed with\n"
    "snapshot_private_key (Ed25519): nss-N.cache, accounts-N.cache, keys-N.cache,\n"
    "retired-N.bin, manifest.json.sig and manifest.json, in that order, to --out DIR or to\n"
    "snapshot_url. Users keep the uids of the previous snapshot (--previous DIR,\n"
    "else the one at the destination); a uid is never given to another sub.\n"
    "With an s3:// snapshot_url, --previous DIR is required: the exporter's own copy\n"
    "of the last snapshot, rewritten after each upload.\n"
    "\n"
    "Between full reads (at least every export_full_hours) an export is\n"
    "incremental: CloudTrail's LookupEvents (cloudtrail_endpoint) says which users\n"
    "and groups changed since the previous snapshot's events_until, and only those\n"
    "are read again; an event it cannot resolve safely makes it a full read. When\n"
    "nothing changed, nothing is published.\n"
    "\n"
    "  --full          read the whole pool now\n"
    "  --incremental   only the changes; exit 2 when that is impossible\n"
    "  --previous DIR  the previous snapshot (default: the destination's)\n"
    "  --out DIR       publish to this directory instead of snapshot_url\n"
    "  --quiet         print nothing but errors\n";

static void export_log(void *ctx, int priority, const char *message)
{
    const bool *quiet = ctx;
    if (!*quiet || priority <= LOG_ERR)
        fprintf(stderr, "cognitoctl export: %s\n", message);
}

static cog_status make_manifest(const struct cog_config *cfg, const struct export_prior *prior,
                                const struct cog_snapshot_data *d, struct cog_snapshot_manifest *m,
                                char **retired, size_t *retired_len, struct cog_error *err)
{
    cog_status st;
    char name[64];

    memset(m, 0, sizeof(*m));
    m->format = COG_SNAPSHOT_FORMAT;
    snprintf(m->pool_id, sizeof(m->pool_id), "%s", cfg->user_pool_id ? cfg->user_pool_id : "");
    m->created = (int64_t)time(NULL);
    /* Seconds make a serial that grows across exporters; never below the last + 1. */
    m->serial = m->created;
    if (prior->present && prior->m.serial >= m->serial)
        m->serial = prior->m.serial + 1;
    m->users = (int64_t)d->users;
    m->groups = (int64_t)d->groups;
    for (int i = 0; i < COG_SNAPSHOT_NPARTS; i++) {
        snprintf(name, sizeof(name), "%s-%" PRId64 ".cache",
                 cog_snapshot_part_key((enum cog_snapshot_part)i), m->serial);
        if ((st = cog_snapshot_file_set(&m->files[i], name, d->data[i], d->len[i], err)) != COG_OK)
            return st;
    }
    /* The retired uids in a file of their own: hosts never fetch it. */
    if ((st = cog_snapshot_retired_encode(d->retired, d->nretired, retired, retired_len, err)) !=
            COG_OK ||
        *retired_len == 0)
        return st;
    snprintf(name, sizeof(name), "retired-%" PRId64 ".bin", m->serial);
    m->has_retired_file = true;
    return cog_snapshot_file_set(&m->retired_file, name, *retired, *retired_len, err);
}

enum export_mode { EXPORT_AUTO, EXPORT_FULL, EXPORT_INCREMENTAL };

/* Why this export must read the whole pool (NULL: it may be incremental). */
static const char *full_reason(const struct cog_config *cfg, const struct export_prior *prior,
                               int64_t now, enum export_mode mode)
{
    if (mode == EXPORT_FULL)
        return "--full";
    if (!prior->present)
        return "there is no previous snapshot";
    if (prior->m.full_at <= 0 || prior->m.events_until <= 0)
        return "the previous snapshot says nothing of its last full read";
    if (now - prior->m.full_at >= (int64_t)cfg->export_full_hours * 3600)
        return "the last full read is older than export_full_hours";
    if (now - prior->m.events_until + COG_CLOUDTRAIL_OVERLAP_S >= COG_CLOUDTRAIL_HISTORY_S)
        return "the previous snapshot is older than CloudTrail's 90 days of event history";
    return NULL;
}

/* The previous listing patched with CloudTrail's changes since events_until
 * (minus the overlap for late events). COG_ERR_INVALID_INPUT with why set:
 * read the whole pool instead. */
static cog_status export_incremental(const struct cog_config *cfg, const char *prev_dir,
                                     const struct export_prior *prior, struct cog_admin *admin,
                                     struct cog_pool *pool, int64_t now, bool quiet, char *why,
                                     size_t whylen, char **old_state, size_t *old_len,
                                     struct cog_error *err)
{
    struct cog_cloudtrail ct;
    struct cog_export_delta d;
    char *text = NULL, *path = cog_cache_path(prev_dir, COG_EXPORT_STATE);
    size_t len = 0;
    unsigned mode = 0;
    int64_t read_until = 0;
    cog_status st;

    memset(&ct, 0, sizeof(ct));
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    st = cog_read_trusted_file(path, EXPORT_FILE_MAX, &text, &len, &mode, err);
    if (st == COG_OK)
        st = cog_export_state_parse(cfg, text, len, prior->m.serial, pool, &read_until, err);
    if (st != COG_OK) {
        snprintf(why, whylen, "the exporter's listing (%s) is unusable: %.200s", COG_EXPORT_STATE,
                 err->message);
        st = COG_ERR_INVALID_INPUT;
        goto out;
    }
    if ((st = cog_cloudtrail_open(&ct, admin, cfg->cloudtrail_endpoint, err)) != COG_OK)
        goto out;
    /* EventTime has fractions and EndTime excludes: + 1 takes in this
     * second's events (the next export's overlap sees them again anyway). */
    /* An export that found nothing to publish read CloudTrail further than
     * the manifest says. */
    if (read_until < prior->m.events_until || read_until > now)
        read_until = prior->m.events_until;
    st = cog_export_delta_apply(admin, &ct, pool, read_until - COG_CLOUDTRAIL_OVERLAP_S, now + 1,
                                &d, err);
    if (st == COG_ERR_INVALID_INPUT && d.why_full[0] != '\0')
        snprintf(why, whylen, "%s", d.why_full);
    else if (st == COG_OK && !quiet)
        printf("Incremental: %zu CloudTrail events in %lu LookupEvents requests, %zu users read "
               "again%s\n",
               d.events, d.lookups, d.users_reread, d.groups_reread ? ", and the group list" : "");
out:
    cog_cloudtrail_close(&ct);
    if (st == COG_OK) {
        *old_state = text; /* the caller compares the patched listing with it */
        *old_len = len;
        text = NULL;
    }
    free(text);
    free(path);
    return st;
}

/* The listing the snapshot was made from, for the next incremental export:
 * root-only, never published. */
static cog_status save_state(const struct cog_config *cfg, const char *dir, struct cog_pool *pool,
                             int64_t serial, int64_t events_until, struct cog_error *err)
{
    char *text = NULL, *path = cog_cache_path(dir, COG_EXPORT_STATE);
    size_t len = 0;
    cog_export_state_sort(pool);
    cog_status st = path == NULL
                        ? cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory")
                        : cog_export_state_emit(cfg, pool, serial, events_until, &text, &len, err);
    if (st == COG_OK)
        st = cog_write_file_atomic(path, text, len, 0600, err);
    free(text);
    free(path);
    return st;
}

/* True when the patched listing is the previous one (the lines after the
 * header): the same listing maps to the same snapshot. */
static cog_status unchanged(const struct cog_config *cfg, struct cog_pool *pool, const char *old,
                            size_t old_len, bool *same, struct cog_error *err)
{
    char *text = NULL;
    size_t len = 0;
    cog_export_state_sort(pool);
    cog_status st = cog_export_state_emit(cfg, pool, 0, 0, &text, &len, err);
    const char *a = st == COG_OK ? memchr(text, '\n', len) : NULL;
    const char *b = old != NULL ? memchr(old, '\n', old_len) : NULL;
    *same = a != NULL && b != NULL && (size_t)(text + len - a) == (size_t)(old + old_len - b) &&
            memcmp(a, b, (size_t)(text + len - a)) == 0;
    free(text);
    return st;
}

static cog_status export_run(const struct cog_config *cfg, const char *prev_dir,
                             const char *out_dir, bool to_s3, bool quiet, enum export_mode mode,
                             struct cog_snapshot_manifest *m, struct cog_error *err)
{
    struct cog_admin admin;
    struct cog_pool pool;
    struct export_prior prior;
    struct cog_snapshot_data d = {0};
    struct cog_mapping_log log = {.fn = export_log, .ctx = &quiet};
    char *mtext = NULL, *sig = NULL, *old_state = NULL, *retired = NULL, why[768] = "";
    size_t old_len = 0, retired_len = 0;
    size_t mlen = 0, siglen = 0;
    int64_t started = (int64_t)time(NULL), full_at;
    const char *full;
    cog_status st;

    memset(&admin, 0, sizeof(admin));
    memset(&prior, 0, sizeof(prior));
    cog_pool_init(&pool);
    if ((st = export_prior_load(prev_dir, &prior, err)) != COG_OK)
        goto out;
    struct cog_aws_credentials creds;
    if ((st = cog_s3_credentials(cfg, &creds, err)) != COG_OK ||
        (st = cog_admin_open_with(&admin, cfg, &creds, err)) != COG_OK)
        goto out;
    cog_pace_init(&admin.pace, cfg->export_rps);
    full = full_reason(cfg, &prior, started, mode);
    if (full == NULL) {
        st = export_incremental(cfg, prev_dir, &prior, &admin, &pool, started, quiet, why,
                                sizeof(why), &old_state, &old_len, err);
        if (st != COG_OK && why[0] == '\0')
            /* CloudTrail unreachable or refusing: the snapshot must still go out. */
            snprintf(why, sizeof(why), "the incremental read failed: %.300s", err->message);
        if (st != COG_OK)
            full = why;
    }
    if (full != NULL && mode == EXPORT_INCREMENTAL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "an incremental export is impossible: %s",
                           full);
        goto out;
    }
    if (full == NULL && strcmp(prev_dir, out_dir) == 0) {
        bool same;
        if ((st = unchanged(cfg, &pool, old_state, old_len, &same, err)) != COG_OK)
            goto out;
        if (same) {
            /* Hosts keep the snapshot they have; only how far CloudTrail was read moves. */
            if ((st = save_state(cfg, out_dir, &pool, prior.m.serial, started, err)) == COG_OK &&
                !quiet)
                printf("Nothing changed: serial %" PRId64 " stays, nothing was published\n",
                       prior.m.serial);
            goto out;
        }
    }
    full_at = full != NULL ? started : prior.m.full_at;
    if (full != NULL) {
        if (!quiet)
            printf("Full read of the pool: %s\n", full);
        cog_pool_free(&pool);
        cog_pool_init(&pool);
        if ((st = cog_admin_list_pool(&admin, &pool, NULL, NULL, err)) != COG_OK)
            goto out;
    }
    /* By Username, whichever way the listing came: a full and an incremental
     * export of one pool give the same files (group members in one order). */
    cog_export_state_sort(&pool);
    struct cog_snapshot_prior in = {
        .nss = prior.data[COG_SNAPSHOT_NSS],
        .nss_len = prior.len[COG_SNAPSHOT_NSS],
        .accounts = prior.data[COG_SNAPSHOT_ACCOUNTS],
        .accounts_len = prior.len[COG_SNAPSHOT_ACCOUNTS],
        .retired = prior.m.retired,
        .nretired = prior.m.nretired,
    };
    if ((st = cog_snapshot_build(cfg, &pool, &in, &d, &log, err)) != COG_OK ||
        (st = make_manifest(cfg, &prior, &d, m, &retired, &retired_len, err)) != COG_OK)
        goto out;
    m->full_at = full_at;
    m->events_until = started;
    if ((st = cog_snapshot_manifest_emit(m, &mtext, &mlen, err)) != COG_OK ||
        (st = cog_snapshot_sign(cfg->snapshot_private_key, mtext, mlen, &sig, err)) != COG_OK)
        goto out;
    siglen = strlen(sig);
    struct export_output o = {m, &d, retired, retired_len, mtext, sig, mlen, siglen};
    if (to_s3)
        st = export_publish_s3(cfg, &o, err);
    /* After S3, the exporter's own copy: the next export's --previous. */
    if (st == COG_OK)
        st = export_publish_dir(out_dir, &o, err);
    if (st == COG_OK)
        export_prune_dir(out_dir, m->serial, prior.present ? prior.m.serial : m->serial);
    if (st == COG_OK)
        st = save_state(cfg, out_dir, &pool, m->serial, started, err);
    if (st == COG_OK && !quiet)
        printf("Exported %zu users and %zu groups as serial %" PRId64 " to %s (%lu throttled "
               "requests retried)\n",
               d.users, d.groups, m->serial, to_s3 ? cfg->snapshot_url : out_dir,
               admin.pace.throttled);
out:
    free(old_state);
    free(retired);
    free(mtext);
    free(sig);
    cog_snapshot_data_free(&d);
    export_prior_free(&prior);
    cog_admin_close(&admin);
    cog_pool_free(&pool);
    return st;
}

int cmd_export(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_snapshot_manifest m;
    const char *prev = NULL, *out = NULL;
    bool quiet = false;
    enum export_mode mode = EXPORT_AUTO;
    int rc = ctl_common_options(&argc, argv, g, export_usage);

    if (rc >= 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(argv[i], "--full") == 0 && mode != EXPORT_INCREMENTAL) {
            mode = EXPORT_FULL;
        } else if (strcmp(argv[i], "--incremental") == 0 && mode != EXPORT_FULL) {
            mode = EXPORT_INCREMENTAL;
        } else if (strcmp(argv[i], "--previous") == 0 && i + 1 < argc) {
            prev = argv[++i];
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else {
            fputs(export_usage, stderr);
            return EXIT_USAGE;
        }
    }
    rc = ctl_load_config(g, &cfg);
    if (rc != EXIT_OK)
        return rc;
    bool to_s3 = false;
    if (out == NULL && cfg.snapshot_url != NULL && cfg.snapshot_url[0] == '/')
        out = cfg.snapshot_url;
    if (out == NULL && cfg.snapshot_url != NULL && strncmp(cfg.snapshot_url, "s3://", 5) == 0) {
        /* S3: --previous is the exporter's own copy, read and then rewritten. */
        to_s3 = true;
        out = prev;
        if (out == NULL) {
            fprintf(stderr, "cognitoctl export: an s3:// snapshot_url needs --previous DIR, "
                            "the exporter's own copy of the last snapshot\n");
            rc = EXIT_USAGE;
            goto done;
        }
    }
    if (out == NULL) {
        fprintf(stderr, "cognitoctl export: %s\n",
                cfg.snapshot_url == NULL
                    ? "set snapshot_url in the configuration or give --out DIR"
                    : "publishing to https:// is not supported; use s3:// or --out DIR");
        rc = EXIT_USAGE;
        goto done;
    }
    if (out[0] != '/') {
        fprintf(stderr, "cognitoctl export: --out must be an absolute path\n");
        rc = EXIT_USAGE;
        goto done;
    }
    if (export_run(&cfg, prev != NULL ? prev : out, out, to_s3, quiet || g->json, mode, &m, &err) !=
        COG_OK) {
        rc = ctl_fail("export", &err);
        fprintf(stderr, "cognitoctl export: nothing was published\n");
    }
done:
    cog_config_free(&cfg);
    return rc;
}
