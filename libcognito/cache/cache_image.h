/* The byte pools of one cache file's image while cache_write.c builds it:
 * the string pool and the word lists, each value that repeats stored once.
 * Internal to the writer; the layout they fill is cache_format.h's. */
#ifndef COG_CACHE_IMAGE_H
#define COG_CACHE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcognito/core/buf.h"

struct cog_intern {
    uint32_t *offs; /* offset + 1 (in strings, or in words), 0 empty */
    size_t slots, n;
};

struct cog_image {
    struct cog_buf strings;
    struct cog_buf words; /* uint32_t */
    struct cog_intern interned, lists;
    bool failed;
};

/* Offset 0 is "" and word 0 the empty list, so a zero field is always valid. */
void cog_image_init(struct cog_image *im);
void cog_image_free(struct cog_image *im);
/* Offsets of what is added (0 for NULL or empty; on failure im->failed). */
uint32_t cog_image_string(struct cog_image *im, const char *s);
uint32_t cog_image_intern(struct cog_image *im, const char *s);
uint32_t cog_image_words(struct cog_image *im, const uint32_t *w, size_t n);
uint32_t cog_image_intern_words(struct cog_image *im, const uint32_t *w, size_t n);
/* Strings as a word list of their offsets; interned: strings and list. */
uint32_t cog_image_string_list(struct cog_image *im, const char *const *s, size_t n, bool interned);

#endif
