/* The exporter's snapshot files (export_files.h). */
#include "build-config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/util.h"
#include "libcognito/wire/s3.h"
#include "tools/export_files.h"

void export_prior_free(struct export_prior *p)
{
    for (int i = 0; i < COG_SNAPSHOT_NPARTS; i++)
        free(p->data[i]);
    cog_snapshot_manifest_free(&p->m);
    memset(p, 0, sizeof(*p));
}

/* The retired uids' file the manifest names, read, matched and decoded. */
static cog_status load_retired(const char *dir, struct export_prior *p, struct cog_error *err)
{
    char *path = cog_cache_path(dir, p->m.retired_file.name), *data = NULL;
    size_t len = 0;
    unsigned mode = 0;
    uint32_t *uids = NULL;
    size_t n = 0;
    cog_status st;

    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    st = cog_read_trusted_file(path, EXPORT_FILE_MAX, &data, &len, &mode, err);
    if (st == COG_ERR_INVALID_INPUT)
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s: missing", path);
    else if (st == COG_OK && !cog_snapshot_file_matches(&p->m.retired_file, data, len))
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "%s: does not match the previous manifest's sha256", path);
    if (st == COG_OK && (st = cog_snapshot_retired_decode(data, len, &uids, &n, err)) == COG_OK) {
        free(p->m.retired);
        p->m.retired = uids;
        p->m.nretired = n;
    }
    free(data);
    free(path);
    return st;
}

cog_status export_prior_load(const char *dir, struct export_prior *p, struct cog_error *err)
{
    char *text = NULL, *path = cog_cache_path(dir, COG_SNAPSHOT_MANIFEST);
    size_t len = 0;
    unsigned mode = 0;
    cog_status st;

    memset(p, 0, sizeof(*p));
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    st = cog_read_trusted_file(path, COG_SNAPSHOT_MANIFEST_MAX, &text, &len, &mode, err);
    if (st == COG_ERR_INVALID_INPUT) { /* no previous snapshot */
        st = COG_OK;
        goto out;
    }
    if (st != COG_OK || (st = cog_snapshot_manifest_parse(text, len, &p->m, err)) != COG_OK)
        goto out;
    for (int i = 0; i < COG_SNAPSHOT_NPARTS && st == COG_OK; i++) {
        free(path);
        if ((path = cog_cache_path(dir, p->m.files[i].name)) == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        st = cog_read_trusted_file(path, EXPORT_FILE_MAX, &p->data[i], &p->len[i], &mode, err);
        if (st == COG_OK && !cog_snapshot_file_matches(&p->m.files[i], p->data[i], p->len[i]))
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                               "%s: does not match the previous manifest's sha256", path);
        else if (st == COG_ERR_INVALID_INPUT)
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s: missing", path);
    }
    if (st == COG_OK && p->m.has_retired_file)
        st = load_retired(dir, p, err);
    p->present = st == COG_OK;
out:
    free(text);
    free(path);
    if (st != COG_OK)
        export_prior_free(p);
    return st;
}

static cog_status put_file(const char *dir, const char *name, const void *data, size_t len,
                           struct cog_error *err)
{
    char *path = cog_cache_path(dir, name);
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    cog_status st = cog_write_file_atomic(path, data, len, COG_CACHE_PUBLIC_MODE, err);
    free(path);
    return st;
}

cog_status export_publish_dir(const char *dir, const struct export_output *o, struct cog_error *err)
{
    cog_status st = COG_OK;
    if (cog_mkdir_mode(dir, 0755) != 0 && errno != EEXIST)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", dir,
                             strerror(errno));
    for (int i = 0; i < COG_SNAPSHOT_NPARTS && st == COG_OK; i++)
        st = put_file(dir, o->m->files[i].name, o->d->data[i], o->d->len[i], err);
    if (st == COG_OK && o->m->has_retired_file)
        st = put_file(dir, o->m->retired_file.name, o->retired, o->retired_len, err);
    if (st == COG_OK)
        st = put_file(dir, COG_SNAPSHOT_SIGNATURE, o->sig, o->siglen, err);
    if (st == COG_OK)
        st = put_file(dir, COG_SNAPSHOT_MANIFEST, o->mtext, o->mlen, err);
    if (st == COG_OK)
        st = cog_cache_sync_dir(dir, err);
    return st;
}

/* The same order on S3. */
cog_status export_publish_s3(const struct cog_config *cfg, const struct export_output *o,
                             struct cog_error *err)
{
    struct cog_aws_credentials creds;
    const char *names[COG_SNAPSHOT_NPARTS + 3];
    const void *bodies[COG_SNAPSHOT_NPARTS + 3];
    size_t lens[COG_SNAPSHOT_NPARTS + 3], n = 0;
    const char *base = cfg->snapshot_url;
    size_t blen = strlen(base);
    cog_status st = cog_s3_credentials(cfg, &creds, err);

    if (st != COG_OK)
        return st;
    for (int i = 0; i < COG_SNAPSHOT_NPARTS; i++, n++) {
        names[n] = o->m->files[i].name;
        bodies[n] = o->d->data[i];
        lens[n] = o->d->len[i];
    }
    if (o->m->has_retired_file) {
        names[n] = o->m->retired_file.name;
        bodies[n] = o->retired;
        lens[n++] = o->retired_len;
    }
    names[n] = COG_SNAPSHOT_SIGNATURE;
    bodies[n] = o->sig;
    lens[n++] = o->siglen;
    names[n] = COG_SNAPSHOT_MANIFEST;
    bodies[n] = o->mtext;
    lens[n++] = o->mlen;
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    for (size_t i = 0; i < n && st == COG_OK; i++) {
        char *url = NULL;
        if (asprintf(&url, "%.*s%s%s", (int)blen, base, "/", names[i]) < 0) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        st = cog_s3_put(cfg, &creds, url, bodies[i], lens[i], err);
        free(url);
    }
    cog_aws_credentials_clear(&creds);
    return st;
}

/* Data files of serials older than the previous one: a host still fetching
 * the previous snapshot finds it, nothing older stays. */
void export_prune_dir(const char *dir, int64_t keep1, int64_t keep2)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char kind[16];
        long long serial = 0;
        int used = 0;
        if (sscanf(e->d_name, "%15[a-z]-%lld%n", kind, &serial, &used) != 2 || serial == keep1 ||
            serial == keep2)
            continue;
        const char *ext = e->d_name + used;
        bool part =
            strcmp(kind, "nss") == 0 || strcmp(kind, "accounts") == 0 || strcmp(kind, "keys") == 0;
        if (!(part && strcmp(ext, ".cache") == 0) &&
            !(strcmp(kind, "retired") == 0 && strcmp(ext, ".bin") == 0))
            continue;
        char *path = cog_cache_path(dir, e->d_name);
        if (path != NULL)
            unlink(path);
        free(path);
    }
    if (d != NULL)
        closedir(d);
}
