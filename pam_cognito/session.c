#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>
#include <security/pam_ext.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/session.h"
#include "pam_cognito/state.h"
#include "pam_cognito/store.h"

#define DATA_SESSION "pam_cognito_session"
/* A login whose session never opened (no session line, a refused account
 * phase) keeps its tokens this long: the session phase follows the login
 * within seconds. An opened one at most until its refresh token would have
 * run out anyway. */
#define PENDING_TTL 120
#define OPENED_TTL (31 * 86400)
#define RECORD_VERSION 2

static char *sessions_dir(const struct cog_config *cfg)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/sessions", cfg->state_dir) < 0)
        return NULL;
    return dir;
}

void pc_session_clear(struct pc_session *s)
{
    if (s == NULL)
        return;
    free(s->user);
    free(s->username);
    cog_free_secret(s->id_token);
    cog_free_secret(s->access_token);
    cog_free_secret(s->refresh_token);
    free(s->device_key);
    free(s->aws_access_key_id);
    free(s->service);
    free(s->rhost);
    memset(s, 0, sizeof(*s));
}

bool pc_session_wanted(const struct cog_config *cfg)
{
    return cfg->identity_pool_id != NULL || cfg->on_close != COG_CLOSE_NONE;
}

static bool add_optional(struct json_object *o, const char *key, const char *value)
{
    return value == NULL || cog_json_add_string(o, key, value);
}

static struct json_object *to_json(const struct pc_session *s)
{
    struct json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    if (pc_json_add_int(o, "version", RECORD_VERSION) && cog_json_add_string(o, "id", s->id) &&
        cog_json_add_string(o, "user", s->user) &&
        cog_json_add_string(o, "username", s->username) &&
        cog_json_add_string(o, "id_token", s->id_token) &&
        cog_json_add_string(o, "access_token", s->access_token) &&
        add_optional(o, "refresh_token", s->refresh_token) &&
        add_optional(o, "device_key", s->device_key) &&
        add_optional(o, "aws_access_key_id", s->aws_access_key_id) &&
        cog_json_add_string(o, "service", s->service) &&
        cog_json_add_string(o, "rhost", s->rhost) && pc_json_add_int(o, "created", s->created) &&
        pc_json_add_int(o, "token_expires", s->token_expires) &&
        pc_json_add_bool(o, "opened", s->opened) &&
        (!s->device_flow || pc_json_add_bool(o, "device_flow", true)))
        return o;
    cog_json_put_wiped(o);
    return NULL;
}

static bool copy_string(struct json_object *o, const char *key, bool required, char **out)
{
    const char *v = cog_json_string(o, key);
    if (v == NULL)
        return !required;
    *out = strdup(v);
    return *out != NULL;
}

static cog_status from_json(struct json_object *o, const char *id, const char *user,
                            struct pc_session *s)
{
    long long version = 0;
    const char *rid = cog_json_string(o, "id");
    const char *ruser = cog_json_string(o, "user");

    memset(s, 0, sizeof(*s));
    if (!pc_json_int(o, "version", &version) || version != RECORD_VERSION || rid == NULL ||
        strcmp(rid, id) != 0 || ruser == NULL || strcmp(ruser, user) != 0 ||
        strlen(id) != PC_SESSION_ID_LEN || !pc_json_int(o, "created", &s->created) ||
        !pc_json_int(o, "token_expires", &s->token_expires) ||
        !pc_json_bool(o, "opened", &s->opened))
        return COG_ERR_INVALID_INPUT;
    memcpy(s->id, id, PC_SESSION_ID_LEN + 1);
    if (json_object_object_get_ex(o, "device_flow", NULL) &&
        !pc_json_bool(o, "device_flow", &s->device_flow))
        return COG_ERR_INVALID_INPUT;
    if (!copy_string(o, "user", true, &s->user) ||
        !copy_string(o, "username", true, &s->username) ||
        !copy_string(o, "id_token", true, &s->id_token) ||
        !copy_string(o, "access_token", true, &s->access_token) ||
        !copy_string(o, "refresh_token", false, &s->refresh_token) ||
        !copy_string(o, "device_key", false, &s->device_key) ||
        !copy_string(o, "aws_access_key_id", false, &s->aws_access_key_id) ||
        !copy_string(o, "service", true, &s->service) || !copy_string(o, "rhost", true, &s->rhost))
        return COG_ERR_INVALID_INPUT;
    return COG_OK;
}

cog_status pc_session_save(const struct cog_config *cfg, const struct pc_session *s,
                           struct cog_error *err)
{
    cog_status st;
    char *dir = sessions_dir(cfg);
    struct json_object *o = to_json(s);

    if (dir == NULL || o == NULL)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    /* state_dir first: sessions/ is made inside it, both root's alone. */
    else if ((st = pc_store_dir(cfg->state_dir, true, err)) == COG_OK)
        st = pc_store_write(dir, s->id, o, err);
    cog_json_put_wiped(o);
    free(dir);
    return st;
}

static cog_status load(const struct cog_config *cfg, const char *id, const char *user,
                       struct pc_session *s, struct cog_error *err)
{
    cog_status st;
    char *dir = sessions_dir(cfg);
    struct json_object *o = NULL;

    memset(s, 0, sizeof(*s));
    if (dir == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = pc_store_read(dir, id, &o, err);
    if (st != COG_OK)
        goto out;
    st = from_json(o, id, user, s);
    if (st != COG_OK)
        st = cog_error_set(err, st, NULL, "not a session record of %s", user);
out:
    if (st != COG_OK)
        pc_session_clear(s);
    cog_json_put_wiped(o);
    free(dir);
    return st;
}

static bool past_time(struct json_object *o, time_t now)
{
    long long created = 0;
    bool opened = false;
    if (!pc_json_int(o, "created", &created) || !pc_json_bool(o, "opened", &opened))
        return true;
    return now - created > (opened ? OPENED_TTL : PENDING_TTL) || created > now + PENDING_TTL;
}

struct sweep {
    time_t now;
    bool (*end)(void *ctx, struct pc_session *s);
    void *ctx;
};

static bool sweep_one(struct json_object *o, void *ctx)
{
    struct sweep *w = ctx;
    struct pc_session s;
    const char *id = cog_json_string(o, "id");
    const char *user = cog_json_string(o, "user");

    if (!past_time(o, w->now))
        return false;
    /* A record that cannot be read has no tokens to end: it just goes. */
    if (id == NULL || user == NULL || from_json(o, id, user, &s) != COG_OK) {
        pc_session_clear(&s);
        return true;
    }
    bool done = w->end == NULL || w->end(w->ctx, &s);
    pc_session_clear(&s);
    return done;
}

void pc_session_sweep(const struct cog_config *cfg, bool (*end)(void *ctx, struct pc_session *s),
                      void *ctx)
{
    struct sweep w = {.now = time(NULL), .end = end, .ctx = ctx};
    char *dir = sessions_dir(cfg);
    if (dir != NULL)
        pc_store_sweep(dir, sweep_one, &w);
    free(dir);
}

static void cleanup_id(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    free(data);
}

static int set_id(pam_handle_t *pamh, const char *id)
{
    char *copy = strdup(id);
    if (copy == NULL)
        return PAM_BUF_ERR;
    int rc = pam_set_data(pamh, DATA_SESSION, copy, cleanup_id);
    if (rc != PAM_SUCCESS)
        free(copy);
    return rc;
}

/* A PAM item as a string, "" when unset. */
static const char *item(pam_handle_t *pamh, int which)
{
    const void *v = NULL;
    if (pam_get_item(pamh, which, &v) != PAM_SUCCESS || v == NULL)
        return "";
    return v;
}

void pc_session_begin(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                      const char *user, const struct cog_auth_result *res, const char *device_key,
                      char **id)
{
    unsigned char random[PC_SESSION_ID_LEN / 2];
    struct pc_session s = {0};
    struct cog_error err = {0};
    char env[sizeof(PC_SESSION_ENV) + PC_SESSION_ID_LEN + 2];
    time_t now = time(NULL);
    struct json_object *exp = json_object_object_get(res->claims, "exp");

    *id = NULL;
    if (RAND_bytes(random, sizeof(random)) != 1) {
        pam_syslog(pamh, LOG_ERR, "no randomness for a session id");
        goto out;
    }
    cog_hex_encode(random, sizeof(random), s.id);
    s.user = strdup(user);
    s.username = strdup(res->username);
    s.id_token = strdup(res->id_token);
    s.access_token = strdup(res->access_token);
    s.refresh_token = cog_strdup(res->refresh_token);
    s.device_key = cog_strdup(device_key);
    s.service = strdup(item(pamh, PAM_SERVICE));
    s.rhost = strdup(item(pamh, PAM_RHOST));
    s.created = now;
    s.device_flow = res->device_flow;
    s.token_expires = json_object_is_type(exp, json_type_int) ? json_object_get_int64(exp) : now;
    if (s.user == NULL || s.username == NULL || s.id_token == NULL || s.access_token == NULL ||
        (res->refresh_token != NULL && s.refresh_token == NULL) ||
        (device_key != NULL && s.device_key == NULL) || s.service == NULL || s.rhost == NULL) {
        pam_syslog(pamh, LOG_ERR, "out of memory keeping the tokens of %s", user);
        goto out;
    }
    if (pc_session_save(cfg, &s, &err) != COG_OK) {
        pam_syslog(pamh, LOG_ERR, "cannot keep the tokens of %s for the session: %s", user,
                   err.message);
        goto out;
    }
    snprintf(env, sizeof(env), "%s=%s", PC_SESSION_ENV, s.id);
    if (set_id(pamh, s.id) != PAM_SUCCESS || pam_putenv(pamh, env) != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "cannot pass the session id of %s on", user);
    *id = strdup(s.id);
    pc_debug(pamh, args, "tokens of %s kept for the session", user);
out:
    pc_session_clear(&s);
}

static bool id_valid(const char *id)
{
    return id != NULL && strlen(id) == PC_SESSION_ID_LEN &&
           strspn(id, "0123456789abcdef") == PC_SESSION_ID_LEN;
}

void pc_session_account_phase(pam_handle_t *pamh)
{
    /* sshd runs the account phase in its auth child too, and carries the
     * child's PAM environment, not its pam_set_data, to the session: a
     * remote login keeps the variable until open_session. A local one
     * (su, sudo, login: one process) has the id in pam_set_data. */
    if (pam_getenv(pamh, PC_SESSION_ENV) != NULL && item(pamh, PAM_RHOST)[0] == '\0')
        pam_putenv(pamh, PC_SESSION_ENV);
}

/* The id of this transaction's login: this handle's (pam_set_data), or the
 * one sshd carried back from its auth child (the PAM environment). Nothing
 * else: another transaction's login is not this one. */
static char *find_id(pam_handle_t *pamh, bool *own)
{
    const void *data = NULL;
    const char *env = pam_getenv(pamh, PC_SESSION_ENV);
    char *id = NULL;

    *own = false;
    if (pam_get_data(pamh, DATA_SESSION, &data) == PAM_SUCCESS && data != NULL) {
        *own = true;
        id = strdup(data);
    } else if (env != NULL) {
        id = strdup(env);
    }
    /* The user's shell does not need to see it. */
    if (env != NULL)
        pam_putenv(pamh, PC_SESSION_ENV);
    if (id != NULL && !id_valid(id)) {
        free(id);
        id = NULL;
    }
    return id;
}

cog_status pc_session_take(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                           struct pc_session *s, struct cog_error *err)
{
    bool own = false;
    char *id = find_id(pamh, &own);
    cog_status st;

    memset(s, 0, sizeof(*s));
    if (id == NULL) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "no Cognito login for this session");
        goto out;
    }
    st = load(cfg, id, user, s, err);
    if (st != COG_OK)
        goto out;
    /* Another process's session already has these tokens. */
    if (s->opened && !own) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "the login's session is open already");
        goto out;
    }
    /* The login this transaction made: the same service and remote host,
     * and, for one never opened, not past its time. */
    if (strcmp(s->service, item(pamh, PAM_SERVICE)) != 0 ||
        strcmp(s->rhost, item(pamh, PAM_RHOST)) != 0) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "the login's record was made for another service or host");
        goto out;
    }
    if (!s->opened && (long long)time(NULL) - s->created > PENDING_TTL) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "the login's record has expired");
        goto out;
    }
    s->opened = true;
    if ((st = pc_session_save(cfg, s, err)) != COG_OK)
        goto out;
    if (set_id(pamh, s->id) != PAM_SUCCESS)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "cannot keep the session id");
out:
    if (st != COG_OK)
        pc_session_clear(s);
    free(id);
    return st;
}

cog_status pc_session_current(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                              struct pc_session *s, struct cog_error *err)
{
    const void *data = NULL;
    memset(s, 0, sizeof(*s));
    if (pam_getenv(pamh, PC_SESSION_ENV) != NULL)
        pam_putenv(pamh, PC_SESSION_ENV);
    if (pam_get_data(pamh, DATA_SESSION, &data) != PAM_SUCCESS || data == NULL)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "no Cognito session open here");
    return load(cfg, data, user, s, err);
}

void pc_session_end(pam_handle_t *pamh, const struct cog_config *cfg, const struct pc_session *s)
{
    char *dir = sessions_dir(cfg);
    if (dir != NULL)
        pc_store_remove(dir, s->id);
    free(dir);
    pam_set_data(pamh, DATA_SESSION, NULL, NULL);
}
