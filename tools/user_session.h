/* What cmd_user.c's self-service commands share with the ones split off
 * into files of their own (cmd_mfa.c): the session and its helpers. */
#ifndef COGNITOCTL_USER_SESSION_H
#define COGNITOCTL_USER_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/wire/idp.h"
#include "tools/cmds.h"
#include "tools/term.h"

struct session {
    struct globals *g;
    const struct user_command *cmd;
    struct cog_config cfg;
    struct cog_idp idp;
    struct term t;
    struct cog_auth_callbacks cb;
    struct cog_auth_result res;
    const char *user;
    const char *token_file;
    bool cache_tokens, use_cached;
    bool have_code; /* verify-attribute --have-code: set-attribute sent one */
    char *password; /* change-password: the login's password, asked once */
};

/* An answer's array member's length; 0 when it is missing or no array. */
size_t user_arr_len(struct json_object *a);
/* Prints why a call failed (ctl_fail and hints); its exit status. */
int user_fail(struct session *s, const struct cog_error *err);
/* A one-time code from the terminal or stdin, never argv. */
int user_ask_code(struct session *s, const char *prompt, char **code);
/* A line of text output; --json prints only the JSON. */
void user_say(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One call with the session's access token added to req (consumed). */
int user_token_call(struct session *s, const char *op, struct json_object *req,
                    struct json_object **resp);
int user_get_user(struct session *s, struct json_object **resp);

/* "A ... code was sent by MEDIUM to DESTINATION" (or the JSON of it). */
void user_print_delivery(struct session *s, const char *what, const struct cog_delivery *d);

/* cmd_attributes.c */
struct json_object *user_attribute_list(struct session *s, int argc, char **argv);
int run_attributes(struct session *s, int argc, char **argv);
int run_set_attribute(struct session *s, int argc, char **argv);
int run_delete_attribute(struct session *s, int argc, char **argv);
int run_verify_attribute(struct session *s, int argc, char **argv);
bool all_name_value(int argc, char **argv);
bool verify_args_ok(int argc, char **argv);

/* cmd_refresh.c */
int run_refresh(struct session *s, int argc, char **argv);
int run_sign_out(struct session *s, int argc, char **argv);
bool sign_out_args_ok(int argc, char **argv);

/* cmd_mfa.c */
int run_mfa(struct session *s, int argc, char **argv);
bool mfa_args_ok(int argc, char **argv);
int run_devices(struct session *s, int argc, char **argv);
bool devices_args_ok(int argc, char **argv);

/* cmd_passkey.c */
int run_passkey(struct session *s, int argc, char **argv);
bool passkey_args_ok(int argc, char **argv);

#endif
