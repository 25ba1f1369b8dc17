/* The incremental export's reading of a CloudTrail record (export_delta.h)
 * on arbitrary bytes: CloudTrail relays what any caller of the pool's APIs
 * sent, so its records are untrusted input.
 *
 * Properties: no crash, no UB; a record said to name a user names it by
 * exactly one of sub and username, and that value is safe inside a
 * ListUsers Filter (no quote, backslash or control character) and not a
 * masked placeholder; an unresolved record says why. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/snapshot/export_delta.h"
#include "libcognito/core/json.h"
#include "tests/fuzz/fuzz.h"

static bool filter_safe(const char *v)
{
    if (v == NULL || *v == '\0' || strncmp(v, "HIDDEN_", 7) == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size);
    struct json_object *rec = json_tokener_parse(buf);
    const char *name = rec != NULL ? cog_json_string(rec, "eventName") : NULL;
    const char *sub, *user, *why;

    enum cog_event_effect e =
        cog_export_event_effect("us-east-1_Fuzz", name ? name : "", rec, &sub, &user, &why);
    switch (e) {
    case COG_EVENT_USER:
        FUZZ_CHECK((sub != NULL) != (user != NULL));
        FUZZ_CHECK(filter_safe(sub != NULL ? sub : user));
        break;
    case COG_EVENT_UNRESOLVED:
        FUZZ_CHECK(why != NULL && *why != '\0');
        break;
    case COG_EVENT_NONE:
    case COG_EVENT_GROUPS:
        FUZZ_CHECK(sub == NULL && user == NULL);
        break;
    default:
        FUZZ_CHECK(!"an effect outside the enum");
    }
    json_object_put(rec);
    free(buf);
    return 0;
}
