/* Small json-c helpers every part of libcognito uses (json.h). */
#include "build-config.h"

#include "libcognito/core/json.h"
#include "libcognito/core/util.h"

const char *cog_json_string(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

struct json_object *cog_json_object(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

bool cog_json_add_string(struct json_object *obj, const char *key, const char *value)
{
    struct json_object *s = json_object_new_string(value);
    if (s == NULL)
        return false;
    if (json_object_object_add(obj, key, s) != 0) {
        json_object_put(s);
        return false;
    }
    return true;
}

static void wipe_strings(struct json_object *obj, int depth)
{
    if (obj == NULL || depth > 64)
        return;
    switch (json_object_get_type(obj)) {
    case json_type_string: {
        /* json-c owns the buffer; wiping it in place is what we can do. */
        char *s = (char *)json_object_get_string(obj);
        cog_wipe(s, (size_t)json_object_get_string_len(obj));
        break;
    }
    case json_type_object: {
        json_object_object_foreach(obj, key, val)
        {
            (void)key;
            wipe_strings(val, depth + 1);
        }
        break;
    }
    case json_type_array: {
        size_t n = json_object_array_length(obj);
        for (size_t i = 0; i < n; i++)
            wipe_strings(json_object_array_get_idx(obj, i), depth + 1);
        break;
    }
    default:
        break;
    }
}

void cog_json_put_wiped(struct json_object *obj)
{
    if (obj == NULL)
        return;
    wipe_strings(obj, 0);
    json_object_put(obj);
}
