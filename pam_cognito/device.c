#include "build-config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <security/pam_ext.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/srp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/device.h"
#include "pam_cognito/store.h"

static char *devices_dir(const struct cog_config *cfg)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/devices", cfg->private_dir) < 0)
        return NULL;
    return dir;
}

void pc_device_clear(struct pc_device *d)
{
    if (d == NULL)
        return;
    free(d->key);
    free(d->group_key);
    cog_free_secret(d->password);
    memset(d, 0, sizeof(*d));
}

/* What goes on the wire as DEVICE_KEY and into an SRP hash. */
static bool usable(const char *s)
{
    return s != NULL && s[0] != '\0' && cog_text_valid(s, 256);
}

/* remember_device, and for a remote login (PAM_RHOST set: sshd, a remote
 * login) remember_device_remote too: with the device on this host, anyone
 * who has the password skips MFA, and from afar that is anyone at all. */
static bool device_allowed(pam_handle_t *pamh, const struct pc_args *args,
                           const struct cog_config *cfg)
{
    const void *rhost = NULL;
    if (!cfg->remember_device)
        return false;
    if (cfg->remember_device_remote)
        return true;
    if (pam_get_item(pamh, PAM_RHOST, &rhost) == PAM_SUCCESS && rhost != NULL &&
        ((const char *)rhost)[0] != '\0') {
        pc_debug(pamh, args, "no remembered device for a remote login (remember_device_remote=no)");
        return false;
    }
    return true;
}

bool pc_device_load(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                    const char *user, struct pc_device *d)
{
    struct cog_error err = {0};
    struct json_object *o = NULL;
    char *dir = devices_dir(cfg);
    bool ok = false;

    memset(d, 0, sizeof(*d));
    if (!device_allowed(pamh, args, cfg) || dir == NULL)
        goto out;
    if (pc_store_read(dir, user, &o, &err) != COG_OK) {
        pc_debug(pamh, args, "no remembered device for %s: %s", user, err.message);
        goto out;
    }
    const char *owner = cog_json_string(o, "user");
    const char *key = cog_json_string(o, "device_key");
    const char *group = cog_json_string(o, "device_group_key");
    const char *password = cog_json_string(o, "device_password");
    if (owner == NULL || strcmp(owner, user) != 0 || !usable(key) || !usable(group) ||
        !usable(password)) {
        pam_syslog(pamh, LOG_ERR, "the device record of %s is damaged; dropping it", user);
        pc_store_remove(dir, user);
        goto out;
    }
    d->key = strdup(key);
    d->group_key = strdup(group);
    d->password = strdup(password);
    ok = d->key != NULL && d->group_key != NULL && d->password != NULL;
    if (!ok)
        pc_device_clear(d);
out:
    cog_json_put_wiped(o);
    free(dir);
    return ok;
}

void pc_device_forget(pam_handle_t *pamh, const struct cog_config *cfg, const char *user)
{
    char *dir = devices_dir(cfg);
    if (dir != NULL)
        pc_store_remove(dir, user);
    free(dir);
    pam_syslog(pamh, LOG_NOTICE, "Cognito no longer knows the remembered device of %s; dropped it",
               user);
}

static cog_status save(const struct cog_config *cfg, const char *user, const char *key,
                       const char *group, const char *password, struct cog_error *err)
{
    cog_status st;
    char *dir = devices_dir(cfg);
    struct json_object *o = json_object_new_object();

    if (dir == NULL || o == NULL || !pc_json_add_int(o, "version", 1) ||
        !cog_json_add_string(o, "user", user) || !cog_json_add_string(o, "device_key", key) ||
        !cog_json_add_string(o, "device_group_key", group) ||
        !cog_json_add_string(o, "device_password", password) ||
        !pc_json_add_int(o, "created", (long long)time(NULL))) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* private_dir first: devices/ is made inside it, both root's alone. */
    if ((st = pc_store_dir(cfg->private_dir, true, err)) == COG_OK)
        st = pc_store_write(dir, user, o, err);
out:
    cog_json_put_wiped(o);
    free(dir);
    return st;
}

void pc_device_remember(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg, struct cog_idp *idp, const char *user,
                        const struct cog_auth_result *res)
{
    struct cog_srp_device_secret secret = {0};
    struct cog_error err = {0};
    char host[HOST_NAME_MAX + 1] = "";
    bool confirm = false;
    cog_status st;

    if (!device_allowed(pamh, args, cfg) || !res->passed_mfa || !usable(res->new_device_key) ||
        !usable(res->new_device_group_key))
        return;
    if (gethostname(host, sizeof(host) - 1) != 0 || !cog_text_valid(host, sizeof(host)))
        snprintf(host, sizeof(host), "pam_cognito");
    /* Each call is a network step of its own: the login's deadline is spent. */
    cog_http_begin_step(idp->http);
    st = cog_srp_device_secret_new(res->new_device_group_key, res->new_device_key, NULL, NULL,
                                   &secret, &err);
    if (st == COG_OK)
        st = cog_confirm_device(idp, res->access_token, res->new_device_key, &secret, host,
                                &confirm, &err);
    if (st == COG_OK && confirm) {
        cog_http_begin_step(idp->http);
        st = cog_update_device_status(idp, res->access_token, res->new_device_key, true, &err);
    }
    if (st == COG_OK)
        st = save(cfg, user, res->new_device_key, res->new_device_group_key, secret.password_b64,
                  &err);
    if (st != COG_OK)
        pam_syslog(pamh, LOG_ERR, "cannot remember this host as a device of %s: %s", user,
                   err.message);
    else
        pc_debug(pamh, args, "this host is now a remembered device of %s", user);
    cog_srp_device_secret_clear(&secret);
}
