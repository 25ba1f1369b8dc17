#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/util.h"
#include "tests/fuzz/fuzz.h"

void fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", what, file, line);
    abort();
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
    size_t n = size > 0 ? strnlen((const char *)data, size) : 0;
    char *s = malloc(n + 1);
    FUZZ_CHECK(s != NULL);
    if (n > 0)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

char *fuzz_bytes(const uint8_t *data, size_t size)
{
    /* malloc(0) may return NULL; one byte keeps the pointer valid and unread. */
    char *s = malloc(size > 0 ? size : 1);
    FUZZ_CHECK(s != NULL);
    if (size > 0)
        memcpy(s, data, size);
    return s;
}

bool fuzz_text_shown_safe(const char *s)
{
    if (s == NULL)
        return false;
    char *copy = strdup(s);
    FUZZ_CHECK(copy != NULL);
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    }
    bool ok = cog_text_valid(copy, (size_t)-1);
    free(copy);
    return ok;
}
