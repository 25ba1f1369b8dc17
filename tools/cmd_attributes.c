/* A user's attributes from a shell: list, set, delete, and verify an e-mail
 * address or phone number with a code (split off cmd_user.c, whose table
 * names these commands). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/signin/account.h"
#include "libcognito/core/json.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"
#include "tools/term.h"
#include "tools/user_session.h"

struct json_object *user_attribute_list(struct session *s, int argc, char **argv)
{
    struct json_object *arr = json_object_new_array();
    for (int i = 0; arr != NULL && i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (eq == NULL || eq == argv[i]) {
            fprintf(stderr, "cognitoctl %s: '%s' is not name=value\n", s->cmd->name, argv[i]);
            json_object_put(arr);
            return NULL;
        }
        struct json_object *a = json_object_new_object();
        json_object_object_add(a, "Name", json_object_new_string_len(argv[i], (int)(eq - argv[i])));
        json_object_object_add(a, "Value", json_object_new_string(eq + 1));
        json_object_array_add(arr, a);
    }
    return arr;
}

int run_attributes(struct session *s, int argc, char **argv)
{
    struct json_object *resp = NULL, *out = json_object_new_object();
    int rc = user_get_user(s, &resp);
    (void)argc;
    (void)argv;
    struct json_object *list = json_object_object_get(resp, "UserAttributes");
    for (size_t i = 0; rc == EXIT_OK && i < user_arr_len(list); i++) {
        struct json_object *a = json_object_array_get_idx(list, i);
        const char *name = cog_json_string(a, "Name"), *value = cog_json_string(a, "Value");
        if (name == NULL || value == NULL)
            continue;
        if (s->g->json)
            json_object_object_add(out, name, json_object_new_string(value));
        else
            printf("%s=%s\n", term_shown(name), term_shown(value));
    }
    if (rc == EXIT_OK && s->g->json)
        ctl_print_json(out);
    json_object_put(out);
    cog_json_put_wiped(resp);
    return rc;
}

int run_set_attribute(struct session *s, int argc, char **argv)
{
    struct json_object *req = json_object_new_object(), *resp = NULL;
    struct json_object *attrs = user_attribute_list(s, argc, argv);
    if (req == NULL || attrs == NULL) {
        json_object_put(req);
        json_object_put(attrs);
        return EXIT_USAGE;
    }
    json_object_object_add(req, "UserAttributes", attrs);
    int rc = user_token_call(s, "UpdateUserAttributes", req, &resp);
    struct json_object *sent = json_object_object_get(resp, "CodeDeliveryDetailsList");
    for (size_t i = 0; rc == EXIT_OK && !s->g->json && i < user_arr_len(sent); i++) {
        struct cog_delivery d = {.medium = ""};
        struct json_object *one = json_object_array_get_idx(sent, i);
        cog_delivery_from_json(one, "DeliveryMedium", "Destination", &d);
        printf("%s changed: a verification code was sent by %s to %s "
               "(cognitoctl verify-attribute --have-code %s)\n",
               term_shown(cog_json_string(one, "AttributeName")), term_shown(d.medium),
               term_shown(d.destination), term_shown(cog_json_string(one, "AttributeName")));
    }
    if (rc == EXIT_OK && s->g->json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "verification_sent", json_object_get(sent ? sent : NULL));
        ctl_print_json(o);
        json_object_put(o);
    } else if (rc == EXIT_OK && sent == NULL) {
        user_say(s, "Updated %s", s->user);
    }
    json_object_put(resp);
    return rc;
}

int run_delete_attribute(struct session *s, int argc, char **argv)
{
    struct json_object *req = json_object_new_object(), *names = json_object_new_array();
    for (int i = 0; names != NULL && i < argc; i++)
        json_object_array_add(names, json_object_new_string(argv[i]));
    json_object_object_add(req, "UserAttributeNames", names);
    int rc = user_token_call(s, "DeleteUserAttributes", req, NULL);
    if (rc == EXIT_OK)
        user_say(s, "Deleted from %s", s->user);
    return rc;
}

bool all_name_value(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strchr(argv[i], '=') == NULL)
            return false;
    }
    return true;
}

bool verify_args_ok(int argc, char **argv)
{
    return argc >= 1 && (strcmp(argv[0], "email") == 0 || strcmp(argv[0], "phone_number") == 0);
}

int run_verify_attribute(struct session *s, int argc, char **argv)
{
    struct json_object *req = json_object_new_object(), *resp = NULL;
    char *code = NULL;
    int rc = EXIT_OK;
    (void)argc;
    if (!s->have_code) { /* have a code sent */
        struct json_object *send = json_object_new_object();
        struct cog_delivery d = {.medium = ""};
        cog_json_add_string(send, "AttributeName", argv[0]);
        if ((rc = user_token_call(s, "GetUserAttributeVerificationCode", send, &resp)) != EXIT_OK)
            goto out;
        cog_delivery_from_json(cog_json_object(resp, "CodeDeliveryDetails"), "DeliveryMedium",
                               "Destination", &d);
        if (!s->g->json)
            user_print_delivery(s, "A verification code was", &d);
    }
    if ((rc = user_ask_code(s, "Verification code: ", &code)) != EXIT_OK)
        goto out;
    cog_json_add_string(req, "AttributeName", argv[0]);
    cog_json_add_string(req, "Code", code);
    rc = user_token_call(s, "VerifyUserAttribute", req, NULL);
    req = NULL;
    if (rc == EXIT_OK)
        user_say(s, "%s is verified", argv[0]);
out:
    cog_json_put_wiped(req);
    json_object_put(resp);
    cog_free_secret(code);
    return rc;
}
