/* cognitoctl's subcommands and what they share. */
#ifndef COGNITOCTL_CMDS_H
#define COGNITOCTL_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

/* Exit statuses, documented in cognitoctl(1). */
enum {
    EXIT_OK = 0,
    EXIT_REFUSED = 1,     /* wrong password, code or user; the service said no */
    EXIT_USAGE = 2,       /* bad arguments or configuration */
    EXIT_UNAVAILABLE = 3, /* network, TLS, timeout, 5xx, throttling */
    EXIT_INTERNAL = 4,    /* out of memory and other local failures */
};

struct globals {
    const char *config_path;
    bool json;
    bool echo_codes; /* one-time codes are echoed as typed (--echo-codes) */
};

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv, struct globals *g);
};

/* Maps a libcognito status to the exit status above. */
int ctl_exit_code(cog_status st);
/* Loads and checks the configuration, printing why it is unusable; refuses
 * when the app client's secret is in a file this caller may not read. */
int ctl_load_config(const struct globals *g, struct cog_config *cfg);
/* The same for commands that only read local files (no secret needed). */
int ctl_load_config_local(const struct globals *g, struct cog_config *cfg);
/* Prints "cognitoctl CMD: message" for a failed call, and returns its exit status. */
int ctl_fail(const char *cmd, const struct cog_error *err);
/* Handles the options every command takes (--config, --json, --help) in argv,
 * removing them; returns -1 to go on, else an exit status (after --help). */
int ctl_common_options(int *argc, char **argv, struct globals *g, const char *usage);

/* The state of each cache file under dir (cmd_admin.c); *bad counts the
 * damaged, untrusted and missing required ones. */
struct json_object *ctl_cache_report(const char *dir, bool verify, int *bad);

/* Prints a JSON value, pretty, as every --json output is (not consumed). */
struct json_object;
void ctl_print_json(struct json_object *o);

/* The user's self-service commands (cmd_user.c): one table, one driver. */
struct session;
struct user_command {
    const char *name;
    const char *summary;
    int (*run)(struct session *s, int argc, char **argv);
    bool needs_token; /* logs in (or uses the token file) first */
    int min_args, max_args;
    const char *usage;
    bool keep_password; /* the login's password is needed again (change-password) */
    bool (*args_ok)(int argc, char **argv); /* checked before any login; NULL: any */
};
extern const struct user_command ctl_user_commands[];
extern const size_t ctl_user_ncommands;
int ctl_user_run(const struct user_command *cmd, int argc, char **argv, struct globals *g);

/* The token file (tokens.c): only when the user asks, 0600 in a 0700 directory.
 * ctl_token_path: the given path, else $XDG_CACHE_HOME or ~/.cache/cognitoctl/tokens.json. */
struct cog_auth_result;
int ctl_token_path(const char *given, char *buf, size_t len);
int ctl_tokens_save(const char *path, const struct cog_auth_result *res);
/* Refuses a file others can read or write. */
int ctl_tokens_load(const char *path, struct cog_auth_result *res, long long *expires_at);

int cmd_login(int argc, char **argv, struct globals *g);
int cmd_sync(int argc, char **argv, struct globals *g);
int cmd_export(int argc, char **argv, struct globals *g);
int cmd_users(int argc, char **argv, struct globals *g);
int cmd_authorized_keys(int argc, char **argv, struct globals *g);
int cmd_cache(int argc, char **argv, struct globals *g);
int cmd_check_config(int argc, char **argv, struct globals *g);

#endif
