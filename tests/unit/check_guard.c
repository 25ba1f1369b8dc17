/* Work a user cannot freeze (libcognito/cache/cache_detach.c): in su's
 * situation (real uid the user's, effective 0) the user may not signal
 * whatever holds the cache lock for su, be it the detached child
 * (cog_run_detached) or su itself in the guard (cog_run_guarded), and the
 * guard gives su back its uids, limits and signals whole. The PAM side of
 * the same attack is tests/pam/check_cache_lock, the real su's is
 * tests/system/lock_freeze.sh. Root only (skips otherwise). */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/cache/cache.h"
#include "tests/testutil.h"

/* The pid the detached job runs as, for the test to aim signals at. */
static int job_fd = -1;
static cog_status report_and_wait(void *ctx, struct cog_error *err)
{
    (void)ctx;
    (void)err;
    pid_t me = getpid();
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    int info[3] = {(int)me, (int)r, (int)(getsid(0) == me)};
    (void)!write(job_fd, info, sizeof(info));
    sleep(2);
    return COG_OK;
}

/* su's situation: real uid the user's, effective 0. The user can stop su,
 * but not the child that holds the lock for it. */
START_TEST(test_detached_child_cannot_be_signalled)
{
    if (geteuid() != 0) {
        printf("# SKIP not root: no setuid situation to make\n");
        return;
    }
    int fds[2], info[3];
    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t su = fork();
    if (su == 0) {
        struct cog_error err = {0};
        close(fds[0]);
        job_fd = fds[1];
        if (setresuid(65534, 0, 0) != 0)
            _exit(2);
        _exit(cog_run_detached(report_and_wait, NULL, 10000, &err) == COG_OK ? 0 : 1);
    }
    close(fds[1]);
    ck_assert_int_eq(read(fds[0], info, sizeof(info)), (ssize_t)sizeof(info));
    close(fds[0]);
    ck_assert_int_eq(info[1], 0);
    ck_assert_msg(info[2], "the job is not in a session of its own");
    fflush(NULL);
    pid_t user = fork();
    if (user == 0) {
        if (setresuid(65534, 65534, 65534) != 0)
            _exit(2);
        /* The user may stop su itself, but not the job. */
        bool su_stoppable = kill(su, SIGSTOP) == 0;
        bool job_refused = kill((pid_t)info[0], SIGSTOP) != 0 && errno == EPERM &&
                           kill((pid_t)info[0], SIGKILL) != 0 && errno == EPERM;
        kill(su, SIGCONT);
        _exit(su_stoppable && job_refused ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(user, &status, 0), user);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the user could signal the job (or not stop su: the setup is wrong)");
    ck_assert_int_eq(waitpid(su, &status, 0), su);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the job did not finish");
}
END_TEST

/* The same without a fork (cog_run_guarded): su itself runs the job, and
 * for as long as it does the user gets EPERM; its uids, limits and signal
 * mask are su's again afterwards, and a signal sent meanwhile arrives only
 * then. */
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

static cog_status report_in_guard(void *ctx, struct cog_error *err)
{
    (void)ctx;
    (void)err;
    uid_t r, e, s;
    struct rlimit fsize;
    getresuid(&r, &e, &s);
    getrlimit(RLIMIT_FSIZE, &fsize);
    int info[3] = {(int)getpid(), (int)r, fsize.rlim_cur == RLIM_INFINITY};
    (void)!write(job_fd, info, sizeof(info));
    sleep(2);
    return got_usr1 ? COG_ERR_INTERNAL : COG_OK; /* nothing may arrive in the guard */
}

static void *idle_thread(void *arg)
{
    (void)arg;
    pause();
    return NULL;
}

/* "su" (real uid 65534, effective 0, a 1 MB soft file size limit: the
 * hard one stays, since root without CAP_SYS_RESOURCE, as in some
 * containers, could not lift a hard limit) runs the job
 * guarded; with threads true it has a second thread first. Exit status:
 * 0 fine, else the step that failed. */
static int guarded_su(int fd, bool threads)
{
    struct cog_error err = {0};
    struct rlimit mb = {1 << 20, RLIM_INFINITY}, now;
    struct sigaction sa;
    sigset_t mask;
    pthread_t t;
    uid_t r, e, s;
    job_fd = fd;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL) != 0 || setrlimit(RLIMIT_FSIZE, &mb) != 0 ||
        setresuid(65534, 0, 0) != 0 || (threads && pthread_create(&t, NULL, idle_thread, NULL)))
        return 2;
    if (cog_run_guarded(report_in_guard, NULL, 10000, &err) != COG_OK)
        return 3;
    if (getresuid(&r, &e, &s) != 0 || r != 65534 || e != 0 || s != 0)
        return 4;
    if (getrlimit(RLIMIT_FSIZE, &now) != 0 || now.rlim_cur != mb.rlim_cur)
        return 5;
    if (sigprocmask(SIG_SETMASK, NULL, &mask) != 0 || sigismember(&mask, SIGINT) ||
        sigismember(&mask, SIGUSR1))
        return 6;
    for (int i = 0; i < 100 && !threads && !got_usr1; i++)
        usleep(10000);
    return threads || got_usr1 ? 0 : 7;
}

START_TEST(test_guarded_job_cannot_be_signalled)
{
    if (geteuid() != 0) {
        printf("# SKIP not root: no setuid situation to make\n");
        return;
    }
    for (int threads = 0; threads < 2; threads++) {
        int fds[2], info[3];
        ck_assert_int_eq(pipe(fds), 0);
        fflush(NULL);
        pid_t su = fork();
        if (su == 0) {
            close(fds[0]);
            _exit(guarded_su(fds[1], threads));
        }
        close(fds[1]);
        ck_assert_int_eq(read(fds[0], info, sizeof(info)), (ssize_t)sizeof(info));
        close(fds[0]);
        /* One thread: su runs it itself; two: a child does (as before). */
        ck_assert_int_eq(info[0] == su, !threads);
        ck_assert_int_eq(info[1], 0);
        ck_assert_msg(info[2], "the caller's file size limit held in the job");
        fflush(NULL);
        pid_t user = fork();
        if (user == 0) {
            if (setresuid(65534, 65534, 65534) != 0)
                _exit(2);
            pid_t job = (pid_t)info[0];
            bool refused = kill(job, SIGSTOP) != 0 && errno == EPERM && kill(job, SIGKILL) != 0 &&
                           errno == EPERM;
            _exit(refused ? 0 : 1);
        }
        int status;
        ck_assert_int_eq(waitpid(user, &status, 0), user);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "the user could signal the job (threads: %d)", threads);
        if (!threads)
            ck_assert_int_eq(kill(su, SIGUSR1), 0); /* root may: it must wait */
        ck_assert_int_eq(waitpid(su, &status, 0), su);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "su after the guard: step %d failed (threads: %d)", WEXITSTATUS(status),
                      threads);
    }
}
END_TEST

/* A job past a file size limit the guard could not lift (a hard limit,
 * without CAP_SYS_RESOURCE) fails its write; the SIGXFSZ that write raised
 * is the guard's, and must not kill su once the mask is put back. */
static cog_status write_big(void *ctx, struct cog_error *err)
{
    static char block[1 << 16];
    (void)err;
    int fd = open(ctx, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    for (int i = 0; fd >= 0 && i < 32; i++)
        if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
            break;
    if (fd >= 0)
        close(fd);
    return COG_OK;
}

START_TEST(test_guard_keeps_its_sigxfsz)
{
    char path[] = "/tmp/cognito-xfsz-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    fflush(NULL);
    pid_t su = fork();
    if (su == 0) {
        struct cog_error err = {0};
        struct rlimit small = {1 << 16, 1 << 16};
        if (setrlimit(RLIMIT_FSIZE, &small) != 0 || (geteuid() == 0 && setresuid(65534, 0, 0) != 0))
            _exit(2);
        _exit(cog_run_guarded(write_big, path, 10000, &err) == COG_OK ? 0 : 3);
    }
    int status;
    ck_assert_int_eq(waitpid(su, &status, 0), su);
    unlink(path);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "su %s %d",
                  WIFSIGNALED(status) ? "killed by signal" : "exited",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("guard");
    TCase *tc = tcase_create("guard");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_detached_child_cannot_be_signalled);
    tcase_add_test(tc, test_guarded_job_cannot_be_signalled);
    tcase_add_test(tc, test_guard_keeps_its_sigxfsz);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
