/* The PAM entry points: pam_sm_authenticate runs a Cognito login with every
 * challenge as a conversation turn (on a remembered device, and offline
 * within bounds); pam_sm_acct_mgmt checks what is known of the account;
 * pam_sm_open_session puts AWS credentials into the session and
 * pam_sm_close_session ends the login's tokens; pam_sm_chauthtok changes the
 * Cognito password; pam_sm_setcred does nothing. Only these six are exported. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"
#include "pam_cognito/acct.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"
#include "pam_cognito/device.h"
#include "pam_cognito/device_login.h"
#include "pam_cognito/lifecycle.h"
#include "pam_cognito/login.h"
#include "pam_cognito/offline.h"
#include "pam_cognito/refusal.h"
#include "pam_cognito/session.h"
#include "pam_cognito/userauth.h"
#include "pam_cognito/who.h"

/* DESIGN.md's table: a wrong password never becomes "unavailable", and only
 * COG_OK is ever a success. */
int pc_auth_result(cog_status st, const struct pc_conv *conv)
{
    switch (st) {
    case COG_OK:
        return PAM_SUCCESS;
    case COG_ERR_USER_UNKNOWN:
        return PAM_USER_UNKNOWN;
    case COG_ERR_UNAVAILABLE:
        return PAM_AUTHINFO_UNAVAIL;
    case COG_ERR_ABORTED:
        return conv->failed ? PAM_CONV_ERR : PAM_AUTH_ERR;
    case COG_ERR_NOMEM:
        return PAM_BUF_ERR;
    case COG_ERR_CONFIG:
    case COG_ERR_INTERNAL:
        return PAM_SERVICE_ERR;
    default:
        return PAM_AUTH_ERR;
    }
}

/* The PAM user, if it may be a Cognito user at all. Local system accounts
 * (uid below pam_min_uid, root above all) never are: whoever can sign up to the
 * pool as "root" must not become root. Nor is any other local account or
 * group, or a name on the deny list (who.h): PAM_USER_UNKNOWN, no request. */
static int get_user(pam_handle_t *pamh, const struct cog_config *cfg, const char **user)
{
    int rc = pam_get_user(pamh, user, NULL);
    if (rc != PAM_SUCCESS || *user == NULL) {
        pam_syslog(pamh, LOG_ERR, "cannot get the user name");
        return rc == PAM_SUCCESS || rc == PAM_CONV_AGAIN ? PAM_SERVICE_ERR : rc;
    }
    if (!cog_username_valid(*user)) {
        pam_syslog(pamh, LOG_NOTICE, "refusing a user name with control characters or too long");
        return PAM_USER_UNKNOWN;
    }
    long uid;
    if (pc_who_system_account(cfg, *user, &uid)) {
        pam_syslog(pamh, LOG_NOTICE, "%s is a system account (uid %ld < pam_min_uid %d)", *user,
                   uid, cfg->pam_min_uid);
        return PAM_USER_UNKNOWN;
    }
    /* Local accounts win, and nobody in the pool takes a privileged name. */
    return pc_who_may_be_cognito(pamh, cfg, *user);
}

/* Argv, config and user: what every entry point needs first. */
int pc_prepare(pam_handle_t *pamh, int flags, int argc, const char **argv, struct pc_args *args,
               struct cog_config *cfg, const char **user)
{
    int rc = pc_args_parse(pamh, flags, argc, argv, args);
    cog_config_init(cfg);
    if (rc != PAM_SUCCESS)
        return rc;
    cog_config_free(cfg);
    rc = pc_config_load(pamh, args, cfg);
    if (rc != PAM_SUCCESS)
        return rc;
    return get_user(pamh, cfg, user);
}

/* Whether get_password would ask: not when an earlier module's password
 * is taken (or, with use_first_pass, required). */
static bool will_ask_password(pam_handle_t *pamh, const struct pc_args *args, int item)
{
    const void *prev = NULL;
    if (args->use_first_pass)
        return false;
    return !args->try_first_pass || pam_get_item(pamh, item, &prev) != PAM_SUCCESS || prev == NULL;
}

/* A password from an earlier module (use_first_pass, try_first_pass) or
 * asked here; what is asked becomes the item for the modules after us. */
int pc_get_password(pam_handle_t *pamh, const struct pc_args *args, struct pc_conv *conv, int item,
                    const char *prompt, const char **password)
{
    const void *prev = NULL;
    char *typed = NULL;

    if (args->use_first_pass || args->try_first_pass) {
        if (pam_get_item(pamh, item, &prev) == PAM_SUCCESS && prev != NULL) {
            *password = prev;
            return PAM_SUCCESS;
        }
        if (args->use_first_pass) {
            pam_syslog(pamh, LOG_NOTICE, "use_first_pass, but no earlier module read a password");
            return PAM_AUTH_ERR;
        }
    }
    int rc = pc_conv_ask(conv, PAM_PROMPT_ECHO_OFF, prompt, &typed);
    if (rc != PAM_SUCCESS)
        return rc;
    rc = pam_set_item(pamh, item, typed);
    cog_free_secret(typed);
    if (rc != PAM_SUCCESS)
        return rc;
    return pam_get_item(pamh, item, (const void **)password);
}

/* What a Cognito login needs before the password: the remembered device,
 * and with early, the connection with InitiateAuth already under way while
 * the password is typed (cog_auth_early_start). */
void pc_login_prepare(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                      const char *user, bool early, struct pending_login *p)
{
    struct cog_error ignored = {0};

    memset(p, 0, sizeof(*p));
    p->have_dev = pc_device_load(pamh, args, cfg, user, &p->dev);
    /* Only a speed-up: when the connection cannot be set up now, the login
     * sets it up after the password and reports what fails, as without. */
    if (!early || !cfg->early_start || cog_idp_open(&p->idp, cfg, &ignored) != COG_OK) {
        cog_idp_close(&p->idp);
        return;
    }
    p->open = true;
    struct cog_auth_opts opts = {
        .device_key = p->have_dev ? p->dev.key : NULL,
        .device_group_key = p->have_dev ? p->dev.group_key : NULL,
        .device_password = p->have_dev ? p->dev.password : NULL,
    };
    p->early = cog_auth_early_start(&p->idp, user, &opts);
    pc_debug(pamh, args, "%s InitiateAuth for %s while the password is typed",
             p->early != NULL ? "started" : "could not start", user);
}

/* No thread, no connection, no SRP secret or device password is left. */
void pc_login_release(struct pending_login *p)
{
    cog_auth_early_end(p->early);
    p->early = NULL;
    cog_idp_close(&p->idp);
    p->open = false;
    pc_device_clear(&p->dev);
}

/* A Cognito login of user with password over p (login_prepare); on COG_OK
 * res holds the tokens of exactly that user. The remembered device, if
 * any, goes along (and goes away if Cognito refuses it); with remember, an
 * MFA login makes this host a remembered device. *device_key (malloc'd,
 * may be NULL) names the device the tokens were issued to. */
cog_status pc_cognito_login(pam_handle_t *pamh, const struct pc_args *args,
                            const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                            const char *password, bool remember, struct pending_login *p,
                            struct cog_auth_result *res, char **device_key, struct cog_error *err)
{
    struct cog_auth_callbacks cb;
    bool refused = false;
    struct cog_auth_opts opts = {
        .password = password,
        .allow_password_reset = args->allow_password_reset,
        .allow_confirm = args->allow_confirm,
        .device_refused = &refused,
        .early = p->early,
    };
    cog_status st = COG_OK;
    const void *rhost = NULL;

    if (pam_get_item(pamh, PAM_RHOST, &rhost) == PAM_SUCCESS)
        opts.remote_host = rhost;

    memset(res, 0, sizeof(*res));
    *device_key = NULL;
    if (p->have_dev) {
        opts.device_key = p->dev.key;
        opts.device_group_key = p->dev.group_key;
        opts.device_password = p->dev.password;
    }
    pc_conv_callbacks(conv, &cb);
    if (!p->open && (st = cog_idp_open(&p->idp, cfg, err)) == COG_OK)
        p->open = true;
    if (st == COG_OK)
        st = cog_auth_login(&p->idp, user, &cb, &opts, res, err);
    if (refused)
        pc_device_forget(pamh, cfg, user);
    /* The token's user must be the PAM user, and the pool identity the host
     * gave that name to (who.h). */
    if (st == COG_OK && (st = pc_who_token_user(pamh, cfg, user, res->claims, err)) != COG_OK)
        cog_auth_result_clear(res);
    if (st == COG_OK) {
        pc_debug(pamh, args, "Cognito login of %s%s%s", user, res->passed_mfa ? " with MFA" : "",
                 res->device_authenticated ? " on its remembered device" : "");
        if (remember)
            pc_device_remember(pamh, args, cfg, &p->idp, user, res);
        *device_key = cog_strdup(res->device_authenticated ? p->dev.key : res->new_device_key);
    }
    return st;
}

/* What a failed login may change of the user's state: only what Cognito
 * itself said about the account, never what a stranger's wrong guess
 * causes (docs/threat-model.md, "What an unauthenticated attempt can
 * change"). This handle's own login is always dropped. */
static void after_failure(pam_handle_t *pamh, const struct pc_args *args,
                          const struct cog_config *cfg, const char *user, const char *password,
                          cog_status st)
{
    pc_account_drop_handle(pamh);
    switch (st) {
    case COG_ERR_PASSWORD_RESET_REQUIRED:
    case COG_ERR_NOT_CONFIRMED:
        /* The account cannot log in: no earlier success speaks for it. */
        pc_account_forget(pamh, cfg, user);
        pc_offline_forget(pamh, args, cfg, user);
        break;
    case COG_ERR_AUTH:
    case COG_ERR_USER_UNKNOWN:
        /* Refused: a verifier of this very password is stale (changed,
         * disabled); anyone else's guess leaves it. */
        if (password != NULL)
            pc_offline_forget_if_stale(pamh, args, cfg, user, password);
        break;
    default:
        break;
    }
}

/* After a verified login: its tokens for the session, the account record,
 * the offline verifier. */
static void after_login(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg, const char *user, const char *password,
                        const struct cog_auth_result *res, const char *device_key)
{
    char *session_id = NULL;
    if (pc_session_wanted(cfg)) {
        pc_lifecycle_sweep(pamh, args, cfg);
        pc_session_begin(pamh, args, cfg, user, res, device_key, &session_id);
    }
    pc_account_remember(pamh, args, cfg, user, res, session_id);
    free(session_id);
    /* The password typed is not the one any more after a new-password flow;
     * a device login (no password) leaves the verifier as it was. */
    if (res->password_changed)
        pc_offline_forget(pamh, args, cfg, user);
    else if (password != NULL)
        pc_offline_remember(pamh, args, cfg, user, password, pc_offline_factors(res));
}

void pc_log_failure(pam_handle_t *pamh, const char *what, const char *user, cog_status st,
                    const struct cog_error *err)
{
    int level = st == COG_ERR_UNAVAILABLE || st == COG_ERR_INTERNAL ? LOG_ERR : LOG_NOTICE;
    pam_syslog(pamh, level, "%s failed for %s: %s%s%s", what, user, cog_status_name(st),
               err->message[0] ? ": " : "", err->message);
}

/* A device-flow login (device_login.h): no password, so no offline login
 * and no offline verifier; the rest of a login's aftermath as for one with
 * a password. */
static int device_authenticate(pam_handle_t *pamh, const struct pc_args *args,
                               const struct cog_config *cfg, struct pc_conv *conv, const char *user)
{
    struct cog_auth_result res = {0};
    struct cog_error err = {0};
    cog_status st = pc_device_login(pamh, args, cfg, conv, user, &res, &err);
    int rc = pc_auth_result(st, conv);
    if (rc == PAM_SUCCESS) {
        after_login(pamh, args, cfg, user, NULL, &res, NULL);
    } else {
        pc_log_failure(pamh, "device login", user, st, &err);
        pc_account_drop_handle(pamh);
    }
    cog_auth_result_clear(&res);
    return rc;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pc_args args;
    struct cog_config cfg;
    struct cog_auth_result res = {0};
    struct cog_error err = {0};
    struct pc_conv conv = {.pamh = pamh};
    struct pending_login pending = {0};
    const char *user = NULL, *password = NULL;
    char *device_key = NULL;
    cog_status st;

    int rc = pc_prepare(pamh, flags, argc, argv, &args, &cfg, &user);
    if (rc != PAM_SUCCESS)
        goto out;
    conv.echo_codes = args.echo_codes;
    conv.silent = args.silent;
    if (pc_device_login_wanted(&cfg, NULL)) {
        rc = device_authenticate(pamh, &args, &cfg, &conv, user);
        goto out;
    }
    bool asks = will_ask_password(pamh, &args, PAM_AUTHTOK);
    if (asks && cfg.device_login == COG_DEVICE_LOGIN_FALLBACK)
        pc_conv_say(&conv, PAM_TEXT_INFO, PC_DEVICE_TEXT_FALLBACK);
    /* A pool user (prepare) about to type: the handshake and InitiateAuth
     * go on meanwhile, so after Enter only the claim is left. */
    pc_login_prepare(pamh, &args, &cfg, user, asks, &pending);
    rc = pc_userauth_password(pamh, &cfg, &args, &password);
    if (rc == PAM_IGNORE)
        rc = pc_get_password(pamh, &args, &conv, PAM_AUTHTOK, COG_PROMPT_PASSWORD, &password);
    if (rc != PAM_SUCCESS)
        goto out;
    /* device_login = fallback: an empty password asks for the device flow. */
    if (pc_device_login_wanted(&cfg, password)) {
        pc_login_release(&pending);
        rc = device_authenticate(pamh, &args, &cfg, &conv, user);
        goto out;
    }
    long long started_ms = cog_now_ms();
    st = pc_cognito_login(pamh, &args, &cfg, &conv, user, password, true, &pending, &res,
                          &device_key, &err);
    pc_login_release(&pending);
    rc = pc_auth_result(st, &conv);
    if (rc == PAM_SUCCESS) {
        after_login(pamh, &args, &cfg, user, password, &res, device_key);
        goto out;
    }
    pc_log_failure(pamh, "authentication", user, st, &err);
    after_failure(pamh, &args, &cfg, user, password, st);
    /* Only a service that could not be reached at all may leave an
     * offline login, within bounds (offline.h); a throttled pool, a failing
     * Lambda or a failure after the password never does. */
    if (st == COG_ERR_UNAVAILABLE && err.unreachable && password != NULL) {
        int offline = pc_offline_login(pamh, &args, &cfg, &conv, user, password);
        if (offline != PAM_AUTHINFO_UNAVAIL) {
            rc = offline;
            goto out;
        }
    }
    /* A reset-required account reads like a wrong password (refusal.h). */
    if (st == COG_ERR_AUTH)
        pc_refusal_note(&cfg, cog_now_ms() - started_ms);
    if (st == COG_ERR_PASSWORD_RESET_REQUIRED && !args.allow_password_reset) {
        pc_refusal_wait(&cfg, started_ms);
        st = COG_ERR_AUTH;
    }
    const char *why = cog_auth_failure_text(st);
    if (why != NULL)
        pc_conv_say(&conv, PAM_ERROR_MSG, why);
out:
    pc_login_release(&pending);
    free(device_key);
    cog_auth_result_clear(&res);
    cog_config_free(&cfg);
    return rc;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}

/* No Cognito login on record and nothing cached: another module
 * authenticated (SSH keys) or the user is local; not ours to judge, unless
 * allowed_groups asks us to vouch for a group. */
PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pc_args args;
    struct cog_config cfg;
    struct pc_account acct = {0};
    const char *user = NULL;

    int rc = pc_prepare(pamh, flags, argc, argv, &args, &cfg, &user);
    long uid;
    /* Not a Cognito user: ours to refuse only when allowed_groups asks us to
     * vouch for a group (system accounts never are). */
    if (rc == PAM_USER_UNKNOWN)
        rc = args.allowed_groups && user && !pc_who_system_account(&cfg, user, &uid)
                 ? PAM_PERM_DENIED
                 : PAM_IGNORE;
    if (rc != PAM_SUCCESS)
        goto out;
    pc_account_lookup(pamh, &args, &cfg, user, &acct);
    switch (acct.state) {
    case PC_ACCOUNT_UNKNOWN:
        rc = args.allowed_groups ? PAM_PERM_DENIED : PAM_IGNORE;
        break;
    case PC_ACCOUNT_DISABLED:
    case PC_ACCOUNT_DELETED:
        rc = PAM_PERM_DENIED;
        break;
    case PC_ACCOUNT_ACTIVE:
        rc = !args.allowed_groups || pc_account_in_groups(&acct, args.allowed_groups)
                 ? PAM_SUCCESS
                 : PAM_PERM_DENIED;
        break;
    }
    if (rc == PAM_PERM_DENIED)
        pam_syslog(pamh, LOG_NOTICE, "account of %s refused: %s", user,
                   acct.state == PC_ACCOUNT_UNKNOWN    ? "no Cognito login or cache entry"
                   : acct.state == PC_ACCOUNT_DISABLED ? "disabled"
                   : acct.state == PC_ACCOUNT_DELETED  ? "deleted"
                                                       : "in none of allowed_groups");
    pc_debug(pamh, &args, "account of %s from %s: %s", user, acct.source ? acct.source : "nowhere",
             pam_strerror(pamh, rc));
out:
    pc_account_free(&acct);
    cog_config_free(&cfg);
    return rc;
}

/* The Cognito session of this transaction's user: the one its login left
 * (open, which takes it) or the one open_session took (close). Other logins
 * (SSH keys, local users) have none, and are not ours: PAM_IGNORE. */
static int find_session(pam_handle_t *pamh, int flags, int argc, const char **argv, bool open,
                        struct pc_args *args, struct cog_config *cfg, const char **user,
                        struct pc_session *s)
{
    struct cog_error err = {0};
    int rc = pc_prepare(pamh, flags, argc, argv, args, cfg, user);
    /* sudo opens the session of the target user (root): the id of the
     * login's tokens must not reach that command's environment either. */
    if (rc != PAM_SUCCESS && pam_getenv(pamh, PC_SESSION_ENV) != NULL)
        pam_putenv(pamh, PC_SESSION_ENV);
    if (rc == PAM_USER_UNKNOWN)
        return PAM_IGNORE;
    if (rc != PAM_SUCCESS)
        return rc;
    cog_status st = open ? pc_session_take(pamh, cfg, *user, s, &err)
                         : pc_session_current(pamh, cfg, *user, s, &err);
    if (st != COG_OK) {
        pc_debug(pamh, args, "no Cognito session of %s: %s", *user, err.message);
        return PAM_IGNORE;
    }
    return PAM_SUCCESS;
}

/* A Cognito login's session: AWS credentials when an identity pool is
 * configured. Nothing here undoes the login: once a session of ours is
 * found, PAM_SUCCESS. */
PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pc_args args;
    struct cog_config cfg;
    struct pc_session s = {0};
    const char *user = NULL;

    int rc = find_session(pamh, flags, argc, argv, true, &args, &cfg, &user, &s);
    if (rc == PAM_SUCCESS) {
        struct pc_conv conv = {.pamh = pamh, .silent = args.silent};
        pc_lifecycle_open(pamh, &args, &cfg, &conv, user, &s);
    }
    pc_session_clear(&s);
    cog_config_free(&cfg);
    return rc;
}

/* The end of the login's tokens (on_close), its credentials file and its
 * session record. */
PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pc_args args;
    struct cog_config cfg;
    struct pc_session s = {0};
    const char *user = NULL;

    int rc = find_session(pamh, flags, argc, argv, false, &args, &cfg, &user, &s);
    if (rc == PAM_SUCCESS) {
        pc_lifecycle_close(pamh, &args, &cfg, user, &s);
        pc_session_end(pamh, &cfg, &s);
    }
    pc_session_clear(&s);
    cog_config_free(&cfg);
    return rc;
}
