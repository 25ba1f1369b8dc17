#include "build-config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/signin/auth.h"
#include "libcognito/cache/cache.h"
#include "libcognito/signin/device_flow.h"
#include "libcognito/wire/idp.h"
#include "libcognito/mapping/mapping.h"
#include "tools/cmds.h"
#include "tools/term.h"

static const char login_usage[] =
    "Usage: cognitoctl login [--config PATH] [--json] [--show-tokens] [--update-cache]\n"
    "                        [--cache-tokens [--token-file PATH]] [--echo-codes]\n"
    "                        USER | -u USER | --device [USER]\n"
    "\n"
    "Logs USER in to the user pool with SRP (the password never leaves this host),\n"
    "answering every challenge on the terminal, and prints the verified ID token's\n"
    "claims. When stdin is not a terminal, one answer is read per line, in prompt order.\n"
    "\n"
    "  --device       sign in on another device instead (RFC 8628, device_endpoint):\n"
    "                 open the link shown (or scan the QR code), sign in there, press\n"
    "                 Enter here; with USER, the token must name USER (username_attribute)\n"
    "  --show-tokens  also print the ID, access and refresh tokens\n"
    "  --update-cache put the user into the user cache, as pam_cognito does after a\n"
    "                 login (needs write access to cache_dir, normally root)\n"
    "  --cache-tokens keep the tokens in a file only you can read (default\n"
    "                 ~/.cache/cognitoctl/tokens.json, or --token-file PATH), for\n"
    "                 `cognitoctl refresh` and the --use-cached of other commands\n"
    "  --echo-codes   show one-time codes (MFA) as they are typed, as pam_cognito's\n"
    "                 echo_codes does\n"
    "  -u, --user USER  the user, the same as giving USER first\n"
    "  --json         print a JSON object instead of text\n";

static void print_claims_text(struct json_object *claims)
{
    json_object_object_foreach(claims, key, val)
    {
        if (json_object_is_type(val, json_type_string) || json_object_is_type(val, json_type_int) ||
            json_object_is_type(val, json_type_boolean))
            printf("  %-22s %s\n", term_shown(key), term_shown(json_object_get_string(val)));
        else
            printf("  %-22s %s\n", term_shown(key),
                   term_shown(json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN)));
    }
}

static int print_result(const struct cog_auth_result *res, bool json, bool show_tokens)
{
    if (json) {
        struct json_object *o = json_object_new_object();
        if (o == NULL)
            return EXIT_INTERNAL;
        json_object_object_add(o, "username", json_object_new_string(res->username));
        json_object_object_add(o, "claims", json_object_get(res->claims));
        json_object_object_add(o, "passed_mfa", json_object_new_boolean(res->passed_mfa));
        if (show_tokens) {
            json_object_object_add(o, "id_token", json_object_new_string(res->id_token));
            json_object_object_add(o, "access_token", json_object_new_string(res->access_token));
            if (res->refresh_token)
                json_object_object_add(o, "refresh_token",
                                       json_object_new_string(res->refresh_token));
        }
        printf("%s\n", term_shown_lines(json_object_to_json_string_ext(
                           o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)));
        cog_json_put_wiped(o);
        return EXIT_OK;
    }
    printf("Logged in as %s\n", term_shown(res->username));
    printf("Verified ID token claims:\n");
    print_claims_text(res->claims);
    if (show_tokens) {
        printf("ID token:      %s\n", res->id_token);
        printf("Access token:  %s\n", res->access_token);
        if (res->refresh_token)
            printf("Refresh token: %s\n", res->refresh_token);
    }
    return EXIT_OK;
}

static void cache_log(void *ctx, int priority, const char *message)
{
    (void)ctx;
    (void)priority;
    fprintf(stderr, "cognitoctl login: %s\n", message);
}

/* What pam_cognito does after a login: the verified claims into the cache. */
static int store_in_cache(const struct cog_config *cfg, const struct cog_auth_result *res)
{
    struct cog_error err = {0};
    struct cog_mapping_log log = {.fn = cache_log};
    if (cog_cache_store_login(cfg, res->claims, NULL, &log, &err) != COG_OK) {
        fprintf(stderr, "cognitoctl login: the user cache was not updated\n");
        return ctl_fail("login", &err);
    }
    return EXIT_OK;
}

/* The device flow; with user, the token must name that Unix user as
 * pam_cognito would map it. */
static cog_status device_login(struct cog_idp *idp, const struct cog_config *cfg,
                               const struct cog_auth_callbacks *cb, const char *user,
                               struct cog_auth_result *res, struct cog_error *err)
{
    char unix_name[COG_UNIX_NAME_MAX + 1];
    cog_status st = cog_device_login(idp, cb, res, err);
    if (st == COG_OK && user != NULL &&
        (!cog_mapping_unix_name_of_claims(cfg, res->claims, unix_name) ||
         strcmp(unix_name, user) != 0)) {
        cog_auth_result_clear(res);
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "the ID token is for another user");
    }
    return st;
}

int cmd_login(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct cog_idp idp = {0};
    struct cog_auth_result res = {0};
    struct cog_error err = {0};
    struct cog_auth_callbacks cb;
    struct term t;
    bool show_tokens = false, update_cache = false, cache_tokens = false, device = false;
    const char *user = NULL, *token_file = NULL;
    char path[4096];
    int rc = ctl_common_options(&argc, argv, g, login_usage);
    if (rc >= 0)
        return rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--show-tokens") == 0)
            show_tokens = true;
        else if (strcmp(argv[i], "--device") == 0)
            device = true;
        else if (strcmp(argv[i], "--update-cache") == 0)
            update_cache = true;
        else if (strcmp(argv[i], "--cache-tokens") == 0)
            cache_tokens = true;
        else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < argc)
            token_file = argv[++i];
        else if ((strcmp(argv[i], "-u") == 0 || strcmp(argv[i], "--user") == 0) && i + 1 < argc &&
                 user == NULL)
            user = argv[++i];
        else if (argv[i][0] == '-' || user != NULL) {
            fputs(login_usage, stderr);
            return EXIT_USAGE;
        } else
            user = argv[i];
    }
    if (user == NULL && !device) {
        fputs(login_usage, stderr);
        return EXIT_USAGE;
    }
    if (cache_tokens && (rc = ctl_token_path(token_file, path, sizeof(path))) != EXIT_OK)
        return rc;
    rc = ctl_load_config(g, &cfg);
    if (rc != EXIT_OK)
        return rc;

    term_init(&t, g->json);
    t.echo_codes = g->echo_codes;
    term_callbacks(&t, &cb);
    struct cog_auth_opts opts = {0};
    cog_status st = cog_idp_open(&idp, &cfg, &err);
    if (device || cfg.auth_flow == COG_FLOW_DEVICE) {
        if (st == COG_OK)
            st = device_login(&idp, &cfg, &cb, user, &res, &err);
        goto done;
    }
    /* The handshake and InitiateAuth while the password is typed. */
    if (st == COG_OK)
        opts.early = cog_auth_early_start(&idp, user, NULL);
    if (st == COG_OK)
        st = cog_auth_login(&idp, user, &cb, &opts, &res, &err);
    cog_auth_early_end(opts.early);
done:
    if (st != COG_OK) {
        rc = ctl_fail("login", &err);
        goto out;
    }
    rc = print_result(&res, g->json, show_tokens);
    if (rc == EXIT_OK && update_cache)
        rc = store_in_cache(&cfg, &res);
    if (rc == EXIT_OK && cache_tokens)
        rc = ctl_tokens_save(path, &res);
out:
    cog_auth_result_clear(&res);
    cog_idp_close(&idp);
    cog_config_free(&cfg);
    return rc;
}
