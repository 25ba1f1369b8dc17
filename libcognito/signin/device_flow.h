/* The OAuth 2.0 device authorization grant (RFC 8628) against any endpoint:
 * device_endpoint/device_authorization gives a user code to show, then
 * device_endpoint/token is polled until the person signed in elsewhere (a
 * phone, a laptop) or the flow ends. The ID token it yields is verified as
 * a password login's is (the pool's JWKS, iss, token_use, exp), with aud the
 * device flow's client (device_client_id, else client_id).
 *
 * Nothing here waits past the flow's deadline (device_timeout from the
 * start): each request's network budget is cut to the time left, and a wait
 * for the server's interval ends at the deadline. */
#ifndef COGNITO_DEVICE_FLOW_H
#define COGNITO_DEVICE_FLOW_H

#include <stdbool.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/error.h"
#include "libcognito/wire/idp.h"

/* Longest slow_down growth we follow, and the most polls of one flow: a
 * hostile server cannot keep a login busy past these. */
#define COG_DEVICE_MAX_INTERVAL 60
#define COG_DEVICE_MAX_POLLS 200
#define COG_DEVICE_DEFAULT_SCOPE "openid profile"

/* What the person is shown. */
#define COG_DEVICE_PROMPT_ENTER "Press Enter after signing in"
#define COG_DEVICE_TEXT_PENDING "The sign-in is not finished yet."
#define COG_DEVICE_TEXT_DENIED "The sign-in was declined."
#define COG_DEVICE_TEXT_EXPIRED "The sign-in code has expired."

struct cog_device_flow {
    struct cog_idp *idp;
    char *device_code; /* secret: whoever holds it gets the tokens */
    char *user_code;
    char *verification_uri;
    char *verification_uri_complete; /* NULL when the server sent none */
    long interval;                   /* seconds between polls (slow_down adds 5) */
    long long deadline_ms;           /* cog_now_ms() clock */
    long long last_poll_ms;          /* 0 before the first */
    unsigned polls;
};

/* The answer of one poll that is not an error. */
enum cog_device_poll {
    COG_DEVICE_DONE,    /* tokens in out, the ID token verified */
    COG_DEVICE_PENDING, /* authorization_pending or slow_down: ask again later */
};

/* The device authorization request. COG_OK: f holds the codes to show.
 * Unreachable endpoint, 5xx, garbage: COG_ERR_UNAVAILABLE. */
cog_status cog_device_start(struct cog_idp *idp, struct cog_device_flow *f, struct cog_error *err);

/* One token request, first waiting out the interval since the previous one
 * (never past the deadline). COG_OK with *state; access_denied is
 * COG_ERR_AUTH, expired_token and the deadline COG_ERR_CODE ("expired"),
 * anything unreachable COG_ERR_UNAVAILABLE, a token that fails
 * verification COG_ERR_TOKEN. */
cog_status cog_device_poll(struct cog_device_flow *f, enum cog_device_poll *state,
                           struct cog_auth_result *out, struct cog_error *err);

/* True once the deadline has passed. */
bool cog_device_expired(const struct cog_device_flow *f);

/* A whole device login through the callback table: show_info with the
 * verification URL and the user code, a QR code of
 * verification_uri_complete, then ask_text("Press Enter after signing in: ")
 * and one poll per answer, "not finished yet" (show_info) while pending;
 * show_error says why it ends when declined or expired. Statuses as
 * cog_device_poll's; COG_ERR_ABORTED when a prompt is cancelled. */
cog_status cog_device_login(struct cog_idp *idp, const struct cog_auth_callbacks *cb,
                            struct cog_auth_result *out, struct cog_error *err);

/* Wipes the device code and frees everything. */
void cog_device_flow_clear(struct cog_device_flow *f);

/* The hosted UI's OAuth endpoints (hosted_ui_url) for the tokens a device
 * login got: RFC 7009 revocation of the refresh token, and a refresh
 * (grant_type=refresh_token, the ID token verified as above). */
cog_status cog_device_revoke(struct cog_idp *idp, const char *refresh_token, struct cog_error *err);
cog_status cog_device_refresh(struct cog_idp *idp, const char *refresh_token,
                              struct cog_auth_result *out, struct cog_error *err);

#endif
