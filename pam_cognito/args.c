#include "build-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "libcognito/core/error.h"
#include "pam_cognito/args.h"

static const struct {
    const char *name;
    size_t offset;
} flags[] = {
    {"debug", offsetof(struct pc_args, debug)},
    {"use_first_pass", offsetof(struct pc_args, use_first_pass)},
    {"try_first_pass", offsetof(struct pc_args, try_first_pass)},
    {"use_authtok", offsetof(struct pc_args, use_authtok)},
    {"echo_codes", offsetof(struct pc_args, echo_codes)},
    {"allow_password_reset", offsetof(struct pc_args, allow_password_reset)},
    {"allow_confirm", offsetof(struct pc_args, allow_confirm)},
};

/* Yes/no config keys that may stand alone on a PAM line, meaning yes. */
static const char *const bare_keys[] = {
    "remember_device=yes",
    "remember_device_remote=yes",
    "offline_login_mfa_users=yes",
};

/* Everyone can read /etc/pam.d: a secret there would not be one. */
static const char *const file_only_keys[] = {"client_secret"};

static bool set_flag(struct pc_args *args, const char *arg)
{
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcmp(arg, flags[i].name) == 0) {
            *(bool *)((char *)args + flags[i].offset) = true;
            return true;
        }
    }
    return false;
}

static int refuse(pam_handle_t *pamh, const char *why, const char *arg)
{
    char shown[64];
    /* Quote at most a bounded, printable prefix of whatever was written. */
    size_t n = 0;
    for (; arg[n] != '\0' && n + 1 < sizeof(shown); n++)
        shown[n] = (arg[n] >= 0x20 && arg[n] < 0x7f) ? arg[n] : '?';
    shown[n] = '\0';
    pam_syslog(pamh, LOG_ERR, "%s '%s': refusing to run", why, shown);
    return PAM_SERVICE_ERR;
}

int pc_args_parse(pam_handle_t *pamh, int pam_flags, int argc, const char **argv,
                  struct pc_args *args)
{
    memset(args, 0, sizeof(*args));
    args->silent = (pam_flags & PAM_SILENT) != 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        if (eq == NULL) {
            const char *bare = NULL;
            for (size_t k = 0; k < sizeof(bare_keys) / sizeof(bare_keys[0]); k++) {
                size_t n = strcspn(bare_keys[k], "=");
                if (strlen(arg) == n && strncmp(arg, bare_keys[k], n) == 0)
                    bare = bare_keys[k];
            }
            if (bare != NULL && args->n_override < PC_MAX_OVERRIDES)
                args->override[args->n_override++] = bare;
            else if (bare != NULL)
                return refuse(pamh, "too many key=value options at", arg);
            else if (!set_flag(args, arg))
                return refuse(pamh, "unknown option", arg);
            continue;
        }
        size_t klen = (size_t)(eq - arg);
        if (klen == 6 && strncmp(arg, "config", 6) == 0) {
            args->config_path = eq + 1;
        } else if (klen == 14 && strncmp(arg, "allowed_groups", 14) == 0) {
            args->allowed_groups = eq + 1;
        } else if (klen == 12 && strncmp(arg, "authtok_type", 12) == 0) {
            /* Read by pam_get_authtok itself ("New <type> password: "). */
        } else {
            char key[64];
            if (klen >= sizeof(key))
                return refuse(pamh, "unknown option", arg);
            memcpy(key, arg, klen);
            key[klen] = '\0';
            if (!cog_config_key_known(key))
                return refuse(pamh, "unknown option", arg);
            for (size_t k = 0; k < sizeof(file_only_keys) / sizeof(file_only_keys[0]); k++) {
                if (strcmp(key, file_only_keys[k]) == 0)
                    return refuse(pamh, "option only allowed in the config file", key);
            }
            if (args->n_override >= PC_MAX_OVERRIDES)
                return refuse(pamh, "too many key=value options at", arg);
            args->override[args->n_override++] = arg;
        }
    }
    return PAM_SUCCESS;
}

int pc_config_load(pam_handle_t *pamh, const struct pc_args *args, struct cog_config *cfg)
{
    struct cog_error err = {0};
    const char *path = args->config_path ? args->config_path : COG_CONFIG_DEFAULT_PATH;
    cog_status st;

    cog_config_init(cfg);
    st = cog_config_load_file(cfg, path, &err);
    if (st != COG_OK)
        goto out;
    cog_config_begin_source(cfg);
    for (size_t i = 0; i < args->n_override && st == COG_OK; i++) {
        char key[64];
        const char *eq = strchr(args->override[i], '=');
        size_t klen = (size_t)(eq - args->override[i]);
        memcpy(key, args->override[i], klen);
        key[klen] = '\0';
        st = cog_config_set(cfg, key, eq + 1, "PAM argument", 0, &err);
    }
    if (st != COG_OK)
        goto out;
    st = cog_config_finish(cfg, &err);
out:
    if (st != COG_OK) {
        pam_syslog(pamh, LOG_ERR, "configuration: %s", err.message);
        return st == COG_ERR_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
    }
    pc_debug(pamh, args, "configuration from %s, %zu override(s)", path, args->n_override);
    return PAM_SUCCESS;
}

void pc_debug(pam_handle_t *pamh, const struct pc_args *args, const char *fmt, ...)
{
    va_list ap;
    if (!args->debug)
        return;
    va_start(ap, fmt);
    pam_vsyslog(pamh, LOG_DEBUG, fmt, ap);
    va_end(ap);
}
