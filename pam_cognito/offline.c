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

#include "libcognito/core/util.h"
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

/* The record's names of the factors, in bit order. */
static const char *const factor_names[] = {"password", "mfa", "custom_challenge", "device"};
#define N_FACTORS (sizeof(factor_names) / sizeof(factor_names[0]))

unsigned pc_offline_factors(const struct cog_auth_result *res)
{
    return PC_FACTOR_PASSWORD | (res->passed_mfa ? PC_FACTOR_MFA : 0) |
           (res->passed_custom ? PC_FACTOR_CUSTOM : 0) |
           (res->device_authenticated ? PC_FACTOR_DEVICE : 0);
}

static struct json_object *factors_json(unsigned factors)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; a != NULL && i < N_FACTORS; i++) {
        if ((factors & (1u << i)) == 0)
            continue;
        struct json_object *name = json_object_new_string(factor_names[i]);
        if (name == NULL || json_object_array_add(a, name) != 0) {
            json_object_put(name);
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

/* The record's factors; false when a name is unknown (a newer module's
 * factor this one cannot judge) or the list is damaged. */
static bool factors_of(struct json_object *o, unsigned *factors)
{
    struct json_object *a = json_object_object_get(o, "factors");
    *factors = 0;
    if (!json_object_is_type(a, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(a, i));
        size_t f = 0;
        while (f < N_FACTORS && (name == NULL || strcmp(name, factor_names[f]) != 0))
            f++;
        if (f == N_FACTORS)
            return false;
        *factors |= 1u << f;
    }
    return (*factors & PC_FACTOR_PASSWORD) != 0;
}

void pc_offline_remember(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user, const char *password,
                         unsigned factors)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    char verifier[CRYPT_OUTPUT_SIZE] = "";
    struct cog_error err = {0};
    struct json_object *o = NULL, *list = NULL;
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
    list = factors_json(factors);
    if (dir == NULL || o == NULL || list == NULL || !pc_json_add_int(o, "version", 2) ||
        !cog_json_add_string(o, "user", user) || !cog_json_add_string(o, "verifier", verifier) ||
        !pc_json_add_int(o, "time", (long long)time(NULL)) ||
        json_object_object_add(o, "factors", list) != 0) {
        pam_syslog(pamh, LOG_ERR, "out of memory keeping the offline verifier of %s", user);
        goto out;
    }
    list = NULL;
    if (pc_store_dir(cfg->private_dir, true, &err) != COG_OK ||
        pc_store_write(dir, user, o, &err) != COG_OK) {
        pam_syslog(pamh, LOG_ERR, "cannot keep the offline verifier of %s: %s", user, err.message);
        goto out;
    }
    pc_debug(pamh, args, "offline verifier of %s kept (factors %#x)", user, factors);
out:
    cog_wipe(verifier, sizeof(verifier));
    json_object_put(list);
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

/* The user's verifier record, checked: its time and factors. NULL (and
 * logged) when there is none fit to use. */
static struct json_object *load(pam_handle_t *pamh, const struct pc_args *args,
                                const struct cog_config *cfg, const char *user, long long *when,
                                unsigned *factors)
{
    struct cog_error err = {0};
    struct json_object *o = NULL;
    long long version = 0;
    char *dir = offline_dir(cfg);

    if (cfg->offline_login != COG_OFFLINE_PASSWORD || dir == NULL)
        goto out;
    if (pc_store_read(dir, user, &o, &err) != COG_OK) {
        pc_debug(pamh, args, "no offline login for %s: %s", user, err.message);
        goto out;
    }
    const char *owner = cog_json_string(o, "user");
    const char *verifier = cog_json_string(o, "verifier");
    /* Version 1 records did not say which factors the login needed. */
    if (!pc_json_int(o, "version", &version) || version != 2 || owner == NULL ||
        strcmp(owner, user) != 0 || verifier == NULL ||
        strncmp(verifier, YESCRYPT_PREFIX, strlen(YESCRYPT_PREFIX)) != 0 ||
        !pc_json_int(o, "time", when) || !factors_of(o, factors)) {
        pam_syslog(pamh, LOG_ERR, "the offline verifier of %s is damaged or too old a format",
                   user);
        cog_json_put_wiped(o);
        o = NULL;
    }
out:
    free(dir);
    return o;
}

/* Whether password is the one o's verifier holds (constant time). */
static bool matches(struct json_object *o, const char *password)
{
    char computed[CRYPT_OUTPUT_SIZE] = "";
    const char *verifier = cog_json_string(o, "verifier");
    size_t n = strlen(verifier);
    bool ok = hash(password, verifier, computed) && strlen(computed) == n &&
              CRYPTO_memcmp(computed, verifier, n) == 0;
    cog_wipe(computed, sizeof(computed));
    return ok;
}

void pc_offline_forget_if_stale(pam_handle_t *pamh, const struct pc_args *args,
                                const struct cog_config *cfg, const char *user,
                                const char *password)
{
    long long when = 0;
    unsigned factors = 0;
    struct json_object *o = load(pamh, args, cfg, user, &when, &factors);
    if (o != NULL && matches(o, password)) {
        pam_syslog(pamh, LOG_NOTICE,
                   "Cognito refused the password the offline verifier of %s holds; dropped it",
                   user);
        pc_offline_forget(pamh, args, cfg, user);
    }
    cog_json_put_wiped(o);
}

int pc_offline_login(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                     struct pc_conv *conv, const char *user, const char *password)
{
    long long when = 0;
    unsigned factors = 0;
    int rc = PAM_AUTHINFO_UNAVAIL;
    time_t now = time(NULL);
    struct json_object *o = load(pamh, args, cfg, user, &when, &factors);

    if (o == NULL)
        goto out;
    if (when > (long long)now + SKEW || (long long)now - when > cfg->offline_max_age) {
        pam_syslog(pamh, LOG_NOTICE,
                   "no offline login for %s: the last online login is older than "
                   "offline_max_age (%d s)",
                   user, cfg->offline_max_age);
        goto out;
    }
    /* Offline, only the password can be proven: a user whose online login
     * needed more (MFA, a custom challenge, the remembered device) gets in
     * with less only where the administrator said so. */
    if (factors != PC_FACTOR_PASSWORD && !cfg->offline_login_mfa_users) {
        pam_syslog(pamh, LOG_NOTICE,
                   "no offline login for %s: the online login needed more than the password "
                   "(factors %#x, offline_login_mfa_users=no)",
                   user, factors);
        goto out;
    }
    if (!matches(o, password)) {
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
    cog_json_put_wiped(o);
    return rc;
}
