/* The incremental export (issue 14's stretch): between full reads, which
 * users changed is read from CloudTrail (cloudtrail.h), only those users are
 * read again from Cognito (ListUsers with a `sub = "..."` or
 * `username = "..."` Filter, AdminListGroupsForUser for their groups,
 * ListGroups when a group was made or deleted), and the previous listing
 * (export_state.h) is patched with what Cognito says now. Re-reading a user
 * is idempotent, so an event seen twice (the lookup window overlaps the
 * previous one by COG_CLOUDTRAIL_OVERLAP_S, for CloudTrail's late
 * delivery) does no harm.
 *
 * What Cognito's CloudTrail records carry: requestParameters.userPoolId,
 * requestParameters.username (often masked as HIDDEN_DUE_TO_SECURITY_REASONS
 * or HIDDEN_FOR_SECURITY_REASONS), additionalEventData.sub for events about
 * one user, requestParameters.groupName for group calls. An event that
 * changes users but names none of them usably, a user import job, a hosted
 * UI sign-up, or any write this file does not know cannot be resolved
 * safely: the caller then reads the whole pool. */
#ifndef COGNITO_EXPORT_DELTA_H
#define COGNITO_EXPORT_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "libcognito/mapping/admin.h"
#include "libcognito/snapshot/cloudtrail.h"

struct cog_export_delta {
    size_t events;         /* events looked at */
    size_t users_reread;   /* users asked for by sub or username */
    bool groups_reread;    /* ListGroups was read */
    unsigned long lookups; /* LookupEvents requests */
    char why_full[256];    /* set when the caller must read the whole pool */
};

/* What one CloudTrail record (the parsed CloudTrailEvent; NULL: unreadable)
 * of event name means for pool_id's snapshot. USER: *sub, else *username,
 * names the user (present, not masked, safe inside a ListUsers Filter: no
 * quote, backslash or control character). UNRESOLVED: *why says why a full
 * read is needed. */
enum cog_event_effect {
    COG_EVENT_NONE,       /* a read, a failed call, another pool, sign-in, configuration */
    COG_EVENT_USER,       /* read that user again */
    COG_EVENT_GROUPS,     /* read the group list again */
    COG_EVENT_UNRESOLVED, /* cannot be tied to what it changed */
};
enum cog_event_effect cog_export_event_effect(const char *pool_id, const char *name,
                                              struct json_object *rec, const char **sub,
                                              const char **username, const char **why);

/* Patches pool (the previous listing) with the changes of [start, end).
 * COG_OK: done (pool is now the pool as of about end). COG_ERR_INVALID_INPUT
 * with d->why_full: an event could not be resolved, read the whole pool.
 * Anything else: the lookup or a read failed. */
cog_status cog_export_delta_apply(struct cog_admin *admin, struct cog_cloudtrail *ct,
                                  struct cog_pool *pool, int64_t start, int64_t end,
                                  struct cog_export_delta *d, struct cog_error *err);

#endif
