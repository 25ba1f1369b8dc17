/* From Cognito pool users and groups to Unix users and groups, done once by
 * the cache writers (never by the NSS module). The rules, specified in
 * cognito.conf(5):
 *
 *  - name: Cognito's Username, or the value of username_attribute, with
 *    ASCII letters lowered; it must then be a Unix name
 *    ([a-z_][a-z0-9_.-]{0,31}), not on the deny list (built-in names that
 *    carry privilege, plus deny_names), not a local user's or group's name
 *    and not a name the host's cache gives another sub (the binding).
 *  - uid: the value of uid_attribute when set (inside uid_min-uid_max,
 *    never a local uid or gid, group_map's gid or a uid the cache gives
 *    another sub), else
 *    uid_min + (H(sub) mod (uid_max - uid_min + 1)), where H(s) is the first
 *    8 bytes of SHA-256(s) read as a big-endian unsigned integer. When that
 *    uid is taken, the probe i = 1, 2, ... tries H(sub "#" i) the same way.
 *  - who keeps a contested uid: the user who already holds it on this host,
 *    else the one with the earlier UserCreateDate (then the smaller sub);
 *    the other probes. Every such decision is logged.
 *  - gid = uid (a private group named like the user).
 *  - Cognito groups: gid from group_gids, else the one this host already
 *    gave the group, else the same hash of the group's name into
 *    [gid_min, gid_max]; `group_map` adds members to local groups (their
 *    gids go into the users' supplementary groups only).
 *  - home from home_template (%u name, %U uid, %%), shell default_shell,
 *    GECOS from `name`, else `given_name family_name`. */
#ifndef COGNITO_MAPPING_H
#define COGNITO_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/core/config_mapping.h"
#include "libcognito/core/error.h"

/* ---- the pool as the IdP describes it ------------------------------------------ */

struct cog_pool_user {
    const char *username; /* Cognito's Username */
    const char *sub;
    const char *name_value; /* username_attribute's value (NULL: absent or not configured) */
    const char *uid_value;  /* uid_attribute's value */
    const char *name, *given_name, *family_name;
    const char *ssh_keys; /* ssh_key_attribute's value: keys, one per line */
    int64_t created;      /* UserCreateDate, unix seconds; 0 unknown */
    bool enabled;
    const char *status;  /* UserStatus */
    const char **groups; /* Cognito group names */
    size_t ngroups, groups_cap;
};

struct cog_pool_group {
    const char *name;
    int64_t created; /* CreationDate */
};

struct cog_pool {
    struct cog_pool_user *users;
    size_t nusers, users_cap;
    struct cog_pool_group *groups;
    size_t ngroups, groups_cap;
    struct cog_arena *arena; /* every string above */
};

void cog_pool_init(struct cog_pool *p);
void cog_pool_free(struct cog_pool *p);
/* A zeroed user / group appended (NULL: out of memory). */
struct cog_pool_user *cog_pool_add_user(struct cog_pool *p);
struct cog_pool_group *cog_pool_add_group(struct cog_pool *p);
bool cog_pool_user_add_group(struct cog_pool *p, struct cog_pool_user *u, const char *group);
char *cog_pool_strdup(struct cog_pool *p, const char *s);

/* Fills u's attribute fields from Cognito's [{"Name": .., "Value": ..}]
 * list (ListUsers' Attributes, GetUser's UserAttributes); only the
 * attributes the configuration uses are kept. */
cog_status cog_pool_user_set_attributes(struct cog_pool *p, struct cog_pool_user *u,
                                        const struct cog_config *cfg, struct json_object *list,
                                        struct cog_error *err);
/* Fills u from a verified ID token's claims (cognito:username, sub,
 * attributes, cognito:groups), then lets getuser (may be NULL) override the
 * attributes. A login proves the account enabled and confirmed. */
cog_status cog_pool_user_from_login(struct cog_pool *p, struct cog_pool_user *u,
                                    const struct cog_config *cfg, struct json_object *claims,
                                    struct json_object *getuser, struct cog_error *err);

/* ---- the mapping --------------------------------------------------------------- */

/* Where the mapping says what it skipped or decided (syslog priorities). */
struct cog_mapping_log {
    void (*fn)(void *ctx, int priority, const char *message);
    void *ctx;
    size_t skipped;    /* users and groups left out */
    size_t collisions; /* uids/gids/names that went to someone else */
};

struct cog_mapping_input {
    const struct cog_config *cfg;
    const struct cog_pool *pool;
    /* What this host already gave out (NULL: nothing): users keep their
     * uids and names, groups their gids. */
    const struct cog_cache_view *prior_nss;
    const struct cog_cache_view *prior_accounts;
    /* A login maps one user into a cache it does not rewrite: ids and
     * names held there by someone else are taken. */
    bool incremental;
    /* A login: the Unix name its caller passed through cog_local_name in
     * this process moments before (NULL: none). The mapping still checks
     * the deny list and the local files, but does not ask the host's NSS
     * again for that name (cog_local_nss_name: milliseconds per call through
     * nsswitch, for an answer the caller has just had). */
    const char *nss_checked;
    /* uids and gids nobody in this pool listing may get: a sync keeps the
     * users and groups of logins newer than its listing. */
    const uint32_t *reserved;
    size_t nreserved;
};

/* Maps the pool into out (initialised by the caller). Users and groups that
 * cannot be mapped are skipped and logged, never fatal. */
cog_status cog_mapping_build(const struct cog_mapping_input *in, struct cog_cache_model *out,
                             struct cog_mapping_log *log, struct cog_error *err);

/* The hashed id of key (a sub or a group name) in [min, max] at probe i
 * (0: the first choice): exposed for tests and documentation. */
uint32_t cog_mapping_hash_id(const char *key, unsigned probe, uint32_t min, uint32_t max);
/* True when the Unix name is on the deny list: the built-in names that
 * carry privilege (root admin adm wheel sudo sudoers staff shadow disk kmem
 * tty docker lxd libvirt kvm systemd-* ...) and deny_names. The names of the
 * local files are refused besides, by whoever reads them (the mapping,
 * localnames.h). */
bool cog_mapping_name_denied(const struct cog_config *cfg, const char *name);
/* The Unix name the mapping gives the user of a verified ID token's claims
 * (username_attribute's claim, else cognito:username). pam_cognito checks it
 * against PAM_USER: a login proves who the Cognito user is, and that user
 * must be the Unix user asked for. False when the claims give no valid name. */
bool cog_mapping_unix_name_of_claims(const struct cog_config *cfg, struct json_object *claims,
                                     char out[COG_UNIX_NAME_MAX + 1]);

#endif
