/* Passkeys (Cognito's WEB_AUTHN challenge): the WebAuthn client side of a
 * login. Cognito sends CREDENTIAL_REQUEST_OPTIONS; we build clientDataJSON,
 * have an authenticator sign, and answer with the CREDENTIAL JSON.
 *
 * The authenticator sits behind a narrow interface: libfido2 in production
 * (webauthn_fido2.c), a software P-256 key in tests (tests/softkey.c). */
#ifndef COGNITO_WEBAUTHN_H
#define COGNITO_WEBAUTHN_H

#include <stdbool.h>
#include <stddef.h>

#include "libcognito/core/buf.h"
#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

/* What a login or cognitoctl says around the key (pam_cognito(8)); auth.h
 * may define the same texts. */
#ifndef COG_TEXT_TOUCH_KEY
#define COG_TEXT_TOUCH_KEY "Touch your security key."
#endif
#ifndef COG_PROMPT_SECURITY_KEY_PIN
#define COG_PROMPT_SECURITY_KEY_PIN "Security key PIN: "
#endif

#define COG_WEBAUTHN_HASH_LEN 32
#define COG_WEBAUTHN_MAX_ALLOW 64

/* One allowed credential id (raw bytes, decoded from base64url). */
struct cog_webauthn_cred_id {
    unsigned char *id;
    size_t len;
};

/* What the authenticator is asked for. */
struct cog_webauthn_request {
    const char *rp_id;                                     /* Cognito's rpId */
    unsigned char client_data_hash[COG_WEBAUTHN_HASH_LEN]; /* SHA-256(clientDataJSON) */
    const struct cog_webauthn_cred_id *allow;              /* may be empty: discoverable */
    size_t allow_count;
    bool uv_required;  /* userVerification "required" */
    bool uv_preferred; /* "preferred": verify when the key can without asking */
    long timeout_ms;   /* the options' timeout; 0: none given */
};

/* What it answers (each buffer owned by the caller: cog_webauthn_assertion_free). */
struct cog_webauthn_assertion {
    struct cog_buf auth_data;     /* rpIdHash | flags | signCount [| extensions] */
    struct cog_buf signature;     /* ES256: DER ECDSA over auth_data | client_data_hash */
    struct cog_buf credential_id; /* raw id of the credential used */
    struct cog_buf user_handle;   /* raw user.id; empty when the key gives none */
    const char *attachment;       /* "cross-platform", "platform" or NULL (static text) */
};

/* Enrolment (cognitoctl passkey add): what a new credential is made for. */
struct cog_webauthn_create_request {
    const char *rp_id, *rp_name;
    const unsigned char *user_id; /* Cognito's user.id, raw */
    size_t user_id_len;
    const char *user_name, *user_display_name;
    unsigned char client_data_hash[COG_WEBAUTHN_HASH_LEN];
    const struct cog_webauthn_cred_id *exclude; /* credentials the user has already */
    size_t exclude_count;
    bool uv_required;
};

/* A new ES256 credential (cog_webauthn_new_credential_free). */
struct cog_webauthn_new_credential {
    struct cog_buf auth_data;     /* with attested credential data (AAGUID, id, COSE key) */
    struct cog_buf credential_id; /* raw */
    const char *attachment;       /* static text or NULL */
};

/* A FIDO2 key as a login needs it. */
struct cog_authenticator {
    void *ctx;
    /* Signs req; pin may be NULL. Returns a cog_status value. */
    int (*get_assertion)(void *ctx, const struct cog_webauthn_request *req, const char *pin,
                         struct cog_webauthn_assertion *out, struct cog_error *err);
    /* True when the key has a PIN: ask it through the conversation first
     * (only when user verification is required). */
    bool (*needs_pin)(void *ctx);
    /* Releases ctx (may be NULL). */
    void (*close)(void *ctx);
    /* Enrolment: makes a discoverable ES256 credential. NULL: cannot. */
    int (*make_credential)(void *ctx, const struct cog_webauthn_create_request *req,
                           const char *pin, struct cog_webauthn_new_credential *out,
                           struct cog_error *err);
};

/* Answers one WEB_AUTHN challenge: credential_request_options_json is the
 * CREDENTIAL_REQUEST_OPTIONS parameter as Cognito sent it (a JSON string);
 * *credential_json_out (malloc'd, caller frees) is the CREDENTIAL answer.
 * The origin is cfg->webauthn_origin, or https://<rpId>. Returns a cog_status
 * value: COG_ERR_INVALID_INPUT for options we refuse (bad rpId, no
 * challenge), COG_ERR_AUTH when the key refused or was not touched. */
int cog_webauthn_answer(const struct cog_config *cfg, const char *credential_request_options_json,
                        const struct cog_authenticator *auth, const char *pin,
                        char **credential_json_out, struct cog_error *err);

/* Enrolment: answers StartWebAuthnRegistration's CredentialCreationOptions
 * (creation_options_json, the object as JSON text) with the Credential that
 * CompleteWebAuthnRegistration takes (RegistrationResponseJSON, attestation
 * "none"); *credential_json_out is malloc'd JSON text. */
int cog_webauthn_register(const struct cog_config *cfg, const char *creation_options_json,
                          const struct cog_authenticator *auth, const char *pin,
                          char **credential_json_out, struct cog_error *err);
void cog_webauthn_new_credential_free(struct cog_webauthn_new_credential *c);

/* The same with the login's conversation around the key (auth.h's
 * callbacks, declared here without including auth.h): when the options
 * require user verification and the key has a PIN, asks it first with
 * cb->ask_password and COG_PROMPT_SECURITY_KEY_PIN (echo off; wiped after); then
 * shows COG_TEXT_TOUCH_KEY (cb->show_info) and waits for the key. */
struct cog_auth_callbacks;
int cog_webauthn_respond(const struct cog_config *cfg, const char *credential_request_options_json,
                         const struct cog_authenticator *auth, const struct cog_auth_callbacks *cb,
                         char **credential_json_out, struct cog_error *err);

/* Whether the options ask for user verification (to ask a PIN first). */
bool cog_webauthn_uv_required(const char *credential_request_options_json);

/* libfido2: the first FIDO2 key plugged in. COG_ERR_UNAVAILABLE when none. */
int cog_authenticator_fido2(struct cog_authenticator *out, struct cog_error *err);

/* The authenticator a login on this host uses: the first FIDO2 key; in a
 * build configured with --enable-test-hooks, the software key named by
 * $COGNITO_TEST_SOFTKEY instead when that is set. */
int cog_authenticator_default(struct cog_authenticator *out, struct cog_error *err);

/* Calls auth->close and clears *auth. */
void cog_authenticator_close(struct cog_authenticator *auth);

void cog_webauthn_assertion_free(struct cog_webauthn_assertion *a);

/* base64url without padding (WebAuthn's encoding); malloc'd, NULL on ENOMEM. */
char *cog_b64url_encode(const unsigned char *in, size_t n);
/* Decodes base64url (padding tolerated); NULL on a bad character or ENOMEM. */
unsigned char *cog_b64url_decode(const char *in, size_t *out_len);

#endif
