#include "build-config.h"

#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "libcognito/mapping/pool_reader.h"
#include "libcognito/core/util.h"

void cog_pace_init(struct cog_pace *p, int rps)
{
    memset(p, 0, sizeof(*p));
    p->rps = rps;
    p->throttle_tries = 8;
    p->base_ms = 250;
    p->cap_ms = 8000;
}

void cog_pace_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) != 0)
        ;
}

void cog_pace_wait(struct cog_pace *p)
{
    if (p == NULL || p->rps <= 0)
        return;
    long long now = cog_now_ms();
    if (p->next_ms > now)
        cog_pace_sleep_ms((long)(p->next_ms - now));
    long long start = p->next_ms > now ? p->next_ms : now;
    p->next_ms = start + (1000 + p->rps - 1) / p->rps;
}

long cog_pace_backoff_ms(const struct cog_pace *p, int attempt)
{
    long ceiling = p->base_ms;
    for (int i = 0; i < attempt && ceiling < p->cap_ms; i++)
        ceiling *= 2;
    if (ceiling > p->cap_ms)
        ceiling = p->cap_ms;
    unsigned int r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (unsigned int)cog_now_ms();
    return (long)(r % (unsigned long)(ceiling + 1));
}

bool cog_pace_is_throttle(const char *code)
{
    return code != NULL && (strcmp(code, "TooManyRequestsException") == 0 ||
                            strcmp(code, "ThrottlingException") == 0);
}
