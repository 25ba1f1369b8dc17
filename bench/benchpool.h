/* A synthetic pool for the writer benchmarks (bench_cache.c, bench_export.c):
 * N users in G groups, each user in three of them, and BENCH_BIG_GROUPS
 * groups holding every hundredth user each (10,000 members at 1M users). */
#ifndef COGNITO_BENCHPOOL_H
#define COGNITO_BENCHPOOL_H

#include <stdbool.h>

#include "libcognito/core/config.h"
#include "libcognito/mapping/mapping.h"

#define BENCH_BIG_GROUPS 10

/* A configuration whose cache_dir is dir and whose local accounts are none:
 * 0, or 1 with err set. */
int bench_config(struct cog_config *cfg, const char *dir, struct cog_error *err);
/* Makes a scratch directory under $TMPDIR (or /tmp) into dir, and a
 * configuration whose cache_dir is it and whose local accounts are none. */
bool bench_setup(const char *what, char dir[4096], struct cog_config *cfg);
/* Fills pool (cog_pool_init'ed) with n users in g groups (plus the big ones). */
bool bench_pool_make(struct cog_pool *pool, long n, long g);
/* Removes a scratch directory and everything in it. */
void bench_rmtree(const char *dir);
/* The process's peak resident memory so far, in MiB. */
long bench_peak_mib(void);

#endif
