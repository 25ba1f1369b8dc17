/* The cache writer at scale: a sync onto an empty host, a rebuild with every
 * prior kept, and one login's cache update, for a pool of N users in G
 * groups (each user in three). Prints the times and, against the baseline
 * (10,000 users in 100 groups, measured in the same run), the cost per user
 * as a ratio: about 1 at every size means the writer is linear in users and
 * groups; a table that cannot grow shows as a hang, something quadratic as a
 * ratio that climbs with N. Besides, ten big groups hold every hundredth
 * user each (10,000 members at 1M users): the reader's cost to list one
 * (what getgrnam copies) and the process's peak memory are printed too.
 *
 * The login update is timed as a PAM login makes it, in a fresh small
 * process (a forked 1M-user bench would pay for its own page tables in
 * every fork): cog_cache_store_login_checked, the whole call, LOGINS times
 * each for a new user (written to the logins files: the goal's case), the
 * same with the logins files written back to disk first (a quiet host: the
 * files the login replaces then have blocks to free, and it sets them
 * aside for the sync timer's run to free, which is modelled untimed;
 * logins less than about 30 s apart replace files the kernel has not
 * written yet), a returning
 * user the cache shows as they are (nothing written) and one whose groups
 * changed, median and p90, beside the same at 10 users (the baseline,
 * measured in the same run). The breakdown times the parts
 * alone: the guard the update runs in, the detached child it replaced
 * (fork, pipe, wait), the host NSS check the PAM path has already made,
 * a new user's update in this process (lock, mapping, the journal record
 * and its one fdatasync, three files swapped in) and one fsync of a small
 * file in the cache directory.
 *
 *   bench_cache [N G]...    default: 100000 5000  1000000 50000
 *
 * Run by bench/cache; needs a scratch directory ($TMPDIR or /tmp). */
#include "build-config.h"

#include <ftw.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench/benchpool.h"
#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/core/util.h"
#include "libcognito/mapping/cache_store.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping.h"

struct times {
    long long sync, rebuild, login;
    double big_group_ms; /* listing one big group's members through the reader */
    size_t big_members;
};

/* Logins timed per series (distinct users: the logins file grows as it
 * does between two snapshots). */
#define LOGINS 41

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool count_member(void *ctx, const char *name)
{
    (void)name;
    ++*(size_t *)ctx;
    return true;
}

/* The members of big group 0 as the NSS module lists them (getgrnam). */
static int list_big_group(const char *dir, struct times *t)
{
    struct cog_cache_files f;
    struct cog_error err = {0};
    struct cog_view_group g;
    size_t n = 0;
    if (cog_cache_files_open(dir, &f, &err) != COG_OK)
        return 1;
    double t0 = now_ms();
    int rc = cog_view_group_by_name(&f.vnss, "team-big-0", &g) == COG_CACHE_OK ? 0 : 1;
    if (rc == 0)
        cog_view_group_members(&f.vnss, &g, count_member, &n);
    t->big_group_ms = now_ms() - t0;
    t->big_members = n;
    cog_cache_files_close(&f);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void put_stats(const char *what, double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    printf("    %-58s median %7.3f ms  p90 %7.3f ms\n", what, v[n / 2], v[n * 9 / 10]);
}

/* The claims of user `PREFIX<i>` with sub `SUBPREFIX<i, 8 digits>`. */
static struct json_object *claims_named(const char *prefix, const char *subprefix, long i,
                                        char *name, size_t size)
{
    char sub[48];
    snprintf(name, size, "%s%ld", prefix, i);
    snprintf(sub, sizeof(sub), "%s%08ld", subprefix, i);
    struct json_object *c = json_object_new_object();
    json_object_object_add(c, "sub", json_object_new_string(sub));
    json_object_object_add(c, "cognito:username", json_object_new_string(name));
    json_object_object_add(c, "token_use", json_object_new_string("id"));
    return c;
}

/* User i of the bench pool (benchpool.c), without their groups. */
static struct json_object *claims_of(long i, char *name, size_t size)
{
    return claims_named("user", "sub-", i, name, size);
}

static cog_status nothing(void *ctx, struct cog_error *err)
{
    (void)ctx;
    (void)err;
    return COG_OK;
}

/* One fsync of a small new file in dir (about what the journal's costs). */
static double one_fsync(const char *dir)
{
    char path[512], block[4096] = {0};
    snprintf(path, sizeof(path), "%s/fsync-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    double t0 = now_ms();
    bool ok = write(fd, block, sizeof(block)) == (ssize_t)sizeof(block) && fsync(fd) == 0;
    double t = now_ms() - t0;
    close(fd);
    unlink(path);
    return ok ? t : -1;
}

/* The claims of a returning user as the cache shows them (the groups of
 * their account facts), so their login changes nothing. */
static struct json_object *returning_claims(const struct cog_config *cfg, long i, char *name,
                                            size_t size)
{
    struct cog_account a;
    struct cog_error err = {0};
    struct json_object *c = claims_of(i, name, size);
    if (cog_account_lookup(cfg, name, &a, &err) != COG_OK) {
        json_object_put(c);
        return NULL;
    }
    struct json_object *groups = json_object_new_array();
    for (size_t k = 0; k < a.ngroups; k++)
        json_object_array_add(groups, json_object_new_string(a.groups[k]));
    json_object_object_add(c, "cognito:groups", groups);
    cog_account_clear(&a);
    return c;
}

/* The logins files written back to disk (untimed), as on a quiet host
 * where the kernel's writeback (about 30 s) came between two logins: the
 * files a login replaces then have blocks on disk to free. The sync
 * timer's run (every 15 min) came too: it removed the files earlier logins
 * set aside (cog_cache_tidy), so this login finds room to set its own aside. */
static void written_back(const char *dir)
{
    (void)cog_cache_tidy(dir, 1000, NULL);
    static const char *const names[] = {COG_CACHE_NSS_DELTA_FILE, COG_CACHE_ACCOUNTS_DELTA_FILE,
                                        COG_CACHE_KEYS_DELTA_FILE};
    char path[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)fsync(fd);
            close(fd);
        }
    }
}

/* A user no sync has seen: the login must write them. */
static struct json_object *new_claims(long k, char *name, size_t size)
{
    return claims_named("newcomer", "sub-new-", k, name, size);
}

/* One PAM login's update: pc_prepare's name check (untimed: it is made
 * before the sign-in, not by the update), then the whole call, timed. */
static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static bool time_login(const struct cog_config *cfg, struct json_object *c, const char *name,
                       double *ms, double *faults, struct cog_error *err)
{
    if (c == NULL || cog_local_name(cfg, name) != NULL) {
        json_object_put(c);
        return false;
    }
    long f0 = minor_faults();
    double t0 = now_ms();
    cog_status st = cog_cache_store_login_checked(cfg, c, NULL, name, NULL, err);
    *ms = now_ms() - t0;
    *faults = (double)(minor_faults() - f0);
    json_object_put(c);
    return st == COG_OK;
}

/* bench_cache --logins DIR N: the login measurements of a cache of N users,
 * in this (fresh, small) process. Series j uses users k*N/LOGINS+j. */
static int measure_logins(const char *dir, long n)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_cache_files f;
    double fresh[LOGINS], quiet[LOGINS], same[LOGINS], changed[LOGINS], guard[LOGINS],
        detach[LOGINS], nss[LOGINS], work[LOGINS], fs[LOGINS], pf[4][LOGINS];
    char name[64];
    int rc = 1;
    long step = n / LOGINS > 3 ? n / LOGINS : 1;

    if (bench_config(&cfg, dir, &err) != 0)
        goto out;
    for (long k = 0; k < LOGINS; k++) {
        long base = (k * step) % n;
        if (!time_login(&cfg, new_claims(k, name, sizeof(name)), name, &fresh[k], &pf[0][k],
                        &err) ||
            !time_login(&cfg, returning_claims(&cfg, base, name, sizeof(name)), name, &same[k],
                        &pf[1][k], &err) ||
            /* Without their groups: a changed user, written. */
            !time_login(&cfg, claims_of((base + 1) % n, name, sizeof(name)), name, &changed[k],
                        &pf[2][k], &err))
            goto out;
        written_back(dir);
        if (!time_login(&cfg, new_claims(2 * LOGINS + k, name, sizeof(name)), name, &quiet[k],
                        &pf[3][k], &err))
            goto out;
        /* The parts alone. */
        double t0 = now_ms();
        cog_status st = cog_run_guarded(nothing, NULL, 5000, &err);
        guard[k] = now_ms() - t0;
        t0 = now_ms();
        st = st == COG_OK ? cog_run_detached(nothing, NULL, 5000, &err) : st;
        detach[k] = now_ms() - t0;
        if (st != COG_OK || cog_cache_files_open(dir, &f, &err) != COG_OK)
            goto out;
        t0 = now_ms();
        (void)cog_local_nss_name(name, &f.vnss);
        nss[k] = now_ms() - t0;
        cog_cache_files_close(&f);
        struct json_object *c = new_claims(LOGINS + k, name, sizeof(name));
        struct cog_login_job job = {&cfg, c, NULL, name, NULL, NULL};
        t0 = now_ms();
        st = cog_store_login_job(&job, &err);
        work[k] = now_ms() - t0;
        json_object_put(c);
        if (st != COG_OK || (fs[k] = one_fsync(dir)) < 0)
            goto out;
    }
    printf("  login update, %d logins of each kind at %ld users (the logins file grows to "
           "%d users):\n",
           LOGINS, n, 4 * LOGINS);
    put_stats("PAM login of a new user (written), whole call", fresh, LOGINS);
    put_stats("the same, the files written back first (a quiet host)", quiet, LOGINS);
    put_stats("PAM login of a returning user as cached (nothing written)", same, LOGINS);
    put_stats("PAM login of a returning user whose groups changed", changed, LOGINS);
    for (int i = 0; i < 4; i++)
        qsort(pf[i], LOGINS, sizeof(pf[i][0]), cmp_double);
    printf("    page faults per login (median): new %.0f (quiet host %.0f), returning %.0f, "
           "groups changed %.0f\n",
           pf[0][LOGINS / 2], pf[3][LOGINS / 2], pf[1][LOGINS / 2], pf[2][LOGINS / 2]);
    printf("    breakdown, each part timed alone:\n");
    put_stats("  the guard, in this process (nothing done)", guard, LOGINS);
    put_stats("  instead: a detached child, fork, pipe, wait (before)", detach, LOGINS);
    put_stats("  host NSS check of the name (getpwnam_r+getgrnam_r)", nss, LOGINS);
    put_stats("  a new user's update in-process (lock..journal..rename)", work, LOGINS);
    put_stats("  one fsync of a 4 KB file here (a written login makes 1)", fs, LOGINS);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_cache: login measurement: %s\n", err.message);
    cog_config_free(&cfg);
    return rc;
}

/* The login measurements in a fresh process (as small as su). */
static int spawn_logins(const char *dir, long n)
{
    char count[32];
    pid_t pid;
    int status = 0;
    snprintf(count, sizeof(count), "%ld", n);
    char *args[] = {"bench_cache", "--logins", (char *)dir, count, NULL};
    fflush(stdout);
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) != 0)
        return 1;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int run(long n, long groups, struct times *t, bool logins)
{
    char dir[256], name[64];
    const char *tmp = getenv("TMPDIR");
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_error err = {0};
    int rc = 1;

    snprintf(dir, sizeof(dir), "%s/bench-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    cog_pool_init(&pool);
    if (bench_config(&cfg, dir, &err) != 0)
        goto out;
    if (!bench_pool_make(&pool, n, groups))
        goto out;
    long long t0 = cog_now_ms();
    if (cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err) != COG_OK)
        goto out;
    long long t1 = cog_now_ms();
    if (cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err) != COG_OK)
        goto out;
    long long t2 = cog_now_ms();
    struct json_object *c = claims_of(n > 42 ? 42 : 0, name, sizeof(name));
    cog_status st = cog_cache_store_login(&cfg, c, NULL, NULL, &err);
    json_object_put(c);
    if (st != COG_OK)
        goto out;
    t->sync = t1 - t0;
    t->rebuild = t2 - t1;
    t->login = cog_now_ms() - t2;
    rc = list_big_group(dir, t);
    if (rc == 0 && logins) {
        cog_pool_free(&pool);
        cog_pool_init(&pool);
        rc = spawn_logins(dir, n);
    }
out:
    if (rc != 0)
        fprintf(stderr, "bench_cache: %ld users, %ld groups: %s\n", n, groups, err.message);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
    bench_rmtree(dir);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const dflt[] = {"100000", "5000", "1000000", "50000"};
    const char *const *sizes = argc > 1 ? (const char *const *)&argv[1] : dflt;
    int nsizes = argc > 1 ? argc - 1 : 4;
    struct times base, t;

    if (argc == 4 && strcmp(argv[1], "--logins") == 0)
        return measure_logins(argv[2], atol(argv[3]));
    if (nsizes % 2 != 0) {
        fprintf(stderr, "usage: bench_cache [USERS GROUPS]...\n");
        return 2;
    }
    printf("login baseline: 10 users in 2 groups\n");
    if (run(10, 2, &t, true) != 0 || run(10000, 100, &base, false) != 0)
        return 1;
    double base_per_user = (double)(base.sync + base.rebuild) / 10000.0;
    printf("baseline: 10000 users in 100 groups: sync %lld ms, rebuild %lld ms, login %lld ms\n",
           base.sync, base.rebuild, base.login);
    for (int i = 0; i < nsizes; i += 2) {
        long n = atol(sizes[i]), g = atol(sizes[i + 1]);
        printf("%ld users in %ld groups:\n", n, g);
        if (n <= 0 || g <= 0 || run(n, g, &t, true) != 0)
            return 1;
        double per_user = (double)(t.sync + t.rebuild) / (double)n;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%ld users in %ld groups: sync %lld ms, rebuild %lld ms, login %lld ms; "
               "cost per user %.2fx the baseline's\n",
               n, g, t.sync, t.rebuild, t.login, base_per_user > 0 ? per_user / base_per_user : 0);
        printf("  a group of %zu members listed through the reader in %.2f ms; "
               "peak memory so far %ld MB\n",
               t.big_members, t.big_group_ms, ru.ru_maxrss / 1024);
    }
    return 0;
}
