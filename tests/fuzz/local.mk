# libFuzzer targets, one per parser of untrusted bytes. Built only with
# `configure CC=clang --enable-fuzzers` (which also turns on ASan+UBSan and
# coverage for everything): `make fuzz` builds them, `make fuzz-run
# FUZZ_SECONDS=N` runs each over a scratch copy of its corpus.
FUZZ_TARGETS = tests/fuzz/fuzz_config tests/fuzz/fuzz_idp_error tests/fuzz/fuzz_idp_body \
	tests/fuzz/fuzz_jwt tests/fuzz/fuzz_srp tests/fuzz/fuzz_auth tests/fuzz/fuzz_cache \
	tests/fuzz/fuzz_snapshot tests/fuzz/fuzz_cloudtrail tests/fuzz/fuzz_journal
FUZZ_SECONDS = 60
FUZZ_JOBS = 2
FUZZ_FLAGS =
FUZZ_COMMON = tests/fuzz/fuzz.h tests/fuzz/fuzzutil.c
FUZZ_LIBS = $(COGNITO_LIBS)

if FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_config tests/fuzz/fuzz_idp_error tests/fuzz/fuzz_idp_body \
	tests/fuzz/fuzz_jwt tests/fuzz/fuzz_srp tests/fuzz/fuzz_auth tests/fuzz/fuzz_cache \
	tests/fuzz/fuzz_snapshot tests/fuzz/fuzz_cloudtrail tests/fuzz/fuzz_journal
fuzz: $(FUZZ_TARGETS)
fuzz-run: fuzz
	FUZZ_FLAGS='$(FUZZ_FLAGS)' $(SHELL) $(top_srcdir)/tests/fuzz/run.sh -s $(FUZZ_SECONDS) -j $(FUZZ_JOBS) \
		$(top_srcdir)/tests/fuzz $(top_builddir)/tests/fuzz $(notdir $(FUZZ_TARGETS))
else
fuzz fuzz-run:
	@echo "fuzzers are not configured: run configure CC=clang --enable-fuzzers" >&2; exit 1
endif
.PHONY: fuzz fuzz-run

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c $(FUZZ_COMMON)
tests_fuzz_fuzz_config_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_idp_error_SOURCES = tests/fuzz/fuzz_idp_error.c $(FUZZ_COMMON)
tests_fuzz_fuzz_idp_error_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_idp_error_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_idp_error_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_idp_body_SOURCES = tests/fuzz/fuzz_idp_body.c $(FUZZ_COMMON)
tests_fuzz_fuzz_idp_body_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_idp_body_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_idp_body_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_jwt_SOURCES = tests/fuzz/fuzz_jwt.c tests/fuzz/fixtures.h $(FUZZ_COMMON)
tests_fuzz_fuzz_jwt_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_jwt_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_jwt_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_srp_SOURCES = tests/fuzz/fuzz_srp.c $(FUZZ_COMMON)
tests_fuzz_fuzz_srp_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_srp_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_srp_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_auth_SOURCES = tests/fuzz/fuzz_auth.c tests/fuzz/fixtures.h $(FUZZ_COMMON)
tests_fuzz_fuzz_auth_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_auth_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_auth_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_cache_SOURCES = tests/fuzz/fuzz_cache.c $(FUZZ_COMMON)
tests_fuzz_fuzz_cache_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_cache_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cache_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_snapshot_SOURCES = tests/fuzz/fuzz_snapshot.c $(FUZZ_COMMON)
tests_fuzz_fuzz_snapshot_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_snapshot_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_snapshot_LDADD = $(FUZZ_LIBS)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/run.sh tests/fuzz/make_fixtures.py \
	tests/fuzz/make_journal_seeds.py \
	tests/fuzz/corpus tests/fuzz/dict
tests_fuzz_fuzz_cloudtrail_SOURCES = tests/fuzz/fuzz_cloudtrail.c $(FUZZ_COMMON)
tests_fuzz_fuzz_cloudtrail_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_cloudtrail_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_cloudtrail_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_journal_SOURCES = tests/fuzz/fuzz_journal.c $(FUZZ_COMMON)
tests_fuzz_fuzz_journal_CFLAGS = $(COGNITO_CFLAGS)
tests_fuzz_fuzz_journal_LDFLAGS = $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_journal_LDADD = $(FUZZ_LIBS)
