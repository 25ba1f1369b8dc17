/* /etc/cognito/cognito.conf and PAM argv overrides, parsed into one struct.
 * Keys live in one table in config.c; later parts add rows, not parsers. */
#ifndef COGNITO_CONFIG_H
#define COGNITO_CONFIG_H

#include <stdbool.h>
#include "libcognito/core/error.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef CACHEDIR
#define CACHEDIR "/var/lib/cognito"
#endif
#define COG_CONFIG_DEFAULT_PATH SYSCONFDIR "/cognito/cognito.conf"
/* Root-only records one PAM phase leaves for the next (sshd runs them in
 * different processes): a tmpfs that a reboot empties. */
#ifndef COG_STATE_DIR_DEFAULT
#define COG_STATE_DIR_DEFAULT "/run/cognito"
#endif
/* Root-only secrets that must outlive a reboot: remembered devices and
 * offline-login verifiers. */
#ifndef COG_PRIVATE_DIR_DEFAULT
#define COG_PRIVATE_DIR_DEFAULT CACHEDIR "/private"
#endif
/* Per-user AWS credential files (aws_credentials = file): a tmpfs. */
#ifndef COG_AWS_CREDENTIALS_DIR_DEFAULT
#define COG_AWS_CREDENTIALS_DIR_DEFAULT "/run/cognito-credentials"
#endif
#define COG_OFFLINE_MAX_AGE_DEFAULT (7 * 86400)
#define COG_EARLY_START_MAX_AGE_DEFAULT 150
/* A cached JWKS older than this is fetched again, so withdrawn keys stop counting. */
#define COG_JWKS_MAX_AGE_DEFAULT 86400

enum cog_auth_flow {
    COG_FLOW_USER_SRP_AUTH = 0,
    COG_FLOW_USER_PASSWORD_AUTH,
    COG_FLOW_CUSTOM_AUTH, /* SRP first, then the pool's custom challenges */
    COG_FLOW_USER_AUTH,   /* choice-based: SELECT_CHALLENGE, codes, passkeys (auth_userauth.c) */
    COG_FLOW_DEVICE,      /* RFC 8628 device flow only (device_flow.h); passwords use SRP */
};

/* USER_AUTH's PREFERRED_CHALLENGE (preferred_challenge); NONE: Cognito offers a menu. */
enum cog_challenge_pref {
    COG_PREF_NONE = 0,
    COG_PREF_PASSWORD_SRP,
    COG_PREF_PASSWORD,
    COG_PREF_EMAIL_OTP,
    COG_PREF_SMS_OTP,
    COG_PREF_WEB_AUTHN,
};

/* passwordless: a pool user signs in with a one-time code only. */
enum cog_passwordless {
    COG_PASSWORDLESS_NO = 0,
    COG_PASSWORDLESS_EMAIL,
    COG_PASSWORDLESS_SMS,
    COG_PASSWORDLESS_ANY, /* whichever code the user can get (a menu when both) */
};

/* When PAM offers the device flow besides a password (auth_flow = device
 * always uses it). */
enum cog_device_login {
    COG_DEVICE_LOGIN_NO = 0,
    COG_DEVICE_LOGIN_FALLBACK, /* an empty password answer starts a device login */
};
#define COG_DEVICE_TIMEOUT_DEFAULT 300

/* Where a session's AWS credentials go (pam_cognito's session phase). */
enum cog_aws_output {
    COG_AWS_ENV = 0, /* the PAM environment: AWS_ACCESS_KEY_ID, ... */
    COG_AWS_FILE,    /* a user-only file and a credential_process profile */
    COG_AWS_OFF,
};

/* What closing a session does with its tokens. */
enum cog_on_close {
    COG_CLOSE_REVOKE = 0, /* RevokeToken on the refresh token */
    COG_CLOSE_SIGNOUT,    /* GlobalSignOut: every token of the user, everywhere */
    COG_CLOSE_NONE,
};

/* What `cognitoctl authorized-keys` does with a key line that carries
 * options (command=, from=, cert-authority, ...). */
enum cog_ssh_key_options {
    COG_SSH_OPTIONS_DROP = 0, /* plain keys only; others are logged and left out */
    COG_SSH_OPTIONS_ALLOW,    /* print option lines too (the attribute is admin-only) */
};

enum cog_offline {
    COG_OFFLINE_OFF = 0,
    COG_OFFLINE_PASSWORD, /* a cached password verifier, while Cognito is unreachable */
};

/* How a QR code is drawn on a terminal (qr.h): for a dark or a light background. */
enum cog_qr_style {
    COG_QR_DARK = 0,
    COG_QR_LIGHT,
};

#define COG_CONFIG_MAX_KEYS 96
#define COG_EXPORT_RPS_DEFAULT 5
#define COG_EXPORT_FULL_HOURS_DEFAULT 168

struct cog_config {
    char *region;
    char *user_pool_id;
    char *client_id;
    char *client_secret;      /* NULL when the app client has none */
    char *client_secret_file; /* root-only file holding client_secret */
    char *endpoint;           /* full URL; NULL means https://cognito-idp.<region>.amazonaws.com/ */
    char *ca_file;            /* extra trust anchor; verification is never off */
    char *cache_dir;          /* JWKS and other public caches */
    char *state_dir;          /* PAM's per-user login records (root only) */
    char *totp_issuer;        /* issuer shown by authenticator apps; NULL: the pool id */
    enum cog_qr_style qr_style; /* TOTP setup's QR code: dark (default) or light terminal */
    enum cog_auth_flow auth_flow;
    enum cog_challenge_pref preferred_challenge; /* USER_AUTH only */
    enum cog_passwordless passwordless;          /* implies USER_AUTH */
    bool user_context_data; /* UserContextData.IpAddress from a numeric PAM_RHOST */
    int timeout;            /* seconds a network step of a login may take */
    int pam_min_uid; /* PAM: local accounts below this uid (and root) are never Cognito users */

    /* Users and groups (mapping.h, cache.h): how pool users become Unix users. */
    char *username_attribute;     /* NULL: Cognito's Username */
    char *uid_attribute;          /* NULL: uid from a hash of sub */
    int uid_min, uid_max;         /* hashed uids (and private groups' gids) */
    int gid_min, gid_max;         /* hashed gids of Cognito groups */
    char *group_gids;             /* "cognito:gid,..." pins groups' gids */
    char *group_map;              /* "cognito:local,..." adds members to local groups */
    char *home_template;          /* %u name, %U uid, %% */
    char *default_shell;          /* login shell of every mapped user */
    char *ssh_key_attribute;      /* NULL: no SSH keys cached */
    char *admin_credentials_file; /* AWS keys for `cognitoctl sync` (root-only) */
    char *local_passwd_file;      /* local accounts the mapping must not collide with */
    char *local_group_file;       /* local groups: collisions, group_map targets */
    char *deny_names;             /* added to the built-in deny list of names */

    /* Fleets (snapshot_install.c): hosts install a signed snapshot instead of
     * reading the pool. */
    char *snapshot_url;        /* s3://BUCKET/PREFIX, https://HOST/PATH or /dir; NULL: off */
    char *snapshot_public_key; /* PEM Ed25519 public key the snapshot must verify with */
    char *s3_endpoint;         /* NULL: https://s3.<region>.amazonaws.com (path-style) */

    /* After the password: AWS credentials, token lifecycle, devices, offline. */
    char *identity_pool_id;  /* REGION:UUID; NULL: no AWS credentials */
    char *identity_endpoint; /* NULL: https://cognito-identity.<its region>.amazonaws.com/ */
    enum cog_aws_output aws_credentials;
    char *aws_credentials_dir;  /* file mode: <dir>/<uid>.json */
    char *aws_profile;          /* file mode: the ~/.aws/config profile */
    enum cog_on_close on_close; /* revoke, signout, none */
    bool remember_device;       /* make the host a remembered device after MFA */
    char *private_dir;          /* root-only, persistent: devices, offline verifiers */
    enum cog_offline offline_login;
    int offline_max_age;          /* seconds a verifier counts after its online login */
    bool offline_login_mfa_users; /* offline login also for users who pass MFA */
    bool remember_device_remote;  /* a remembered device also for logins with PAM_RHOST */

    /* The fleet exporter (snapshot_build.h, s3.h, cognitoctl export); the
     * snapshot_url and s3_endpoint it shares with hosts are above. */
    char *snapshot_private_key; /* PEM Ed25519, root-only: export signs with it */
    int export_rps;             /* the exporter's ListUsers/ListUsersInGroup budget */
    char *imds_endpoint;        /* NULL: http://169.254.169.254 */
    char *cloudtrail_endpoint;  /* NULL: https://cloudtrail.<region>.amazonaws.com */
    int export_full_hours;      /* a full read at least this often; incremental between */

    /* Who counts as active (account.h: cog_user_status_active). */
    char *allowed_user_status; /* UserStatus values besides CONFIRMED, EXTERNAL_PROVIDER */

    /* Passkeys (webauthn.h): clientDataJSON's origin; NULL: https://<rpId>. */
    char *webauthn_origin;

    /* Transport and trust: only from this file, never from the environment. */
    char *proxy;                              /* NULL: no proxy at all */
    int jwks_max_age;                         /* seconds a cached JWKS counts */
    enum cog_ssh_key_options ssh_key_options; /* authorized-keys: drop or allow */

    /* Speed (auth.h's early start): InitiateAuth while the password is typed,
     * and how many seconds its answer stays usable. */
    bool early_start;
    int early_start_max_age;

    /* The RFC 8628 device flow (device_flow.h) and the hosted UI it ends at. */
    enum cog_device_login device_login;
    char *device_endpoint;  /* base: <base>/device_authorization, <base>/token */
    char *device_client_id; /* NULL: client_id */
    int device_timeout;     /* seconds a whole device login may take */
    char *device_scope;     /* NULL: "openid profile" */
    char *hosted_ui_url;    /* https://<domain>.auth.<region>.amazoncognito.com */

    /* client_secret_file exists but this (non-root) caller may not read it:
     * only commands that never talk to the user pool can go on. */
    bool client_secret_unreadable;

    /* bookkeeping: which keys the current source has set (duplicate detection) */
    bool seen[COG_CONFIG_MAX_KEYS];
    unsigned client_secret_line;            /* where client_secret was set (0: argv or unset) */
    char *source_path;                      /* the file read, for messages after parsing */
    unsigned key_line[COG_CONFIG_MAX_KEYS]; /* each key's line in it (0: argv, default) */
};

void cog_config_init(struct cog_config *cfg);
void cog_config_free(struct cog_config *cfg);

/* Reads a file of `key = value` lines. The file must be owned by root (or by the
 * caller when the caller is not root) and not writable by group or others; it
 * may be readable by all (the tools ordinary users run read it). A
 * client_secret line must not sit in a file others can read: the secret goes
 * in a root-only file named by client_secret_file (config_file.c). */
cog_status cog_config_load_file(struct cog_config *cfg, const char *path, struct cog_error *err);

/* Parses a whole buffer (the file reader and the fuzzer use this). origin names
 * the source in error messages. */
cog_status cog_config_parse_buffer(struct cog_config *cfg, const char *buf, size_t len,
                                   const char *origin, struct cog_error *err);

/* Sets one key. origin/line name the source in errors (line 0: no line). */
cog_status cog_config_set(struct cog_config *cfg, const char *key, const char *value,
                          const char *origin, unsigned line, struct cog_error *err);

/* True when key is one the table knows (PAM argv tells config keys from its own flags). */
bool cog_config_key_known(const char *key);

/* Forgets which keys were seen, so a later source (PAM argv) may override the file. */
void cog_config_begin_source(struct cog_config *cfg);

/* config_file.c: called by cog_config_set after a key is stored; for
 * client_secret_file reads the secret (at: "FILE:LINE: " for messages). */
cog_status cog_config_secret_set(struct cog_config *cfg, const char *key, const char *at,
                                 struct cog_error *err);

/* Checks required keys and cross-key rules once all sources are read. */
cog_status cog_config_finish(const struct cog_config *cfg, struct cog_error *err);

/* Derived values. Each returns a malloc'd string (NULL on allocation failure). */
char *cog_config_idp_url(const struct cog_config *cfg); /* endpoint with trailing '/' */
char *
cog_config_issuer(const struct cog_config *cfg); /* https://cognito-idp.R.amazonaws.com/POOL */
char *cog_config_jwks_url(const struct cog_config *cfg); /* <idp url><pool>/.well-known/jwks.json */
/* The part of the pool id after '_' (SRP pool name); points into cfg. */
const char *cog_config_pool_name(const struct cog_config *cfg);
/* identity_endpoint with a trailing '/', or the identity pool's regional one. */
char *cog_config_identity_url(const struct cog_config *cfg);
/* The Logins key of the user pool: cognito-idp.REGION.amazonaws.com/POOL. */
char *cog_config_identity_provider(const struct cog_config *cfg);
/* The identity pool's region (the part before ':'); AWS_REGION of a session. */
void cog_config_identity_region(const struct cog_config *cfg, char *out, size_t len);

/* USER_AUTH is the flow: auth_flow says so, or passwordless implies it. */
static inline bool cog_config_user_auth(const struct cog_config *cfg)
{
    return cfg->auth_flow == COG_FLOW_USER_AUTH || cfg->passwordless != COG_PASSWORDLESS_NO;
}

#endif
