/* What a string key's value may be: the rules of each key whose value has
 * a shape (a region, a pool id, a URL, a proxy, a scope list...), apart
 * from the parser (config.c), which knows only types. */
#include "build-config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "libcognito/core/config_values.h"
#include "libcognito/core/config_mapping.h"
#include "libcognito/core/util.h"

/* UserStatus names as Cognito spells them (FORCE_CHANGE_PASSWORD, ...),
 * comma-separated; account.c reads the list. */
static const char *check_user_status_list(const char *value)
{
    for (const char *p = value;; p++) {
        size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        if (n == 0 || n > 32)
            return "must be UserStatus names (CAPITALS and _) separated by commas";
        p += n;
        if (*p == '\0')
            return NULL;
        if (*p != ',')
            return "must be UserStatus names (CAPITALS and _) separated by commas";
    }
}

/* Where hosts fetch the snapshot: an S3 bucket (and prefix), an https URL
 * or a local directory; no spaces or controls (they end up in URLs). */
static const char *check_snapshot_url(const char *v)
{
    for (const char *p = v; *p != '\0'; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return "a URL with spaces or control characters";
    }
    if (strncmp(v, "s3://", 5) == 0 && v[5] != '\0' && v[5] != '/')
        return NULL;
    if (strncmp(v, "https://", 8) == 0 && v[8] != '\0')
        return NULL;
    if (v[0] == '/')
        return NULL;
    return "not s3://BUCKET/PREFIX, an https:// URL or an absolute path";
}

/* A WebAuthn origin: https://HOST[:PORT], no path, no trailing slash, no
 * user info; it goes verbatim into clientDataJSON. */
static const char *check_webauthn_origin(const char *v)
{
    if (strncmp(v, "https://", 8) != 0 || v[8] == '\0' || strlen(v) > 253 + 14)
        return "not an origin (https://HOST or https://HOST:PORT)";
    const char *host = v + 8;
    size_t n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    if (n == 0)
        return "not an origin (https://HOST or https://HOST:PORT)";
    if (host[n] == ':') {
        size_t d = strspn(host + n + 1, "0123456789");
        if (d == 0 || d > 5)
            return "not an origin (https://HOST or https://HOST:PORT)";
        n += 1 + d;
    }
    return host[n] == '\0' ? NULL
                           : "not an origin (https://HOST or https://HOST:PORT, no path or '/')";
}

/* An http(s) URL: the instance metadata service (IMDS is plain http). */
static const char *check_http_url(const char *value)
{
    bool ok = (strncmp(value, "https://", 8) == 0 && value[8] != '\0') ||
              (strncmp(value, "http://", 7) == 0 && value[7] != '\0');
    return ok && strpbrk(value, " \t") == NULL ? NULL : "not an http:// or https:// URL";
}

/* Rules of string keys that other parts own: NULL when fine, else why. */
static const struct {
    const char *name;
    const char *(*check)(const char *value);
} key_checks[] = {
    {"username_attribute", cog_mapping_check_attribute},
    {"uid_attribute", cog_mapping_check_attribute},
    {"ssh_key_attribute", cog_mapping_check_attribute},
    {"group_gids", cog_mapping_check_group_gids},
    {"group_map", cog_mapping_check_group_map},
    {"home_template", cog_mapping_check_home_template},
    {"deny_names", cog_mapping_check_deny_names},
    {"allowed_user_status", check_user_status_list},
    {"snapshot_url", check_snapshot_url},
    {"webauthn_origin", check_webauthn_origin},
    {"imds_endpoint", check_http_url},
};

static bool region_valid(const char *v)
{
    /* e.g. us-east-1, eu-central-2, us-gov-west-1: lowercase letters, digits, dashes. */
    size_t n = strlen(v);
    if (n < 4 || n > 32)
        return false;
    for (const char *p = v; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    }
    return true;
}

static bool pool_id_valid(const char *v)
{
    /* <region>_<name>: the name is what SRP hashes. */
    const char *us = strchr(v, '_');
    if (us == NULL || us == v || us[1] == '\0' || strlen(v) > 55)
        return false;
    for (const char *p = us + 1; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    }
    char region[40];
    size_t rl = (size_t)(us - v);
    if (rl >= sizeof(region))
        return false;
    memcpy(region, v, rl);
    region[rl] = '\0';
    return region_valid(region);
}

static bool token_chars_valid(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return false;
    for (const char *p = v; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '/' || *p == '=' || *p == '_' || *p == '-'))
            return false;
    }
    return true;
}

/* REGION:ID, as in us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9. */
static bool identity_pool_id_valid(const char *v)
{
    const char *colon = strchr(v, ':');
    char region[40];
    if (colon == NULL || (size_t)(colon - v) >= sizeof(region) || strlen(colon + 1) < 1 ||
        strlen(colon + 1) > 64)
        return false;
    memcpy(region, v, (size_t)(colon - v));
    region[colon - v] = '\0';
    for (const char *p = colon + 1; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
              *p == '-'))
            return false;
    }
    return region_valid(region);
}

/* Names and paths that go into ~/.aws/config and a credential_process
 * command line unquoted. */
static bool plain_chars(const char *v, const char *extra)
{
    for (const char *p = v; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(extra, *p) != NULL))
            return false;
    }
    return true;
}

/* http://HOST[:PORT][/] or https://...: a CONNECT proxy. No user:password@
 * (cognito.conf is world-readable), nothing libcurl would read as another
 * scheme (socks*, a bare host), no spaces or controls. */
static bool proxy_valid(const char *v)
{
    const char *host = NULL;
    if (strncmp(v, "http://", 7) == 0)
        host = v + 7;
    else if (strncmp(v, "https://", 8) == 0)
        host = v + 8;
    if (host == NULL || *host == '\0' || *host == '/' || *host == ':')
        return false;
    for (const char *p = host; *p; p++) {
        if (*p == '@' || *p == ' ' || *p == '?' || *p == '#' || (unsigned char)*p < 0x21 ||
            (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

/* Checks a string value against its key's rule; NULL when fine, else why. */
const char *cog_config_check_value(const char *name, enum cog_value_kind kind, const char *v)
{
    /* TLS is always verified, so only https endpoints make sense. */
    if (kind == COG_VALUE_URL)
        return strncmp(v, "https://", 8) == 0 && v[8] != '\0' && !strchr(v, ' ')
                   ? NULL
                   : "not an https:// URL";
    if (kind == COG_VALUE_PATH && v[0] != '/')
        return "not an absolute path";
    if (strcmp(name, "aws_credentials_dir") == 0)
        return plain_chars(v, "/._-") ? NULL
                                      : "a path with characters other than A-Z a-z 0-9 / . _ -";
    if (kind == COG_VALUE_PATH)
        return NULL;
    for (size_t i = 0; i < sizeof(key_checks) / sizeof(key_checks[0]); i++) {
        if (strcmp(name, key_checks[i].name) == 0)
            return key_checks[i].check(v);
    }
    if (strcmp(name, "region") == 0)
        return region_valid(v) ? NULL : "not an AWS region name";
    if (strcmp(name, "user_pool_id") == 0)
        return pool_id_valid(v) ? NULL : "not a user pool id (REGION_NAME)";
    if (strcmp(name, "client_id") == 0 || strcmp(name, "device_client_id") == 0)
        return token_chars_valid(v, 128) ? NULL : "not an app client id";
    if (strcmp(name, "client_secret") == 0)
        return token_chars_valid(v, 128) ? NULL : "not an app client secret";
    /* It becomes the "issuer:" of an otpauth:// label. */
    if (strcmp(name, "identity_pool_id") == 0)
        return identity_pool_id_valid(v) ? NULL : "not an identity pool id (REGION:ID)";
    if (strcmp(name, "aws_profile") == 0)
        return strlen(v) <= 64 && plain_chars(v, "._-")
                   ? NULL
                   : "not a profile name (at most 64 of A-Z a-z 0-9 . _ -)";
    if (strcmp(name, "proxy") == 0)
        return proxy_valid(v) ? NULL
                              : "not a proxy URL (http://HOST:PORT or https://HOST:PORT, "
                                "no credentials)";
    if (strcmp(name, "device_scope") == 0)
        return strlen(v) <= 512 && plain_chars(v, " .:/_-") ? NULL : "not a list of OAuth scopes";
    if (strcmp(name, "totp_issuer") == 0)
        return strlen(v) <= 64 && strchr(v, ':') == NULL ? NULL
                                                         : "longer than 64 characters or has a ':'";
    return NULL;
}
