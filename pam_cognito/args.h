/* The module's argv, parsed once per call into one struct, and the
 * configuration it names (the file, then key=value overrides). */
#ifndef PAM_COGNITO_ARGS_H
#define PAM_COGNITO_ARGS_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "libcognito/core/config.h"

#define PC_MAX_OVERRIDES 16

struct pc_args {
    const char *config_path; /* config=; NULL: the default file */
    bool debug;
    bool use_first_pass;
    bool try_first_pass;
    bool use_authtok; /* chauthtok: the new password comes from an earlier module */
    bool echo_codes;
    bool allow_password_reset;
    bool allow_confirm;
    bool silent;                /* PAM_SILENT: no messages, only prompts */
    const char *allowed_groups; /* comma list, NULL: any group */
    /* key=value overrides of config keys, pointing into argv */
    const char *override[PC_MAX_OVERRIDES];
    size_t n_override;
};

/* Fills args from argv. An unknown option (or a config key that may not
 * be given on a PAM line) is logged and refused: PAM_SERVICE_ERR. */
int pc_args_parse(pam_handle_t *pamh, int flags, int argc, const char **argv, struct pc_args *args);

/* Reads the config file, applies the overrides, checks the result. Logs why
 * on failure (PAM_SERVICE_ERR). cfg must be cog_config_free'd either way. */
int pc_config_load(pam_handle_t *pamh, const struct pc_args *args, struct cog_config *cfg);

/* syslog at LOG_DEBUG when the `debug` option is given. Never pass a secret. */
void pc_debug(pam_handle_t *pamh, const struct pc_args *args, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
