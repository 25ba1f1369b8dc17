/* cognitoctl passkey: the user's own passkeys (security keys), with the
 * access token of a login: add (StartWebAuthnRegistration, the key makes a
 * credential, CompleteWebAuthnRegistration), list, remove. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "libcognito/signin/webauthn.h"
#include "tools/user_session.h"

bool passkey_args_ok(int argc, char **argv)
{
    if (argc == 0)
        return true;
    if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "add") == 0)
        return argc == 1;
    return strcmp(argv[0], "remove") == 0 && argc == 2 && argv[1][0] != '\0';
}

static int passkey_list(struct session *s)
{
    struct json_object *resp = NULL;
    int rc = user_token_call(s, "ListWebAuthnCredentials", json_object_new_object(), &resp);
    if (rc != EXIT_OK)
        return rc;
    struct json_object *creds = json_object_object_get(resp, "Credentials");
    if (s->g->json) {
        if (creds != NULL)
            ctl_print_json(creds);
        else
            printf("[]\n");
    } else {
        for (size_t i = 0; i < user_arr_len(creds); i++) {
            struct json_object *c = json_object_array_get_idx(creds, i);
            const char *att = cog_json_string(c, "AuthenticatorAttachment");
            printf("%s %s", term_shown(cog_json_string(c, "CredentialId")),
                   term_shown(att != NULL ? att : "-"));
            printf(" %s\n", term_shown(cog_json_string(c, "FriendlyCredentialName")));
        }
        if (user_arr_len(creds) == 0)
            printf("No passkeys\n");
    }
    json_object_put(resp);
    return EXIT_OK;
}

static int passkey_add(struct session *s)
{
    struct json_object *start = NULL, *req = NULL, *cred_obj;
    struct cog_authenticator key = {0};
    struct cog_error err;
    char *pin = NULL, *cred = NULL;
    int rc = user_token_call(s, "StartWebAuthnRegistration", json_object_new_object(), &start);
    if (rc != EXIT_OK)
        return rc;
    struct json_object *opts = json_object_object_get(start, "CredentialCreationOptions");
    if (!json_object_is_type(opts, json_type_object)) {
        cog_error_set(&err, COG_ERR_SERVICE, "", "no CredentialCreationOptions in the answer");
        rc = user_fail(s, &err);
        goto out;
    }
    if (cog_authenticator_default(&key, &err) != COG_OK) {
        rc = user_fail(s, &err);
        goto out;
    }
    /* A key with a PIN needs it to make a discoverable credential. */
    if (key.needs_pin != NULL && key.needs_pin(key.ctx) &&
        term_ask(&s->t, COG_PROMPT_SECURITY_KEY_PIN, false, &pin) != COG_OK) {
        fprintf(stderr, "cognitoctl passkey: no PIN given\n");
        rc = EXIT_REFUSED;
        goto out;
    }
    fprintf(stderr, "%s\n", COG_TEXT_TOUCH_KEY);
    if (cog_webauthn_register(&s->cfg, json_object_to_json_string(opts), &key, pin, &cred, &err) !=
        COG_OK) {
        rc = user_fail(s, &err);
        goto out;
    }
    if ((req = json_object_new_object()) == NULL || (cred_obj = json_tokener_parse(cred)) == NULL ||
        json_object_object_add(req, "Credential", cred_obj) != 0) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    const char *id = cog_json_string(cred_obj, "id");
    char *shown = cog_strdup(id != NULL ? id : "");
    rc = user_token_call(s, "CompleteWebAuthnRegistration", req, NULL);
    req = NULL;
    if (rc == EXIT_OK)
        user_say(s, "Added passkey %s", term_shown(shown != NULL ? shown : ""));
    free(shown);
out:
    json_object_put(req);
    json_object_put(start);
    cog_authenticator_close(&key);
    cog_free_secret(pin);
    free(cred);
    return rc;
}

int run_passkey(struct session *s, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "add") == 0)
        return passkey_add(s);
    if (argc == 2) {
        struct json_object *req = json_object_new_object();
        cog_json_add_string(req, "CredentialId", argv[1]);
        int rc = user_token_call(s, "DeleteWebAuthnCredential", req, NULL);
        if (rc == EXIT_OK)
            user_say(s, "Removed passkey %s", term_shown(argv[1]));
        return rc;
    }
    return passkey_list(s);
}
