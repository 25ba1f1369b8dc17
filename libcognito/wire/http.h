/* libcurl transport. One cog_http per login: every request reuses the same
 * handle, so one TLS connection serves them all. TLS is always verified.
 * Nothing in the process environment chooses how it connects (see http.c
 * and docs/threat-model.md, "The caller's environment"). */
#ifndef COGNITO_HTTP_H
#define COGNITO_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "libcognito/core/error.h"

#define COG_HTTP_MAX_BODY_DEFAULT (1024 * 1024)

struct cog_http;

struct cog_http_opts {
    const char *ca_file;     /* NULL: system trust store only */
    const char *proxy;       /* the `proxy` key; NULL: no proxy, whatever the environment says */
    long timeout_ms;         /* budget of one network step (see cog_http_begin_step) */
    long connect_timeout_ms; /* 0: min(timeout_ms, 5000) */
    size_t max_body;         /* 0: COG_HTTP_MAX_BODY_DEFAULT */
    bool allow_http;         /* plain http too: only for the instance metadata service */
};

struct cog_http_response {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
    char error_type[128]; /* x-amzn-ErrorType header, if any */
    char etag[128];       /* ETag header as sent (quotes kept), if any */
};

struct cog_http *cog_http_new(const struct cog_http_opts *opts, struct cog_error *err);
void cog_http_free(struct cog_http *http);

/* Starts a network step: from now on requests share one deadline of
 * timeout_ms, so a stalled IdP can never hold a login longer than that.
 * NULL (an idp on a scripted transport) is a no-op. */
void cog_http_begin_step(struct cog_http *http);
/* The same for a step that began at start_ms (cog_now_ms()), earlier. */
void cog_http_begin_step_at(struct cog_http *http, long long start_ms);
/* While *stop (may be NULL) is false requests run; once another thread sets
 * it, the transfer under way is aborted (within about a second) and fails
 * COG_ERR_UNAVAILABLE. */
void cog_http_set_stop(struct cog_http *http, const atomic_bool *stop);

/* POST body with the given extra headers (NULL-terminated list). A non-2xx
 * answer is still COG_OK here: the caller reads status and body. Transport
 * failures (DNS, connect, TLS, timeout, oversized body) are COG_ERR_UNAVAILABLE. */
cog_status cog_http_post(struct cog_http *http, const char *url, const char *const *headers,
                         const char *body, size_t body_len, struct cog_http_response *resp,
                         struct cog_error *err);
cog_status cog_http_get(struct cog_http *http, const char *url, struct cog_http_response *resp,
                        struct cog_error *err);
/* GET with extra headers (NULL-terminated list, may be NULL): If-None-Match,
 * a SigV4 Authorization. A 304 is COG_OK with status 304 and an empty body. */
cog_status cog_http_get_with(struct cog_http *http, const char *url, const char *const *headers,
                             struct cog_http_response *resp, struct cog_error *err);

/* Frees and wipes the body (it may hold tokens). */
/* Any method (PUT, GET with headers, ...): body NULL sends none. */
cog_status cog_http_send(struct cog_http *http, const char *method, const char *url,
                         const char *const *headers, const char *body, size_t body_len,
                         struct cog_http_response *resp, struct cog_error *err);
void cog_http_response_clear(struct cog_http_response *resp);

/* Requests and TCP connections made by this handle (tests and benchmarks). */
unsigned cog_http_request_count(const struct cog_http *http);
unsigned cog_http_connection_count(const struct cog_http *http);
/* Milliseconds the last request took once connected (its round trip and the
 * server's work, without DNS, TCP and TLS set-up); 0 when unknown. */
long cog_http_last_exchange_ms(const struct cog_http *http);

#endif
