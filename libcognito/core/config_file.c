/* The files the configuration lives in: cognito.conf itself (root's, not
 * writable by others, readable by all so ordinary users' cognitoctl works)
 * and the app client's secret, in a root-only file of its own. */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcognito/core/config.h"
#include "libcognito/core/util.h"

#define CONFIG_FILE_MAX (256 * 1024)
#define SECRET_FILE_MAX 4096
#define SECRET_MAX 128

/* An app client secret: what the console shows, base32-ish letters and digits. */
static bool secret_chars_valid(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > SECRET_MAX)
        return false;
    for (const char *p = v; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '/' || *p == '=' || *p == '_' || *p == '-'))
            return false;
    }
    return true;
}

/* Reads the secret from path into cfg->client_secret. A caller other than
 * root who may not read it gets cfg->client_secret_unreadable and no error:
 * authorized-keys, users and cache need no secret. */
static cog_status read_secret_file(struct cog_config *cfg, const char *path, const char *at,
                                   struct cog_error *err)
{
    cog_status st;
    char *buf = NULL, *secret = NULL;
    size_t len = 0;
    unsigned mode = 0;
    struct cog_error why = {0};

    cfg->client_secret_unreadable = false;
    if (geteuid() != 0 && access(path, R_OK) != 0 && errno == EACCES) {
        cfg->client_secret_unreadable = true;
        return COG_OK;
    }
    st = cog_read_trusted_file(path, SECRET_FILE_MAX, &buf, &len, &mode, &why);
    if (st != COG_OK) {
        /* why names the secret file; say which line of which config led there */
        st = cog_error_set(err, st == COG_ERR_NOMEM ? st : COG_ERR_CONFIG, NULL,
                           "%skey 'client_secret_file': %s", at, why.message);
        goto out;
    }
    /* A secret others can read is no secret. */
    if (mode & 077) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%skey 'client_secret_file': %s: holds the client secret but group or "
                           "others may read it (chown root; chmod 0600)",
                           at, path);
        goto out;
    }
    /* One line; its end (\n, \r\n) and white space around it dropped. */
    for (size_t n = len; n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'); n--)
        buf[n - 1] = '\0';
    char *line = cog_trim(buf);
    if (strchr(line, '\n') != NULL || !secret_chars_valid(line)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%skey 'client_secret_file': %s: not one app client secret on one line",
                           at, path);
        goto out;
    }
    secret = strdup(line);
    if (secret == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    cog_free_secret(cfg->client_secret);
    cfg->client_secret = secret;
out:
    if (buf != NULL) {
        cog_wipe(buf, len);
        free(buf);
    }
    return st;
}

cog_status cog_config_secret_set(struct cog_config *cfg, const char *key, const char *at,
                                 struct cog_error *err)
{
    bool is_file = strcmp(key, "client_secret_file") == 0;
    if (!is_file && strcmp(key, "client_secret") != 0)
        return COG_OK;
    if (is_file ? cfg->client_secret_line != 0 : cfg->client_secret_file != NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "%sclient_secret and client_secret_file both given: keep only "
                             "client_secret_file",
                             at);
    return is_file ? read_secret_file(cfg, cfg->client_secret_file, at, err) : COG_OK;
}

cog_status cog_config_load_file(struct cog_config *cfg, const char *path, struct cog_error *err)
{
    cog_status st;
    char *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;

    st = cog_read_trusted_file(path, CONFIG_FILE_MAX, &buf, &len, &mode, err);
    if (st != COG_OK) {
        if (st == COG_ERR_INVALID_INPUT)
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: no such file", path);
        goto out;
    }
    cog_config_begin_source(cfg);
    cfg->client_secret_line = 0;
    st = cog_config_parse_buffer(cfg, buf, len, path, err);
    if (st != COG_OK)
        goto out;
    /* cognito.conf is meant to be world-readable; a secret in it is not one. */
    if (cfg->client_secret_line != 0 && (mode & 044)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s:%u: client_secret in a file others can read: put the secret alone "
                           "in a root-only file (chmod 0600) and name it with client_secret_file",
                           path, cfg->client_secret_line);
        goto out;
    }
out:
    if (buf != NULL) {
        cog_wipe(buf, len);
        free(buf);
    }
    return st;
}
