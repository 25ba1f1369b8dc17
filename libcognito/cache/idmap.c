#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/cache/cache_format.h"
#include "libcognito/cache/idmap.h"

/* Both maps are one linear-probing table; only how a key is hashed, compared
 * and marked empty differs. u32 keys are stored plus one (0: empty), string
 * keys as pointers (NULL: empty). */
struct kind {
    size_t key_size;
    uint32_t (*hash)(const void *key);
    bool (*empty)(const void *slot);
    bool (*equal)(const void *slot, const void *key);
};

struct table {
    void *keys;
    size_t *vals;
    size_t slots, n;
};

static void *slot_at(const struct kind *k, void *keys, size_t i)
{
    return (char *)keys + i * k->key_size;
}

/* key points at a key as a slot holds it. */
static size_t find(const struct kind *k, const struct table *t, const void *key)
{
    size_t mask = t->slots - 1;
    size_t at = k->hash(key) & mask;
    while (!k->empty(slot_at(k, t->keys, at)) && !k->equal(slot_at(k, t->keys, at), key))
        at = (at + 1) & mask;
    return at;
}

static bool rehash(const struct kind *k, struct table *t)
{
    size_t slots = t->slots ? t->slots * 2 : 64;
    struct table nt = {calloc(slots, k->key_size), calloc(slots, sizeof(size_t)), slots, t->n};
    if (nt.keys == NULL || nt.vals == NULL) {
        free(nt.keys);
        free(nt.vals);
        return false;
    }
    for (size_t i = 0; i < t->slots; i++) {
        void *s = slot_at(k, t->keys, i);
        if (k->empty(s))
            continue;
        size_t at = k->hash(s) & (slots - 1);
        while (!k->empty(slot_at(k, nt.keys, at)))
            at = (at + 1) & (slots - 1);
        memcpy(slot_at(k, nt.keys, at), s, k->key_size);
        nt.vals[at] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    *t = nt;
    return true;
}

static bool put(const struct kind *k, struct table *t, const void *key, size_t val)
{
    if ((t->n + 1) * 2 > t->slots && !rehash(k, t))
        return false;
    size_t at = find(k, t, key);
    void *s = slot_at(k, t->keys, at);
    if (k->empty(s)) {
        memcpy(s, key, k->key_size);
        t->n++;
    }
    t->vals[at] = val;
    return true;
}

static bool get(const struct kind *k, const struct table *t, const void *key, size_t *val)
{
    if (t->slots == 0)
        return false;
    size_t at = find(k, t, key);
    if (k->empty(slot_at(k, t->keys, at)))
        return false;
    if (val != NULL)
        *val = t->vals[at];
    return true;
}

static uint32_t u32_hash(const void *slot)
{
    return cog_disk_mix(*(const uint32_t *)slot);
}

static bool u32_empty(const void *slot)
{
    return *(const uint32_t *)slot == 0;
}

static bool u32_equal(const void *slot, const void *key)
{
    return *(const uint32_t *)slot == *(const uint32_t *)key;
}

static uint32_t str_hash(const void *slot)
{
    return cog_disk_mix(cog_disk_name_key(*(const char *const *)slot));
}

static bool str_empty(const void *slot)
{
    return *(const char *const *)slot == NULL;
}

static bool str_equal(const void *slot, const void *key)
{
    return strcmp(*(const char *const *)slot, *(const char *const *)key) == 0;
}

static const struct kind u32_kind = {sizeof(uint32_t), u32_hash, u32_empty, u32_equal};
static const struct kind str_kind = {sizeof(const char *), str_hash, str_empty, str_equal};

/* The public structs have the table's layout. */
_Static_assert(sizeof(struct cog_u32map) == sizeof(struct table), "layout");
_Static_assert(sizeof(struct cog_strmap) == sizeof(struct table), "layout");

bool cog_u32map_put(struct cog_u32map *m, uint32_t key, size_t val)
{
    uint32_t stored = key + 1; /* keys stay below UINT32_MAX: ids are at most 2^31 */
    return put(&u32_kind, (struct table *)(void *)m, &stored, val);
}

bool cog_u32map_get(const struct cog_u32map *m, uint32_t key, size_t *val)
{
    uint32_t stored = key + 1;
    return get(&u32_kind, (const struct table *)(const void *)m, &stored, val);
}

void cog_u32map_free(struct cog_u32map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

bool cog_strmap_put(struct cog_strmap *m, const char *key, size_t val)
{
    return put(&str_kind, (struct table *)(void *)m, &key, val);
}

bool cog_strmap_get(const struct cog_strmap *m, const char *key, size_t *val)
{
    return get(&str_kind, (const struct table *)(const void *)m, &key, val);
}

void cog_strmap_free(struct cog_strmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}
