/* No lock a user can freeze (issue 18), and what the cache writer does with
 * a short write and with account facts:
 *
 *  - a process holding cache.lock is stopped (SIGSTOP, as a user stops their
 *    own setuid su); a login through the real PAM stack (pam_wrapper) and the
 *    real `cognitoctl sync` each finish within their deadline and write the
 *    cache; the stopped holder, continued, cannot commit;
 *  - a holder whose record names a dead process or is past its lease loses
 *    the lock; a live, running holder does not;
 *  - (whatever holds the lock for su, the user cannot signal it:
 *    tests/unit/check_guard);
 *  - a file cut short by RLIMIT_FSIZE never replaces a cache file;
 *  - accounts.* are 0600, the NSS and public keys files 0644, and an
 *    unprivileged user still gets SSH keys (cognitoctl authorized-keys) and
 *    NSS answers, but no sub or groups. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"
#include "tests/cachetest.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define TIMEOUT_S 3
#define ADMIN_KEY "AKIAMOCKADMIN0000001"
#define ADMIN_SECRET "mock/Admin+Secret/Key0123456789abcdefghij"
#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOfKeyholder keyholder@laptop"

static struct mock mock;
static char cache_dir[PATH_MAX];

static void start(void)
{
    char extra[256];
    mock_start(&mock, NULL, NULL);
    snprintf(extra, sizeof(extra), "timeout = %d\nssh_key_attribute = custom:ssh\n", TIMEOUT_S);
    mock_write_config(&mock, ph_path("cognito.conf"), extra);
    mock_write_config(&mock, mock.conf, extra);
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", mock.dir);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"" PW "\",\"sub\":\"sub-alice\","
                         "\"groups\":[\"devs\"]}");
    mock_add_user(&mock, "{\"username\":\"keyholder\",\"password\":\"" PW "\","
                         "\"sub\":\"sub-keyholder\",\"groups\":[\"ops\"],"
                         "\"attributes\":{\"custom:ssh\":\"" KEY "\"}}");
    setenv("AWS_ACCESS_KEY_ID", ADMIN_KEY, 1);
    setenv("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET, 1);
}

static void load_config(struct cog_config *cfg)
{
    struct cog_error err = {0};
    cog_config_init(cfg);
    ck_assert_int_eq(cog_config_load_file(cfg, mock.conf, &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(cfg, &err), COG_OK);
}

/* `cognitoctl sync` (the real binary); its exit status, *ms its time. */
static int run_ctl(const char *const *args, uid_t as, long *ms, char *out, size_t len)
{
    char ctl[PATH_MAX];
    const char *top = getenv("top_builddir");
    int fds[2], status = 0;
    const char *argv[8] = {ctl};
    size_t n = 1;

    snprintf(ctl, sizeof(ctl), "%s/tools/cognitoctl", top ? top : ".");
    for (; args[n - 1] != NULL && n < 7; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    ck_assert_int_eq(pipe(fds), 0);
    long long t0 = cog_now_ms();
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        if (as != 0 &&
            (setgroups(0, NULL) != 0 || setresgid(as, as, as) != 0 || setresuid(as, as, as) != 0))
            _exit(126);
        execv(ctl, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (len > 0 && got < len - 1 && (r = read(fds[0], out + got, len - 1 - got)) > 0)
        got += (size_t)r;
    if (len > 0)
        out[got] = '\0';
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *ms = (long)(cog_now_ms() - t0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int run_sync(long *ms)
{
    char out[4096];
    const char *args[] = {"sync", "--config", mock.conf, "--quiet", NULL};
    return run_ctl(args, 0, ms, out, sizeof(out));
}

/* A child that takes cache.lock and stops itself while holding it; once
 * continued it tries to commit a file and exits 0 if that was refused. */
static pid_t stopped_holder(void)
{
    int status;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct cog_cache_lock lk;
        struct cog_error err = {0};
        struct cog_cache_model m;
        char *img;
        size_t len;
        if (cog_cache_lock(cache_dir, 5000, &lk, &err) != COG_OK)
            _exit(2);
        raise(SIGSTOP);
        cog_cache_model_init(&m);
        if (cog_cache_build(&m, COG_DISK_NSS, &img, &len, &err) != COG_OK)
            _exit(3);
        cog_status st = cog_cache_replace(&lk, cache_dir, COG_CACHE_NSS_FILE, img, len,
                                          COG_CACHE_PUBLIC_MODE, &err);
        _exit(st == COG_ERR_UNAVAILABLE ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
    ck_assert_msg(WIFSTOPPED(status), "the holder did not stop");
    return pid;
}

static void holder_refused_commit(pid_t pid)
{
    int status;
    kill(pid, SIGCONT);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the stopped holder, continued, could still commit (status %d)", status);
}

static bool in_cache(const char *user)
{
    struct cog_config cfg;
    struct cog_account a;
    struct cog_error err = {0};
    load_config(&cfg);
    bool found = cog_account_lookup(&cfg, user, &a, &err) == COG_OK;
    cog_account_clear(&a);
    cog_config_free(&cfg);
    return found;
}

START_TEST(test_stopped_holder_freezes_nothing)
{
    struct pr_result r;
    struct pr_script script = {.mock = &mock, .user = "alice", .password = PW};
    long ms;

    start();
    ck_assert_int_eq(run_sync(&ms), 0);
    /* Users the cache has not seen: only the login, or the sync, adds them. */
    mock_add_user(&mock, "{\"username\":\"latecomer\",\"password\":\"" PW "\"}");
    mock_add_user(&mock, "{\"username\":\"synced\",\"password\":\"" PW "\"}");
    ck_assert(!in_cache("latecomer") && !in_cache("synced"));

    /* A login through the PAM stack while a stopped process holds the lock. */
    pid_t holder = stopped_holder();
    script.user = "latecomer";
    pr_run("lock", "latecomer", &script, PR_AUTH, 0, 60000, &r);
    printf("login with a stopped lock holder: %s in %ld ms (timeout %d s)\n", pr_code_name(r.rc),
           r.ms, TIMEOUT_S);
    ck_assert_int_eq(r.rc, PAM_SUCCESS);
    ck_assert_int_lt(r.ms, TIMEOUT_S * 1000L);
    ck_assert_msg(in_cache("latecomer"), "the login's cache update did not happen");
    holder_refused_commit(holder);

    /* And the real cognitoctl sync, with another stopped holder. */
    holder = stopped_holder();
    int rc = run_sync(&ms);
    printf("cognitoctl sync with a stopped lock holder: exit %d in %ld ms\n", rc, ms);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_lt(ms, 3 * TIMEOUT_S * 1000L);
    ck_assert_msg(in_cache("synced"), "the sync did not commit");
    holder_refused_commit(holder);
    mock_stop(&mock);
}
END_TEST

/* A holder that runs and is in its lease, or past it but working, keeps
 * the lock: the waiter gives up at its deadline; a dead holder's, or an
 * idle one's past its lease, is taken. */
START_TEST(test_stale_and_live_holders)
{
    struct cog_cache_lock lk;
    struct cog_error err = {0};
    char dir[PATH_MAX], path[PATH_MAX + 16], rec[64];
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/lock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/" COG_CACHE_LOCK_FILE, dir);
    for (int kind = 0; kind < 4; kind++) {
        int ready[2];
        ck_assert_int_eq(pipe(ready), 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            struct cog_cache_lock mine;
            if (cog_cache_lock(dir, 1000, &mine, &err) != COG_OK)
                _exit(2);
            /* 0: live; 1: the record names a dead process; 2: an old lease;
             * 3: an old lease, but working (it keeps the lock). */
            if (kind == 1)
                snprintf(rec, sizeof(rec), "999999999 1 %lld\n", (long long)time(NULL));
            if (kind >= 2)
                snprintf(rec, sizeof(rec), "%ld 0 %lld\n", (long)getpid(),
                         (long long)time(NULL) - COG_LOCK_LEASE_S - 10);
            if (kind > 0 && (pwrite(mine.fd, rec, strlen(rec), 0) < 0 ||
                             ftruncate(mine.fd, (off_t)strlen(rec)) != 0))
                _exit(3);
            (void)!write(ready[1], "x", 1);
            if (kind == 3) {
                for (long long end = cog_now_ms() + 10000; cog_now_ms() < end;)
                    ;
            }
            sleep(10);
            _exit(0);
        }
        char c;
        ck_assert_int_eq(read(ready[0], &c, 1), 1);
        long long t0 = cog_now_ms();
        cog_status st = cog_cache_lock(dir, 2500, &lk, &err);
        long long waited = cog_now_ms() - t0;
        printf("holder kind %d: %s after %lld ms%s%s\n", kind, cog_status_name(st), waited,
               lk.reclaimed ? ", reclaimed: " : "", lk.reclaimed ? lk.reclaim_reason : "");
        if (kind == 0 || kind == 3) {
            ck_assert_int_eq(st, COG_ERR_UNAVAILABLE);
            ck_assert_int_ge(waited, 2400);
        } else {
            ck_assert_int_eq(st, COG_OK);
            ck_assert(lk.reclaimed);
            ck_assert_ptr_nonnull(strstr(lk.reclaim_reason, kind == 1 ? "gone" : "over"));
            ck_assert_int_lt(waited, 2400);
            ck_assert_int_eq(cog_cache_lock_check(&lk, &err), COG_OK);
        }
        cog_cache_unlock(&lk);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(ready[0]);
        close(ready[1]);
    }
    unlink(path);
    rmdir(dir);
}
END_TEST

static void file_mode(const char *name, mode_t want)
{
    char path[PATH_MAX + 32];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", cache_dir, name);
    ck_assert_msg(stat(path, &sb) == 0, "%s: %s", path, strerror(errno));
    ck_assert_msg((sb.st_mode & 07777) == want, "%s is %o, not %o", name, sb.st_mode & 07777, want);
}

/* Sums of the cache's file names and contents, to see that nothing changed. */
static unsigned long dir_sum(void)
{
    char cmd[PATH_MAX + 64], line[256];
    unsigned long sum = 0;
    snprintf(cmd, sizeof(cmd), "cd '%s' && ls -a && cat *", cache_dir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n;
    while ((n = fread(line, 1, sizeof(line), p)) > 0)
        sum = sum * 31 + cog_disk_checksum(line, n);
    pclose(p);
    return sum;
}

/* RLIMIT_FSIZE cuts the new file short: the old file stays, whole. */
START_TEST(test_short_write_never_renamed)
{
    long ms;
    start();
    mock_control(&mock, "POST", "/_mock/users/bulk",
                 "{\"generate\":{\"count\":300,\"prefix\":\"bulk\",\"groups\":[\"staff\"]}}", NULL);
    ck_assert_int_eq(run_sync(&ms), 0);
    unsigned long before = dir_sum();
    mock_control(&mock, "POST", "/_mock/users/bulk",
                 "{\"generate\":{\"count\":300,\"start\":300,\"prefix\":\"more\"}}", NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {16384, 16384};
        signal(SIGXFSZ, SIG_IGN); /* else the write kills; ignored, it comes up short */
        setrlimit(RLIMIT_FSIZE, &rl);
        _exit(run_sync(&ms));
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    printf("sync under RLIMIT_FSIZE=16K: exit %d\n", WEXITSTATUS(status));
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    ck_assert_msg(dir_sum() == before, "a cache file (or a temp file) changed");
    ck_assert_int_eq(run_sync(&ms), 0);
    ck_assert_msg(dir_sum() != before, "the sync after did not write");
    mock_stop(&mock);
}
END_TEST

/* accounts.* are root's; what authorized-keys and NSS need stays readable. */
START_TEST(test_account_facts_not_public)
{
    struct pr_result r;
    struct pr_script script = {.mock = &mock, .user = "alice", .password = PW};
    long ms;
    char out[4096];

    if (geteuid() != 0) {
        printf("# SKIP not root: cannot be someone else\n");
        return;
    }
    start();
    ck_assert_int_eq(chmod(mock.dir, 0755), 0);
    ck_assert_int_eq(run_sync(&ms), 0);
    file_mode(COG_CACHE_ACCOUNTS_FILE, 0600);
    file_mode(COG_CACHE_KEYS_FILE, 0644);
    file_mode(COG_CACHE_NSS_FILE, 0644);
    /* A user the sync has not seen: her login writes the logins files. */
    mock_add_user(&mock, "{\"username\":\"newbie\",\"password\":\"" PW "\","
                         "\"sub\":\"sub-newbie\",\"groups\":[\"devs\"]}");
    script.user = "newbie";
    pr_run("lock", "newbie", &script, PR_AUTH, 0, 60000, &r);
    ck_assert_int_eq(r.rc, PAM_SUCCESS);
    file_mode(COG_CACHE_ACCOUNTS_DELTA_FILE, 0600);
    file_mode(COG_CACHE_KEYS_DELTA_FILE, 0644);
    file_mode(COG_CACHE_NSS_DELTA_FILE, 0644);

    /* As nobody: the keys and NSS, but no sub or groups. */
    const char *keys[] = {"authorized-keys", "--config", mock.conf, "keyholder", NULL};
    ck_assert_int_eq(run_ctl(keys, 65534, &ms, out, sizeof(out)), 0);
    ck_assert_str_eq(out, KEY "\n");
    const char *none[] = {"authorized-keys", "--config", mock.conf, "alice", NULL};
    ck_assert_int_eq(run_ctl(none, 65534, &ms, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct cog_config cfg;
        struct cog_account a;
        struct cog_error err = {0};
        struct nssmod nss;
        char path[PATH_MAX + 32], buf[1024];
        struct passwd pw;
        int e = 0;
        load_config(&cfg);
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            _exit(2);
        snprintf(path, sizeof(path), "%s/" COG_CACHE_ACCOUNTS_FILE, cache_dir);
        int code = open(path, O_RDONLY) < 0 && errno == EACCES ? 0 : 3;
        snprintf(path, sizeof(path), "%s/" COG_CACHE_ACCOUNTS_DELTA_FILE, cache_dir);
        code = code ? code : open(path, O_RDONLY) < 0 && errno == EACCES ? 0 : 4;
        if (code == 0 && cog_account_lookup(&cfg, "keyholder", &a, &err) == COG_OK)
            code = a.public_only && a.nkeys == 1 && a.ngroups == 0 && *a.sub == '\0' && a.enabled &&
                           strcmp(a.status, "CONFIRMED") == 0
                       ? 0
                       : 5;
        else
            code = code ? code : 6;
        nssmod_load(&nss, cache_dir);
        if (code == 0 &&
            (nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS ||
             nss.getpwnam_r("newbie", &pw, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS ||
             nss.getpwnam_r("keyholder", &pw, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS))
            code = 7;
        _exit(code);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "as nobody: step %d failed",
                  WEXITSTATUS(status));
    /* Root still reads every fact. */
    struct cog_config cfg;
    struct cog_account a;
    struct cog_error err = {0};
    load_config(&cfg);
    ck_assert_int_eq(cog_account_lookup(&cfg, "keyholder", &a, &err), COG_OK);
    ck_assert(!a.public_only);
    ck_assert_str_eq(a.sub, "sub-keyholder");
    ck_assert_uint_eq(a.ngroups, 1);
    cog_account_clear(&a);
    cog_config_free(&cfg);
    mock_stop(&mock);
}
END_TEST

static void write_services(void)
{
    ph_service("lock", "auth required @MODULE@ @ARGS@\n");
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("cache_lock");
    TCase *tc = tcase_create("cache_lock");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_stopped_holder_freezes_nothing);
    tcase_add_test(tc, test_stale_and_live_holders);
    tcase_add_test(tc, test_short_write_never_renamed);
    tcase_add_test(tc, test_account_facts_not_public);
    suite_add_tcase(s, tc);
    return test_main(s);
}
