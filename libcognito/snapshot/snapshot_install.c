/* A fleet host installs the exporter's signed snapshot (snapshot_install.h).
 *
 * Everything is fetched and checked before cache.lock is taken; only then
 * are entries that collide with local accounts dropped and the files
 * renamed into place, so a failed fetch never touches the cache. */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/cache_retire.h"
#include "libcognito/mapping/cache_store.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/snapshot/snapshot_fetch.h"
#include "libcognito/snapshot/snapshot_install.h"
#include "libcognito/snapshot/snapshot_local.h"
#include "libcognito/snapshot/snapshot_manifest.h"
#include "libcognito/core/util.h"

#define STATE_MAX 4096
#define SIGNATURE_MAX 1024

static const char *const install_names[COG_SNAPSHOT_NPARTS] = {
    COG_CACHE_NSS_FILE, COG_CACHE_ACCOUNTS_FILE, COG_CACHE_KEYS_FILE};
static const enum cog_disk_kind part_kinds[COG_SNAPSHOT_NPARTS] = {COG_DISK_NSS, COG_DISK_ACCOUNTS,
                                                                   COG_DISK_ACCOUNTS};

/* ---- snapshot.state ---------------------------------------------------------------- */

cog_status cog_snapshot_state_read(const char *dir, struct cog_snapshot_state *s,
                                   struct cog_error *err)
{
    cog_status st = COG_OK;
    char *path = cog_cache_path(dir, COG_SNAPSHOT_STATE_FILE), *text = NULL;
    size_t len = 0;
    unsigned mode = 0;
    struct stat sb;
    struct json_object *root = NULL, *v;

    memset(s, 0, sizeof(*s));
    s->serial = -1;
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    if (lstat(path, &sb) != 0 && errno == ENOENT)
        goto out; /* nothing installed yet */
    if ((st = cog_read_trusted_file(path, STATE_MAX, &text, &len, &mode, err)) != COG_OK)
        goto out;
    root = json_tokener_parse(text);
    /* A damaged record could let an old snapshot back in: refuse, and say how to go on. */
    if (root == NULL || !json_object_object_get_ex(root, "serial", &v) ||
        !json_object_is_type(v, json_type_int) || (s->serial = json_object_get_int64(v)) < 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: damaged (no serial); remove it to accept the next snapshot", path);
        goto out;
    }
    if (json_object_object_get_ex(root, "etag", &v) && json_object_is_type(v, json_type_string))
        snprintf(s->etag, sizeof(s->etag), "%s", json_object_get_string(v));
    if (json_object_object_get_ex(root, "installed", &v) && json_object_is_type(v, json_type_int))
        s->installed = json_object_get_int64(v);
out:
    json_object_put(root);
    free(text);
    free(path);
    return st;
}

static cog_status state_write(const char *dir, const struct cog_snapshot_state *s,
                              struct cog_error *err)
{
    cog_status st;
    char *path = cog_cache_path(dir, COG_SNAPSHOT_STATE_FILE);
    struct json_object *o = json_object_new_object();
    if (path == NULL || o == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    json_object_object_add(o, "serial", json_object_new_int64(s->serial));
    json_object_object_add(o, "etag", json_object_new_string(s->etag));
    json_object_object_add(o, "installed", json_object_new_int64(s->installed));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    st = cog_write_file_atomic(path, text, strlen(text), COG_CACHE_PUBLIC_MODE, err);
out:
    json_object_put(o);
    free(path);
    return st;
}

/* ---- fetching and checking ------------------------------------------------------------ */

/* One data file: exactly the manifest's size and sha256, and a sound full
 * cache file of its kind (the reader's own checks, the body's sum too). */
static cog_status fetch_part(struct cog_snapshot_source *src, const struct cog_config *cfg,
                             const struct cog_snapshot_file *f, enum cog_snapshot_part part,
                             struct cog_buf *body, struct cog_error *err)
{
    cog_status st;
    char etag[COG_SNAPSHOT_ETAG_MAX], hex[65];
    bool unchanged = false;
    struct cog_cache_map m;
    /* The timeout covers a slow link too: at least 1 MB/s on top of it. */
    long timeout_ms = (long)cfg->timeout * 1000 + (long)(f->size / 1000);

    if (f->size > SIZE_MAX / 2)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "%s: size %llu is too large", f->name,
                             (unsigned long long)f->size);
    if ((st = cog_snapshot_get(src, f->name, NULL, (size_t)f->size, timeout_ms, body, etag,
                               &unchanged, err)) != COG_OK)
        return st;
    if (body->len != f->size)
        return cog_error_set(err, COG_ERR_TOKEN, NULL,
                             "%s: %zu bytes, the manifest says %llu (truncated or replaced)",
                             f->name, body->len, (unsigned long long)f->size);
    cog_snapshot_sha256_hex(body->data ? body->data : "", body->len, hex);
    if (strcmp(hex, f->sha256) != 0)
        return cog_error_set(err, COG_ERR_TOKEN, NULL,
                             "%s: sha256 %.16s... is not the manifest's %.16s...", f->name, hex,
                             f->sha256);
    /* malloc'd data is 8-byte aligned, as the reader wants. */
    if (cog_cache_map_buffer(&m, body->data, body->len, part_kinds[part]) != COG_CACHE_OK ||
        !cog_cache_map_verify(&m) || (m.hdr->flags & COG_DISK_DELTA) != 0)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "%s: not a sound full %s cache file",
                             f->name, cog_snapshot_part_key(part));
    return COG_OK;
}

/* Every account fact and SSH key belongs to a user the NSS file shows, by
 * name and uid: a keys file naming anyone else (a local account, say)
 * would hand that account's SSH logins to the snapshot. */
static cog_status check_consistent(const struct cog_buf files[COG_SNAPSHOT_NPARTS],
                                   struct cog_error *err)
{
    struct cog_cache_map nss, acc;
    cog_cache_map_buffer(&nss, files[COG_SNAPSHOT_NSS].data, files[COG_SNAPSHOT_NSS].len,
                         COG_DISK_NSS);
    for (int p = COG_SNAPSHOT_ACCOUNTS; p <= COG_SNAPSHOT_KEYS; p++) {
        cog_cache_map_buffer(&acc, files[p].data, files[p].len, COG_DISK_ACCOUNTS);
        for (uint32_t i = 0; i < acc.nrec[0]; i++) {
            const struct cog_disk_account *a = cog_cache_account_at(&acc, i);
            const char *name = a ? cog_cache_str(&acc, a->name) : NULL;
            const struct cog_disk_user *u = name ? cog_cache_user_by_name(&nss, name) : NULL;
            if (u == NULL || u->uid != a->uid)
                return cog_error_set(err, COG_ERR_TOKEN, NULL,
                                     "the %s file has '%.64s', whom the NSS file does not show "
                                     "with that uid",
                                     cog_snapshot_part_key((enum cog_snapshot_part)p),
                                     name ? name : "?");
        }
    }
    return COG_OK;
}

struct fetched {
    struct cog_snapshot_manifest mf;
    struct cog_buf manifest, sig, files[COG_SNAPSHOT_NPARTS];
    char etag[COG_SNAPSHOT_ETAG_MAX];
};

static void fetched_free(struct fetched *f)
{
    cog_snapshot_manifest_free(&f->mf);
    cog_buf_free(&f->manifest);
    cog_buf_free(&f->sig);
    for (int p = 0; p < COG_SNAPSHOT_NPARTS; p++)
        cog_buf_free(&f->files[p]);
}

/* The manifest and, when it is new, everything it names, checked. */
static cog_status fetch_all(const struct cog_config *cfg, const struct cog_snapshot_state *state,
                            bool intact, bool files, struct fetched *f,
                            struct cog_snapshot_report *out, struct cog_error *err)
{
    cog_status st;
    struct cog_snapshot_source src;
    char sig_etag[COG_SNAPSHOT_ETAG_MAX];
    bool unchanged = false;
    long timeout_ms = (long)cfg->timeout * 1000;

    if ((st = cog_snapshot_source_open(&src, cfg, err)) != COG_OK)
        goto out;
    if ((st = cog_snapshot_get(&src, COG_SNAPSHOT_MANIFEST, intact ? state->etag : NULL,
                               COG_SNAPSHOT_MANIFEST_MAX, timeout_ms, &f->manifest, f->etag,
                               &unchanged, err)) != COG_OK)
        goto out;
    if (unchanged) {
        out->unchanged = true;
        goto out;
    }
    if ((st = cog_snapshot_get(&src, COG_SNAPSHOT_SIGNATURE, NULL, SIGNATURE_MAX, timeout_ms,
                               &f->sig, sig_etag, &unchanged, err)) != COG_OK)
        goto out;
    /* Only signed bytes are parsed. */
    if ((st = cog_snapshot_verify(cfg->snapshot_public_key, f->manifest.data, f->manifest.len,
                                  f->sig.data ? f->sig.data : "", f->sig.len, err)) != COG_OK)
        goto out;
    if ((st = cog_snapshot_manifest_parse(f->manifest.data, f->manifest.len, &f->mf, err)) !=
        COG_OK) {
        char why[COG_ERROR_MESSAGE_MAX];
        snprintf(why, sizeof(why), "%s", err->message);
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "%s", why); /* signed, yet malformed */
        goto out;
    }
    if (f->mf.format != COG_SNAPSHOT_FORMAT) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL,
                           "manifest: format %d; this host reads format %d", f->mf.format,
                           COG_SNAPSHOT_FORMAT);
        goto out;
    }
    if (strcmp(f->mf.pool_id, cfg->user_pool_id) != 0) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL,
                           "manifest: pool %.63s is not this host's user_pool_id %.63s",
                           f->mf.pool_id, cfg->user_pool_id);
        goto out;
    }
    out->serial = f->mf.serial;
    if (!files)
        goto out; /* cog_snapshot_peek */
    if (f->mf.serial == state->serial && intact) {
        out->unchanged = true; /* the same snapshot, newly signed or re-uploaded */
        goto out;
    }
    if (f->mf.serial < state->serial) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL,
                           "manifest: serial %lld is older than the installed %lld (a replay?)",
                           (long long)f->mf.serial, (long long)state->serial);
        goto out;
    }
    for (int p = 0; p < COG_SNAPSHOT_NPARTS && st == COG_OK; p++)
        st = fetch_part(&src, cfg, &f->mf.files[p], (enum cog_snapshot_part)p, &f->files[p], err);
    if (st == COG_OK)
        st = check_consistent(f->files, err);
out:
    cog_snapshot_source_close(&src);
    return st;
}

/* ---- installing ---------------------------------------------------------------------- */

/* The checked snapshot into dir under the lock: the files as published
 * when no entry collides here, else the host's own files without them;
 * then the logins, then snapshot.state. before: the serial installed when
 * this run looked (the same serial again is a repair of a damaged cache). */
static cog_status install(const struct cog_config *cfg, const char *dir, struct fetched *f,
                          int64_t before, struct cog_mapping_log *log,
                          struct cog_snapshot_report *out, struct cog_error *err)
{
    cog_status st;
    struct cog_cache_lock lk = {.fd = -1};
    struct cog_cache_map snss, sacc;
    struct snapshot_drops drops = {0};
    struct cog_cache_model full;

    cog_cache_model_init(&full);
    cog_cache_map_buffer(&snss, f->files[COG_SNAPSHOT_NSS].data, f->files[COG_SNAPSHOT_NSS].len,
                         COG_DISK_NSS);
    cog_cache_map_buffer(&sacc, f->files[COG_SNAPSHOT_ACCOUNTS].data,
                         f->files[COG_SNAPSHOT_ACCOUNTS].len, COG_DISK_ACCOUNTS);
    if ((st = cog_cache_lock(dir, 0, &lk, err)) != COG_OK)
        goto out;
    cog_store_note_reclaim(log, &lk);
    /* Another run may have installed this serial or a newer one while this
     * one fetched: never go back. */
    struct cog_snapshot_state now;
    if ((st = cog_snapshot_state_read(dir, &now, err)) != COG_OK)
        goto out;
    if (now.serial > f->mf.serial || (now.serial == f->mf.serial && now.serial != before)) {
        out->unchanged = true;
        out->serial = now.serial;
        goto out;
    }
    if ((st = snapshot_find_drops(cfg, &snss, log, &drops, err)) != COG_OK)
        goto out;
    out->dropped = drops.n;
    if (drops.n == 0) {
        /* accounts, keys, then NSS: as every writer orders them */
        static const int order[] = {COG_SNAPSHOT_ACCOUNTS, COG_SNAPSHOT_KEYS, COG_SNAPSHOT_NSS};
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && st == COG_OK; i++) {
            int q = order[i];
            st = cog_cache_replace(
                &lk, dir, install_names[q], f->files[q].data, f->files[q].len,
                q == COG_SNAPSHOT_ACCOUNTS ? COG_CACHE_PRIVATE_MODE : COG_CACHE_PUBLIC_MODE, err);
        }
        out->users = snss.nrec[0];
        out->groups = snss.nrec[1];
    } else {
        out->rebuilt = true;
        if ((st = snapshot_model_without(&snss, &sacc, &drops, &full, err)) != COG_OK ||
            (st = cog_store_write_model(&lk, dir, &full, err)) != COG_OK)
            goto out;
        out->users = full.nusers;
        out->groups = full.ngroups;
    }
    if (st != COG_OK)
        goto out;
    /* The logins the snapshot now holds leave the logins files (cache_retire.h). */
    struct cog_retire_stats rs = {0};
    if ((st = cog_cache_delta_retire_locked(&lk, dir, &rs, err)) != COG_OK)
        goto out;
    out->retired_logins = rs.retired + rs.dropped;
    out->kept_logins = rs.kept;
    struct cog_snapshot_state ns = {.serial = f->mf.serial, .installed = time(NULL)};
    snprintf(ns.etag, sizeof(ns.etag), "%s", f->etag);
    if ((st = cog_cache_lock_check(&lk, err)) == COG_OK)
        st = state_write(dir, &ns, err);
out:
    cog_cache_unlock(&lk);
    snapshot_drops_free(&drops);
    cog_cache_model_free(&full);
    return st;
}

/* The installed serial's new ETag, under the lock (an install may be under way). */
static cog_status remember_etag(const char *dir, int64_t serial, const char *etag,
                                struct cog_error *err)
{
    cog_status st;
    struct cog_cache_lock lk = {.fd = -1};
    struct cog_snapshot_state now;
    if ((st = cog_cache_lock(dir, 0, &lk, err)) != COG_OK)
        return st;
    if ((st = cog_snapshot_state_read(dir, &now, err)) == COG_OK && now.serial == serial) {
        snprintf(now.etag, sizeof(now.etag), "%s", etag);
        st = state_write(dir, &now, err);
    }
    cog_cache_unlock(&lk);
    return st;
}

/* Whether the installed full files are there and sound: a cache someone
 * removed or damaged is installed again from the same serial. */
static bool cache_intact(const char *dir)
{
    static const struct {
        const char *name;
        enum cog_disk_kind kind;
    } files[] = {{COG_CACHE_NSS_FILE, COG_DISK_NSS},
                 {COG_CACHE_ACCOUNTS_FILE, COG_DISK_ACCOUNTS},
                 {COG_CACHE_KEYS_FILE, COG_DISK_ACCOUNTS}};
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof(files) / sizeof(files[0]); i++) {
        struct cog_cache_map m;
        char *path = cog_cache_path(dir, files[i].name);
        ok = path != NULL && cog_cache_map_open(&m, path, files[i].kind) == COG_CACHE_OK;
        if (ok)
            cog_cache_map_close(&m);
        free(path);
    }
    return ok;
}

cog_status cog_snapshot_sync(const struct cog_config *cfg, struct cog_mapping_log *log,
                             struct cog_snapshot_report *out, struct cog_error *err)
{
    cog_status st;
    struct cog_snapshot_state state;
    struct fetched f;
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
    long long t0 = cog_now_ms();

    memset(out, 0, sizeof(*out));
    memset(&f, 0, sizeof(f));
    if ((st = cog_snapshot_state_read(dir, &state, err)) != COG_OK)
        goto out;
    out->previous = state.serial;
    out->serial = state.serial;
    if (cfg->snapshot_public_key == NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "snapshot_url is set but snapshot_public_key is not");
        goto out;
    }
    if ((st = fetch_all(cfg, &state, cache_intact(dir), true, &f, out, err)) != COG_OK)
        goto out;
    if (out->unchanged) {
        /* Remember the new ETag of an unchanged serial: the next poll is a 304. */
        if (state.serial >= 0 && f.etag[0] != '\0' && strcmp(f.etag, state.etag) != 0)
            st = remember_etag(dir, state.serial, f.etag, err);
        else if (cache_intact(dir)) /* best effort: the next run tries again */
            (void)cog_cache_tidy(dir, 1000, NULL);
        goto out;
    }
    st = install(cfg, dir, &f, state.serial, log, out, err);
out:
    fetched_free(&f);
    out->elapsed_ms = cog_now_ms() - t0;
    return st;
}

cog_status cog_snapshot_peek(const struct cog_config *cfg, struct cog_snapshot_manifest *m,
                             struct cog_error *err)
{
    cog_status st;
    struct cog_snapshot_state none = {.serial = -1};
    struct cog_snapshot_report r;
    struct fetched f;

    memset(&f, 0, sizeof(f));
    memset(&r, 0, sizeof(r));
    if (cfg->snapshot_public_key == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "snapshot_url is set but snapshot_public_key is not");
    st = fetch_all(cfg, &none, false, false, &f, &r, err);
    if (st == COG_OK) { /* the caller gets the manifest's fields, not its retired list */
        *m = f.mf;
        m->retired = NULL;
        m->nretired = 0;
    }
    fetched_free(&f);
    return st;
}
