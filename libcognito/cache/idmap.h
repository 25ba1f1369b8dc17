/* Two small open-addressing hash maps for the writers: 32-bit ids and
 * strings (not copied: they must outlive the map) to size_t values. */
#ifndef COGNITO_IDMAP_H
#define COGNITO_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cog_u32map {
    void *keys; /* key + 1 each; 0 marks an empty slot */
    size_t *vals;
    size_t slots, n;
};

struct cog_strmap {
    void *keys; /* const char * each; NULL marks an empty slot */
    size_t *vals;
    size_t slots, n;
};

/* put replaces an existing key's value; false only when out of memory. */
bool cog_u32map_put(struct cog_u32map *m, uint32_t key, size_t val);
bool cog_u32map_get(const struct cog_u32map *m, uint32_t key, size_t *val);
void cog_u32map_free(struct cog_u32map *m);

bool cog_strmap_put(struct cog_strmap *m, const char *key, size_t val);
bool cog_strmap_get(const struct cog_strmap *m, const char *key, size_t *val);
void cog_strmap_free(struct cog_strmap *m);

#endif
