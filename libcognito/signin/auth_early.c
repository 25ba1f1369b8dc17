/* The early start (auth.h): InitiateAuth on a thread of its own while the
 * front end asks for the password. Nothing in SRP needs the password before
 * the claim, so after Enter only RespondToAuthChallenge is left.
 *
 * The thread owns the idp (its curl handle) from start to join: the login
 * joins before it sends anything, so the connection and its TLS session
 * pass to it whole. A cancelled prompt stops the transfer through the
 * handle's stop flag and joins, so no thread, socket or SRP secret outlives
 * the call that started it. */
#include "build-config.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"

struct cog_auth_early {
    struct cog_idp *idp;
    pthread_t thread;
    bool running; /* a thread to join */
    bool taken;   /* a login has had its answer */
    atomic_bool stop;
    long long started_ms;
    char *username;
    char *device_key;
    struct login l; /* the thread's own: its SRP, its request count */
    struct cog_error err;
    cog_status st;
    struct json_object *resp;
};

static void *early_run(void *arg)
{
    struct cog_auth_early *e = arg;
    cog_http_begin_step(e->idp->http);
    e->st = auth_initiate(&e->l, &e->resp);
    return NULL;
}

static void early_join(struct cog_auth_early *e)
{
    if (!e->running)
        return;
    pthread_join(e->thread, NULL);
    e->running = false;
    cog_http_set_stop(e->idp->http, NULL);
}

struct cog_auth_early *cog_auth_early_start(struct cog_idp *idp, const char *username,
                                            const struct cog_auth_opts *opts)
{
    static const struct cog_auth_opts no_opts;
    struct cog_auth_early *e = NULL;
    sigset_t all, old;

    if (idp == NULL || idp->cfg == NULL || !idp->cfg->early_start ||
        idp->cfg->auth_flow == COG_FLOW_USER_PASSWORD_AUTH || cog_config_user_auth(idp->cfg) ||
        !cog_username_valid(username))
        goto fail;
    if ((e = calloc(1, sizeof(*e))) == NULL || (e->username = strdup(username)) == NULL)
        goto fail;
    if (opts != NULL && opts->device_key != NULL && opts->device_group_key != NULL &&
        opts->device_password != NULL && (e->device_key = strdup(opts->device_key)) == NULL)
        goto fail;
    e->idp = idp;
    atomic_init(&e->stop, false);
    e->l = (struct login){
        .idp = idp,
        .cfg = idp->cfg,
        .opts = &no_opts,
        .username = e->username,
        .device_key = e->device_key,
        .err = &e->err,
    };
    cog_http_set_stop(idp->http, &e->stop);
    e->started_ms = cog_now_ms();
    /* Signals are the application's (sshd's and login's alarms, ^C): the
     * thread takes none of them. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&e->thread, NULL, early_run, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        cog_http_set_stop(idp->http, NULL);
        goto fail;
    }
    e->running = true;
    return e;
fail:
    if (e != NULL) {
        free(e->username);
        free(e->device_key);
        free(e);
    }
    return NULL;
}

void cog_auth_early_end(struct cog_auth_early *e)
{
    if (e == NULL)
        return;
    atomic_store(&e->stop, true);
    early_join(e);
    cog_srp_free(e->l.srp);
    cog_json_put_wiped(e->resp);
    free(e->l.user_id);
    free(e->username);
    free(e->device_key);
    free(e);
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A failure of the request, not the service's verdict on the user: sent
 * again after Enter, so the early start never turns a passing hiccup
 * into a failed login. */
static bool request_failed(cog_status st)
{
    return st == COG_ERR_UNAVAILABLE || st == COG_ERR_NOMEM || st == COG_ERR_INTERNAL ||
           st == COG_ERR_ABORTED;
}

bool auth_early_take(struct cog_auth_early *e, struct login *l, cog_status *st,
                     struct json_object **resp)
{
    early_join(e);
    l->requests += e->l.requests;
    e->l.requests = 0;
    if (e->taken)
        return false;
    e->taken = true;
    /* Another user's or device's answer, one whose session may be gone by
     * the time the claim arrives, or a failed request: sent anew. */
    if (!same_text(e->username, l->username) || !same_text(e->device_key, l->device_key) ||
        cog_now_ms() - e->started_ms > (long long)l->cfg->early_start_max_age * 1000 ||
        request_failed(e->st))
        return false;
    *st = e->st;
    *resp = e->resp;
    e->resp = NULL;
    cog_srp_free(l->srp);
    l->srp = e->l.srp;
    e->l.srp = NULL;
    if (e->st != COG_OK)
        *l->err = e->err;
    return true;
}
