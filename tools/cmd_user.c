/* A user's self-service, as amazon-cognito-identity-js offers it, from a
 * shell. One table of commands; each names what it needs (a login for an
 * access token, or not) and the shared code does the rest: options,
 * config, the transport, the login through the same callback table as
 * `cognitoctl login` (MFA included), prompts, JSON output, wiping. */
#include "build-config.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/wire/identity.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"
#include "tools/term.h"
#include "tools/user_session.h"

/* ---- shared helpers ------------------------------------------------------------- */

/* An answer's array member's length; 0 when it is missing or no array. */
size_t user_arr_len(struct json_object *a)
{
    return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

int user_fail(struct session *s, const struct cog_error *err)
{
    int rc = ctl_fail(s->cmd->name, err);
    if (err->status == COG_ERR_NOT_CONFIRMED)
        fprintf(stderr, "cognitoctl %s: confirm the account first: cognitoctl confirm-signup\n",
                s->cmd->name);
    return rc;
}

/* The answer to a prompt; COG_ERR_ABORTED (end of input) becomes exit 1. */
static int ask(struct session *s, const char *prompt, bool echo, char **answer)
{
    cog_status st = term_ask(&s->t, prompt, echo, answer);
    /* However long the person took, the next request gets its whole
     * timeout: the deadline is per request, never per session. */
    if (s->idp.http != NULL)
        cog_http_begin_step(s->idp.http);
    if (st == COG_OK)
        return EXIT_OK;
    fprintf(stderr, "cognitoctl %s: %s\n", s->cmd->name,
            st == COG_ERR_ABORTED ? "no answer (end of input)" : "cannot read the answer");
    return st == COG_ERR_ABORTED ? EXIT_REFUSED : EXIT_INTERNAL;
}

/* A new password, typed twice. */
static int ask_new_password(struct session *s, char **out)
{
    char *again = NULL;
    int rc = ask(s, COG_PROMPT_NEW_PASSWORD, false, out);
    if (rc == EXIT_OK)
        rc = ask(s, COG_PROMPT_NEW_PASSWORD_AGAIN, false, &again);
    if (rc == EXIT_OK && strcmp(*out, again) != 0) {
        fprintf(stderr, "cognitoctl %s: %s\n", s->cmd->name, COG_TEXT_PASSWORDS_DIFFER);
        rc = EXIT_REFUSED;
    }
    cog_free_secret(again);
    if (rc != EXIT_OK) {
        cog_free_secret(*out);
        *out = NULL;
    }
    return rc;
}

/* A one-time code, from the terminal (or stdin), never argv: `ps` shows
 * every process's arguments to every user. Echoed only with --echo-codes,
 * as pam_cognito's echo_codes. */
int user_ask_code(struct session *s, const char *prompt, char **code)
{
    return ask(s, prompt, s->g->echo_codes, code);
}

/* A line of text output; --json prints only the JSON. */
__attribute__((format(printf, 2, 3))) void user_say(struct session *s, const char *fmt, ...)
{
    va_list ap;
    if (s->g->json)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void user_print_delivery(struct session *s, const char *what, const struct cog_delivery *d)
{
    if (s->g->json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "medium", json_object_new_string(d->medium));
        json_object_object_add(o, "destination", json_object_new_string(d->destination));
        ctl_print_json(o);
        json_object_put(o);
    } else if (d->medium[0] != '\0') {
        printf("%s sent by %s to %s\n", what, term_shown(d->medium), term_shown(d->destination));
    } else {
        printf("%s sent\n", what);
    }
}

/* One call with the session's access token added to req (consumed). */
int user_token_call(struct session *s, const char *op, struct json_object *req,
                    struct json_object **resp)
{
    struct cog_error err = {0};
    struct json_object *ignored = NULL;
    int rc = EXIT_OK;
    if (req == NULL || !cog_json_add_string(req, "AccessToken", s->res.access_token)) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    if (cog_idp_call(&s->idp, op, req, resp ? resp : &ignored, &err) != COG_OK)
        rc = user_fail(s, &err);
out:
    cog_json_put_wiped(req);
    cog_json_put_wiped(ignored);
    return rc;
}

/* [{Name, Value}] from name=value arguments. */
/* ---- getting an access token ------------------------------------------------------ */

/* The cached tokens, refreshed when the access token has expired. */
static int tokens_from_cache(struct session *s)
{
    struct cog_error err = {0};
    struct cog_auth_result fresh = {0};
    long long expires_at = 0;
    int rc = ctl_tokens_load(s->token_file, &s->res, &expires_at);
    if (rc != EXIT_OK)
        return rc;
    if (s->user != NULL && strcmp(s->user, s->res.username) != 0) {
        fprintf(stderr, "cognitoctl %s: the token cache is %s's, not %s's\n", s->cmd->name,
                s->res.username, s->user);
        return EXIT_REFUSED;
    }
    s->user = s->res.username;
    if (expires_at > (long long)time(NULL) + 60)
        return EXIT_OK;
    s->user = NULL; /* s->res is about to be replaced */
    if (s->res.refresh_token == NULL ||
        cog_auth_refresh(&s->idp, s->res.refresh_token, s->res.username, NULL, &fresh, &err) !=
            COG_OK) {
        fprintf(stderr, "cognitoctl %s: the cached tokens have expired; log in again\n",
                s->cmd->name);
        cog_auth_result_clear(&fresh);
        return err.status == COG_ERR_UNAVAILABLE ? user_fail(s, &err) : EXIT_REFUSED;
    }
    cog_auth_result_clear(&s->res);
    s->res = fresh;
    s->user = s->res.username;
    return ctl_tokens_save(s->token_file, &s->res);
}

static int authenticate(struct session *s)
{
    struct cog_error err = {0};
    struct cog_auth_opts opts = {0};
    if (s->use_cached)
        return tokens_from_cache(s);
    if (s->cmd->keep_password) {
        int rc = ask(s, COG_PROMPT_PASSWORD, false, &s->password);
        if (rc != EXIT_OK)
            return rc;
        opts.password = s->password;
    }
    if (cog_auth_login(&s->idp, s->user, &s->cb, &opts, &s->res, &err) != COG_OK)
        return user_fail(s, &err);
    if (s->cache_tokens)
        return ctl_tokens_save(s->token_file, &s->res);
    return EXIT_OK;
}

/* ---- the commands ------------------------------------------------------------------ */

static int run_signup(struct session *s, int argc, char **argv)
{
    struct cog_error err = {0};
    struct cog_delivery where = {.medium = ""};
    struct json_object *req = json_object_new_object(), *resp = NULL;
    struct json_object *attrs = user_attribute_list(s, argc, argv);
    char *password = NULL;
    int rc = req && attrs ? ask_new_password(s, &password) : EXIT_USAGE;
    if (rc != EXIT_OK)
        goto out;
    if (!cog_json_add_string(req, "ClientId", s->cfg.client_id) ||
        !cog_json_add_string(req, "Username", s->user) ||
        !cog_json_add_string(req, "Password", password)) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    json_object_object_add(req, "UserAttributes", attrs);
    attrs = NULL;
    if (cog_idp_add_secret_hash(&s->cfg, req, "SecretHash", s->user, &err) != COG_OK ||
        cog_idp_call(&s->idp, "SignUp", req, &resp, &err) != COG_OK) {
        rc = user_fail(s, &err);
        goto out;
    }
    cog_delivery_from_json(cog_json_object(resp, "CodeDeliveryDetails"), "DeliveryMedium",
                           "Destination", &where);
    bool confirmed = json_object_get_boolean(json_object_object_get(resp, "UserConfirmed"));
    if (s->g->json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "user_sub",
                               json_object_get(json_object_object_get(resp, "UserSub")));
        json_object_object_add(o, "confirmed", json_object_new_boolean(confirmed));
        json_object_object_add(o, "medium", json_object_new_string(where.medium));
        json_object_object_add(o, "destination", json_object_new_string(where.destination));
        ctl_print_json(o);
        json_object_put(o);
    } else {
        printf("Signed up %s\n", s->user);
        if (!confirmed)
            user_print_delivery(s, "A confirmation code was", &where);
    }
out:
    json_object_put(attrs);
    cog_json_put_wiped(req);
    json_object_put(resp);
    cog_free_secret(password);
    return rc;
}

static int run_confirm_signup(struct session *s, int argc, char **argv)
{
    struct cog_error err = {0};
    char *code = NULL;
    (void)argc;
    (void)argv;
    int rc = user_ask_code(s, "Confirmation code: ", &code);
    if (rc != EXIT_OK)
        return rc;
    if (cog_confirm_sign_up(&s->idp, s->user, code, &err) != COG_OK)
        rc = user_fail(s, &err);
    else
        user_say(s, "%s is confirmed", s->user);
    cog_free_secret(code);
    return rc;
}

static int run_resend_code(struct session *s, int argc, char **argv)
{
    struct cog_error err = {0};
    struct cog_delivery where = {.medium = ""};
    (void)argc;
    (void)argv;
    if (cog_resend_confirmation_code(&s->idp, s->user, &where, &err) != COG_OK)
        return user_fail(s, &err);
    user_print_delivery(s, "A new confirmation code was", &where);
    return EXIT_OK;
}

static int run_forgot_password(struct session *s, int argc, char **argv)
{
    struct cog_error err = {0};
    struct cog_delivery where = {.medium = ""};
    char *code = NULL, *password = NULL;
    int rc = EXIT_OK;
    (void)argc;
    (void)argv;
    if (cog_forgot_password(&s->idp, s->user, &where, &err) != COG_OK)
        return user_fail(s, &err);
    if (!s->g->json)
        user_print_delivery(s, "A reset code was", &where);
    if ((rc = user_ask_code(s, "Reset code: ", &code)) != EXIT_OK ||
        (rc = ask_new_password(s, &password)) != EXIT_OK)
        goto out;
    if (cog_confirm_forgot_password(&s->idp, s->user, code, password, &err) != COG_OK)
        rc = user_fail(s, &err);
    else
        user_say(s, "The password of %s is changed", s->user);
out:
    cog_free_secret(code);
    cog_free_secret(password);
    return rc;
}

static int run_change_password(struct session *s, int argc, char **argv)
{
    struct cog_error err = {0};
    char *password = NULL;
    int rc = EXIT_OK;
    (void)argc;
    (void)argv;
    /* With --use-cached no login asked for it: ChangePassword needs it. */
    if (s->password == NULL && (rc = ask(s, "Current password: ", false, &s->password)) != EXIT_OK)
        return rc;
    if ((rc = ask_new_password(s, &password)) != EXIT_OK)
        return rc;
    if (cog_change_password(&s->idp, s->res.access_token, s->password, password, &err) != COG_OK)
        rc = user_fail(s, &err);
    else
        user_say(s, "The password of %s is changed", s->user);
    cog_free_secret(password);
    return rc;
}

int user_get_user(struct session *s, struct json_object **resp)
{
    return user_token_call(s, "GetUser", json_object_new_object(), resp);
}

static bool delete_args_ok(int argc, char **argv)
{
    return argc == 0 || (argc == 1 && strcmp(argv[0], "yes") == 0);
}

static int run_delete_account(struct session *s, int argc, char **argv)
{
    char *typed = NULL;
    int rc = EXIT_OK;
    if (!(argc == 1 && strcmp(argv[0], "yes") == 0)) {
        fprintf(stderr, "This deletes the account %s for good. ", s->user);
        if ((rc = ask(s, "Type its name to confirm: ", true, &typed)) != EXIT_OK)
            return rc;
        if (strcmp(typed, s->user) != 0) {
            fprintf(stderr, "cognitoctl delete-account: not confirmed; nothing deleted\n");
            free(typed);
            return EXIT_REFUSED;
        }
        free(typed);
    }
    if ((rc = user_token_call(s, "DeleteUser", json_object_new_object(), NULL)) != EXIT_OK)
        return rc;
    if (s->use_cached || s->cache_tokens)
        unlink(s->token_file);
    user_say(s, "The account %s is deleted", s->user);
    return EXIT_OK;
}

/* ---- the table and the driver ------------------------------------------------------- */

#define COMMON                                                                                     \
    "\n  USER, -u, --user USER  the Cognito user (default: your login name)\n"                     \
    "  --json            print JSON instead of text\n"
#define CODES "  --echo-codes      show one-time codes as they are typed\n"
#define LOGIN_OPTS                                                                                 \
    "  --cache-tokens    keep this login's tokens in the token file (0600) for later\n"            \
    "  --use-cached      use the token file's tokens (refreshed if expired), not a login\n"        \
    "  --token-file PATH the token file (default ~/.cache/cognitoctl/tokens.json)\n"               \
    "Logs in first as `cognitoctl login` does (password, then any MFA challenge).\n"

const struct user_command ctl_user_commands[] = {
    {"signup", "create an account (attributes as name=value)", run_signup, false, 0, 64,
     "Usage: cognitoctl signup [-u USER | USER] [name=value...]\n"
     "Asks for a password twice; Cognito sends a confirmation code.\n" COMMON,
     false, all_name_value},
    {"confirm-signup", "confirm a new account with the code sent", run_confirm_signup, false, 0, 0,
     "Usage: cognitoctl confirm-signup [-u USER | USER]\n"
     "Asks for the code Cognito sent (read from stdin when it is no terminal);\n"
     "a code is never taken from the command line, where ps shows it.\n" COMMON CODES,
     false, NULL},
    {"resend-code", "send a new sign-up confirmation code", run_resend_code, false, 0, 0,
     "Usage: cognitoctl resend-code [-u USER | USER]\n" COMMON, false, NULL},
    {"forgot-password", "reset a forgotten password with an emailed code", run_forgot_password,
     false, 0, 0,
     "Usage: cognitoctl forgot-password [-u USER | USER]\n"
     "Cognito sends a code; then asks for it and for a new password.\n" COMMON CODES,
     false, NULL},
    {"change-password", "change your password", run_change_password, true, 0, 0,
     "Usage: cognitoctl change-password [-u USER | USER] [login options]\n" COMMON LOGIN_OPTS, true,
     NULL},
    {"attributes", "list your attributes", run_attributes, true, 0, 0,
     "Usage: cognitoctl attributes [-u USER | USER] [login options]\n" COMMON LOGIN_OPTS, false,
     NULL},
    {"set-attribute", "set attributes (name=value ...)", run_set_attribute, true, 1, 64,
     "Usage: cognitoctl set-attribute [-u USER | USER] [login options] name=value...\n"
     "A new email or phone_number must then be verified (verify-attribute).\n" COMMON LOGIN_OPTS,
     false, all_name_value},
    {"delete-attribute", "delete attributes", run_delete_attribute, true, 1, 64,
     "Usage: cognitoctl delete-attribute [-u USER] [login options] NAME...\n"
     "(Every argument is an attribute name: name the user with -u.)\n" COMMON LOGIN_OPTS,
     false, NULL},
    {"verify-attribute", "verify your email or phone number with a code", run_verify_attribute,
     true, 1, 1,
     "Usage: cognitoctl verify-attribute [-u USER | USER] [login options] [--have-code]\n"
     "                                   email|phone_number\n"
     "Has a code sent (unless --have-code: set-attribute already sent one), then asks\n"
     "for it; a code is never taken from the command line, where ps shows it.\n" COMMON CODES
         LOGIN_OPTS,
     false, verify_args_ok},
    {"mfa", "show or change your MFA (SetUserMFAPreference), set up TOTP", run_mfa, true, 0, 2,
     "Usage: cognitoctl mfa [-u USER | USER] [login options] [show | setup-totp |\n"
     "                      enable|disable|prefer sms|totp|email]\n"
     "setup-totp shows a QR code for an authenticator app, checks its first code,\n"
     "and makes TOTP the preferred method.\n"
     "  --qr-style dark|light  draw the QR code for a dark (default: qr_style) or a\n"
     "                         light terminal\n" COMMON CODES LOGIN_OPTS,
     false, mfa_args_ok},
    {"devices", "list or forget your remembered devices", run_devices, true, 0, 2,
     "Usage: cognitoctl devices [-u USER | USER] [login options] [list | forget "
     "DEVICE_KEY]\n" COMMON LOGIN_OPTS,
     false, devices_args_ok},
    {"passkey", "add, list or remove your passkeys (security keys)", run_passkey, true, 0, 2,
     "Usage: cognitoctl passkey [-u USER | USER] [login options] [list | add |\n"
     "                          remove CREDENTIAL_ID]\n"
     "add enrols the first FIDO2 security key plugged in (touch it; its PIN is\n"
     "asked when it has one).\n" COMMON LOGIN_OPTS,
     false, passkey_args_ok},
    {"sign-out", "revoke every token of yours, everywhere (--global)", run_sign_out, true, 1, 1,
     "Usage: cognitoctl sign-out --global [-u USER | USER] [login options]\n"
     "GlobalSignOut: every token of the user stops working, on every device;\n"
     "the token file is removed.\n" COMMON LOGIN_OPTS,
     false, sign_out_args_ok},
    {"delete-account", "delete your account (asks to confirm)", run_delete_account, true, 0, 1,
     "Usage: cognitoctl delete-account [-u USER | USER] [login options] [--yes]\n"
     "Asks you to type the user name unless --yes.\n" COMMON LOGIN_OPTS,
     false, delete_args_ok},
    {"refresh", "new tokens or AWS credentials from the refresh token", run_refresh, false, 0, 1,
     "Usage: cognitoctl refresh [--token-file PATH] [--json] [aws]\n"
     "       cognitoctl refresh --refresh-token-stdin -u USER [--json] [aws]\n"
     "REFRESH_TOKEN_AUTH with the refresh token of the token file (written by\n"
     "login --cache-tokens, and updated here), or read from stdin. Prints when\n"
     "the new tokens expire; with `aws`, the identity pool's AWS credentials\n"
     "(with --json in the shape of an AWS CLI credential_process).\n" COMMON,
     false, NULL},
};
const size_t ctl_user_ncommands = sizeof(ctl_user_commands) / sizeof(ctl_user_commands[0]);

/* --refresh-token-stdin: all of stdin (a refresh token outgrows a prompt's
 * line), trailing white space dropped. */
static int read_token(struct session *s)
{
    char buf[16384];
    size_t n = 0;
    ssize_t r;
    while (n + 1 < sizeof(buf) && (r = read(STDIN_FILENO, buf + n, sizeof(buf) - 1 - n)) != 0) {
        if (r < 0 && errno != EINTR)
            break;
        n += r > 0 ? (size_t)r : 0;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    s->password = n > 0 ? strdup(buf) : NULL;
    cog_wipe(buf, sizeof(buf));
    if (s->password == NULL)
        fprintf(stderr, "cognitoctl refresh: no refresh token on stdin\n");
    return s->password ? EXIT_OK : EXIT_REFUSED;
}

/* Whether args[0] is the user: the rest is a valid argument list and the
 * whole is not (`change-password alice`, `mfa alice enable totp`,
 * `set-attribute alice name=A`). delete-attribute's names and refresh's
 * token-file user leave no room for it: -u there. */
static bool user_first(const struct user_command *cmd, int n, char **args)
{
    if (n < 1 || cmd->run == run_delete_attribute || cmd->run == run_refresh ||
        strchr(args[0], '=') != NULL)
        return false;
    bool whole =
        n >= cmd->min_args && n <= cmd->max_args && (!cmd->args_ok || cmd->args_ok(n, args));
    bool rest = n - 1 >= cmd->min_args && n - 1 <= cmd->max_args &&
                (!cmd->args_ok || cmd->args_ok(n - 1, args + 1));
    return rest && !whole;
}

/* Six to ten digits: what Cognito's codes look like. */
static bool looks_like_code(const char *a)
{
    size_t n = strlen(a);
    return n >= 6 && n <= 10 && strspn(a, "0123456789") == n;
}

/* confirm-signup CODE and verify-attribute ATTR CODE were the old forms:
 * a code on argv is visible to every user (ps, /proc/PID/cmdline). */
static int refuse_code_args(const struct user_command *cmd, bool have_user, int n, char **args)
{
    bool code = false;
    if (cmd->run == run_confirm_signup)
        code = n >= 2 || (n == 1 && (have_user || looks_like_code(args[0])));
    else if (cmd->run == run_verify_attribute)
        code = n >= 2 && looks_like_code(args[n - 1]);
    if (!code)
        return EXIT_OK;
    fprintf(stderr,
            "cognitoctl %s: a code is not taken from the command line, where ps shows it to "
            "everyone: type it at the prompt, or give it on stdin%s\n",
            cmd->name,
            cmd->run == run_confirm_signup && !have_user ? " (name the user with -u)" : "");
    return EXIT_USAGE;
}

static const char *login_name(void)
{
    const struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : NULL;
}

int ctl_user_run(const struct user_command *cmd, int argc, char **argv, struct globals *g)
{
    struct session s = {.g = g, .cmd = cmd};
    char path[4096];
    const char *token_file = NULL;
    bool refresh_stdin = false;
    const char *qr_style = NULL;
    int rc = ctl_common_options(&argc, argv, g, cmd->usage), n = 0;
    if (rc >= 0)
        return rc;
    char **args = argv + 1;
    const char *words[2];
    int nwords = 0;
    bool operands_only = false; /* after "--": a credential id may start with '-' */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool login_opt = cmd->needs_token;
        if (operands_only)
            args[n++] = argv[i];
        else if (strcmp(a, "--") == 0)
            operands_only = true;
        else if ((strcmp(a, "-u") == 0 || strcmp(a, "--user") == 0) && i + 1 < argc)
            s.user = argv[++i];
        else if (strcmp(a, "--token-file") == 0 && i + 1 < argc)
            token_file = argv[++i];
        else if (login_opt && strcmp(a, "--cache-tokens") == 0)
            s.cache_tokens = true;
        else if (login_opt && strcmp(a, "--use-cached") == 0)
            s.use_cached = true;
        else if (cmd->run == run_mfa && strcmp(a, "--qr-style") == 0 && i + 1 < argc)
            qr_style = argv[++i];
        else if (cmd->run == run_verify_attribute && strcmp(a, "--have-code") == 0)
            s.have_code = true;
        else if (cmd->run == run_sign_out && strcmp(a, "--global") == 0 && nwords < 2)
            words[nwords++] = "global";
        else if (cmd->run == run_delete_account && strcmp(a, "--yes") == 0 && nwords < 2)
            words[nwords++] = "yes";
        else if (cmd->run == run_refresh && strcmp(a, "--refresh-token-stdin") == 0)
            refresh_stdin = true;
        else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr,
                    "cognitoctl %s: unknown option '%s' (an argument that starts with '-' goes "
                    "after --)\n",
                    cmd->name, a);
            return EXIT_USAGE;
        } else
            args[n++] = argv[i];
    }
    if ((rc = refuse_code_args(cmd, s.user != NULL, n, args)) != EXIT_OK)
        return rc;
    /* USER may come first instead of -u USER. */
    if (s.user == NULL && user_first(cmd, n, args)) {
        s.user = args[0];
        args++;
        n--;
    }
    for (int w = 0; w < nwords; w++) /* --global, --yes: after the positional ones */
        args[n++] = (char *)words[w];
    if (n < cmd->min_args || n > cmd->max_args || (cmd->args_ok && !cmd->args_ok(n, args))) {
        fputs(cmd->usage, stderr);
        return EXIT_USAGE;
    }
    if ((rc = ctl_token_path(token_file, path, sizeof(path))) != EXIT_OK)
        return rc;
    s.token_file = path;
    bool user_from_file = s.use_cached || (cmd->run == run_refresh && !refresh_stdin);
    if (s.user == NULL && !user_from_file && (s.user = login_name()) == NULL) {
        fprintf(stderr, "cognitoctl %s: name the user with -u\n", cmd->name);
        return EXIT_USAGE;
    }
    if (s.user != NULL && !cog_username_valid(s.user)) {
        fprintf(stderr, "cognitoctl %s: '%.64s' is not a valid user name\n", cmd->name, s.user);
        return EXIT_USAGE;
    }
    if ((rc = ctl_load_config(g, &s.cfg)) != EXIT_OK)
        return rc;
    struct cog_error err = {0};
    cog_config_begin_source(&s.cfg);
    if (qr_style != NULL &&
        cog_config_set(&s.cfg, "qr_style", qr_style, "--qr-style", 0, &err) != COG_OK) {
        fprintf(stderr, "cognitoctl %s: %s\n", cmd->name, err.message);
        rc = EXIT_USAGE;
        goto out;
    }
    term_init(&s.t, g->json);
    s.t.echo_codes = g->echo_codes;
    term_callbacks(&s.t, &s.cb);
    if (cog_idp_open(&s.idp, &s.cfg, &err) != COG_OK) {
        rc = user_fail(&s, &err);
        goto out;
    }
    if (refresh_stdin && (rc = read_token(&s)) != EXIT_OK)
        goto out;
    if (cmd->needs_token && (rc = authenticate(&s)) != EXIT_OK)
        goto out;
    rc = cmd->run(&s, n, args);
out:
    cog_free_secret(s.password);
    cog_auth_result_clear(&s.res);
    cog_idp_close(&s.idp);
    cog_config_free(&s.cfg);
    return rc;
}
