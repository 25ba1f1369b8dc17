/* The exporter's own record of the pool listing its last snapshot was made
 * from (export-state.json beside the exporter's copy of the snapshot, mode
 * 0600, never published; one JSON object a line, so a million users are
 * never one json-c tree): an incremental export patches this listing with
 * the users CloudTrail says changed and maps it exactly as a full export
 * maps a fresh listing, so both give the same snapshot. The cache files
 * themselves cannot serve: they hold the mapping's output (Unix names,
 * GECOS), not Cognito's Username and attributes. */
#ifndef COGNITO_EXPORT_STATE_H
#define COGNITO_EXPORT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/mapping/mapping.h"

#define COG_EXPORT_STATE "export-state.json"

/* The listing as text (malloc'd): a header line with the snapshot's serial,
 * the time CloudTrail was read up to (events_until: may be later than the
 * manifest's when an incremental export found nothing to publish) and the
 * attribute names the configuration maps, then a line per user and group.
 * Sort the pool first (cog_export_state_sort) for a text that depends only
 * on the listing's content. */
cog_status cog_export_state_emit(const struct cog_config *cfg, const struct cog_pool *pool,
                                 int64_t serial, int64_t events_until, char **text, size_t *len,
                                 struct cog_error *err);
/* Users by Cognito Username (Cognito's order of a listing is not ours to keep). */
void cog_export_state_sort(struct cog_pool *pool);
/* Fills pool (initialised by the caller) back. COG_ERR_INVALID_INPUT, saying
 * why, when the text is damaged, belongs to another serial or was made under
 * other attribute names: the caller then reads the whole pool. */
cog_status cog_export_state_parse(const struct cog_config *cfg, const char *text, size_t len,
                                  int64_t serial, struct cog_pool *pool, int64_t *events_until,
                                  struct cog_error *err);

#endif
