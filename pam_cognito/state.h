/* The record a successful Cognito login leaves for the later PAM phases.
 * sshd runs keyboard-interactive authentication in a child process, so
 * nothing may rely on memory shared between pam_sm_authenticate and
 * pam_sm_acct_mgmt: the record is a small root-only file, one per user,
 * in state_dir (0700), holding who logged in, their verified Cognito
 * groups, when, and until when the record counts. Never a password or token. */
#ifndef PAM_COGNITO_STATE_H
#define PAM_COGNITO_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "libcognito/core/error.h"

/* How long a record counts after the login: the later phases run within
 * seconds of it; a stale one must not speak for a later login. */
#define PC_STATE_TTL 300
#define PC_MAX_GROUPS 64

struct pc_state {
    char *user;
    char **groups;
    size_t n_groups;
    long long auth_time;
    long long expires;
    bool passed_mfa;
    char *session_id; /* the session tokens this login left (session.h), until opened */
};

void pc_state_free(struct pc_state *st);

/* Writes the user's record (store.h: dir/<sha256(user)>, 0600, dir 0700). */
cog_status pc_state_write(const char *dir, const struct pc_state *st, struct cog_error *err);
/* Reads the user's record; COG_OK only for a well-formed, unexpired record of
 * this very user in a directory and file only root can change. */
cog_status pc_state_read(const char *dir, const char *user, time_t now, struct pc_state *st,
                         struct cog_error *err);
/* Removes the user's record (a failed login must not leave an older success). */
void pc_state_remove(const char *dir, const char *user);

#endif
