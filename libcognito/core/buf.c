#include "build-config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/buf.h"
#include "libcognito/core/util.h"

bool cog_buf_reserve(struct cog_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX / 2 - b->len - 1) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (b->public_data) {
        char *grown = realloc(b->data, cap);
        if (grown == NULL) {
            b->failed = true;
            return false;
        }
        grown[b->len] = '\0';
        b->data = grown;
        b->cap = cap;
        return true;
    }
    /* Not realloc: the old block may hold a secret that must be wiped, not abandoned. */
    char *nd = malloc(cap);
    if (nd == NULL) {
        b->failed = true;
        return false;
    }
    if (b->data != NULL) {
        memcpy(nd, b->data, b->len);
        cog_wipe(b->data, b->cap);
        free(b->data);
    }
    nd[b->len] = '\0';
    b->data = nd;
    b->cap = cap;
    return true;
}

void cog_buf_add(struct cog_buf *b, const void *p, size_t n)
{
    if (!cog_buf_reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cog_buf_adds(struct cog_buf *b, const char *s)
{
    cog_buf_add(b, s, strlen(s));
}

void cog_buf_addc(struct cog_buf *b, char c)
{
    cog_buf_add(b, &c, 1);
}

void cog_buf_printf(struct cog_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        cog_buf_add(b, small, (size_t)n);
        return;
    }
    if (!cog_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t cog_buf_add_zero(struct cog_buf *b, size_t n)
{
    size_t at = b->len;
    if (!cog_buf_reserve(b, n))
        return 0;
    memset(b->data + b->len, 0, n);
    b->len += n;
    b->data[b->len] = '\0';
    return at;
}

void cog_buf_align(struct cog_buf *b, size_t align)
{
    size_t rem = b->len & (align - 1);
    if (rem != 0)
        cog_buf_add_zero(b, align - rem);
}

char *cog_buf_take(struct cog_buf *b, size_t *len)
{
    char *out = NULL;
    if (!b->failed) {
        if (b->data == NULL)
            cog_buf_reserve(b, 0);
        out = b->data;
        if (len != NULL)
            *len = b->len;
        b->data = NULL;
    }
    cog_buf_free(b);
    return out;
}

void cog_buf_free(struct cog_buf *b)
{
    if (b->data != NULL) {
        if (!b->public_data)
            cog_wipe(b->data, b->cap);
        free(b->data);
    }
    bool keep = b->public_data;
    memset(b, 0, sizeof(*b));
    b->public_data = keep;
}
