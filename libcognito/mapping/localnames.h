/* Local accounts win: which names are not a Cognito user's on this host.
 *
 * A name is local when the local passwd or group file (local_passwd_file,
 * local_group_file) has it, or when getpwnam()/getgrnam() answer with an
 * entry that is not exactly the one the user cache holds for that name.
 * This relies on nsswitch.conf listing every other source (files, ldap,
 * sss, systemd...) before cognito, as the packages install it: whatever a
 * lookup returns then is that source's entry whenever one has the name, and
 * ours only when none has. */
#ifndef COGNITO_LOCALNAMES_H
#define COGNITO_LOCALNAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"

/* Calls fn(ctx, name, uid or gid) for each entry of the passwd (group when
 * group) file at path, read directly, until fn returns false. A file that
 * does not exist is empty (*missing set); one that exists and cannot be read
 * whole (EMFILE under a caller's RLIMIT_NOFILE, EACCES, EIO, an entry over
 * 1 MiB) is an error, never fewer names: a local account missed would be a
 * pool user's to take. */
cog_status cog_local_file_scan(const char *path, bool group,
                               bool (*fn)(void *ctx, const char *name, uint32_t id), void *ctx,
                               bool *missing, struct cog_error *err);

/* Why NSS knows name from a source other than the cache viewed by nss
 * (NULL: only the cache, or nobody, knows it). Failed lookups count as
 * local: this rule fails closed. */
const char *cog_local_nss_name(const char *name, const struct cog_cache_view *nss);

/* Why name may not be a Cognito user here (NULL: it may): on the deny list
 * (cog_mapping_name_denied), in the local files or those files unreadable,
 * or known to another NSS source (cog_local_nss_name, against
 * cfg->cache_dir's cache). */
const char *cog_local_name(const struct cog_config *cfg, const char *name);

#endif
