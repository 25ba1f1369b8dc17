#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "libcognito/core/util.h"
#include "pam_cognito/refusal.h"
#include "pam_cognito/store.h"

#define KEY "wrong-password-refusal"

static char *timing_dir(const struct cog_config *cfg)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/timing", cfg->state_dir) < 0)
        return NULL;
    return dir;
}

/* The average so far, or -1. */
static long long known(const char *dir)
{
    struct cog_error err = {0};
    struct json_object *o = NULL;
    long long ms = -1;
    if (pc_store_read(dir, KEY, &o, &err) != COG_OK || !pc_json_int(o, "ms", &ms) || ms < 0)
        ms = -1;
    json_object_put(o);
    return ms;
}

void pc_refusal_note(const struct cog_config *cfg, long long spent_ms)
{
    struct cog_error err = {0};
    struct json_object *o = json_object_new_object();
    char *dir = timing_dir(cfg);
    long long cap = (long long)cfg->timeout * 1000;

    if (dir == NULL || o == NULL || spent_ms < 0)
        goto out;
    if (spent_ms > cap)
        spent_ms = cap;
    long long old = known(dir);
    long long ms = old < 0 ? spent_ms : (3 * old + spent_ms) / 4;
    if (pc_json_add_int(o, "ms", ms) && pc_store_dir(cfg->state_dir, true, &err) == COG_OK)
        pc_store_write(dir, KEY, o, &err);
out:
    json_object_put(o);
    free(dir);
}

void pc_refusal_wait(const struct cog_config *cfg, long long started_ms)
{
    char *dir = timing_dir(cfg);
    long long spent = cog_now_ms() - started_ms;
    long long target = dir != NULL ? known(dir) : -1;
    long long cap = (long long)cfg->timeout * 1000;

    if (target < 0)
        target = 2 * spent;
    if (target > cap)
        target = cap;
    long long left = target - spent;
    if (left > 0) {
        struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    free(dir);
}
