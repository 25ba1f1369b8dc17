/* cognitoctl's subcommands and what they share. */
#ifndef COGNITOCTL_CMDS_H
#define COGNITOCTL_CMDS_H

#include <stdbool.h>
#include "libcognito/config.h"
#include "libcognito/error.h"

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
};

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv, struct globals *g);
};

/* Maps a libcognito status to the exit status above. */
int ctl_exit_code(cog_status st);
/* Loads and checks the configuration, printing why it is unusable. */
int ctl_load_config(const struct globals *g, struct cog_config *cfg);
/* Prints "cognitoctl CMD: message" for a failed call, and returns its exit status. */
int ctl_fail(const char *cmd, const struct cog_error *err);
/* Handles the options every command takes (--config, --json, --help) in argv,
 * removing them; returns -1 to go on, else an exit status (after --help). */
int ctl_common_options(int *argc, char **argv, struct globals *g, const char *usage);

/* Prints a JSON value, pretty, as every --json output is (not consumed). */
struct json_object;
void ctl_print_json(struct json_object *o);

int cmd_login(int argc, char **argv, struct globals *g);
int cmd_sync(int argc, char **argv, struct globals *g);
int cmd_users(int argc, char **argv, struct globals *g);
int cmd_authorized_keys(int argc, char **argv, struct globals *g);
int cmd_cache(int argc, char **argv, struct globals *g);
int cmd_check_config(int argc, char **argv, struct globals *g);

#endif
