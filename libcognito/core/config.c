#include "build-config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/config.h"
#include "libcognito/core/config_values.h"
#include "libcognito/core/config_mapping.h"
#include "libcognito/core/util.h"

#define CONFIG_VALUE_MAX 4096

enum key_type {
    KEY_STRING,
    KEY_URL,
    KEY_PATH,
    KEY_INT,
    KEY_AUTH_FLOW,
    KEY_CHOICE,   /* one of `choices`, stored as its index in an enum field */
    KEY_BOOL,     /* yes/no, true/false, on/off, 1/0 */
    KEY_DURATION, /* seconds, or a number with s, m, h or d */
};

struct key_def {
    const char *name;
    enum key_type type;
    size_t offset;
    long min, max;              /* KEY_INT and KEY_DURATION bounds */
    bool secret;                /* never echoed in errors; needs a root-only file */
    const char *const *choices; /* KEY_CHOICE: NULL-terminated, in enum order */
};

static const char *const aws_credentials_choices[] = {"env", "file", "off", NULL};
static const char *const on_close_choices[] = {"revoke", "signout", "none", NULL};
static const char *const offline_choices[] = {"off", "password", NULL};
static const char *const ssh_key_options_choices[] = {"drop", "allow", NULL};
static const char *const qr_style_choices[] = {"dark", "light", NULL};
static const char *const preferred_challenge_choices[] = {
    "none", "PASSWORD_SRP", "PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN", NULL};
static const char *const passwordless_choices[] = {"no", "email", "sms", "any", NULL};
static const char *const device_login_choices[] = {"no", "fallback", NULL};

#define STR(field, t) t, offsetof(struct cog_config, field), 0, 0
#define CHOICE(field, list) KEY_CHOICE, offsetof(struct cog_config, field), 0, 0, false, list
static const struct key_def keys[] = {
    {"region", STR(region, KEY_STRING), false, NULL},
    {"user_pool_id", STR(user_pool_id, KEY_STRING), false, NULL},
    {"client_id", STR(client_id, KEY_STRING), false, NULL},
    {"client_secret", STR(client_secret, KEY_STRING), true, NULL},
    {"client_secret_file", STR(client_secret_file, KEY_PATH), false, NULL},
    {"endpoint", STR(endpoint, KEY_URL), false, NULL},
    {"ca_file", STR(ca_file, KEY_PATH), false, NULL},
    {"cache_dir", STR(cache_dir, KEY_PATH), false, NULL},
    {"state_dir", STR(state_dir, KEY_PATH), false, NULL},
    {"totp_issuer", STR(totp_issuer, KEY_STRING), false, NULL},
    {"qr_style", CHOICE(qr_style, qr_style_choices)},
    {"auth_flow", KEY_AUTH_FLOW, offsetof(struct cog_config, auth_flow), 0, 0, false, NULL},
    {"preferred_challenge", CHOICE(preferred_challenge, preferred_challenge_choices)},
    {"passwordless", CHOICE(passwordless, passwordless_choices)},
    {"user_context_data", KEY_BOOL, offsetof(struct cog_config, user_context_data), 0, 0, false,
     NULL},
    {"timeout", KEY_INT, offsetof(struct cog_config, timeout), 1, 300, false, NULL},
    {"early_start", KEY_BOOL, offsetof(struct cog_config, early_start), 0, 0, false, NULL},
    /* Cognito's sign-in session lives 3 minutes: an early answer older than
     * this is not used. */
    {"early_start_max_age", KEY_DURATION, offsetof(struct cog_config, early_start_max_age), 1, 170,
     false, NULL},
    {"pam_min_uid", KEY_INT, offsetof(struct cog_config, pam_min_uid), 0, 2147483647, false, NULL},
    /* users and groups: mapping.c owns the rules */
    {"username_attribute", STR(username_attribute, KEY_STRING), false, NULL},
    {"uid_attribute", STR(uid_attribute, KEY_STRING), false, NULL},
    {"uid_min", KEY_INT, offsetof(struct cog_config, uid_min), 1000, COG_ID_MAX, false, NULL},
    {"uid_max", KEY_INT, offsetof(struct cog_config, uid_max), 1000, COG_ID_MAX, false, NULL},
    {"gid_min", KEY_INT, offsetof(struct cog_config, gid_min), 1000, COG_ID_MAX, false, NULL},
    {"gid_max", KEY_INT, offsetof(struct cog_config, gid_max), 1000, COG_ID_MAX, false, NULL},
    {"group_gids", STR(group_gids, KEY_STRING), false, NULL},
    {"group_map", STR(group_map, KEY_STRING), false, NULL},
    {"home_template", STR(home_template, KEY_STRING), false, NULL},
    {"default_shell", STR(default_shell, KEY_PATH), false, NULL},
    {"ssh_key_attribute", STR(ssh_key_attribute, KEY_STRING), false, NULL},
    {"admin_credentials_file", STR(admin_credentials_file, KEY_PATH), false, NULL},
    {"local_passwd_file", STR(local_passwd_file, KEY_PATH), false, NULL},
    {"local_group_file", STR(local_group_file, KEY_PATH), false, NULL},
    {"deny_names", STR(deny_names, KEY_STRING), false, NULL},
    /* fleets: a signed snapshot (snapshot_install.c) */
    {"snapshot_url", STR(snapshot_url, KEY_STRING), false, NULL},
    {"snapshot_public_key", STR(snapshot_public_key, KEY_PATH), false, NULL},
    {"s3_endpoint", STR(s3_endpoint, KEY_URL), false, NULL},
    /* after the password */
    {"identity_pool_id", STR(identity_pool_id, KEY_STRING), false, NULL},
    {"identity_endpoint", STR(identity_endpoint, KEY_URL), false, NULL},
    {"aws_credentials", CHOICE(aws_credentials, aws_credentials_choices)},
    {"aws_credentials_dir", STR(aws_credentials_dir, KEY_PATH), false, NULL},
    {"aws_profile", STR(aws_profile, KEY_STRING), false, NULL},
    {"on_close", CHOICE(on_close, on_close_choices)},
    {"remember_device", KEY_BOOL, offsetof(struct cog_config, remember_device), 0, 0, false, NULL},
    {"private_dir", STR(private_dir, KEY_PATH), false, NULL},
    {"offline_login", CHOICE(offline_login, offline_choices)},
    {"offline_max_age", KEY_DURATION, offsetof(struct cog_config, offline_max_age), 60,
     10L * 365 * 86400, false, NULL},
    {"offline_login_mfa_users", KEY_BOOL, offsetof(struct cog_config, offline_login_mfa_users), 0,
     0, false, NULL},
    /* the caller's environment is not an input: transport and trust from here */
    {"proxy", STR(proxy, KEY_STRING), false, NULL},
    {"jwks_max_age", KEY_DURATION, offsetof(struct cog_config, jwks_max_age), 60, 30L * 86400,
     false, NULL},
    {"ssh_key_options", CHOICE(ssh_key_options, ssh_key_options_choices)},
    {"remember_device_remote", KEY_BOOL, offsetof(struct cog_config, remember_device_remote), 0, 0,
     false, NULL},
    /* fleet snapshot (snapshot_manifest.h): export writes, hosts read */
    {"snapshot_private_key", STR(snapshot_private_key, KEY_PATH), false, NULL},
    {"export_rps", KEY_INT, offsetof(struct cog_config, export_rps), 1, 30, false, NULL},
    {"imds_endpoint", STR(imds_endpoint, KEY_STRING), false, NULL},
    /* incremental export between full reads (cloudtrail.h) */
    {"cloudtrail_endpoint", STR(cloudtrail_endpoint, KEY_URL), false, NULL},
    {"export_full_hours", KEY_INT, offsetof(struct cog_config, export_full_hours), 1, 8760, false,
     NULL},
    /* who is active: account.c owns the rule */
    {"allowed_user_status", STR(allowed_user_status, KEY_STRING), false, NULL},
    /* passkeys: the origin of clientDataJSON (webauthn.c) */
    {"webauthn_origin", STR(webauthn_origin, KEY_STRING), false, NULL},
    /* the RFC 8628 device flow: device_flow.c owns it */
    {"device_login", CHOICE(device_login, device_login_choices)},
    {"device_endpoint", STR(device_endpoint, KEY_URL), false, NULL},
    {"device_client_id", STR(device_client_id, KEY_STRING), false, NULL},
    {"device_timeout", KEY_DURATION, offsetof(struct cog_config, device_timeout), 1, 3600, false,
     NULL},
    {"device_scope", STR(device_scope, KEY_STRING), false, NULL},
    {"hosted_ui_url", STR(hosted_ui_url, KEY_URL), false, NULL},
};
#undef STR
#undef CHOICE

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= COG_CONFIG_MAX_KEYS, "raise COG_CONFIG_MAX_KEYS");

void cog_config_init(struct cog_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->auth_flow = COG_FLOW_USER_SRP_AUTH;
    cfg->timeout = 10;
    cfg->early_start = true;
    cfg->user_context_data = true;
    cfg->early_start_max_age = COG_EARLY_START_MAX_AGE_DEFAULT;
    cfg->pam_min_uid = 1000;
    cfg->cache_dir = strdup(CACHEDIR);
    cfg->state_dir = strdup(COG_STATE_DIR_DEFAULT);
    cfg->private_dir = strdup(COG_PRIVATE_DIR_DEFAULT);
    cfg->aws_credentials_dir = strdup(COG_AWS_CREDENTIALS_DIR_DEFAULT);
    cfg->aws_profile = strdup("cognito");
    cfg->offline_max_age = COG_OFFLINE_MAX_AGE_DEFAULT;
    cfg->jwks_max_age = COG_JWKS_MAX_AGE_DEFAULT;
    cfg->export_rps = COG_EXPORT_RPS_DEFAULT;
    cfg->export_full_hours = COG_EXPORT_FULL_HOURS_DEFAULT;
    cfg->device_timeout = COG_DEVICE_TIMEOUT_DEFAULT;
    cog_mapping_config_defaults(cfg);
}

static bool holds_string(const struct key_def *k)
{
    return k->type == KEY_STRING || k->type == KEY_URL || k->type == KEY_PATH;
}

void cog_config_free(struct cog_config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (!holds_string(&keys[i]))
            continue;
        char **slot = (char **)((char *)cfg + keys[i].offset);
        if (keys[i].secret)
            cog_free_secret(*slot);
        else
            free(*slot);
        *slot = NULL;
    }
    free(cfg->source_path);
    cfg->source_path = NULL;
}

void cog_config_begin_source(struct cog_config *cfg)
{
    memset(cfg->seen, 0, sizeof(cfg->seen));
}

static const struct key_def *find_key(const char *name, size_t *index)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(keys[i].name, name) == 0) {
            if (index)
                *index = i;
            return &keys[i];
        }
    }
    return NULL;
}

bool cog_config_key_known(const char *key)
{
    return find_key(key, NULL) != NULL;
}

/* "FILE:LINE: " or "FILE: " or "" for error messages. */
static void where(char *buf, size_t len, const char *origin, unsigned line)
{
    if (origin && line)
        snprintf(buf, len, "%s:%u: ", origin, line);
    else if (origin)
        snprintf(buf, len, "%s: ", origin);
    else
        buf[0] = '\0';
}

/* What a message may quote of a key or value from the file: errors are logged
 * and shown, so a quote is valid text cut at a character boundary, never raw
 * bytes or half a UTF-8 sequence. */
static const char *quotable(const char *s, char *out, size_t out_len)
{
    size_t n = strnlen(s, out_len - 1);
    while (n > 0 && s[n] != '\0' && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    memcpy(out, s, n);
    out[n] = '\0';
    return cog_text_valid(out, out_len) ? out : "(not text)";
}

/* "a, b or c" of a choice key, into buf (at least 64 bytes). */
static const char *choice_list(const struct key_def *k, char *buf)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; k->choices[i] != NULL && len < 60; i++) {
        const char *sep = i == 0 ? "" : k->choices[i + 1] == NULL ? " or " : ", ";
        len += (size_t)snprintf(buf + len, 64 - len, "%s%s", sep, k->choices[i]);
    }
    return buf;
}

/* "90", "90s", "15m", "12h", "7d" in seconds; -1 when it is none of those. */
static long parse_duration(const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    long unit = 1;
    if (errno != 0 || end == v || n < 0 || v[0] == '-' || v[0] == '+')
        return -1;
    if (*end != '\0') {
        if (end[1] != '\0')
            return -1;
        switch (*end) {
        case 's':
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return -1;
        }
    }
    if (n > LONG_MAX / unit)
        return -1;
    return n * unit;
}

cog_status cog_config_set(struct cog_config *cfg, const char *key, const char *value,
                          const char *origin, unsigned line, struct cog_error *err)
{
    char at[PATH_MAX + 32];
    char quote[129];
    size_t index;
    where(at, sizeof(at), origin, line);

    const struct key_def *k = find_key(key, &index);
    if (k == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%sunknown key '%s'", at,
                             quotable(key, quote, 65));
    if (cfg->seen[index])
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s' given twice", at, k->name);
    if (value[0] == '\0')
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s' has an empty value", at,
                             k->name);
    if (strlen(value) > CONFIG_VALUE_MAX || !cog_text_valid(value, CONFIG_VALUE_MAX))
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s': value too long or not text",
                             at, k->name);

    void *slot = (char *)cfg + k->offset;
    switch (k->type) {
    case KEY_INT: {
        char *end;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (errno != 0 || *end != '\0' || end == value || n < k->min || n > k->max)
            return cog_error_set(err, COG_ERR_CONFIG, NULL,
                                 "%skey '%s': '%s' is not a number from %ld to %ld", at, k->name,
                                 quotable(value, quote, 33), k->min, k->max);
        *(int *)slot = (int)n;
        break;
    }
    case KEY_AUTH_FLOW:
        if (strcmp(value, "USER_SRP_AUTH") == 0)
            *(enum cog_auth_flow *)slot = COG_FLOW_USER_SRP_AUTH;
        else if (strcmp(value, "USER_PASSWORD_AUTH") == 0)
            *(enum cog_auth_flow *)slot = COG_FLOW_USER_PASSWORD_AUTH;
        else if (strcmp(value, "CUSTOM_AUTH") == 0)
            *(enum cog_auth_flow *)slot = COG_FLOW_CUSTOM_AUTH;
        else if (strcmp(value, "USER_AUTH") == 0)
            *(enum cog_auth_flow *)slot = COG_FLOW_USER_AUTH;
        else if (strcmp(value, "device") == 0)
            *(enum cog_auth_flow *)slot = COG_FLOW_DEVICE;
        else
            return cog_error_set(err, COG_ERR_CONFIG, NULL,
                                 "%skey 'auth_flow': '%s' is not USER_SRP_AUTH, "
                                 "USER_PASSWORD_AUTH, CUSTOM_AUTH, USER_AUTH or device",
                                 at, quotable(value, quote, 33));
        break;
    case KEY_CHOICE: {
        char names[64];
        int n = 0;
        while (k->choices[n] != NULL && strcmp(k->choices[n], value) != 0)
            n++;
        if (k->choices[n] == NULL)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s': '%s' is not one of %s", at,
                                 k->name, quotable(value, quote, 33), choice_list(k, names));
        *(int *)slot = n;
        break;
    }
    case KEY_BOOL: {
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};
        int v = -1;
        for (size_t i = 0; i < 4; i++) {
            if (strcmp(value, yes[i]) == 0)
                v = 1;
            else if (strcmp(value, no[i]) == 0)
                v = 0;
        }
        if (v < 0)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s': '%s' is not yes or no", at,
                                 k->name, quotable(value, quote, 33));
        *(bool *)slot = v == 1;
        break;
    }
    case KEY_DURATION: {
        long n = parse_duration(value);
        if (n < k->min || n > k->max)
            return cog_error_set(err, COG_ERR_CONFIG, NULL,
                                 "%skey '%s': '%s' is not a duration from %ld to %ld seconds "
                                 "(a number with s, m, h or d)",
                                 at, k->name, quotable(value, quote, 33), k->min, k->max);
        *(int *)slot = (int)n;
        break;
    }
    case KEY_URL:
    case KEY_PATH:
    case KEY_STRING: {
        const char *why = cog_config_check_value(k->name,
                                                 k->type == KEY_URL    ? COG_VALUE_URL
                                                 : k->type == KEY_PATH ? COG_VALUE_PATH
                                                                       : COG_VALUE_STRING,
                                                 value);
        if (why != NULL) {
            if (k->secret)
                return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s': %s", at, k->name, why);
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%skey '%s': '%s' is %s", at, k->name,
                                 quotable(value, quote, sizeof(quote)), why);
        }
        char *copy = strdup(value);
        if (copy == NULL)
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        char **s = slot;
        if (k->secret)
            cog_free_secret(*s);
        else
            free(*s);
        *s = copy;
        break;
    }
    }
    cfg->seen[index] = true;
    cfg->key_line[index] = line;
    if (strcmp(k->name, "client_secret") == 0)
        cfg->client_secret_line = line;
    return cog_config_secret_set(cfg, k->name, at, err);
}

cog_status cog_config_parse_buffer(struct cog_config *cfg, const char *buf, size_t len,
                                   const char *origin, struct cog_error *err)
{
    cog_status st = COG_OK;
    char *copy = NULL;
    unsigned lineno = 0;

    if ((st = cog_text_copy(buf, len, origin, &copy, err)) != COG_OK)
        goto out;
    free(cfg->source_path);
    if ((cfg->source_path = strdup(origin)) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }

    char *line = copy;
    while (line != NULL) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        /* '#' starts a comment anywhere: values never need one. */
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = cog_trim(line);
        if (*s != '\0') {
            char *eq = strchr(s, '=');
            if (eq == NULL) {
                st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s:%u: expected 'key = value'",
                                   origin, lineno);
                goto out;
            }
            *eq = '\0';
            char *key = cog_trim(s);
            char *value = cog_trim(eq + 1);
            if (*key == '\0') {
                st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s:%u: missing key", origin, lineno);
                goto out;
            }
            st = cog_config_set(cfg, key, value, origin, lineno, err);
            if (st != COG_OK)
                goto out;
        }
        line = next;
    }
out:
    if (copy != NULL) {
        cog_wipe(copy, len);
        free(copy);
    }
    return st;
}

cog_status cog_config_finish(const struct cog_config *cfg, struct cog_error *err)
{
    static const char *const required[] = {"region", "user_pool_id", "client_id"};
    char at[PATH_MAX + 32];
    size_t index = 0;
    /* Cross-key errors name the file, and the line of the key at fault. */
    where(at, sizeof(at), cfg->source_path, 0);
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const struct key_def *k = find_key(required[i], NULL);
        if (*(char *const *)((const char *)cfg + k->offset) == NULL)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%smissing required key '%s'", at,
                                 required[i]);
    }
    size_t rl = strlen(cfg->region);
    if (strncmp(cfg->user_pool_id, cfg->region, rl) != 0 || cfg->user_pool_id[rl] != '_') {
        find_key("user_pool_id", &index);
        where(at, sizeof(at), cfg->source_path, cfg->key_line[index]);
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%suser_pool_id '%s' is not in region '%s'",
                             at, cfg->user_pool_id, cfg->region);
    }
    if ((cfg->auth_flow == COG_FLOW_DEVICE || cfg->device_login != COG_DEVICE_LOGIN_NO) &&
        cfg->device_endpoint == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "%sauth_flow = device and device_login = fallback need "
                             "device_endpoint",
                             at);
    cog_status st = cog_mapping_check_config(cfg, err);
    if (st != COG_OK && err != NULL && at[0] != '\0') {
        char why[COG_ERROR_MESSAGE_MAX];
        snprintf(why, sizeof(why), "%s", err->message);
        cog_error_set(err, st, NULL, "%s%s", at, why);
    }
    return st;
}

/* An endpoint key's URL with the trailing '/' requests are made under. */
static char *with_slash(const char *endpoint)
{
    char *out = NULL;
    size_t n = strlen(endpoint);
    bool slash = n > 0 && endpoint[n - 1] == '/';
    if (asprintf(&out, "%s%s", endpoint, slash ? "" : "/") < 0)
        return NULL;
    return out;
}

char *cog_config_idp_url(const struct cog_config *cfg)
{
    char *out = NULL;
    if (cfg->endpoint != NULL)
        return with_slash(cfg->endpoint);
    if (asprintf(&out, "https://cognito-idp.%s.amazonaws.com/", cfg->region) < 0)
        return NULL;
    return out;
}

char *cog_config_issuer(const struct cog_config *cfg)
{
    char *out = NULL;
    /* Cognito signs the regional issuer even when reached through a VPC endpoint. */
    if (asprintf(&out, "https://cognito-idp.%s.amazonaws.com/%s", cfg->region, cfg->user_pool_id) <
        0)
        return NULL;
    return out;
}

char *cog_config_jwks_url(const struct cog_config *cfg)
{
    char *base = cog_config_idp_url(cfg);
    char *out = NULL;
    if (base == NULL)
        return NULL;
    if (asprintf(&out, "%s%s/.well-known/jwks.json", base, cfg->user_pool_id) < 0)
        out = NULL;
    free(base);
    return out;
}

const char *cog_config_pool_name(const struct cog_config *cfg)
{
    const char *us = cfg->user_pool_id ? strchr(cfg->user_pool_id, '_') : NULL;
    return us ? us + 1 : NULL;
}

void cog_config_identity_region(const struct cog_config *cfg, char *out, size_t len)
{
    const char *id = cfg->identity_pool_id;
    const char *colon = id ? strchr(id, ':') : NULL;
    if (colon != NULL)
        snprintf(out, len, "%.*s", (int)(colon - id), id);
    else
        snprintf(out, len, "%s", cfg->region ? cfg->region : "");
}

char *cog_config_identity_url(const struct cog_config *cfg)
{
    char region[40];
    char *out = NULL;
    if (cfg->identity_endpoint != NULL)
        return with_slash(cfg->identity_endpoint);
    cog_config_identity_region(cfg, region, sizeof(region));
    if (asprintf(&out, "https://cognito-identity.%s.amazonaws.com/", region) < 0)
        return NULL;
    return out;
}

char *cog_config_identity_provider(const struct cog_config *cfg)
{
    char *out = NULL;
    if (asprintf(&out, "cognito-idp.%s.amazonaws.com/%s", cfg->region, cfg->user_pool_id) < 0)
        return NULL;
    return out;
}
