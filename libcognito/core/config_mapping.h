/* The configuration keys of the mapping (cognito.conf(5)): their defaults,
 * their syntax, the rules between them, and the syntax of a Unix name.
 * config.c's key table calls these; the mapping (mapping.h) applies them.
 * Part of the core: nothing here knows the pool or the cache. */
#ifndef COGNITO_CONFIG_MAPPING_H
#define COGNITO_CONFIG_MAPPING_H

#include <stdbool.h>
#include <stdint.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

/* Ids above this confuse tools that keep ids in a signed int. */
#define COG_ID_MAX 2147483646L
#define COG_UNIX_NAME_MAX 32

#define COG_DEFAULT_UID_MIN 10000000
#define COG_DEFAULT_UID_MAX 1999999999
#define COG_DEFAULT_GID_MIN 2000000000
#define COG_DEFAULT_GID_MAX 2099999999
#define COG_DEFAULT_HOME "/home/%u"
#define COG_DEFAULT_SHELL "/bin/bash"
#define COG_DEFAULT_PASSWD_FILE "/etc/passwd"
#define COG_DEFAULT_GROUP_FILE "/etc/group"

void cog_mapping_config_defaults(struct cog_config *cfg);
const char *cog_mapping_check_attribute(const char *value);
const char *cog_mapping_check_group_gids(const char *value);
const char *cog_mapping_check_group_map(const char *value);
const char *cog_mapping_check_home_template(const char *value);
const char *cog_mapping_check_deny_names(const char *value);
/* Cross-key rules: ranges ordered and disjoint, pinned gids outside the uid range. */
cog_status cog_mapping_check_config(const struct cog_config *cfg, struct cog_error *err);

/* Lowers ASCII letters of src into out and checks the Unix name rules. */
bool cog_mapping_unix_name(const char *src, char out[COG_UNIX_NAME_MAX + 1]);

/* Calls fn for each "left:right" of a comma-separated list (split at the
 * last ':', since Cognito group names may hold one); false when one is
 * malformed or fn says so. */
bool mapping_each_pair(const char *v, bool (*fn)(void *ctx, const char *left, const char *right),
                       void *ctx);
/* A decimal id in [min, max]. */
bool mapping_parse_id(const char *s, long min, long max, uint32_t *out);

#endif
