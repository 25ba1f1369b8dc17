/* Cognito's error answers: an HTTP status, an x-amzn-ErrorType header and a
 * body, all chosen by whoever is on the other end of the connection.
 * Input: 2 bytes of status, the header up to the first newline, the body. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/wire/http.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cog_error err = {0};
    char header[sizeof(((struct cog_http_response *)0)->error_type)];

    if (size < 2)
        return 0;
    /* 0..699: curl reports 0 for no status, and servers send odd codes. */
    long status = (long)(((unsigned)data[0] << 8 | data[1]) % 700);
    data += 2;
    size -= 2;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hlen = nl ? (size_t)(nl - data) : size;
    /* The header arrives as http.c keeps it: cut to its buffer, a C string. */
    char *h = fuzz_cstr(data, hlen < sizeof(header) ? hlen : sizeof(header) - 1);
    memcpy(header, h, strlen(h) + 1);
    free(h);
    size_t off = nl ? hlen + 1 : size;
    char *body = fuzz_bytes(data + off, size - off);
    bool no_header = header[0] == '\0' && (status & 1);

    cog_status st = cog_idp_parse_error(status, body, size - off, no_header ? NULL : header, &err);

    /* An error answer is never a success, whatever it says. */
    FUZZ_CHECK(st != COG_OK);
    FUZZ_CHECK(err.status == st);
    /* Overload and server faults are "unavailable", never a wrong password. */
    if (status >= 500 || status == 429)
        FUZZ_CHECK(st == COG_ERR_UNAVAILABLE);
    else
        /* Some codes mean two things; Cognito's message says which. */
        FUZZ_CHECK(st == cog_status_from_error(err.code, err.message));
    /* The code goes into logs and decisions: a bare exception name. */
    size_t clen = strnlen(err.code, sizeof(err.code));
    FUZZ_CHECK(clen < sizeof(err.code));
    for (size_t i = 0; i < clen; i++) {
        char c = err.code[i];
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    }
    /* The message is shown to the user and logged: one line of clean text. */
    FUZZ_CHECK(err.message[0] != '\0');
    FUZZ_CHECK(cog_text_valid(err.message, sizeof(err.message)));
    free(body);
    return 0;
}
