/* What the fuzz targets share. A property that fails aborts, so libFuzzer
 * keeps the input as a crash artifact, exactly as for a memory error. */
#ifndef COGNITO_FUZZ_H
#define COGNITO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fuzz_fail(const char *what, const char *file, int line) __attribute__((noreturn));
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(#cond, __FILE__, __LINE__);                                                  \
    } while (0)

/* A NUL-terminated copy of data[0..size) that ends at the first NUL, as a C
 * string handed to the library would. Aborts on allocation failure. */
char *fuzz_cstr(const uint8_t *data, size_t size);
/* An exact copy without a terminator, so ASan flags any read past size. */
char *fuzz_bytes(const uint8_t *data, size_t size);

/* Text a user sees or a log keeps: valid UTF-8, no control characters but
 * newline and tab (multi-line prompts), so a server cannot send escapes. */
bool fuzz_text_shown_safe(const char *s);

#endif
