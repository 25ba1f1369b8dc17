/* The string pool and the word lists of an image being built
 * (cache_image.h). */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/cache/cache_format.h"
#include "libcognito/cache/cache_image.h"

uint32_t cog_image_string(struct cog_image *im, const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    size_t off = im->strings.len;
    cog_buf_add(&im->strings, s, strlen(s) + 1);
    if (off > UINT32_MAX - 1 || im->strings.len > UINT32_MAX)
        im->failed = true;
    return (uint32_t)off;
}

uint32_t cog_image_words(struct cog_image *im, const uint32_t *w, size_t n)
{
    if (n == 0)
        return 0;
    size_t off = im->words.len / 4;
    uint32_t count = (uint32_t)n;
    if (n > UINT32_MAX || off > UINT32_MAX - n - 1) {
        im->failed = true;
        return 0;
    }
    cog_buf_add(&im->words, &count, 4);
    cog_buf_add(&im->words, w, n * 4);
    return (uint32_t)off;
}

/* Strings that repeat (shells, statuses, group names) are stored once, and
 * so are word lists that repeat (the same supplementary gids, the same
 * Cognito groups for many users: a lookup then often finds its list in
 * cache already, and the file is smaller). Each table grows at half load:
 * a pool's group names are unbounded, and a full open-addressing table
 * would probe forever. */

/* One kind of interned entry (n: a list's length, a string's strlen): its
 * hash, from the candidate or from what is stored at off; whether the
 * entry at off is the candidate; how a new one is added. */
struct intern_kind {
    uint32_t (*hash)(const void *want, size_t n);
    uint32_t (*hash_at)(const struct cog_image *im, uint32_t off);
    bool (*same)(const struct cog_image *im, uint32_t off, const void *want, size_t n);
    uint32_t (*add)(struct cog_image *im, const void *want, size_t n);
};

static uint32_t string_hash(const void *want, size_t n)
{
    (void)n;
    return cog_disk_name_key(want);
}

static uint32_t string_hash_at(const struct cog_image *im, uint32_t off)
{
    return cog_disk_name_key(im->strings.data + off);
}

static bool string_same(const struct cog_image *im, uint32_t off, const void *want, size_t n)
{
    (void)n;
    return strcmp(im->strings.data + off, want) == 0;
}

static const uint32_t *words_at(const struct cog_image *im, uint32_t off)
{
    return (const uint32_t *)(const void *)im->words.data + off;
}

static uint32_t list_hash(const void *want, size_t n)
{
    const uint32_t *w = want;
    uint32_t h = 0x811c9dc5u ^ (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        h = (h ^ w[i]) * 0x01000193u;
    return h;
}

static uint32_t list_hash_at(const struct cog_image *im, uint32_t off)
{
    return list_hash(words_at(im, off) + 1, words_at(im, off)[0]);
}

static bool list_same(const struct cog_image *im, uint32_t off, const void *want, size_t n)
{
    const uint32_t *at = words_at(im, off);
    return at[0] == n && memcmp(at + 1, want, n * 4) == 0;
}

static uint32_t string_add(struct cog_image *im, const void *want, size_t n)
{
    (void)n;
    return cog_image_string(im, want);
}

static uint32_t list_add(struct cog_image *im, const void *want, size_t n)
{
    return cog_image_words(im, want, n);
}

static const struct intern_kind strings_kind = {string_hash, string_hash_at, string_same,
                                                string_add};
static const struct intern_kind lists_kind = {list_hash, list_hash_at, list_same, list_add};

/* Where the candidate is in t, or the empty slot it would take. */
static size_t intern_slot(const struct cog_image *im, const struct cog_intern *t,
                          const struct intern_kind *k, const void *want, size_t n)
{
    size_t mask = t->slots - 1, at = cog_disk_mix(k->hash(want, n)) & mask;
    while (t->offs[at] != 0 && !k->same(im, t->offs[at] - 1, want, n))
        at = (at + 1) & mask;
    return at;
}

static bool intern_grow(const struct cog_image *im, struct cog_intern *t,
                        const struct intern_kind *k)
{
    size_t slots = t->slots ? t->slots * 2 : 1024, mask = slots - 1;
    uint32_t *offs = slots <= SIZE_MAX / sizeof(*offs) ? calloc(slots, sizeof(*offs)) : NULL;
    if (offs == NULL)
        return false;
    for (size_t i = 0; i < t->slots; i++) {
        if (t->offs[i] != 0) {
            size_t at = cog_disk_mix(k->hash_at(im, t->offs[i] - 1)) & mask;
            while (offs[at] != 0)
                at = (at + 1) & mask;
            offs[at] = t->offs[i];
        }
    }
    free(t->offs);
    t->offs = offs;
    t->slots = slots;
    return true;
}

/* The offset of the candidate, added only the first time; 0 (the empty
 * one) for an empty candidate. */
static uint32_t intern(struct cog_image *im, struct cog_intern *t, const struct intern_kind *k,
                       const void *want, size_t n)
{
    if (n == 0)
        return 0;
    if ((t->n + 1) * 2 > t->slots && !intern_grow(im, t, k)) {
        im->failed = true;
        return 0;
    }
    size_t at = intern_slot(im, t, k, want, n);
    if (t->offs[at] != 0)
        return t->offs[at] - 1;
    uint32_t off = k->add(im, want, n);
    if (!im->strings.failed && !im->words.failed && !im->failed) {
        t->offs[at] = off + 1;
        t->n++;
    }
    return off;
}

uint32_t cog_image_intern(struct cog_image *im, const char *s)
{
    return s == NULL ? 0 : intern(im, &im->interned, &strings_kind, s, strlen(s));
}

uint32_t cog_image_intern_words(struct cog_image *im, const uint32_t *w, size_t n)
{
    return intern(im, &im->lists, &lists_kind, w, n);
}

/* A list of strings as a word list of string offsets. */
uint32_t cog_image_string_list(struct cog_image *im, const char *const *s, size_t n, bool interned)
{
    uint32_t small[64];
    uint32_t *offs = n <= 64 ? small : malloc(n * sizeof(*offs));
    if (offs == NULL) {
        im->failed = true;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        offs[i] = interned ? cog_image_intern(im, s[i]) : cog_image_string(im, s[i]);
    /* A user's groups often repeat another's; their keys do not. */
    uint32_t at = interned ? cog_image_intern_words(im, offs, n) : cog_image_words(im, offs, n);
    if (offs != small)
        free(offs);
    return at;
}

void cog_image_init(struct cog_image *im)
{
    uint32_t zero = 0;
    memset(im, 0, sizeof(*im));
    im->strings.public_data = true;
    im->words.public_data = true;
    cog_buf_addc(&im->strings, '\0');
    cog_buf_add(&im->words, &zero, 4);
}

void cog_image_free(struct cog_image *im)
{
    free(im->interned.offs);
    free(im->lists.offs);
    cog_buf_free(&im->strings);
    cog_buf_free(&im->words);
    memset(im, 0, sizeof(*im));
}
