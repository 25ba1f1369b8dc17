/* CloudTrail's LookupEvents, the incremental export's source of "what
 * changed in the pool since the last snapshot": management events of
 * cognito-idp.amazonaws.com between two times, newest first, page by page
 * (NextToken). Signed with SigV4 (service "cloudtrail") using the export's
 * own credentials, over the admin client's transport. LookupEvents allows
 * 2 requests per second per account and Region: the reader keeps to that
 * budget and backs off with full jitter on ThrottlingException
 * (pool_reader.h). */
#ifndef COGNITO_CLOUDTRAIL_H
#define COGNITO_CLOUDTRAIL_H

#include <stdint.h>

#include <json-c/json.h>

#include "libcognito/mapping/admin.h"
#include "libcognito/core/error.h"

#define COG_CLOUDTRAIL_RPS 2
/* CloudTrail keeps 90 days of event history for LookupEvents. */
#define COG_CLOUDTRAIL_HISTORY_S (90L * 86400)
/* Events reach LookupEvents up to about 15 minutes after they happen: an
 * incremental export re-reads this much before the last one's end. */
#define COG_CLOUDTRAIL_OVERLAP_S (20L * 60)

/* One event: its name, time and the record (CloudTrailEvent parsed; NULL
 * when it did not parse). Return false to stop (the lookup then fails with
 * what fn put in err). */
typedef bool (*cog_cloudtrail_event_fn)(void *ctx, const char *name, int64_t when,
                                        struct json_object *record, struct cog_error *err);

struct cog_cloudtrail {
    struct cog_admin *admin; /* transport and credentials, borrowed */
    char *url, *host, *path;
    struct cog_pace pace;
    unsigned long requests; /* LookupEvents calls made (for reports) */
};

/* endpoint: cloudtrail_endpoint, or NULL for https://cloudtrail.<region>.amazonaws.com. */
cog_status cog_cloudtrail_open(struct cog_cloudtrail *ct, struct cog_admin *admin,
                               const char *endpoint, struct cog_error *err);
void cog_cloudtrail_close(struct cog_cloudtrail *ct);

/* Every cognito-idp.amazonaws.com event with start <= EventTime < end. */
cog_status cog_cloudtrail_lookup(struct cog_cloudtrail *ct, int64_t start, int64_t end,
                                 cog_cloudtrail_event_fn fn, void *ctx, struct cog_error *err);

#endif
