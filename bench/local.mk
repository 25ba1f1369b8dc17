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

# The wait after Enter, early start on and off, and the reference SDK, behind
# a delaying proxy (bench/latency). Built on the PAM test harness.
if HAVE_CHECK
if HAVE_PAMTEST
noinst_PROGRAMS += bench/bench_latency
endif
endif
bench_bench_latency_SOURCES = bench/bench_latency.c $(PAM_TEST_SOURCES)
bench_bench_latency_CFLAGS = $(PAM_TEST_CFLAGS)
bench_bench_latency_LDADD = $(PAM_TEST_LIBS)
EXTRA_DIST += bench/latency bench/latency_sdk.js

noinst_PROGRAMS += bench/bench_cache
bench_bench_cache_SOURCES = bench/bench_cache.c bench/benchpool.c bench/benchpool.h
bench_bench_cache_CFLAGS = $(COGNITO_CFLAGS)
bench_bench_cache_LDADD = $(COGNITO_LIBS)
EXTRA_DIST += bench/cache

# The fleet by arithmetic (a shell script: nothing to build); --measured
# runs it at reduced scale against the mock and s3rver.
EXTRA_DIST += bench/fleet bench/fleet_sim.py

# The exporter's local CPU and memory at 1M users / 50k groups.
noinst_PROGRAMS += bench/bench_export
bench_bench_export_SOURCES = bench/bench_export.c bench/benchpool.c bench/benchpool.h
bench_bench_export_CFLAGS = $(COGNITO_CFLAGS)
bench_bench_export_LDADD = $(COGNITO_LIBS)
EXTRA_DIST += bench/export
