/* A fleet snapshot's manifest parser on arbitrary bytes (the host parses
 * only a manifest whose signature verified, but the exporter's own bugs
 * and a stolen key are inputs too).
 *
 * Properties: no crash, no UB; an accepted manifest names every file with
 * a plain file name (never a path, never hidden), a 64-digit lowercase
 * sha256, and has a non-empty pool id and counts >= 0. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/snapshot/snapshot_manifest.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cog_snapshot_manifest m;
    struct cog_error err = {0};
    char *buf = fuzz_bytes(data, size);

    cog_status st = cog_snapshot_manifest_parse(buf, size, &m, &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_INVALID_INPUT || st == COG_ERR_NOMEM);
    if (st != COG_OK) {
        FUZZ_CHECK(err.message[0] != '\0');
        free(buf);
        return 0;
    }
    FUZZ_CHECK(m.pool_id[0] != '\0' && m.serial >= 0 && m.created >= 0);
    for (int p = 0; p < COG_SNAPSHOT_NPARTS; p++) {
        const struct cog_snapshot_file *f = &m.files[p];
        FUZZ_CHECK(f->name[0] != '\0' && f->name[0] != '.');
        FUZZ_CHECK(strchr(f->name, '/') == NULL && strchr(f->name, '\\') == NULL);
        FUZZ_CHECK(strlen(f->sha256) == 64 && strspn(f->sha256, "0123456789abcdef") == 64);
    }
    for (size_t i = 0; i < m.nretired; i++)
        FUZZ_CHECK(m.retired[i] > 0);
    cog_snapshot_manifest_free(&m);
    free(buf);
    return 0;
}
