/* A 2xx answer body: the JSON every login step reads its next move from. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/wire/idp.h"
#include "tests/fuzz/fuzz.h"

/* The members the login reads; looking them up must be safe whatever they hold. */
static const char *const keys[] = {
    "ChallengeName", "ChallengeParameters", "Session", "AuthenticationResult",
    "IdToken",       "AccessToken",         "__type",  "message",
};

static void probe(struct json_object *obj, int depth)
{
    if (depth > 2)
        return;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *s = cog_json_string(obj, keys[i]);
        struct json_object *o = cog_json_object(obj, keys[i]);
        FUZZ_CHECK(s == NULL || o == NULL);
        if (s != NULL)
            FUZZ_CHECK(strlen(s) <=
                       (size_t)json_object_get_string_len(json_object_object_get(obj, keys[i])));
        if (o != NULL)
            probe(o, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cog_error err = {0};
    struct json_object *obj = (struct json_object *)&err; /* must be reset by the parser */
    char *body = fuzz_bytes(data, size);

    cog_status st = cog_idp_parse_body(body, size, &obj, &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_UNAVAILABLE);
    if (st == COG_OK) {
        FUZZ_CHECK(obj != NULL && json_object_is_type(obj, json_type_object));
        probe(obj, 0);
        /* Answers carry tokens: they are wiped on the way out, at any depth json-c allows. */
        cog_json_put_wiped(obj);
    } else {
        FUZZ_CHECK(obj == NULL);
        FUZZ_CHECK(err.status == st);
    }
    free(body);
    return 0;
}
