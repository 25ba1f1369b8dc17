/* What the parts of the auth state machine share: the login in flight, the
 * challenge being answered, and prompt wrappers. Not for front ends. */
#ifndef COGNITO_AUTH_INTERNAL_H
#define COGNITO_AUTH_INTERNAL_H

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/signin/srp.h"

struct login {
    struct cog_idp *idp;
    const struct cog_config *cfg;
    const struct cog_auth_callbacks *cb;
    const struct cog_auth_opts *opts;
    const char *username; /* as typed */
    char *user_id;        /* USER_ID_FOR_SRP once known: every later USERNAME */
    char *password;
    struct cog_srp *srp;
    const char *device_key; /* the remembered device in use, or NULL */
    struct cog_srp *device_srp;
    bool device_failed;        /* a DEVICE_* step was refused */
    bool device_authenticated; /* DEVICE_PASSWORD_VERIFIER was accepted */
    bool password_changed;
    bool passed_mfa;
    bool passed_custom; /* a CUSTOM_CHALLENGE was answered */
    bool past_password; /* a challenge after the password was pending: the service was reached */
    bool factor_done;   /* USER_AUTH: a first factor passed; a code after it is MFA */
    struct cog_error *err;
    unsigned requests; /* API calls made (see AUTH_MAX_REQUESTS) */
    unsigned turns;    /* prompts and messages (see AUTH_MAX_TURNS) */
    bool early_taken;  /* the early start's answer stands for the first InitiateAuth */
    cog_status early_st;
    struct json_object *early_resp;
};

/* Whatever a server answers, one login makes at most this many API calls
 * (token verification's two JWKS fetches aside) and talks to the user at most
 * this many times: a hostile IdP cannot keep a user or the host busy forever. */
#define AUTH_MAX_REQUESTS 46
#define AUTH_MAX_TURNS 48

/* One challenge being answered; a re-prompt answers it again. */
struct step {
    const char *name;
    struct json_object *params;    /* ChallengeParameters */
    struct json_object *responses; /* the handler fills ChallengeResponses */
    char *session;                 /* sent with the answer; a handler may replace it */
    int attempt;                   /* 0, then 1, 2, ... when asked again */
    struct json_object *kept;      /* answers kept across re-prompts */
    struct json_object *prev;      /* the whole answer that set the challenge */
};

/* Said before a code is asked again. */
#define AUTH_TEXT_WRONG_CODE COG_TEXT_WRONG_CODE
/* Longer than any code Cognito sends. */
#define AUTH_CODE_MAX 64

typedef cog_status (*challenge_fn)(struct login *l, struct step *s);

/* The challenge handlers (auth_mfa.c, auth_challenges.c). */
cog_status auth_answer_sms(struct login *l, struct step *s);
cog_status auth_answer_totp(struct login *l, struct step *s);
cog_status auth_answer_email(struct login *l, struct step *s);
cog_status auth_answer_select_mfa(struct login *l, struct step *s);
cog_status auth_answer_mfa_setup(struct login *l, struct step *s);
cog_status auth_answer_new_password(struct login *l, struct step *s);
cog_status auth_answer_custom(struct login *l, struct step *s);
/* A code challenge: says where the code went (the first time) or that the
 * last one was wrong, asks it with prompt and adds it as key. */
cog_status auth_answer_code(struct login *l, struct step *s, enum cog_code_kind kind,
                            const char *key, const char *prompt);
/* USER_AUTH (auth_userauth.c): the menu, the first-factor codes, passkeys. */
cog_status auth_answer_select_challenge(struct login *l, struct step *s);
cog_status auth_answer_sms_otp(struct login *l, struct step *s);
cog_status auth_answer_email_mfa(struct login *l, struct step *s);
cog_status auth_answer_web_authn(struct login *l, struct step *s);
/* USER_AUTH's InitiateAuth parameters: PREFERRED_CHALLENGE and what the
 * preferred factor sends with it (SRP_A into l->srp, or PASSWORD). */
cog_status auth_userauth_params(struct login *l, struct json_object *ap);
/* Whether the login must have the password before InitiateAuth. */
bool auth_userauth_wants_password(const struct login *l);
/* Passwordless, an unknown or refused name: the same prompts a known
 * user's wrong codes get, and the same end (COG_ERR_CODE); nothing sent.
 * Each wrong code waits spent_ms (one exchange with Cognito, as a real
 * code's refusal takes). */
cog_status auth_userauth_decoy(struct login *l, long long spent_ms);
/* UserContextData {IpAddress} on req when configured and the remote host
 * is a numeric address (never resolved). */
cog_status auth_add_context(struct login *l, struct json_object *req);
/* The prompts (auth_prompt.c): a missing callback's error. */
cog_status auth_no_callback(struct login *l, const char *what);
/* The tokens of an AuthenticationResult into out (auth.c). */
cog_status auth_take_result(struct login *l, struct json_object *ar, struct cog_auth_result *out);
/* Refresh-token rotation (auth_rotate.c): whether REFRESH_TOKEN_AUTH was
 * refused because the client rotates, and the call that refreshes then. */
bool auth_refresh_refused_for_rotation(const struct cog_error *err);
cog_status auth_get_tokens_from_refresh(struct login *l, const char *refresh_token,
                                        const char *device_key, struct json_object **resp);
/* The remembered device's SRP (auth_device.c). */
cog_status auth_answer_device_srp(struct login *l, struct step *s);
cog_status auth_answer_device_verifier(struct login *l, struct step *s);

/* The flows that run between two sign-in attempts (auth_recover.c). */
cog_status auth_reset_password(struct login *l);
cog_status auth_confirm_account(struct login *l);

/* The user Cognito knows: USER_ID_FOR_SRP once seen, else the typed name. */
const char *auth_user(const struct login *l);
int auth_max_attempts(const struct login *l);
cog_status auth_nomem(struct login *l);

/* Prompts through the callbacks. Each answered prompt starts a new network
 * step (cog_http_begin_step): the deadline never runs while a human types.
 * A cancelled prompt is COG_ERR_ABORTED; answers are malloc'd, to be wiped. */
cog_status auth_ask_code(struct login *l, enum cog_code_kind kind, const char *prompt,
                         char **answer);
cog_status auth_ask_text(struct login *l, const char *prompt, char **answer);
cog_status auth_ask_new_password(struct login *l, char **answer);
cog_status auth_select(struct login *l, const char *prompt, const char *const *labels, size_t n,
                       size_t *picked);
void auth_info(struct login *l, const char *text);
void auth_error(struct login *l, const char *text);
/* "A code was sent by SMS to +*******1111." when where says so. */
void auth_say_delivery(struct login *l, const char *what, const struct cog_delivery *where);

/* Counts one API call against AUTH_MAX_REQUESTS; COG_ERR_UNAVAILABLE past it. */
cog_status auth_spend_request(struct login *l);
/* Counts one prompt or message against AUTH_MAX_TURNS; false past it. */
bool auth_spend_turn(struct login *l);

/* Makes the SRP claim of in (its timestamp now) and adds what answers it:
 * PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP, PASSWORD_CLAIM_SIGNATURE, and
 * DEVICE_KEY when a device is in use. */
cog_status auth_add_claim(struct login *l, struct step *s, struct cog_srp *srp,
                          struct cog_srp_claim_input *in);

/* Sends InitiateAuth for l (a fresh SRP a into l->srp unless the flow
 * sends the password). */
cog_status auth_initiate(struct login *l, struct json_object **resp);

/* Joins the early start's thread and, when its answer is this login's, still
 * fresh and not a failure (transport, 5xx, throttling: those are sent again
 * now), moves it into l: its SRP into l->srp, the answer or the service's
 * verdict into *st, *resp and l->err, and returns true. False: the login
 * sends its own InitiateAuth. Every request it made counts against l. */
bool auth_early_take(struct cog_auth_early *e, struct login *l, cog_status *st,
                     struct json_object **resp);

/* Adds a member, failing with COG_ERR_NOMEM. */
cog_status auth_add(struct login *l, struct json_object *obj, const char *key, const char *value);

#endif
