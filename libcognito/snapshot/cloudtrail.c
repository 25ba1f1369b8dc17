#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/snapshot/cloudtrail.h"
#include "libcognito/core/json.h"
#include "libcognito/core/util.h"

#define SERVICE "cloudtrail"
#define TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
#define EVENT_SOURCE "cognito-idp.amazonaws.com"
#define PAGE_MAX 50 /* LookupEvents' MaxResults ceiling */
#define MAX_PAGES 100000

cog_status cog_cloudtrail_open(struct cog_cloudtrail *ct, struct cog_admin *admin,
                               const char *endpoint, struct cog_error *err)
{
    memset(ct, 0, sizeof(*ct));
    ct->admin = admin;
    cog_pace_init(&ct->pace, COG_CLOUDTRAIL_RPS);
    if (endpoint != NULL)
        ct->url = strdup(endpoint);
    else if (asprintf(&ct->url, "https://cloudtrail.%s.amazonaws.com/",
                      admin->idp.cfg->region ? admin->idp.cfg->region : "") < 0)
        ct->url = NULL;
    if (ct->url == NULL || strncmp(ct->url, "https://", 8) != 0) {
        cog_cloudtrail_close(ct);
        return cog_error_set(err, ct->url ? COG_ERR_CONFIG : COG_ERR_NOMEM, NULL,
                             "cloudtrail_endpoint must be an https:// URL");
    }
    /* The Host header is signed: send exactly the one signed (admin.c does the same). */
    const char *h = ct->url + 8, *slash = strchr(h, '/');
    ct->host = slash ? strndup(h, (size_t)(slash - h)) : strdup(h);
    ct->path = strdup(slash ? slash : "/");
    if (ct->host == NULL || ct->path == NULL) {
        cog_cloudtrail_close(ct);
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    return COG_OK;
}

void cog_cloudtrail_close(struct cog_cloudtrail *ct)
{
    free(ct->url);
    free(ct->host);
    free(ct->path);
    memset(ct, 0, sizeof(*ct));
}

static cog_status attempt(struct cog_cloudtrail *ct, const char *body, size_t body_len,
                          struct json_object **resp, struct cog_error *err)
{
    struct cog_admin_target to = {ct->url, ct->host, ct->path, SERVICE, TARGET};
    ct->requests++;
    return cog_admin_signed_post(ct->admin, &to, body, body_len, resp, err);
}

/* One page within the budget; throttling and transient failures retried. */
static cog_status call(struct cog_cloudtrail *ct, struct json_object *req,
                       struct json_object **resp, struct cog_error *err)
{
    size_t len = 0;
    const char *body = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
    cog_status st;
    if (body == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (int tries = 0, throttled = 0;;) {
        cog_pace_wait(&ct->pace);
        st = attempt(ct, body, len, resp, err);
        if (st == COG_ERR_UNAVAILABLE && err != NULL && cog_pace_is_throttle(err->code)) {
            ct->pace.throttled++;
            if (++throttled >= ct->pace.throttle_tries)
                return cog_error_set(err, COG_ERR_UNAVAILABLE, "ThrottlingException",
                                     "LookupEvents: CloudTrail still throttles after %d tries",
                                     throttled);
            cog_pace_sleep_ms(cog_pace_backoff_ms(&ct->pace, throttled - 1));
            continue;
        }
        if (st != COG_ERR_UNAVAILABLE || ++tries > 3)
            return st;
        cog_pace_sleep_ms(cog_pace_backoff_ms(&ct->pace, tries));
    }
}

static struct json_object *first_request(int64_t start, int64_t end)
{
    struct json_object *req = json_object_new_object(), *attrs = json_object_new_array(),
                       *attr = json_object_new_object();
    if (req == NULL || attrs == NULL || attr == NULL ||
        !cog_json_add_string(attr, "AttributeKey", "EventSource") ||
        !cog_json_add_string(attr, "AttributeValue", EVENT_SOURCE) ||
        json_object_array_add(attrs, attr) != 0)
        goto nomem;
    attr = NULL;
    if (json_object_object_add(req, "LookupAttributes", attrs) != 0)
        goto nomem;
    attrs = NULL;
    if (json_object_object_add(req, "StartTime", json_object_new_int64(start)) != 0 ||
        json_object_object_add(req, "EndTime", json_object_new_int64(end)) != 0 ||
        json_object_object_add(req, "MaxResults", json_object_new_int(PAGE_MAX)) != 0)
        goto nomem;
    return req;
nomem:
    json_object_put(attr);
    json_object_put(attrs);
    json_object_put(req);
    return NULL;
}

static cog_status page_events(struct json_object *page, cog_cloudtrail_event_fn fn, void *ctx,
                              struct cog_error *err)
{
    struct json_object *events = json_object_object_get(page, "Events");
    if (events != NULL && !json_object_is_type(events, json_type_array))
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "LookupEvents: Events is no list");
    for (size_t i = 0; events != NULL && i < json_object_array_length(events); i++) {
        struct json_object *e = json_object_array_get_idx(events, i);
        struct json_object *t = json_object_object_get(e, "EventTime");
        const char *name = cog_json_string(e, "EventName");
        const char *text = cog_json_string(e, "CloudTrailEvent");
        int64_t when = (t != NULL && (json_object_is_type(t, json_type_int) ||
                                      json_object_is_type(t, json_type_double)))
                           ? (int64_t)json_object_get_double(t)
                           : 0;
        struct json_object *record = text != NULL ? json_tokener_parse(text) : NULL;
        if (record != NULL && !json_object_is_type(record, json_type_object)) {
            json_object_put(record);
            record = NULL;
        }
        bool go = fn(ctx, name != NULL ? name : "", when, record, err);
        json_object_put(record);
        if (!go)
            return err != NULL && err->status != COG_OK ? err->status : COG_ERR_INVALID_INPUT;
    }
    return COG_OK;
}

cog_status cog_cloudtrail_lookup(struct cog_cloudtrail *ct, int64_t start, int64_t end,
                                 cog_cloudtrail_event_fn fn, void *ctx, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_object *req = first_request(start, end), *resp = NULL;
    if (req == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (int pages = 0;; pages++) {
        if (pages == MAX_PAGES) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "LookupEvents: more than %d pages",
                               MAX_PAGES);
            break;
        }
        if ((st = call(ct, req, &resp, err)) != COG_OK ||
            (st = page_events(resp, fn, ctx, err)) != COG_OK)
            break;
        const char *next = cog_json_string(resp, "NextToken");
        if (next == NULL || *next == '\0')
            break;
        if (!cog_json_add_string(req, "NextToken", next)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        json_object_put(resp);
        resp = NULL;
    }
    json_object_put(resp);
    json_object_put(req);
    return st;
}
