#include "build-config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tools/cmds.h"
#include "tools/term.h"

static const struct command commands[] = {
    {"login", "log in to the user pool and show the verified token claims", cmd_login},
    {"sync", "read the whole pool and replace the user cache (admin credentials)", cmd_sync},
    {"export", "publish a signed fleet snapshot of the pool (admin credentials)", cmd_export},
    {"users", "list the cached users, or show one as NSS sees it", cmd_users},
    {"authorized-keys", "print a user's SSH keys from the cache (sshd)", cmd_authorized_keys},
    {"cache", "show, verify, or drop a user from the user cache", cmd_cache},
    {"check-config", "validate the configuration and reach the user pool", cmd_check_config},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "Usage: cognitoctl [--config PATH] [--json] [--echo-codes] COMMAND [ARGS...]\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    for (size_t i = 0; i < ctl_user_ncommands; i++)
        fprintf(out, "  %-18s %s\n", ctl_user_commands[i].name, ctl_user_commands[i].summary);
    fprintf(out, "\n`cognitoctl COMMAND --help` shows a command's options.\n"
                 "Exit status: 0 ok, 1 refused, 2 usage or configuration error,\n"
                 "3 service unavailable, 4 internal error.\n");
}

/* Where a configuration error sends the administrator (ctl_fail). */
static const struct globals *the_globals;

int main(int argc, char **argv)
{
    struct globals g = {.config_path = COG_CONFIG_DEFAULT_PATH};
    int i = 1;

    the_globals = &g;

    /* Global options may precede the command; commands accept them too. */
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            g.config_path = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            g.config_path = argv[i] + 9;
            i++;
        } else if (strcmp(argv[i], "--json") == 0) {
            g.json = true;
            i++;
        } else if (strcmp(argv[i], "--echo-codes") == 0) {
            g.echo_codes = true;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("cognitoctl %s\n", PACKAGE_VERSION);
            return EXIT_OK;
        } else {
            fprintf(stderr, "cognitoctl: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    for (size_t c = 0; c < NCOMMANDS; c++) {
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(argc - i, argv + i, &g);
    }
    for (size_t c = 0; c < ctl_user_ncommands; c++) {
        if (strcmp(argv[i], ctl_user_commands[c].name) == 0)
            return ctl_user_run(&ctl_user_commands[c], argc - i, argv + i, &g);
    }
    fprintf(stderr, "cognitoctl: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return EXIT_USAGE;
}

int ctl_exit_code(cog_status st)
{
    switch (st) {
    case COG_OK:
        return EXIT_OK;
    case COG_ERR_CONFIG:
    case COG_ERR_INVALID_INPUT:
        return EXIT_USAGE;
    case COG_ERR_UNAVAILABLE:
        return EXIT_UNAVAILABLE;
    case COG_ERR_NOMEM:
    case COG_ERR_INTERNAL:
        return EXIT_INTERNAL;
    default:
        return EXIT_REFUSED;
    }
}

int ctl_fail(const char *cmd, const struct cog_error *err)
{
    const char *conf = the_globals ? the_globals->config_path : COG_CONFIG_DEFAULT_PATH;
    if (err->status == COG_ERR_UNAVAILABLE)
        fprintf(stderr, "cognitoctl %s: service unavailable: %s\n", cmd, err->message);
    else if (err->status == COG_ERR_CONFIG && err->code[0] != '\0')
        /* The pool said the setup is wrong: the app client, its flows, the
         * secret, the pool id, the AWS credentials. */
        fprintf(stderr,
                "cognitoctl %s: configuration error: %s (%s); check %s against the user pool, "
                "its app client and the AWS credentials (cognitoctl check-config)\n",
                cmd, err->message, err->code, conf);
    else if (err->status == COG_ERR_CONFIG && err->message[0] != '/')
        fprintf(stderr, "cognitoctl %s: %s: %s\n", cmd, conf, err->message);
    else if (err->message[0] != '\0')
        fprintf(stderr, "cognitoctl %s: %s\n", cmd, err->message);
    else
        fprintf(stderr, "cognitoctl %s: %s\n", cmd, cog_status_name(err->status));
    return ctl_exit_code(err->status);
}

int ctl_load_config_local(const struct globals *g, struct cog_config *cfg)
{
    struct cog_error err = {0};
    cog_config_init(cfg);
    if (cog_config_load_file(cfg, g->config_path, &err) != COG_OK ||
        cog_config_finish(cfg, &err) != COG_OK) {
        fprintf(stderr, "cognitoctl: %s\n", err.message);
        cog_config_free(cfg);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int ctl_load_config(const struct globals *g, struct cog_config *cfg)
{
    int rc = ctl_load_config_local(g, cfg);
    if (rc == EXIT_OK && cfg->client_secret_unreadable) {
        /* The app client has a secret, and it is root's: an ordinary user
         * cannot talk to this client at all. */
        fprintf(stderr,
                "cognitoctl: %s: client_secret_file %s is root's: this app client has a "
                "secret, so only root can use it (or ask for an app client without one)\n",
                g->config_path, cfg->client_secret_file);
        cog_config_free(cfg);
        return EXIT_USAGE;
    }
    return rc;
}

int ctl_common_options(int *argc, char **argv, struct globals *g, const char *usage_text)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "%s", usage_text);
                return EXIT_USAGE;
            }
            g->config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            g->config_path = argv[i] + 9;
        } else if (strcmp(argv[i], "--json") == 0) {
            g->json = true;
        } else if (strcmp(argv[i], "--echo-codes") == 0) {
            g->echo_codes = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return EXIT_OK;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    *argc = out;
    return -1;
}

void ctl_print_json(struct json_object *o)
{
    /* json-c leaves C1 controls and bidi overrides raw: escaped as JSON
     * escapes, the text stays the same JSON. */
    printf("%s\n", term_shown_lines(json_object_to_json_string_ext(
                       o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)));
}
