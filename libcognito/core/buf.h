/* A growable byte buffer with a sticky failure flag: builders append freely
 * and check once at the end, instead of testing every append. */
#ifndef COGNITO_BUF_H
#define COGNITO_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct cog_buf {
    char *data; /* always NUL-terminated when not failed and data != NULL */
    size_t len;
    size_t cap;
    bool failed;      /* an allocation failed or a size overflowed; contents are undefined */
    bool public_data; /* set by the owner: grow with realloc, skip wiping (large caches) */
};

/* Makes room for extra more bytes (plus the NUL); false once failed. */
bool cog_buf_reserve(struct cog_buf *b, size_t extra);
void cog_buf_add(struct cog_buf *b, const void *p, size_t n);
void cog_buf_adds(struct cog_buf *b, const char *s);
void cog_buf_addc(struct cog_buf *b, char c);
void cog_buf_printf(struct cog_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends n zero bytes and returns their offset (for structures patched later). */
size_t cog_buf_add_zero(struct cog_buf *b, size_t n);
/* Pads with zero bytes up to a multiple of align (a power of two). */
void cog_buf_align(struct cog_buf *b, size_t align);
/* Hands the contents over (caller frees); the buffer is empty after. NULL when failed. */
char *cog_buf_take(struct cog_buf *b, size_t *len);
/* Wipes and frees (buffers may hold secrets). */
void cog_buf_free(struct cog_buf *b);

#endif
