/* The budgeted pool reader's pacing: Cognito's UserList quota (ListUsers +
 * ListUsersInGroup) is 30 requests per second for the whole account and
 * Region, so a reader that shares it with every other tool keeps to a budget
 * of its own (export_rps) and, when Cognito still says
 * TooManyRequestsException, backs off with full jitter (a random wait in
 * [0, min(cap, base * 2^attempt)]) a bounded number of times. */
#ifndef COGNITO_POOL_READER_H
#define COGNITO_POOL_READER_H

#include <stdbool.h>

struct cog_pace {
    int rps;            /* requests per second; <= 0: no pacing */
    long long next_ms;  /* monotonic time the next request may start */
    int throttle_tries; /* tries on TooManyRequestsException (>= 1) */
    long base_ms, cap_ms;
    unsigned long throttled; /* TooManyRequestsException answers seen (for reports) */
};

/* rps from the config (export_rps); 8 tries, 250 ms base, 8 s cap. */
void cog_pace_init(struct cog_pace *p, int rps);
/* Sleeps until the next request is within the budget, and books it. */
void cog_pace_wait(struct cog_pace *p);
/* The full-jitter wait before retry number attempt (0-based), in ms. */
long cog_pace_backoff_ms(const struct cog_pace *p, int attempt);
/* True for the error codes that mean "slow down". */
bool cog_pace_is_throttle(const char *code);
void cog_pace_sleep_ms(long ms);

#endif
