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
 * See docs/threat-model.md, "Locks a user can freeze". */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
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
