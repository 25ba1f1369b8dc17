#include "build-config.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <security/pam_ext.h>

#include "libcognito/util.h"
#include "pam_cognito/offline.h"
#include "pam_cognito/store.h"

/* libxcrypt's default yescrypt cost, what passwd(1) uses on Debian:
 * tens of milliseconds per guess, on purpose. */
#define YESCRYPT_PREFIX "$y$"
#define YESCRYPT_COST 5
/* A record from the future is a clock step or a forgery. */
#define SKEW 60

static char *offline_dir(const struct cog_config *cfg)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/offline", cfg->private_dir) < 0)
        return NULL;
    return dir;
}

/* crypt_rn of password with setting; the hash is copied into out. */
static bool hash(const char *password, const char *setting, char out[CRYPT_OUTPUT_SIZE])
{
    struct crypt_data *data = calloc(1, sizeof(*data));
    bool ok = false;
    if (data == NULL)
        return false;
    const char *h = crypt_rn(password, setting, data, (int)sizeof(*data));
    /* libxcrypt fails with a hash starting with '*'. */
    if (h != NULL && h[0] != '*' && strlen(h) < CRYPT_OUTPUT_SIZE) {
        memcpy(out, h, strlen(h) + 1);
        ok = true;
    }
    cog_wipe(data, sizeof(*data));
    free(data);
    return ok;
}

void pc_offline_remember(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user, const char *password,
                         bool mfa)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    char verifier[CRYPT_OUTPUT_SIZE] = "";
    struct cog_error err = {0};
    struct json_object *o = NULL;
    char *dir = offline_dir(cfg);

    if (cfg->offline_login != COG_OFFLINE_PASSWORD)
        goto out;
    if (crypt_gensalt_rn(YESCRYPT_PREFIX, YESCRYPT_COST, NULL, 0, setting, sizeof(setting)) ==
            NULL ||
        !hash(password, setting, verifier)) {
        pam_syslog(pamh, LOG_ERR, "cannot make an offline verifier for %s", user);
        goto out;
    }
    o = json_object_new_object();
    if (dir == NULL || o == NULL || !pc_json_add_int(o, "version", 1) ||
        !cog_json_add_string(o, "user", user) || !cog_json_add_string(o, "verifier", verifier) ||
        !pc_json_add_int(o, "time", (long long)time(NULL)) || !pc_json_add_bool(o, "mfa", mfa)) {
        pam_syslog(pamh, LOG_ERR, "out of memory keeping the offline verifier of %s", user);
        goto out;
    }
    if (pc_store_dir(cfg->private_dir, true, &err) != COG_OK ||
        pc_store_write(dir, user, o, &err) != COG_OK) {
        pam_syslog(pamh, LOG_ERR, "cannot keep the offline verifier of %s: %s", user, err.message);
        goto out;
    }
    pc_debug(pamh, args, "offline verifier of %s kept%s", user, mfa ? " (an MFA user)" : "");
out:
    cog_wipe(verifier, sizeof(verifier));
    cog_json_put_wiped(o);
    free(dir);
}

void pc_offline_forget(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       const char *user)
{
    char *dir = offline_dir(cfg);
    if (dir != NULL)
        pc_store_remove(dir, user);
    free(dir);
    pc_debug(pamh, args, "no offline verifier of %s is kept", user);
}

int pc_offline_login(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                     struct pc_conv *conv, const char *user, const char *password)
{
    char computed[CRYPT_OUTPUT_SIZE] = "";
    struct cog_error err = {0};
    struct json_object *o = NULL;
    char *dir = offline_dir(cfg);
    long long when = 0;
    bool mfa = true;
    int rc = PAM_AUTHINFO_UNAVAIL;
    time_t now = time(NULL);

    if (cfg->offline_login != COG_OFFLINE_PASSWORD || dir == NULL)
        goto out;
    if (pc_store_read(dir, user, &o, &err) != COG_OK) {
        pc_debug(pamh, args, "no offline login for %s: %s", user, err.message);
        goto out;
    }
    const char *owner = cog_json_string(o, "user");
    const char *verifier = cog_json_string(o, "verifier");
    if (owner == NULL || strcmp(owner, user) != 0 || verifier == NULL ||
        strncmp(verifier, YESCRYPT_PREFIX, strlen(YESCRYPT_PREFIX)) != 0 ||
        !pc_json_int(o, "time", &when) || !pc_json_bool(o, "mfa", &mfa)) {
        pam_syslog(pamh, LOG_ERR, "the offline verifier of %s is damaged", user);
        goto out;
    }
    if (when > (long long)now + SKEW || (long long)now - when > cfg->offline_max_age) {
        pam_syslog(pamh, LOG_NOTICE,
                   "no offline login for %s: the last online login is older than "
                   "offline_max_age (%d s)",
                   user, cfg->offline_max_age);
        goto out;
    }
    if (mfa && !cfg->offline_login_mfa_users) {
        pam_syslog(pamh, LOG_NOTICE,
                   "no offline login for %s: an MFA user (offline_login_mfa_users=no)", user);
        goto out;
    }
    size_t n = strlen(verifier);
    if (!hash(password, verifier, computed) || strlen(computed) != n ||
        CRYPTO_memcmp(computed, verifier, n) != 0) {
        pam_syslog(pamh, LOG_NOTICE, "offline login of %s refused: wrong password", user);
        rc = PAM_AUTH_ERR;
        goto out;
    }
    pam_syslog(pamh, LOG_NOTICE,
               "offline login of %s with the cached password: Cognito is unreachable, the last "
               "online login was %lld s ago",
               user, (long long)now - when);
    pc_conv_say(conv, PAM_TEXT_INFO, PC_OFFLINE_TEXT);
    rc = PAM_SUCCESS;
out:
    cog_wipe(computed, sizeof(computed));
    cog_json_put_wiped(o);
    free(dir);
    return rc;
}
