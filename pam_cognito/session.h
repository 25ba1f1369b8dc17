/* A login's tokens, kept from pam_sm_authenticate to pam_sm_close_session.
 *
 * sshd authenticates in a child process and opens the session in another,
 * so the tokens travel through a root-only file: state_dir/sessions/, one
 * record per login, named by a random session id (store.h). Only the PAM
 * transaction that logged in can adopt its record: the id reaches the later
 * phases through pam_set_data (the same process: su, sudo, login) or the PAM
 * environment variable PAM_COGNITO_SESSION (sshd carries its auth child's
 * PAM environment back into the same handle), and the record must name the
 * same user, PAM service and remote host. No other transaction finds it:
 * root's later `su -l user` adopts nothing.
 *
 * The variable never reaches a command: the account phase of a local login
 * removes it (the id stays in pam_set_data; sudo's default profile runs no
 * session line of ours, and would export it); a remote one (sshd, whose
 * auth child runs the account phase too) keeps it until open_session;
 * open_session and close_session remove it. A record whose session never opened counts for
 * PENDING_TTL seconds; then the next login's sweep ends its tokens per on_close and wipes it. Two
 * concurrent logins of one user each keep their own record. close_session wipes it. */
#ifndef PAM_COGNITO_SESSION_H
#define PAM_COGNITO_SESSION_H

#include <stdbool.h>
#include <time.h>

#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "pam_cognito/args.h"

#define PC_SESSION_ENV "PAM_COGNITO_SESSION"
#define PC_SESSION_ID_LEN 32 /* hex of 16 random bytes */

struct pc_session {
    char id[PC_SESSION_ID_LEN + 1];
    char *user;     /* the PAM user */
    char *username; /* cognito:username: the refresh's SECRET_HASH */
    char *id_token, *access_token, *refresh_token;
    char *device_key;        /* the device the tokens were issued to, or NULL */
    char *aws_access_key_id; /* aws_credentials=file: the key the user's file holds */
    char *service;           /* PAM_SERVICE of the login that made it */
    char *rhost;             /* PAM_RHOST of that login, "" when none */
    long long created;
    long long token_expires; /* of the ID and access tokens */
    bool opened;
    bool device_flow; /* a device-flow login: refresh and revoke at hosted_ui_url */
};

/* Wipes the tokens and frees everything. */
void pc_session_clear(struct pc_session *s);

/* Whether a login should keep its tokens: when the session phase has a use
 * for them (identity_pool_id, on_close). */
bool pc_session_wanted(const struct cog_config *cfg);

/* After a verified login: a new session record with res's tokens, its id in
 * pam_set_data and the PAM environment; *id (malloc'd) for the login record.
 * device_key: the device the tokens belong to, or NULL. Failures are logged
 * and cost the session its tokens, never the login. */
void pc_session_begin(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                      const char *user, const struct cog_auth_result *res, const char *device_key,
                      char **id);

/* The session record this PAM transaction's login left for user (open
 * session): found as the header says, then marked opened. */
cog_status pc_session_take(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                           struct pc_session *s, struct cog_error *err);
/* The record open_session took (close_session). */
cog_status pc_session_current(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                              struct pc_session *s, struct cog_error *err);
/* Rewrites the record (new tokens, the file's key). */
cog_status pc_session_save(const struct cog_config *cfg, const struct pc_session *s,
                           struct cog_error *err);
/* Wipes and removes the record, and forgets its id. */
void pc_session_end(pam_handle_t *pamh, const struct cog_config *cfg, const struct pc_session *s);

/* The account phase of a local login (no PAM_RHOST): PAM_COGNITO_SESSION
 * leaves the PAM environment, so no command sees it (sudo exports the PAM
 * environment, and Debian's profile runs no session line of ours there);
 * the id stays with this handle (pam_set_data). */
void pc_session_account_phase(pam_handle_t *pamh);

/* Calls end(ctx, record) for each record past its time (pending:
 * PENDING_TTL, opened: OPENED_TTL), then wipes it; end returns false to
 * keep it for a later sweep (a budget spent). */
void pc_session_sweep(const struct cog_config *cfg, bool (*end)(void *ctx, struct pc_session *s),
                      void *ctx);

#endif
