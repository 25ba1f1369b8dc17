/* A refusal that comes quicker than a wrong password's must not give
 * itself away. Cognito says "reset required" at InitiateAuth, before any
 * password proof: one quick round trip where a wrong password takes two
 * and the SRP work on both sides, so an unauthenticated client could tell
 * a reset-required account by the clock alone.
 *
 * The module keeps how long wrong passwords take to be refused here (a
 * running average, in a root-only record, state_dir/timing/) and makes
 * such a quick refusal wait until it has taken as long. */
#ifndef PAM_COGNITO_REFUSAL_H
#define PAM_COGNITO_REFUSAL_H

#include "libcognito/core/config.h"

/* After Cognito refused a password (NotAuthorized): it took spent_ms. */
void pc_refusal_note(const struct cog_config *cfg, long long spent_ms);
/* Waits until a login started at started_ms (cog_now_ms) has taken as long
 * as a wrong password's refusal does (twice its own time when nothing is
 * known yet), never past timeout. */
void pc_refusal_wait(const struct cog_config *cfg, long long started_ms);

#endif
