/* A bump allocator for data that dies all at once (a pool listing, a cache
 * model): one free instead of millions, and no per-string malloc overhead
 * when a sync holds a whole pool. Pointers stay valid until the arena is freed. */
#ifndef COGNITO_ARENA_H
#define COGNITO_ARENA_H

#include <stddef.h>

struct cog_arena;

struct cog_arena *cog_arena_new(void);
void cog_arena_free(struct cog_arena *a);
/* n zeroed bytes aligned for any type; NULL when out of memory. */
void *cog_arena_alloc(struct cog_arena *a, size_t n);
/* A copy of s (NULL stays NULL); NULL when out of memory. */
char *cog_arena_strdup(struct cog_arena *a, const char *s);
char *cog_arena_strndup(struct cog_arena *a, const char *s, size_t n);

#endif
