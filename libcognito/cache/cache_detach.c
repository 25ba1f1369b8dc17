/* Work a user cannot freeze: cog_run_detached (cache.h).
 *
 * pam_cognito runs inside setuid programs (su, sudo) whose real uid is the
 * user's. Such a process can be stopped by that user (kill -STOP, ^Z), and
 * whatever lock it holds then is held forever. So the cache update of a
 * login runs in a child that the user cannot signal: its real, effective and
 * saved uids are 0 (kill(2) lets an unprivileged sender reach only processes
 * whose real or saved uid is the sender's), it is in a session of its own
 * (no terminal's ^Z, ^C or hangup reaches it, and no SIGCONT by session
 * rule), and it ignores the job-control and terminal signals it could still
 * inherit; as root it also drops the resource limits the caller chose (file
 * size, CPU time, memory) and core dumps. The parent waits for it with a
 * deadline and kills it past that.
 *
 * A fork costs about 2 ms on some hosts, more than a login's whole update,
 * so cog_run_guarded gives the same guarantee in the caller's own process
 * when it has a single thread: every signal blocked (a terminal's ^Z, ^C and
 * hangup wait), the caller's limits lifted, and, as root, real and saved
 * uid 0 so the user's kill(2) gets EPERM; all of it put back, uid first
 * and signals last, once the work (and its lock) is done. With other
 * threads a terminal's SIGTSTP could land on one of them and stop the whole
 * process, so those callers get the child.
 *
 * See docs/threat-model.md, "Locks a user can freeze". */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/util.h"

/* Margin past wait_ms after which the child kills itself (SIGALRM). */
#define CHILD_GRACE_S 5

/* Limits the caller set are not ours: a file size limit would cut the
 * cache short (it would fail, not be renamed, but fail every time), a CPU
 * limit kill it half way. Only root may raise them. */
static void reset_limits(void)
{
    static const int limits[] = {RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_AS, RLIMIT_DATA};
    struct rlimit none = {RLIM_INFINITY, RLIM_INFINITY}, no_core = {0, 0};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
        (void)setrlimit(limits[i], &none);
    (void)setrlimit(RLIMIT_CORE, &no_core);
}

static void detach_child(long wait_ms)
{
    static const int ignored[] = {SIGINT,  SIGQUIT, SIGHUP,  SIGTSTP,
                                  SIGTTIN, SIGTTOU, SIGPIPE, SIGXFSZ};
    struct sigaction sa;
    sigset_t none;

    if (geteuid() == 0) {
        (void)setresuid(0, 0, 0); /* the user who ran su may no longer signal us */
        reset_limits();
    }
    (void)setsid();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        (void)sigaction(ignored[i], &sa, NULL);
    /* The caller's handlers are not ours to run; a hung child dies by itself. */
    sa.sa_handler = SIG_DFL;
    (void)sigaction(SIGALRM, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    alarm((unsigned)(wait_ms / 1000 + CHILD_GRACE_S));
}

static void reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

cog_status cog_run_detached(cog_status (*fn)(void *ctx, struct cog_error *err), void *ctx,
                            long wait_ms, struct cog_error *err)
{
    cog_status st;
    struct cog_error res;
    int fds[2] = {-1, -1};
    pid_t pid = -1;
    size_t got = 0;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        close(fds[0]);
        detach_child(wait_ms);
        memset(&res, 0, sizeof(res));
        res.status = fn(ctx, &res);
        /* One write below PIPE_BUF arrives whole. */
        ssize_t n = write(fds[1], &res, sizeof(res));
        _exit(n == (ssize_t)sizeof(res) ? 0 : 1);
    }
    close(fds[1]);
    fds[1] = -1;
    long long deadline = cog_now_ms() + wait_ms + CHILD_GRACE_S * 1000L;
    while (got < sizeof(res)) {
        long long left = deadline - cog_now_ms();
        struct pollfd p = {fds[0], POLLIN, 0};
        int r = left > 0 ? poll(&p, 1, (int)(left > 60000 ? 60000 : left)) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ssize_t n = read(fds[0], (char *)&res + got, sizeof(res) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got == sizeof(res)) {
        reap(pid);
        st = res.status;
        if (err != NULL && st != COG_OK)
            *err = res;
        goto out;
    }
    kill(pid, SIGKILL);
    reap(pid);
    st = cog_error_set(
        err, got == 0 && cog_now_ms() >= deadline ? COG_ERR_UNAVAILABLE : COG_ERR_INTERNAL, NULL,
        "the cache writer %s", cog_now_ms() >= deadline ? "did not finish in time" : "died");
out:
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return st;
}

/* ---- the same, in this process ------------------------------------------ */

/* What the guard changed, to be put back. */
struct guard {
    sigset_t mask;
    uid_t ruid, euid, suid;
    bool uids;
    struct rlimit lim[4];
};

static const int guard_limits[] = {RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_AS, RLIMIT_DATA};

/* num_threads, field 20 of /proc/self/stat (0 when it cannot be read). */
static long thread_count(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and ')' */
    /* After ')': state is field 3, num_threads field 20. */
    for (int field = 2; p != NULL && field < 20; field++)
        p = strchr(p + 1, ' ');
    return p != NULL ? strtol(p + 1, NULL, 10) : 0;
}

static bool guard_enter(struct guard *g)
{
    sigset_t all;
    if (thread_count() != 1)
        return false;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, &g->mask) != 0)
        return false;
    g->uids = false;
    if (getresuid(&g->ruid, &g->euid, &g->suid) != 0 || g->euid != 0)
        return true; /* not root: the caller could not reach a root-owned lock anyway */
    for (size_t i = 0; i < sizeof(guard_limits) / sizeof(guard_limits[0]); i++)
        if (getrlimit(guard_limits[i], &g->lim[i]) != 0)
            goto undo;
    /* kill(2) from an unprivileged user reaches only processes whose real
     * or saved uid is theirs; blocked signals wait for guard_leave. A
     * SIGSTOP sent before this call is delivered when it returns, before
     * any lock is taken. */
    if (setresuid(0, 0, 0) != 0)
        goto undo;
    g->uids = true;
    struct rlimit none = {RLIM_INFINITY, RLIM_INFINITY};
    for (size_t i = 0; i < sizeof(guard_limits) / sizeof(guard_limits[0]); i++) {
        struct rlimit hard = {g->lim[i].rlim_max, g->lim[i].rlim_max};
        /* Without CAP_SYS_RESOURCE (a container's bounding set) only the
         * soft limit can rise, to the hard one. */
        if (setrlimit(guard_limits[i], &none) != 0)
            (void)setrlimit(guard_limits[i], &hard);
    }
    return true;
undo:
    (void)sigprocmask(SIG_SETMASK, &g->mask, NULL);
    return false;
}

static void guard_leave(const struct guard *g)
{
    if (g->uids) {
        for (size_t i = 0; i < sizeof(guard_limits) / sizeof(guard_limits[0]); i++)
            (void)setrlimit(guard_limits[i], &g->lim[i]);
        /* A program that went on with real uid 0 would take its user for
         * root (su asks no password of root): better no program at all. */
        if (setresuid(g->ruid, g->euid, g->suid) != 0)
            _exit(127);
    }
    /* A limit we could not lift (no CAP_SYS_RESOURCE) made our own write
     * fail with EFBIG and left SIGXFSZ pending: ours, not the program's. */
    sigset_t pending, xfsz;
    const struct timespec now = {0, 0};
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ))
        (void)sigtimedwait(&xfsz, NULL, &now);
    (void)sigprocmask(SIG_SETMASK, &g->mask, NULL);
}

cog_status cog_run_guarded(cog_status (*fn)(void *ctx, struct cog_error *err), void *ctx,
                           long wait_ms, struct cog_error *err)
{
    struct guard g;
    if (!guard_enter(&g))
        return cog_run_detached(fn, ctx, wait_ms, err);
    cog_status st = fn(ctx, err);
    guard_leave(&g);
    return st;
}
