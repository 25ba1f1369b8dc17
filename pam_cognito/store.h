/* Root-only records: one small JSON object per key, in a file only root
 * can read (0600) in a directory only root can use (0700), named by the
 * SHA-256 of the key so any user name or id makes a safe file name. Every
 * record the module keeps goes through here: the login records and the
 * session tokens in state_dir, the remembered devices and the offline
 * verifiers in private_dir. */
#ifndef PAM_COGNITO_STORE_H
#define PAM_COGNITO_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "libcognito/core/error.h"

/* dir must be a directory of the caller's alone (0700); create makes it
 * (and missing parents, 0755: a private parent must be made first).
 * COG_ERR_INVALID_INPUT when it is missing and create is false. */
cog_status pc_store_dir(const char *dir, bool create, struct cog_error *err);
/* dir/<hex SHA-256 of key>, malloc'd. */
char *pc_store_path(const char *dir, const char *key);

/* Replaces key's record atomically (0600), making dir if needed. The
 * serialised text is wiped: records may hold secrets. */
cog_status pc_store_write(const char *dir, const char *key, struct json_object *o,
                          struct cog_error *err);
/* The record of key: COG_OK only for a JSON object in a file of root's
 * (or the caller's) that nobody else can read or write, in a private dir.
 * COG_ERR_INVALID_INPUT when there is none. */
cog_status pc_store_read(const char *dir, const char *key, struct json_object **o,
                         struct cog_error *err);
/* Overwrites the record with zeros, then removes it. */
void pc_store_remove(const char *dir, const char *key);

/* Wipes and removes every record of dir that stale() calls stale. */
void pc_store_sweep(const char *dir, bool (*stale)(struct json_object *o, void *ctx), void *ctx);

/* Small json-c helpers for records. */
bool pc_json_add_int(struct json_object *o, const char *key, long long v);
bool pc_json_add_bool(struct json_object *o, const char *key, bool v);
bool pc_json_int(struct json_object *o, const char *key, long long *v);
bool pc_json_bool(struct json_object *o, const char *key, bool *v);

#endif
