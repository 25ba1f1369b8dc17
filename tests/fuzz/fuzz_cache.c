/* The user cache's reader (what libnss_cognito.so.2 runs in every process)
 * on arbitrary bytes. Input: a mode byte, then one image, or (mode bit 2) a
 * 4-byte little-endian length, the full file and a logins file after it.
 * Mode bit 1: accounts files instead of NSS files.
 *
 * Properties: no crash, no UB, nothing allocated; whatever a lookup returns
 * has the name or id asked for, and never uid or gid 0; a walk ends. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/cache/cache.h"
#include "tests/fuzz/fuzz.h"

#define WALK_MAX 4096

/* The reader needs 8-byte alignment, as a mapping has. */
static void *aligned_copy(const uint8_t *data, size_t size)
{
    void *p = malloc(size ? size : 1);
    FUZZ_CHECK(p != NULL);
    if (size > 0)
        memcpy(p, data, size);
    return p;
}

static bool count_member(void *ctx, const char *name)
{
    size_t *n = ctx;
    FUZZ_CHECK(name != NULL && name[0] != '\0');
    return ++*n < WALK_MAX;
}

static void check_user(const struct cog_cache_view *v, const struct cog_view_user *u)
{
    const char *name = cog_cache_str(u->map, u->rec->name);
    struct cog_view_user again;
    FUZZ_CHECK(name != NULL && name[0] != '\0');
    FUZZ_CHECK(u->rec->uid != 0 && u->rec->gid != 0);
    FUZZ_CHECK(cog_cache_str(u->map, u->rec->gecos) != NULL);
    FUZZ_CHECK(cog_cache_str(u->map, u->rec->home) != NULL);
    FUZZ_CHECK(cog_cache_str(u->map, u->rec->shell) != NULL);
    if (cog_view_user_by_name(v, name, &again) == COG_CACHE_OK)
        FUZZ_CHECK(strcmp(cog_cache_str(again.map, again.rec->name), name) == 0);
    if (cog_view_user_by_uid(v, u->rec->uid, &again) == COG_CACHE_OK)
        FUZZ_CHECK(again.rec->uid == u->rec->uid);
    const uint32_t *gids;
    uint32_t n;
    if (cog_cache_list(u->map, u->rec->gids, &gids, &n) && n > 0)
        FUZZ_CHECK(gids + n <= u->map->words + u->map->nwords);
}

static void check_group(const struct cog_cache_view *v, const struct cog_view_group *g)
{
    const char *name = cog_view_group_name(g);
    struct cog_view_group again;
    size_t members = 0;
    FUZZ_CHECK(name != NULL && name[0] != '\0');
    FUZZ_CHECK(cog_view_group_gid(g) != 0);
    if (cog_view_group_by_name(v, name, &again) == COG_CACHE_OK)
        FUZZ_CHECK(strcmp(cog_view_group_name(&again), name) == 0);
    if (cog_view_group_by_gid(v, cog_view_group_gid(g), &again) == COG_CACHE_OK)
        FUZZ_CHECK(cog_view_group_gid(&again) == cog_view_group_gid(g));
    cog_view_group_members(v, g, count_member, &members);
}

static void nss(const struct cog_cache_view *v)
{
    struct cog_view_cursor c = {0};
    struct cog_view_user u;
    struct cog_view_group g;
    int n = 0;
    while (n++ < WALK_MAX && cog_view_next_user(v, &c, &u) == COG_CACHE_OK)
        check_user(v, &u);
    memset(&c, 0, sizeof(c));
    n = 0;
    while (n++ < WALK_MAX && cog_view_next_group(v, &c, &g) == COG_CACHE_OK)
        check_group(v, &g);
    /* Lookups of what is not there end too. */
    cog_view_user_by_name(v, "nobody-by-this-name", &u);
    cog_view_user_by_uid(v, 4242424, &u);
    cog_view_group_by_gid(v, 1, &g);
}

static void accounts(const struct cog_cache_view *v)
{
    const struct cog_cache_map *maps[2] = {v->delta, v->main};
    for (int m = 0; m < 2; m++) {
        for (uint32_t i = 0; maps[m] != NULL && i < maps[m]->nrec[0] && i < WALK_MAX; i++) {
            const struct cog_disk_account *a = cog_cache_account_at(maps[m], i);
            const struct cog_cache_map *at;
            const struct cog_disk_account *b;
            if (a == NULL)
                continue;
            const char *name = cog_cache_str(maps[m], a->name);
            const char *sub = cog_cache_str(maps[m], a->sub);
            FUZZ_CHECK(name != NULL && sub != NULL && name[0] != '\0');
            if (cog_view_account_by_name(v, name, &at, &b) == COG_CACHE_OK)
                FUZZ_CHECK(strcmp(cog_cache_str(at, b->name), name) == 0);
            if (sub[0] != '\0' && cog_view_account_by_sub(v, sub, &at, &b) == COG_CACHE_OK)
                FUZZ_CHECK(strcmp(cog_cache_str(at, b->sub), sub) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cog_cache_map main_map, delta_map;
    struct cog_cache_view v = {0};
    void *a = NULL, *b = NULL;

    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    enum cog_disk_kind kind = mode & 1 ? COG_DISK_ACCOUNTS : COG_DISK_NSS;
    data++;
    size--;
    size_t first = size;
    if (mode & 2) {
        if (size < 4)
            return 0;
        first =
            (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
        data += 4;
        size -= 4;
        if (first > size)
            first = size;
    }
    a = aligned_copy(data, first);
    if (cog_cache_map_buffer(&main_map, a, first, kind) == COG_CACHE_OK) {
        v.main = &main_map;
        cog_cache_map_verify(&main_map);
    }
    if (mode & 2) {
        b = aligned_copy(data + first, size - first);
        if (cog_cache_map_buffer(&delta_map, b, size - first, kind) == COG_CACHE_OK)
            v.delta = &delta_map;
    }
    if (v.main != NULL || v.delta != NULL) {
        if (kind == COG_DISK_NSS)
            nss(&v);
        else
            accounts(&v);
    }
    free(a);
    free(b);
    return 0;
}
