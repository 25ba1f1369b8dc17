/* Small json-c helpers, shared by the wire client (idp.c), the mapping and
 * the sign-in logic. Needs only json-c and util.c (to wipe), so anything
 * may include it without making an include circle. */
#ifndef COGNITO_JSON_H
#define COGNITO_JSON_H

#include <stdbool.h>

#include <json-c/json.h>

/* Small json-c readers: NULL unless key holds a string. */
const char *cog_json_string(struct json_object *obj, const char *key);
struct json_object *cog_json_object(struct json_object *obj, const char *key);
/* Adds a string member; returns false on allocation failure. */
bool cog_json_add_string(struct json_object *obj, const char *key, const char *value);
/* json_object_put that first wipes every string inside (requests carry passwords,
 * responses tokens). Only for objects nobody else holds a reference to. */
void cog_json_put_wiped(struct json_object *obj);

#endif
