# Benchmarks print ratios against a baseline measured in the same run.
noinst_PROGRAMS += bench/bench_srp
bench_bench_srp_SOURCES = bench/bench_srp.c
bench_bench_srp_CFLAGS = $(COGNITO_CFLAGS)
bench_bench_srp_LDADD = $(COGNITO_LIBS)
EXTRA_DIST += bench/srp bench/srp_sdk.js

noinst_PROGRAMS += bench/bench_nss
bench_bench_nss_SOURCES = bench/bench_nss.c
bench_bench_nss_CFLAGS = $(COGNITO_CFLAGS)
bench_bench_nss_LDADD = $(COGNITO_LIBS)
EXTRA_DIST += bench/nss

noinst_PROGRAMS += bench/bench_cache
bench_bench_cache_SOURCES = bench/bench_cache.c
bench_bench_cache_CFLAGS = $(COGNITO_CFLAGS)
bench_bench_cache_LDADD = $(COGNITO_LIBS)
EXTRA_DIST += bench/cache
