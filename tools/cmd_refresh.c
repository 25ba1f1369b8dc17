/* The tokens of a user's session from a shell: new ones (or AWS
 * credentials) from the refresh token, and signing out everywhere (split
 * off cmd_user.c, whose table names these commands). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/identity.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"
#include "tools/term.h"
#include "tools/user_session.h"

bool sign_out_args_ok(int argc, char **argv)
{
    return argc == 1 && strcmp(argv[0], "global") == 0; /* --global became "global" */
}

int run_sign_out(struct session *s, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct cog_error err = {0};
    if (cog_global_sign_out(&s->idp, s->res.access_token, &err) != COG_OK)
        return user_fail(s, &err);
    if (s->use_cached || s->cache_tokens)
        unlink(s->token_file);
    user_say(s, "Every token of %s is revoked, on every device", s->user);
    return EXIT_OK;
}

static void print_expiry(struct session *s)
{
    char when[COG_ISO8601_MAX];
    cog_iso8601((long long)time(NULL) + s->res.expires_in, when);
    if (s->g->json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "username", json_object_new_string(s->res.username));
        json_object_object_add(o, "expires", json_object_new_string(when));
        ctl_print_json(o);
        json_object_put(o);
    } else {
        printf("New tokens for %s, valid until %s\n", term_shown(s->res.username), when);
    }
}

int run_refresh(struct session *s, int argc, char **argv)
{
    struct cog_error err = {0};
    struct cog_auth_result old = {0};
    struct cog_identity_credentials creds = {0};
    long long expires_at = 0;
    char *token = NULL, *json = NULL;
    bool aws = argc == 1 && strcmp(argv[0], "aws") == 0, from_stdin = s->password != NULL;
    int rc = EXIT_OK;
    if (argc > 1 || (argc == 1 && !aws)) {
        fputs(s->cmd->usage, stderr);
        return EXIT_USAGE;
    }
    if (from_stdin) { /* --refresh-token-stdin: the token, then -u names the user */
        token = s->password;
        s->password = NULL;
    } else {
        if ((rc = ctl_tokens_load(s->token_file, &old, &expires_at)) != EXIT_OK)
            goto out;
        if (old.refresh_token == NULL) {
            fprintf(stderr, "cognitoctl refresh: the token cache holds no refresh token\n");
            rc = EXIT_REFUSED;
            goto out;
        }
        token = strdup(old.refresh_token);
        s->user = old.username;
    }
    if (token == NULL) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    if (cog_auth_refresh(&s->idp, token, s->user, NULL, &s->res, &err) != COG_OK) {
        rc = user_fail(s, &err);
        goto out;
    }
    if (!from_stdin && (rc = ctl_tokens_save(s->token_file, &s->res)) != EXIT_OK)
        goto out;
    if (!aws) {
        print_expiry(s);
        goto out;
    }
    if (cog_identity_credentials(&s->idp, s->res.id_token, &creds, &err) != COG_OK) {
        rc = user_fail(s, &err);
        goto out;
    }
    if (s->g->json) {
        if ((json = cog_identity_credentials_json(&creds)) == NULL) {
            rc = EXIT_INTERNAL;
            goto out;
        }
        printf("%s\n", term_shown_lines(json));
    } else {
        char when[COG_ISO8601_MAX];
        cog_iso8601(creds.expiration, when);
        printf("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_SESSION_TOKEN=%s\n"
               "# expires %s\n",
               term_shown(creds.aws.access_key_id), term_shown(creds.aws.secret_access_key),
               term_shown(creds.aws.session_token), when);
    }
out:
    cog_identity_credentials_clear(&creds);
    cog_auth_result_clear(&old);
    cog_free_secret(token);
    cog_free_secret(json);
    return rc;
}
