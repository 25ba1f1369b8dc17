#include "build-config.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/arena.h"

#define BLOCK_SIZE (1u << 20)

struct block {
    struct block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct cog_arena {
    struct block *head;
};

struct cog_arena *cog_arena_new(void)
{
    return calloc(1, sizeof(struct cog_arena));
}

void cog_arena_free(struct cog_arena *a)
{
    if (a == NULL)
        return;
    for (struct block *b = a->head, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

static void *alloc_aligned(struct cog_arena *a, size_t n, size_t align)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    struct block *b = a->head;
    if (b != NULL)
        b->used = (b->used + align - 1) & ~(align - 1);
    if (b == NULL || b->used > b->size || b->size - b->used < n) {
        /* A large request gets a block of its own, behind the current one,
         * so the current block's free space is not wasted. */
        size_t size = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
        struct block *nb = malloc(sizeof(*nb) + size);
        if (nb == NULL)
            return NULL;
        nb->used = 0;
        nb->size = size;
        if (b != NULL && size != BLOCK_SIZE) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void *cog_arena_alloc(struct cog_arena *a, size_t n)
{
    return alloc_aligned(a, n, alignof(max_align_t));
}

char *cog_arena_strndup(struct cog_arena *a, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *p = alloc_aligned(a, n + 1, 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *cog_arena_strdup(struct cog_arena *a, const char *s)
{
    return s == NULL ? NULL : cog_arena_strndup(a, s, strlen(s));
}
