/* The NSS benchmark's C half (bench/nss runs it):
 *
 *   bench_nss generate N DIR   a pool of N users mapped and written as a
 *                              sync would (DIR/cache), plus the same users
 *                              as DIR/passwd and DIR/group; prints the
 *                              sync's local build time
 *   bench_nss login N DIR      a login's cache update on DIR's cache
 *                              (median of several new users)
 *   bench_nss retire DIR       what a snapshot install's retire of the
 *                              logins files costs (cog_cache_delta_retire)
 *   bench_nss measure N MS     getpwnam, getpwuid, getgrouplist through
 *                              glibc, whatever nsswitch.conf says, about MS
 *                              milliseconds each; prints per-call medians
 *   bench_nss share N PATH R   the module's own share: the same calls
 *                              straight into $NSS_MODULE's _nss_cognito_*,
 *                              and in the same R rounds, interleaved, the
 *                              memory floor of those lookups in PATH (an
 *                              nss.cache of N users): for the same users,
 *                              only the index slot and the record each
 *                              lookup must read; per round, then the median
 *                              and the best round
 *   bench_nss stat PATH        what one stat of PATH costs here
 *
 * User i is "u<i>" with sub "s<i>"; it is in group g<i % 10>. */
#include "build-config.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/cache_retire.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"

#define GROUPS 10

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int config_for(struct cog_config *cfg, const char *dir)
{
    struct cog_error err = {0};
    char text[1024];
    snprintf(text, sizeof(text),
             "region = us-east-1\nuser_pool_id = us-east-1_Bench\nclient_id = c\n"
             "cache_dir = %s/cache\nlocal_passwd_file = %s/local-passwd\n"
             "local_group_file = %s/local-group\n",
             dir, dir, dir);
    cog_config_init(cfg);
    if (cog_config_parse_buffer(cfg, text, strlen(text), "bench", &err) != COG_OK ||
        cog_config_finish(cfg, &err) != COG_OK) {
        fprintf(stderr, "bench_nss: %s\n", err.message);
        return -1;
    }
    return 0;
}

static void write_small(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

/* The same users as plain files, for nss_files to scan. */
static int write_files(const char *dir, const struct cog_cache_view *v)
{
    char path[4096];
    struct cog_view_cursor c = {0};
    struct cog_view_user u;
    struct cog_view_group g;

    snprintf(path, sizeof(path), "%s/passwd", dir);
    FILE *pw = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/group", dir);
    FILE *gr = fopen(path, "w");
    if (pw == NULL || gr == NULL)
        return -1;
    fputs("root:x:0:0:root:/root:/bin/bash\n", pw);
    fputs("root:x:0:\n", gr);
    while (cog_view_next_user(v, &c, &u) == COG_CACHE_OK)
        fprintf(pw, "%s:*:%u:%u:%s:%s:%s\n", cog_cache_str(u.map, u.rec->name), u.rec->uid,
                u.rec->gid, cog_cache_str(u.map, u.rec->gecos), cog_cache_str(u.map, u.rec->home),
                cog_cache_str(u.map, u.rec->shell));
    memset(&c, 0, sizeof(c));
    while (cog_view_next_group(v, &c, &g) == COG_CACHE_OK) {
        fprintf(gr, "%s:*:%u:", cog_view_group_name(&g), cog_view_group_gid(&g));
        if (g.rec != NULL) {
            const uint32_t *items;
            uint32_t n;
            cog_cache_list(g.map, g.rec->members, &items, &n);
            for (uint32_t i = 0; i < n; i++)
                fprintf(gr, "%s%s", i ? "," : "", cog_cache_str(g.map, items[i]));
        }
        fputc('\n', gr);
    }
    fclose(pw);
    fclose(gr);
    return 0;
}

static int generate(long n, const char *dir)
{
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_error err = {0};
    struct cog_sync_stats stats = {0};
    char path[4096], name[32];
    static const char *const group_names[GROUPS] = {"g0", "g1", "g2", "g3", "g4",
                                                    "g5", "g6", "g7", "g8", "g9"};

    snprintf(path, sizeof(path), "%s/cache", dir);
    mkdir(dir, 0755);
    mkdir(path, 0755);
    write_small(dir, "local-passwd", "root:x:0:0:root:/root:/bin/bash\n");
    write_small(dir, "local-group", "root:x:0:\n");
    if (config_for(&cfg, dir) != 0)
        return 1;
    cog_pool_init(&pool);
    for (int g = 0; g < GROUPS; g++) {
        struct cog_pool_group *pg = cog_pool_add_group(&pool);
        pg->name = group_names[g];
        pg->created = g;
    }
    for (long i = 0; i < n; i++) {
        struct cog_pool_user *u = cog_pool_add_user(&pool);
        if (u == NULL)
            return 1;
        snprintf(name, sizeof(name), "u%ld", i);
        u->username = cog_pool_strdup(&pool, name);
        snprintf(name, sizeof(name), "s%ld", i);
        u->sub = cog_pool_strdup(&pool, name);
        snprintf(name, sizeof(name), "User %ld", i);
        u->name = cog_pool_strdup(&pool, name);
        u->created = 1500000000 + i;
        u->enabled = true;
        u->status = "CONFIRMED";
        u->groups = (const char **)&group_names[i % GROUPS];
        u->ngroups = 1;
        u->groups_cap = 1;
    }
    /* What `cognitoctl sync` does once the listing is in memory. */
    double t0 = now_ns();
    if (cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, &stats, &err) != COG_OK) {
        fprintf(stderr, "bench_nss: %s\n", err.message);
        return 1;
    }
    double build_ms = (now_ns() - t0) / 1e6;
    cog_pool_free(&pool);

    struct cog_cache_map m;
    snprintf(path, sizeof(path), "%s/cache/" COG_CACHE_NSS_FILE, dir);
    if (cog_cache_map_open(&m, path, COG_DISK_NSS) != COG_CACHE_OK)
        return 1;
    struct cog_cache_view v = {&m, NULL};
    if (write_files(dir, &v) != 0)
        return 1;
    printf("generate users=%ld build_ms=%.1f cache_bytes=%zu\n", n, build_ms, m.size);
    cog_cache_map_close(&m);
    cog_config_free(&cfg);
    return 0;
}

static int login(long n, const char *dir)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    char buf[64];
    const int logins = 25;
    double t[25];

    if (config_for(&cfg, dir) != 0)
        return 1;
    /* A login's process has looked the user up and checked a token before
     * its cache update: NSS modules loaded, OpenSSL initialised. */
    getpwnam("root");
    getgrnam("root");
    cog_mapping_hash_id("warm", 0, 1000, 2000);
    for (int i = 0; i < logins; i++) {
        struct json_object *c = json_object_new_object();
        struct json_object *groups = json_object_new_array();
        snprintf(buf, sizeof(buf), "login%d-%ld", i, (long)getpid());
        json_object_object_add(c, "cognito:username", json_object_new_string(buf));
        snprintf(buf, sizeof(buf), "sub-login-%d-%ld", i, (long)getpid());
        json_object_object_add(c, "sub", json_object_new_string(buf));
        json_object_array_add(groups, json_object_new_string("g3"));
        json_object_object_add(c, "cognito:groups", groups);
        /* PAM's pc_prepare asks the host's NSS about the name before the
         * sign-in (untimed here, as there); the update reuses that answer. */
        snprintf(buf, sizeof(buf), "login%d-%ld", i, (long)getpid());
        if (cog_local_name(&cfg, buf) != NULL) {
            fprintf(stderr, "bench_nss: %s: taken on this host\n", buf);
            json_object_put(c);
            return 1;
        }
        double t0 = now_ns();
        cog_status st = cog_cache_store_login_checked(&cfg, c, NULL, buf, NULL, &err);
        t[i] = (now_ns() - t0) / 1e6;
        json_object_put(c);
        if (st != COG_OK) {
            fprintf(stderr, "bench_nss: %s\n", err.message);
            return 1;
        }
    }
    printf("login users=%ld median_ms=%.3f\n", n, median(t, logins));
    cog_config_free(&cfg);
    return 0;
}

static int retire(const char *dir)
{
    char path[4096];
    struct cog_error err = {0};
    snprintf(path, sizeof(path), "%s/cache", dir);
    double t0 = now_ns();
    if (cog_cache_delta_retire(path, &err) != COG_OK) {
        fprintf(stderr, "bench_nss: %s\n", err.message);
        return 1;
    }
    printf("retire ms=%.3f\n", (now_ns() - t0) / 1e6);
    return 0;
}

/* One lookup of kind op for user k. */
static void lookup(int op, const char *name, uid_t uid, struct passwd *pw, char *buf, size_t len)
{
    struct passwd *res;
    gid_t groups[64];
    int ng = 64;
    if (op == 0)
        getpwnam_r(name, pw, buf, len, &res);
    else if (op == 1)
        getpwuid_r(uid, pw, buf, len, &res);
    else
        getgrouplist(name, uid, groups, &ng);
}

#define MAX_SAMPLES 20001

/* The module's own entry points, for the direct measurement. */
typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long *, long *, gid_t **, long,
                                         int *);
static pwnam_fn mod_pwnam;
static pwuid_fn mod_pwuid;
static initgroups_fn mod_initgroups;

/* One lookup straight into the module, skipping glibc's dispatch. */
static void lookup_direct(int op, const char *name, uid_t uid, struct passwd *pw, char *buf,
                          size_t len)
{
    int e;
    if (op == 0) {
        mod_pwnam(name, pw, buf, len, &e);
    } else if (op == 1) {
        mod_pwuid(uid, pw, buf, len, &e);
    } else {
        gid_t groups[64];
        gid_t *g = groups;
        long start = 0, size = 64;
        mod_initgroups(name, uid, &start, &size, &g, 64, &e);
    }
}

/* The users measure and floor look up, the same in both. */
static void sample_names(long n, char names[MAX_SAMPLES][24])
{
    srand(42);
    for (long i = 0; i < MAX_SAMPLES; i++)
        snprintf(names[i], sizeof(names[i]), "u%lu",
                 ((unsigned long)rand() * 2654435761u + (unsigned long)i) % (unsigned long)n);
}

/* Per-call medians of getpwnam, getpwuid and getgrouplist (glibc's way to
 * initgroups_dyn), each over random users, within about budget_ms each:
 * a calibration call sets how many calls make a sample (so the clock is
 * noise) and how many samples fit. */
static int measure(long n, long budget_ms)
{
    struct passwd pw, *res;
    char buf[16384];
    static char names[MAX_SAMPLES][24];
    static uid_t uids[MAX_SAMPLES];
    static double samples[MAX_SAMPLES];
    long distinct = n < MAX_SAMPLES ? n : MAX_SAMPLES;

    sample_names(n, names);
    if (getpwnam_r(names[0], &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
        fprintf(stderr, "bench_nss: %s not found\n", names[0]);
        return 1;
    }
    const char *ops[] = {"getpwnam", "getpwuid", "initgroups"};
    for (int op = 0; op < 3; op++) {
        lookup(op, names[1], uids[1], &pw, buf, sizeof(buf)); /* warm: maps, first faults */
        /* One call's cost from 64 (a single first call is mostly page
         * faults, and would make every sample one call, timed with a clock
         * read as costly as the call). */
        double t0 = now_ns();
        for (int k = 0; k < 64; k++)
            lookup(op, names[k % 2], uids[k % 2], &pw, buf, sizeof(buf));
        double one = (now_ns() - t0) / 64;
        long batch = one > 2000 ? 1 : (long)(2000 / (one > 1 ? one : 1)) + 1;
        long iters = (long)(budget_ms * 1e6 / (one * (double)batch + 1));
        iters = iters < 5 ? 5 : iters > MAX_SAMPLES ? MAX_SAMPLES : iters;
        /* Steady state: each user to be timed is looked up once first, so
         * the samples measure lookups, not a process's first touch of each
         * page of the file (a one-off a long-lived daemon pays once). */
        for (long k = 0; one < 50000 && k < iters * batch && k < MAX_SAMPLES; k++) {
            long w = k % (op == 0 ? MAX_SAMPLES : distinct);
            lookup(op, names[w], uids[w], &pw, buf, sizeof(buf));
            if (op == 0)
                uids[w] = pw.pw_uid;
        }
        for (long i = 0; i < iters; i++) {
            t0 = now_ns();
            for (long b = 0; b < batch; b++) {
                long k = (i * batch + b) % (op == 0 ? MAX_SAMPLES : distinct);
                lookup(op, names[k], uids[k], &pw, buf, sizeof(buf));
                if (op == 0)
                    uids[k] = pw.pw_uid; /* getpwuid asks for these next */
            }
            samples[i] = (now_ns() - t0) / (double)batch;
        }
        if (op == 0 && iters * batch < distinct)
            distinct = iters * batch;
        printf("%s users=%ld median_ns=%.1f samples=%ld batch=%ld\n", ops[op], n,
               median(samples, (size_t)iters), iters, batch);
    }
    return 0;
}

/* What glibc adds to every lookup since 2.33: a stat of nsswitch.conf,
 * to notice edits. */
static int stat_cost(const char *path)
{
    static double samples[2001];
    struct stat sb;
    for (int i = 0; i < 2001; i++) {
        double t0 = now_ns();
        for (int b = 0; b < 16; b++)
            stat(path, &sb);
        samples[i] = (now_ns() - t0) / 16;
    }
    printf("stat path=%s median_ns=%.1f\n", path, median(samples, 2001));
    return 0;
}

/* The ref of key's record in index idx of m (0: none), as the module's
 * probe finds it: the slot's cache line, then the next while they collide. */
static uint32_t slot_ref(const struct cog_cache_map *m, unsigned idx, uint32_t key)
{
    uint32_t mask = m->slots[idx] - 1;
    for (uint32_t at = cog_disk_mix(key) & mask, k = 0; k <= mask; k++, at = (at + 1) & mask) {
        const struct cog_disk_slot *sl = &m->idx[idx][at];
        if (sl->ref == 0 || sl->key == key)
            return sl->ref;
    }
    return 0;
}

static bool load_module(void)
{
    const char *path = getenv("NSS_MODULE");
    void *h = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
    mod_pwnam = h ? (pwnam_fn)dlsym(h, "_nss_cognito_getpwnam_r") : NULL;
    mod_pwuid = h ? (pwuid_fn)dlsym(h, "_nss_cognito_getpwuid_r") : NULL;
    mod_initgroups = h ? (initgroups_fn)dlsym(h, "_nss_cognito_initgroups_dyn") : NULL;
    if (!mod_pwnam || !mod_pwuid || !mod_initgroups)
        fprintf(stderr, "bench_nss: cannot load $NSS_MODULE\n");
    return mod_pwnam && mod_pwuid && mod_initgroups;
}

/* Zero, but the compiler cannot know: in the floor, each lookup's key
 * depends on the record the one before read, so their misses do not
 * overlap (a caller looks a user up, then acts on the answer). */
static volatile uint32_t zero;

/* One pass of the floor over keys: only the two reads a lookup cannot
 * avoid (the index slot, then the record it names), each depending on the
 * one before, lookup after lookup, with nothing else. */
static uint32_t floor_pass(const struct cog_cache_map *m, unsigned idx, const uint32_t *keys,
                           long n, uint32_t x)
{
    uint32_t z = zero;
    for (long i = 0; i < n; i++) {
        uint32_t ref = slot_ref(m, idx, keys[i] + (x & z));
        if (ref != 0) /* the record: 8-byte units into the string pool, plus one */
            x += *(const volatile uint32_t *)(const void *)(m->strings + (size_t)(ref - 1) * 8);
    }
    return x;
}

enum { SHARE_OPS = 3, SHARE_ROUNDS_MAX = 99 };

/* The module's own share (its entry points called directly, lookups back to
 * back) and the memory floor of the same lookups, interleaved round by
 * round, so both meet the machine in the same state: on a shared VM the
 * cost of a miss swings threefold from minute to minute, and noise only
 * ever adds. Each round times one pass over the same users as measure
 * (repeated to about 20,000 lookups where there are fewer); the lowest
 * round is the quietest machine's, the median the typical one's. (Reading
 * a few random lines again and again, as an earlier floor did, finds them
 * in the last-level cache and says less than one miss costs.) */
static int share(long n, const char *path, int rounds)
{
    static char names[MAX_SAMPLES][24];
    static uid_t uids[MAX_SAMPLES];
    static uint32_t keys[2][MAX_SAMPLES];
    static double t[SHARE_OPS + 2][SHARE_ROUNDS_MAX];
    static const char *const what[SHARE_OPS + 2] = {"getpwnam", "getpwuid", "initgroups",
                                                    "floor_byname", "floor_byuid"};
    struct passwd pw;
    char buf[16384];
    struct cog_cache_map m;
    long distinct = n < MAX_SAMPLES ? n : MAX_SAMPLES;
    long passes = (MAX_SAMPLES + distinct - 1) / distinct;
    uint32_t x = 0;

    if (rounds < 1 || rounds > SHARE_ROUNDS_MAX || !load_module() ||
        cog_cache_map_open(&m, path, COG_DISK_NSS) != COG_CACHE_OK || m.slots[0] == 0 ||
        m.slots[1] == 0)
        return 1;
    sample_names(n, names);
    for (long i = 0; i < distinct; i++) {
        const struct cog_disk_user *u = cog_cache_user_by_name(&m, names[i]);
        if (u == NULL)
            return 1;
        keys[0][i] = cog_disk_name_key(names[i]);
        keys[1][i] = uids[i] = u->uid;
    }
    for (int r = -1; r < rounds; r++) { /* round -1: the warm-up pass measure makes too */
        for (int op = 0; op < SHARE_OPS + 2; op++) {
            double t0 = now_ns();
            for (long p = 0; p < passes; p++) {
                if (op >= SHARE_OPS) {
                    x = floor_pass(&m, (unsigned)(op - SHARE_OPS), keys[op - SHARE_OPS], distinct,
                                   x);
                    continue;
                }
                for (long i = 0; i < distinct; i++)
                    lookup_direct(op, names[i], uids[i], &pw, buf, sizeof(buf));
            }
            if (r >= 0)
                t[op][r] = (now_ns() - t0) / (double)(passes * distinct);
        }
    }
    for (int op = 0; op < SHARE_OPS + 2; op++) {
        double best = t[op][0];
        for (int r = 1; r < rounds; r++)
            best = t[op][r] < best ? t[op][r] : best;
        printf("%s users=%ld median_ns=%.1f best_ns=%.1f rounds=%d check=%u\n", what[op], n,
               median(t[op], (size_t)rounds), best, rounds, x & 1);
    }
    cog_cache_map_close(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "generate") == 0)
        return generate(atol(argv[2]), argv[3]);
    if (argc == 4 && strcmp(argv[1], "login") == 0)
        return login(atol(argv[2]), argv[3]);
    if (argc == 3 && strcmp(argv[1], "retire") == 0)
        return retire(argv[2]);
    if (argc == 4 && strcmp(argv[1], "measure") == 0)
        return measure(atol(argv[2]), atol(argv[3]));
    if (argc == 3 && strcmp(argv[1], "stat") == 0)
        return stat_cost(argv[2]);
    if (argc == 5 && strcmp(argv[1], "share") == 0)
        return share(atol(argv[2]), argv[3], atoi(argv[4]));
    fprintf(stderr, "usage: bench_nss generate N DIR | login N DIR | retire DIR | measure N MS"
                    " | share N PATH ROUNDS | stat PATH\n");
    return 2;
}
