/* The authenticateUser state machine. It talks to whoever drives it (PAM
 * conversation, cognitoctl's terminal, a test's script) only through the
 * callback table below; it knows nothing of PAM or terminals.
 *
 * Every prompt and message text is built here, so every front end shows the
 * same words. Answers are malloc'd by the callback; the machine wipes and
 * frees them. A callback returns COG_OK, or COG_ERR_ABORTED to stop. */
#ifndef COGNITO_AUTH_H
#define COGNITO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "libcognito/core/error.h"
#include "libcognito/wire/idp.h"

enum cog_code_kind {
    COG_CODE_SMS,        /* SMS_MFA */
    COG_CODE_TOTP,       /* SOFTWARE_TOKEN_MFA */
    COG_CODE_EMAIL,      /* EMAIL_OTP */
    COG_CODE_TOTP_SETUP, /* MFA_SETUP: first code from the new authenticator */
    COG_CODE_CONFIRM,    /* ConfirmSignUp */
    COG_CODE_RESET,      /* ConfirmForgotPassword */
};

struct cog_auth_callbacks {
    void *ctx;
    /* The current password. Asked once, before InitiateAuth (Cognito wants
     * PASSWORD_VERIFIER answered within seconds). */
    cog_status (*ask_password)(void *ctx, const char *prompt, char **answer);
    /* A one-time code (the front end decides whether to echo it). */
    cog_status (*ask_code)(void *ctx, enum cog_code_kind kind, const char *prompt, char **answer);
    /* A choice among n labels; *picked is 0-based. Optional: without it the
     * machine shows a numbered menu (show_info) and asks with ask_text. */
    cog_status (*select_mfa)(void *ctx, const char *prompt, const char *const *labels, size_t n,
                             size_t *picked);
    /* A new password: the callback asks twice and returns it only when both
     * match. Optional: without it the machine asks twice with ask_password. */
    cog_status (*ask_new_password)(void *ctx, const char *prompt, const char *again_prompt,
                                   char **answer);
    /* A visible answer: a required attribute, a custom challenge's answer. */
    cog_status (*ask_text)(void *ctx, const char *prompt, char **answer);
    void (*show_info)(void *ctx, const char *text);
    void (*show_error)(void *ctx, const char *text);
};

struct cog_auth_opts {
    const char *password;      /* when set, ask_password is not called (PAM's authtok) */
    int max_code_attempts;     /* tries for one code or new password, the first included; 0: 3 */
    bool allow_password_reset; /* PasswordResetRequired → ForgotPassword flow */
    bool allow_confirm;        /* UserNotConfirmed → ConfirmSignUp flow */
    /* A remembered device: DEVICE_KEY goes with the sign-in, and the
     * device answers DEVICE_SRP_AUTH with its own SRP (group key as pool
     * name, device key as user, device password). */
    const char *device_key;
    const char *device_group_key;
    const char *device_password;
    /* Set when Cognito refused the device (forgotten, unknown): the login
     * then went on once more without it, and the caller should drop it. */
    bool *device_refused;
    /* An InitiateAuth sent while the password was typed
     * (cog_auth_early_start): the login takes its answer instead of sending
     * its own when it is this login's and still fresh, and sends its own
     * when it failed. NULL: everything happens after the password. */
    struct cog_auth_early *early;
    /* PAM_RHOST (NULL: a console login). A numeric address goes to Cognito
     * as UserContextData.IpAddress (user_context_data); a remote login is
     * never offered WEB_AUTHN (the key is on the client, out of reach). */
    const char *remote_host;
};

struct cog_auth_result {
    char *id_token;
    char *access_token;
    char *refresh_token;
    long expires_in;
    char *username;             /* cognito:username from the verified ID token */
    struct json_object *claims; /* the verified ID token's payload */
    bool passed_mfa;            /* an MFA challenge was answered */
    bool passed_custom;         /* a custom challenge (auth_flow CUSTOM_AUTH) was answered */
    bool device_authenticated;  /* the remembered device proved itself (DEVICE_SRP_AUTH) */
    bool password_changed;      /* the login set a new password (new-password or reset flow) */
    bool device_flow;           /* tokens of the RFC 8628 device flow (device_flow.h): their
                                   refresh and revocation go to hosted_ui_url */
    char *new_device_key;       /* NewDeviceMetadata, when Cognito offers device tracking */
    char *new_device_group_key;
};

/* The words every front end shows, so a login reads the same under sshd,
 * su and cognitoctl. */
#define COG_PROMPT_PASSWORD "Password: "
#define COG_PROMPT_NEW_PASSWORD "New password: "
#define COG_PROMPT_NEW_PASSWORD_AGAIN "Retype new password: "
#define COG_TEXT_PASSWORDS_DIFFER "The passwords do not match."
#define COG_TEXT_WRONG_CODE "That code is wrong or has expired. Try again."
#define COG_MENU_TRIES 3
/* USER_AUTH (auth_userauth.c). */
#define COG_PROMPT_SIGN_IN_CHOICE "Choose how to sign in:"
#define COG_PROMPT_SECURITY_KEY_PIN "Security key PIN: "
#define COG_TEXT_TOUCH_KEY "Touch your security key."
#define COG_TEXT_KEY_REMOTE                                                                        \
    "A security key must be plugged into this host; choose another way to sign in."

/* A select_mfa menu as text: the prompt, then one "  N) label" line each.
 * malloc'd; NULL when out of memory. */
char *cog_auth_menu_text(const char *prompt, const char *const *labels, size_t n);
/* "Choice [1-N]: " and "Please enter a number from 1 to N." */
void cog_auth_choice_prompt(size_t n, char *buf, size_t len);
void cog_auth_choice_retry(size_t n, char *buf, size_t len);
/* A menu answer: true with *picked 0-based when it is a number from 1 to n. */
bool cog_auth_parse_choice(const char *answer, size_t n, size_t *picked);

/* What to tell the user when a login ends with st, beyond the front end's own
 * "failed"; NULL when nothing should be said (a wrong password and an unknown
 * user must read the same). */
const char *cog_auth_failure_text(cog_status st);

/* Runs a whole login for username. COG_OK only with a verified ID token. */
cog_status cog_auth_login(struct cog_idp *idp, const char *username,
                          const struct cog_auth_callbacks *cb, const struct cog_auth_opts *opts,
                          struct cog_auth_result *out, struct cog_error *err);

/* The early start: the TLS handshake and InitiateAuth (USER_SRP_AUTH or
 * CUSTOM_AUTH with SRP_A; never USER_PASSWORD_AUTH, which carries the
 * password) on a thread of their own while the front end asks for the
 * password, so only the claim is left for after Enter. opts gives the
 * remembered device as cog_auth_login will (same rule: all three fields).
 * From here until cog_auth_login (with opts->early) or cog_auth_early_end,
 * idp and its connection belong to that thread: touch neither. NULL when
 * cfg->early_start is off, the flow sends the password, or the thread could
 * not start: the login then does it all after the password, as without. */
struct cog_auth_early *cog_auth_early_start(struct cog_idp *idp, const char *username,
                                            const struct cog_auth_opts *opts);
/* Stops the thread if it still runs (its transfer is aborted), joins it,
 * wipes its SRP secret and answer, and frees e. Call it always, after the
 * login or instead of it (a cancelled prompt); NULL is a no-op. */
void cog_auth_early_end(struct cog_auth_early *e);

/* Wipes tokens and frees everything in res. */
void cog_auth_result_clear(struct cog_auth_result *res);

/* REFRESH_TOKEN_AUTH: new ID and access tokens from a refresh token, the ID
 * token verified as a login's is. username (cognito:username of the earlier
 * tokens) makes the SECRET_HASH a client with a secret needs; device_key is
 * the remembered device the tokens were issued to, or NULL. On COG_OK out
 * holds the new tokens and a copy of refresh_token (Cognito sends no new
 * one). NotAuthorized (revoked, expired) is COG_ERR_AUTH. A client that
 * rotates refresh tokens refuses REFRESH_TOKEN_AUTH: then
 * GetTokensFromRefreshToken (DeviceKey, ClientSecret when set) answers, and
 * out->refresh_token is the NEW token: store it (atomically) before the old
 * one is dropped, since the old one stops working. Using a rotated-out token
 * again (RefreshTokenReuseException) is COG_ERR_AUTH. */
cog_status cog_auth_refresh(struct cog_idp *idp, const char *refresh_token, const char *username,
                            const char *device_key, struct cog_auth_result *out,
                            struct cog_error *err);

#endif
