/* What the account phase knows about a user, and where it learns it. */
#ifndef PAM_COGNITO_ACCT_H
#define PAM_COGNITO_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "pam_cognito/args.h"

enum pc_account_state {
    PC_ACCOUNT_UNKNOWN = 0, /* no Cognito login on record, no cache entry */
    PC_ACCOUNT_ACTIVE,
    PC_ACCOUNT_DISABLED, /* Enabled false, or a UserStatus that does not count as active */
    PC_ACCOUNT_DELETED,
};

struct pc_account {
    enum pc_account_state state;
    const char *source; /* "this login", "login record", "cache" */
    char **groups;      /* the user's Cognito groups, verified */
    size_t n_groups;
};

/* After a verified login of user: remembers it for this PAM handle
 * (pam_set_data), for the later phases in other processes (the state
 * record, with session_id when the login kept its tokens: session.h). The
 * user cache already has the login (who.h's pc_who_claim). */
void pc_account_remember(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user,
                         const struct cog_auth_result *res, const char *session_id);
/* After Cognito said the account itself cannot log in (not confirmed, a
 * reset required): no earlier success may speak for this user. Never after
 * a plain refusal, which anyone can cause by typing a wrong password. */
void pc_account_forget(pam_handle_t *pamh, const struct cog_config *cfg, const char *user);
/* After any failed login: this handle's own earlier login (pam_set_data)
 * no longer speaks for it. Nothing on disk changes. */
void pc_account_drop_handle(pam_handle_t *pamh);

/* The one place account facts come from, first that knows: this handle's
 * login, the login record, the NSS user cache (cog_account_lookup). */
void pc_account_lookup(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       const char *user, struct pc_account *acct);
void pc_account_free(struct pc_account *acct);

/* True when one of acct's groups is named in the comma list allowed. */
bool pc_account_in_groups(const struct pc_account *acct, const char *allowed);

#endif
