/* The exporter's own work at scale (`cognitoctl export` minus the network):
 * map the pool listing into a fleet snapshot, hash its files, emit and sign
 * the manifest, first with no previous snapshot, then again after 1 % of the
 * users were replaced (their old uids retired, the new subs given new ones,
 * every other user keeping the uid of the previous snapshot). Each size runs
 * in a child process of its own, so its peak memory is its own. Prints
 * wall and CPU time, the snapshot's bytes and the peak resident memory, and
 * the cost per user against the baseline (10,000 users in 100 groups)
 * measured in the same run.
 *
 *   bench_export [N G]...    default: 100000 5000  1000000 50000
 *
 * Run by bench/export. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bench/benchpool.h"
#include "libcognito/core/util.h"
#include "libcognito/snapshot/snapshot_build.h"
#include "libcognito/snapshot/snapshot_manifest.h"

struct result {
    long long first_ms, steady_ms, steady_cpu_ms;
    size_t bytes, retired;
    long peak_mib;
};

static long long cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000LL +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static bool write_key(const char *path)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    FILE *f = NULL;
    bool ok = false;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (k == NULL || fd < 0 || (f = fdopen(fd, "w")) == NULL)
        goto out;
    fd = -1;
    ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
out:
    if (f != NULL)
        fclose(f);
    if (fd >= 0)
        close(fd);
    EVP_PKEY_free(k);
    return ok;
}

/* One export: build, hash, emit, sign; what cognitoctl export does before it publishes. */
static bool export_once(const struct cog_config *cfg, const struct cog_pool *pool,
                        const struct cog_snapshot_prior *prior, const char *key,
                        struct cog_snapshot_data *d)
{
    struct cog_error err = {0};
    struct cog_snapshot_manifest m = {.format = COG_SNAPSHOT_FORMAT, .serial = 1};
    char *text = NULL, *sig = NULL, *retired = NULL;
    size_t len = 0, rlen = 0;
    bool ok = false;

    if (cog_snapshot_build(cfg, pool, prior, d, NULL, &err) != COG_OK)
        goto out;
    m.users = (int64_t)d->users;
    m.groups = (int64_t)d->groups;
    for (int i = 0; i < COG_SNAPSHOT_NPARTS; i++) {
        if (cog_snapshot_file_set(&m.files[i], cog_snapshot_part_key((enum cog_snapshot_part)i),
                                  d->data[i], d->len[i], &err) != COG_OK)
            goto out;
    }
    if (cog_snapshot_retired_encode(d->retired, d->nretired, &retired, &rlen, &err) != COG_OK ||
        (rlen > 0 &&
         cog_snapshot_file_set(&m.retired_file, "retired", retired, rlen, &err) != COG_OK))
        goto out;
    m.has_retired_file = rlen > 0;
    ok = cog_snapshot_manifest_emit(&m, &text, &len, &err) == COG_OK &&
         cog_snapshot_sign(key, text, len, &sig, &err) == COG_OK;
out:
    if (!ok)
        fprintf(stderr, "bench_export: %s\n", err.message);
    free(text);
    free(sig);
    free(retired);
    return ok;
}

static int run(long n, long groups, struct result *r)
{
    char dir[4096], key[4200], name[64];
    struct cog_config cfg;
    struct cog_pool pool;
    struct cog_snapshot_data first = {0}, steady = {0};
    int rc = 1;

    cog_pool_init(&pool);
    if (!bench_setup("export", dir, &cfg) || !bench_pool_make(&pool, n, groups))
        goto out;
    snprintf(key, sizeof(key), "%s/export.key", dir);
    if (!write_key(key))
        goto out;
    long long t0 = cog_now_ms();
    if (!export_once(&cfg, &pool, &(struct cog_snapshot_prior){0}, key, &first))
        goto out;
    r->first_ms = cog_now_ms() - t0;
    /* A day's churn: 1 % of the users leave and as many new ones come. */
    for (long i = 0; i < n; i += 100) {
        snprintf(name, sizeof(name), "sub-new-%08ld", i);
        if ((pool.users[i].sub = cog_pool_strdup(&pool, name)) == NULL)
            goto out;
    }
    struct cog_snapshot_prior prior = {
        .nss = first.data[COG_SNAPSHOT_NSS],
        .nss_len = first.len[COG_SNAPSHOT_NSS],
        .accounts = first.data[COG_SNAPSHOT_ACCOUNTS],
        .accounts_len = first.len[COG_SNAPSHOT_ACCOUNTS],
        .retired = first.retired,
        .nretired = first.nretired,
    };
    long long c0 = cpu_ms();
    t0 = cog_now_ms();
    if (!export_once(&cfg, &pool, &prior, key, &steady))
        goto out;
    r->steady_ms = cog_now_ms() - t0;
    r->steady_cpu_ms = cpu_ms() - c0;
    for (int i = 0; i < COG_SNAPSHOT_NPARTS; i++)
        r->bytes += steady.len[i];
    r->retired = steady.nretired;
    r->peak_mib = bench_peak_mib();
    rc = 0;
out:
    cog_snapshot_data_free(&first);
    cog_snapshot_data_free(&steady);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
    bench_rmtree(dir);
    return rc;
}

/* Runs one size in a child, so that its peak memory is its own. */
static int run_child(long n, long groups, struct result *r)
{
    int fds[2], status = 0;
    if (pipe(fds) != 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(fds[0]);
        struct result mine = {0};
        int rc = run(n, groups, &mine);
        if (rc == 0 && write(fds[1], &mine, sizeof(mine)) != (ssize_t)sizeof(mine))
            rc = 1;
        _exit(rc);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], r, sizeof(*r));
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0)
        ;
    return got == (ssize_t)sizeof(*r) && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void print(long n, long g, const struct result *r, double base_per_user)
{
    double per_user = (double)r->steady_ms / (double)n;
    printf("%8ld users %6ld groups: first export %6lld ms, next (1 %% churn) %6lld ms wall, "
           "%6lld ms CPU; %zu retired uids; snapshot %.1f MB; peak memory %ld MB",
           n, g, r->first_ms, r->steady_ms, r->steady_cpu_ms, r->retired, (double)r->bytes / 1e6,
           r->peak_mib);
    if (base_per_user > 0)
        printf("; cost per user %.2fx the baseline's", per_user / base_per_user);
    printf("\n");
}

int main(int argc, char **argv)
{
    static const char *const dflt[] = {"100000", "5000", "1000000", "50000"};
    const char *const *sizes = argc > 1 ? (const char *const *)&argv[1] : dflt;
    int nsizes = argc > 1 ? argc - 1 : 4;
    struct result base = {0};

    if (nsizes % 2 != 0) {
        fprintf(stderr, "usage: bench_export [USERS GROUPS]...\n");
        return 2;
    }
    if (run_child(10000, 100, &base) != 0)
        return 1;
    printf("baseline: ");
    print(10000, 100, &base, 0);
    double base_per_user = (double)base.steady_ms / 10000.0;
    for (int i = 0; i < nsizes; i += 2) {
        long n = atol(sizes[i]), g = atol(sizes[i + 1]);
        struct result r = {0};
        if (n <= 0 || g <= 0 || run_child(n, g, &r) != 0)
            return 1;
        print(n, g, &r, base_per_user);
    }
    return 0;
}
