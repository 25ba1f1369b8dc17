/* cognitoctl check-config: what can be verified from this host. The file
 * (every key, owner, mode), the pool's key set (endpoint, TLS trust, pool
 * id), the app client (it exists, its auth flow is on, its secret matches,
 * which attributes its users may write), the admin credentials and the
 * user cache. Each finding is ok, WARN or FAIL; the exit status is the
 * verdict: 0 when nothing failed, else the gravest failure's status. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/mapping/admin.h"
#include "libcognito/wire/http.h"
#include "libcognito/wire/idp.h"
#include "libcognito/snapshot/snapshot_install.h"
#include "libcognito/snapshot/snapshot_manifest.h"
#include "libcognito/signin/srp.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"

#define PROBE_USER "cognitoctl-check-config-probe"

static const char check_usage[] =
    "Usage: cognitoctl check-config [--config PATH] [--json]\n"
    "\n"
    "Validates the configuration file (every key, owner and mode), then checks\n"
    "from this host what it can:\n"
    "  - the user pool's key set (JWKS): the endpoint, the TLS trust, the pool id;\n"
    "  - the app client: with admin credentials, DescribeUserPoolClient (the client\n"
    "    exists, auth_flow is among its ExplicitAuthFlows, it has a secret exactly\n"
    "    when the configuration has one, and which of username_attribute,\n"
    "    uid_attribute and ssh_key_attribute its users may write: a WARN, since a\n"
    "    pool user could then pick their own Unix name, uid or SSH keys); without\n"
    "    them, one InitiateAuth for a made-up user name, whose answer tells a\n"
    "    missing client or a disabled flow apart (attributes are then not checked);\n"
    "  - the admin credentials (one signed ListUsers), when there are any;\n"
    "  - with snapshot_url, the fleet's manifest: its signature, format and pool;\n"
    "  - the user cache (a missing cache is a WARN before the first sync).\n"
    "Exits 0 when nothing failed (warnings allowed), 2 on a configuration error\n"
    "(including a pool, app client or auth flow the pool does not have, a wrong\n"
    "secret, credentials AWS refuses, an unusable cache), 3 when the pool cannot be\n"
    "reached, 1 when it refuses for another reason.\n";

enum level { OK, WARN, FAIL };

struct check {
    struct json_object *list;
    bool json;
    int rc; /* the gravest failure's exit status so far */
};

/* Which failure decides the exit status: a configuration error first. */
static int gravity(int rc)
{
    switch (rc) {
    case EXIT_USAGE:
        return 4;
    case EXIT_UNAVAILABLE:
        return 3;
    case EXIT_REFUSED:
        return 2;
    case EXIT_OK:
        return 0;
    default:
        return 1;
    }
}

static void report(struct check *c, const char *what, enum level lv, int rc, const char *detail)
{
    static const char *const names[] = {"ok", "WARN", "FAIL"};
    if (lv == FAIL && gravity(rc) > gravity(c->rc))
        c->rc = rc;
    if (!c->json) {
        printf("%-5s %s%s%s\n", names[lv], what, detail ? ": " : "", detail ? detail : "");
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "check", json_object_new_string(what));
    json_object_object_add(o, "ok", json_object_new_boolean(lv != FAIL));
    json_object_object_add(o, "level", json_object_new_string(names[lv]));
    json_object_object_add(o, "detail", json_object_new_string(detail ? detail : ""));
    json_object_array_add(c->list, o);
}

static void report_error(struct check *c, const char *what, const struct cog_error *err)
{
    char detail[COG_ERROR_MESSAGE_MAX + COG_ERROR_CODE_MAX + 8];
    if (err->code[0] != '\0')
        snprintf(detail, sizeof(detail), "%s (%s)", err->message, err->code);
    else
        snprintf(detail, sizeof(detail), "%s", err->message);
    report(c, what, FAIL, ctl_exit_code(err->status), detail);
}

/* The JWKS: public, unsigned, and only there when endpoint and pool are right. */
static void check_pool(struct check *c, const struct cog_config *cfg)
{
    struct cog_idp idp = {0};
    struct cog_http_response resp = {0};
    struct cog_error err = {0};
    struct json_object *jwks = NULL;
    char detail[COG_ERROR_MESSAGE_MAX + 64];
    char *url = cog_config_jwks_url(cfg);
    cog_status st = url ? cog_idp_open(&idp, cfg, &err)
                        : cog_error_set(&err, COG_ERR_NOMEM, NULL, "out of memory");
    if (st == COG_OK)
        st = cog_idp_get(&idp, url, &resp, &err);
    if (st != COG_OK) {
        report_error(c, "the user pool answers", &err);
        goto out;
    }
    jwks = resp.status == 200 ? json_tokener_parse(resp.body) : NULL;
    struct json_object *keys = jwks ? json_object_object_get(jwks, "keys") : NULL;
    if (resp.status != 200 || !json_object_is_type(keys, json_type_array)) {
        snprintf(detail, sizeof(detail),
                 "%s answered HTTP %ld without a key set (wrong user_pool_id or endpoint?)", url,
                 resp.status);
        report(c, "the user pool answers", FAIL,
               resp.status >= 500 || resp.status == 0 ? EXIT_UNAVAILABLE : EXIT_USAGE, detail);
        goto out;
    }
    snprintf(detail, sizeof(detail), "%s has %zu signing keys", url,
             json_object_array_length(keys));
    report(c, "the user pool answers", OK, EXIT_OK, detail);
out:
    json_object_put(jwks);
    cog_http_response_clear(&resp);
    cog_idp_close(&idp);
    free(url);
}

static const char *flow_name(enum cog_auth_flow f)
{
    return f == COG_FLOW_USER_PASSWORD_AUTH ? "USER_PASSWORD_AUTH"
           : f == COG_FLOW_CUSTOM_AUTH      ? "CUSTOM_AUTH"
           : f == COG_FLOW_USER_AUTH        ? "USER_AUTH"
                                            : "USER_SRP_AUTH";
}

/* Whether ExplicitAuthFlows (ALLOW_ names, or the legacy ones) has flow. */
static bool flow_enabled(struct json_object *flows, const char *flow)
{
    bool legacy_only = true;
    char allow[64];
    snprintf(allow, sizeof(allow), "ALLOW_%s", flow);
    for (size_t i = 0; i < json_object_array_length(flows); i++) {
        const char *f = json_object_get_string(json_object_array_get_idx(flows, i));
        if (f == NULL)
            continue;
        if (strcmp(f, allow) == 0 || strcmp(f, flow) == 0 ||
            (strcmp(flow, "CUSTOM_AUTH") == 0 && strcmp(f, "CUSTOM_AUTH_FLOW_ONLY") == 0))
            return true;
        if (strncmp(f, "ALLOW_", 6) == 0)
            legacy_only = false;
    }
    /* Legacy settings always allowed SRP. */
    return legacy_only && strcmp(flow, "USER_SRP_AUTH") == 0;
}

static bool in_list(struct json_object *arr, const char *name)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        const char *v = json_object_get_string(json_object_array_get_idx(arr, i));
        if (v != NULL && strcmp(v, name) == 0)
            return true;
    }
    return false;
}

/* The mapping attributes a pool user could set themselves. write is
 * WriteAttributes (NULL: not known, no admin credentials). */
static void check_write_attributes(struct check *c, const struct cog_config *cfg,
                                   struct json_object *client, bool known)
{
    static const struct {
        const char *key, *what;
        size_t offset;
    } attrs[] = {
        {"username_attribute", "their Unix name", offsetof(struct cog_config, username_attribute)},
        {"uid_attribute", "their uid", offsetof(struct cog_config, uid_attribute)},
        {"ssh_key_attribute", "the SSH keys that let them in",
         offsetof(struct cog_config, ssh_key_attribute)},
    };
    char detail[512];
    struct json_object *write = NULL;
    bool all = known && !json_object_object_get_ex(client, "WriteAttributes", &write);
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        const char *name = *(char *const *)((const char *)cfg + attrs[i].offset);
        if (name == NULL || strcmp(name, "sub") == 0)
            continue; /* Username and sub: no user can change them */
        if (!known) {
            snprintf(detail, sizeof(detail),
                     "%s: could not check whether users can write it (no admin credentials "
                     "for DescribeUserPoolClient)",
                     name);
            report(c, attrs[i].key, WARN, EXIT_OK, detail);
        } else if (all || in_list(write, name)) {
            snprintf(detail, sizeof(detail),
                     "%s is among the app client's WriteAttributes%s: a pool user can set %s "
                     "(remove it from WriteAttributes)",
                     name, all ? " (all attributes)" : "", attrs[i].what);
            report(c, attrs[i].key, WARN, EXIT_OK, detail);
        } else {
            snprintf(detail, sizeof(detail), "%s: users cannot write it", name);
            report(c, attrs[i].key, OK, EXIT_OK, detail);
        }
    }
}

/* What DescribeUserPoolClient says against the configuration. */
static void check_client_described(struct check *c, const struct cog_config *cfg,
                                   struct json_object *client)
{
    char detail[512];
    const char *flow = flow_name(cfg->auth_flow);
    struct json_object *flows = json_object_object_get(client, "ExplicitAuthFlows");
    snprintf(detail, sizeof(detail), "%s in pool %s", cfg->client_id, cfg->user_pool_id);
    report(c, "app client exists", OK, EXIT_OK, detail);
    if (!flow_enabled(flows, flow)) {
        snprintf(detail, sizeof(detail),
                 "%s flow not enabled for this client: add ALLOW_%s to its ExplicitAuthFlows, or "
                 "change auth_flow",
                 flow, flow);
        report(c, "auth flow", FAIL, EXIT_USAGE, detail);
    } else {
        report(c, "auth flow", OK, EXIT_OK, flow);
    }
    const char *secret = cog_json_string(client, "ClientSecret");
    if (secret != NULL && cfg->client_secret == NULL)
        report(c, "client secret", FAIL, EXIT_USAGE,
               "the app client has a secret and the configuration none: put it in a root-only "
               "file named by client_secret_file");
    else if (secret == NULL && cfg->client_secret != NULL)
        report(c, "client secret", FAIL, EXIT_USAGE,
               "the configuration has a secret and the app client none: remove it");
    else if (secret != NULL && strcmp(secret, cfg->client_secret) != 0)
        report(c, "client secret", FAIL, EXIT_USAGE,
               "the configured secret is not the app client's");
    else
        report(c, "client secret", OK, EXIT_OK, secret ? "matches" : "none, as the app client");
    check_write_attributes(c, cfg, client, true);
}

/* With admin credentials: DescribeUserPoolClient, then one ListUsers (the
 * sync needs it). Returns false when the client could not be described. */
static bool check_admin(struct check *c, const struct cog_config *cfg)
{
    struct cog_admin admin;
    struct cog_error err = {0};
    struct json_object *req = json_object_new_object(), *resp = NULL;
    bool described = false;
    memset(&admin, 0, sizeof(admin));
    cog_status st = req ? cog_admin_open(&admin, cfg, &err)
                        : cog_error_set(&err, COG_ERR_NOMEM, NULL, "out of memory");
    if (st != COG_OK) {
        report_error(c, "admin credentials", &err);
        goto out;
    }
    json_object_object_add(req, "UserPoolId", json_object_new_string(cfg->user_pool_id));
    json_object_object_add(req, "ClientId", json_object_new_string(cfg->client_id));
    st = cog_admin_call(&admin, "DescribeUserPoolClient", req, &resp, &err);
    if (st == COG_OK) {
        described = true;
        check_client_described(c, cfg, json_object_object_get(resp, "UserPoolClient"));
    } else if (strcmp(err.code, "AccessDeniedException") == 0) {
        report(c, "app client", WARN, EXIT_OK,
               "the admin credentials may not call DescribeUserPoolClient (add "
               "cognito-idp:DescribeUserPoolClient to their policy); probing instead");
    } else if (strcmp(err.code, "ResourceNotFoundException") == 0) {
        report_error(c, "app client exists", &err);
        described = true; /* a probe would say the same */
        goto out;
    } else {
        report_error(c, "admin credentials", &err);
        goto out;
    }
    cog_json_put_wiped(resp);
    resp = NULL;
    json_object_put(req);
    req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(cfg->user_pool_id));
    json_object_object_add(req, "Limit", json_object_new_int(1));
    st = cog_admin_call(&admin, "ListUsers", req, &resp, &err);
    if (st == COG_OK)
        report(c, "admin credentials", OK, EXIT_OK, admin.creds.source);
    else
        report_error(c, "admin credentials", &err);
out:
    cog_json_put_wiped(resp);
    json_object_put(req);
    cog_admin_close(&admin);
    return described;
}

/* Without admin credentials: the configured flow for a made-up user. The
 * pool checks the client and the flow before it looks for the user, so
 * UserNotFound (or the NotAuthorized of a pool that hides users, or a
 * challenge) means both are right. Nobody's failed-attempt count moves. */
static void check_probe(struct check *c, const struct cog_config *cfg)
{
    struct cog_idp idp = {0};
    struct cog_srp *srp = NULL;
    struct cog_error err = {0};
    struct json_object *req = json_object_new_object(), *params = json_object_new_object();
    struct json_object *resp = NULL;
    const char *flow = flow_name(cfg->auth_flow);
    char detail[256];
    cog_status st = req && params ? cog_idp_open(&idp, cfg, &err)
                                  : cog_error_set(&err, COG_ERR_NOMEM, NULL, "out of memory");
    if (st != COG_OK)
        goto done;
    json_object_object_add(req, "AuthFlow", json_object_new_string(flow));
    json_object_object_add(req, "ClientId", json_object_new_string(cfg->client_id));
    json_object_object_add(params, "USERNAME", json_object_new_string(PROBE_USER));
    if (cfg->auth_flow == COG_FLOW_USER_PASSWORD_AUTH) {
        json_object_object_add(params, "PASSWORD", json_object_new_string("probe-Passw0rd!"));
    } else {
        if ((st = cog_idp_srp_new(&idp, &srp, &err)) != COG_OK)
            goto done;
        json_object_object_add(params, "SRP_A", json_object_new_string(cog_srp_A_hex(srp)));
        if (cfg->auth_flow == COG_FLOW_CUSTOM_AUTH)
            json_object_object_add(params, "CHALLENGE_NAME", json_object_new_string("SRP_A"));
    }
    if ((st = cog_idp_add_secret_hash(cfg, params, "SECRET_HASH", PROBE_USER, &err)) != COG_OK)
        goto done;
    json_object_object_add(req, "AuthParameters", params);
    params = NULL;
    st = cog_idp_call(&idp, "InitiateAuth", req, &resp, &err);
done:
    if (st == COG_OK || st == COG_ERR_USER_UNKNOWN || st == COG_ERR_AUTH) {
        snprintf(detail, sizeof(detail), "%s in pool %s (probed with a made-up user)",
                 cfg->client_id, cfg->user_pool_id);
        report(c, "app client exists", OK, EXIT_OK, detail);
        report(c, "auth flow", OK, EXIT_OK, flow);
    } else {
        report_error(c, st == COG_ERR_CONFIG ? "app client" : "the app client answers", &err);
    }
    json_object_put(params);
    json_object_put(req);
    cog_json_put_wiped(resp);
    cog_srp_free(srp);
    cog_idp_close(&idp);
}

static void check_cache(struct check *c, const struct cog_config *cfg)
{
    int bad = 0, unusable = 0;
    char detail[512];
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
    struct json_object *arr = ctl_cache_report(dir, true, &bad);
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        const char *state = json_object_get_string(
            json_object_object_get(json_object_array_get_idx(arr, i), "state"));
        if (state == NULL || (strcmp(state, "absent") != 0 && strcmp(state, "ok") != 0))
            unusable++;
    }
    if (bad == 0) {
        report(c, "user cache", OK, EXIT_OK, dir);
    } else if (unusable == 0) {
        /* Normal before the first sync. */
        snprintf(detail, sizeof(detail), "%s: no cache yet (run cognitoctl sync)", dir);
        report(c, "user cache", WARN, EXIT_OK, detail);
    } else {
        snprintf(detail, sizeof(detail),
                 "%s: damaged or untrusted (not root's, or writable by others): see "
                 "cognitoctl cache verify",
                 dir);
        report(c, "user cache", FAIL, EXIT_USAGE, detail);
    }
    json_object_put(arr);
}

/* A fleet host: the published manifest verifies, names this pool, and
 * what this host has installed. */
static void check_snapshot(struct check *c, const struct cog_config *cfg)
{
    struct cog_snapshot_manifest m;
    struct cog_snapshot_state s;
    struct cog_error err = {0};
    char detail[512], installed[64] = "none installed yet (run cognitoctl sync)";
    if (cfg->snapshot_url == NULL)
        return;
    if (cog_snapshot_state_read(cfg->cache_dir, &s, &err) != COG_OK) {
        report_error(c, "fleet snapshot", &err);
        return;
    }
    if (s.serial >= 0)
        snprintf(installed, sizeof(installed), "serial %lld installed", (long long)s.serial);
    if (cog_snapshot_peek(cfg, &m, &err) != COG_OK) {
        report_error(c, "fleet snapshot", &err);
        return;
    }
    snprintf(detail, sizeof(detail), "serial %lld of %s, signature verified; %s",
             (long long)m.serial, cfg->snapshot_url, installed);
    report(c, "fleet snapshot", OK, EXIT_OK, detail);
}

int cmd_check_config(int argc, char **argv, struct globals *g)
{
    struct cog_config cfg;
    struct check c = {.json = g->json};
    char detail[512];
    int rc = ctl_common_options(&argc, argv, g, check_usage);
    if (rc >= 0)
        return rc;
    c.json = g->json;
    if (argc != 1) {
        fputs(check_usage, stderr);
        return EXIT_USAGE;
    }
    if ((rc = ctl_load_config(g, &cfg)) != EXIT_OK)
        return rc;
    if (c.json && (c.list = json_object_new_array()) == NULL) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    snprintf(detail, sizeof(detail), "%s (pool %s, client %s%s)", g->config_path, cfg.user_pool_id,
             cfg.client_id, cfg.client_secret ? " with a secret" : "");
    report(&c, "configuration", OK, EXIT_OK, detail);
    check_pool(&c, &cfg);
    if (getenv("AWS_ACCESS_KEY_ID") == NULL && cfg.admin_credentials_file == NULL) {
        report(&c, "admin credentials", OK, EXIT_OK,
               cfg.snapshot_url ? "none (not needed: cognitoctl sync installs the fleet snapshot)"
                                : "none (cognitoctl sync will not work)");
        check_probe(&c, &cfg);
        check_write_attributes(&c, &cfg, NULL, false);
    } else if (!check_admin(&c, &cfg)) {
        check_probe(&c, &cfg);
        check_write_attributes(&c, &cfg, NULL, false);
    }
    check_snapshot(&c, &cfg);
    check_cache(&c, &cfg);
    if (cfg.ssh_key_attribute == NULL)
        report(&c, "ssh_key_attribute", OK, EXIT_OK, "not set (authorized-keys prints no keys)");
    if (c.json)
        ctl_print_json(c.list);
    else
        printf("%s\n", c.rc == EXIT_OK ? "verdict: ok" : "verdict: FAIL");
    rc = c.rc;
out:
    json_object_put(c.list);
    cog_config_free(&cfg);
    return rc;
}
