/* The writers' lock, which no one can freeze.
 *
 * cache.lock is an flock'd file that records its holder: "PID START SINCE"
 * (the holder's pid, its start time in clock ticks from /proc/PID/stat, and
 * the unix second it took the lock). Every wait polls with LOCK_NB up to a
 * deadline. A waiter that has seen the lock held for COG_LOCK_GRACE_MS looks
 * at the holder: one that is gone, stopped (SIGSTOP, a terminal's ^Z, a
 * debugger) or has held the lock past COG_LOCK_LEASE_S and used no CPU
 * time while the waiter watched (wedged: a hung disk, say) is stale, and the
 * waiter reclaims the lock by renaming a fresh, already locked file over
 * cache.lock. The stale holder still has its flock, but on the old inode:
 * before every rename into the cache it checks (cog_cache_lock_check) that
 * its descriptor is still the file named cache.lock, and gives up when it is
 * not. A waiter whose file was replaced under it opens the new one.
 *
 * See docs/threat-model.md, "Locks a user can freeze". */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/util.h"

#define RECORD_MAX 96

/* What /proc/PID/stat says of a process. */
struct proc_info {
    char state;               /* R, S, D, T, t, Z, ... */
    unsigned long long cpu;   /* utime + stime (fields 14, 15), clock ticks */
    unsigned long long start; /* start time (field 22), clock ticks since boot */
};

static bool proc_stat(pid_t pid, struct proc_info *pi)
{
    char path[64], buf[1024];
    unsigned long long field[23] = {0};
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* The command name may hold anything, ')' too: fields start after the last one. */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || p[2] == '\0')
        return false;
    pi->state = p[2];
    p += 3;
    for (int i = 4; i <= 22; i++) {
        char *end;
        errno = 0;
        field[i] = strtoull(p, &end, 10);
        if (errno != 0 || end == p)
            return false;
        p = end;
    }
    pi->cpu = field[14] + field[15];
    pi->start = field[22];
    return true;
}

static bool same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Writes this process as the holder of the lock open as fd. */
static void write_record(int fd)
{
    char rec[RECORD_MAX];
    struct proc_info me = {0};
    if (!proc_stat(getpid(), &me))
        me.start = 0;
    int n = snprintf(rec, sizeof(rec), "%ld %llu %lld\n", (long)getpid(), me.start,
                     (long long)time(NULL));
    if (n > 0 && pwrite(fd, rec, (size_t)n, 0) == n)
        (void)ftruncate(fd, n);
}

/* The holder's record in fd's file, "" when there is none. */
static void read_record(int fd, char rec[RECORD_MAX])
{
    ssize_t n = pread(fd, rec, RECORD_MAX - 1, 0);
    rec[n > 0 ? n : 0] = '\0';
}

/* The holder a record names, as it is now; false when there is none
 * (gone, or its pid now another process's). */
static bool holder_of(const char *rec, long *pid, long long *since, struct proc_info *pi)
{
    unsigned long long start;
    if (sscanf(rec, "%ld %llu %lld", pid, &start, since) != 3 || *pid <= 0)
        return false;
    return proc_stat((pid_t)*pid, pi) && (start == 0 || start == pi->start);
}

/* Whether the holder a record names may be pushed aside; why into reason.
 * cpu0 is the holder's CPU time when this record was first seen: a holder
 * past its lease keeps the lock while it makes progress. */
static bool holder_stale(const char *rec, unsigned long long cpu0, char *reason, size_t len)
{
    long pid = 0;
    long long since = 0;
    struct proc_info pi;
    if (!holder_of(rec, &pid, &since, &pi)) {
        if (pid <= 0)
            snprintf(reason, len, "its holder wrote no readable record");
        else
            snprintf(reason, len, "its holder (pid %ld) is gone", pid);
        return true;
    }
    if (pi.state == 'T' || pi.state == 't') {
        snprintf(reason, len, "its holder (pid %ld) is stopped", pid);
        return true;
    }
    if ((long long)time(NULL) - since > COG_LOCK_LEASE_S && pi.cpu == cpu0) {
        snprintf(reason, len, "its holder (pid %ld) has held it over %d s without progress", pid,
                 COG_LOCK_LEASE_S);
        return true;
    }
    return false;
}

/* A fresh lock file, locked and recorded, renamed over path while path is
 * still stale_fd's file. -1 when someone else was quicker (or on error). */
static int reclaim(const char *path, int stale_fd)
{
    char *tmp = NULL;
    int fd = -1;
    if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
        tmp = NULL;
        goto fail;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0600) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
        goto fail;
    write_record(fd);
    if (!same_file(stale_fd, path) || rename(tmp, path) != 0)
        goto fail;
    free(tmp);
    /* Two waiters may have judged the same holder at once: the last rename wins. */
    if (same_file(fd, path))
        return fd;
    close(fd);
    return -1;
fail:
    if (fd >= 0)
        close(fd);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    return -1;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static cog_status take(const char *dir, long wait_ms, struct cog_cache_lock *lk,
                       struct cog_error *err)
{
    cog_status st = COG_OK;
    long long now = cog_now_ms(), held_since = -1;
    unsigned long long cpu0 = 0;
    long long deadline = now + (wait_ms > 0 ? wait_ms : COG_LOCK_WAIT_MS);
    char reason[128] = "", rec[RECORD_MAX], seen[RECORD_MAX] = "";

    lk->fd = -1;
    lk->path = cog_cache_path(dir, COG_CACHE_LOCK_FILE);
    if (lk->path == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* A fresh host may not have the directory yet (the JWKS cache makes it too). */
    (void)cog_mkdir_mode(dir, 0755);
    for (;;) {
        if (lk->fd >= 0 && !same_file(lk->fd, lk->path)) {
            close(lk->fd); /* reclaimed by another waiter: wait on the new file */
            lk->fd = -1;
        }
        if (lk->fd < 0) {
            lk->fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
            if (lk->fd < 0) {
                st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot open: %s", lk->path,
                                   strerror(errno));
                goto out;
            }
        }
        if (flock(lk->fd, LOCK_EX | LOCK_NB) == 0) {
            if (same_file(lk->fd, lk->path)) {
                write_record(lk->fd);
                goto out;
            }
            close(lk->fd); /* we locked a file that was replaced meanwhile */
            lk->fd = -1;
            continue;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot lock: %s", lk->path,
                               strerror(errno));
            goto out;
        }
        /* A holder is judged only once the same record has stood for the
         * grace period: a new holder writes its record right after flock. */
        now = cog_now_ms();
        read_record(lk->fd, rec);
        if (held_since < 0 || strcmp(rec, seen) != 0) {
            long pid;
            long long since;
            struct proc_info pi = {0};
            held_since = now;
            memcpy(seen, rec, sizeof(seen));
            cpu0 = holder_of(rec, &pid, &since, &pi) ? pi.cpu : 0;
        }
        if (now - held_since >= COG_LOCK_GRACE_MS &&
            holder_stale(rec, cpu0, reason, sizeof(reason))) {
            int fd = reclaim(lk->path, lk->fd);
            if (fd >= 0) {
                close(lk->fd);
                lk->fd = fd;
                lk->reclaimed = true;
                snprintf(lk->reclaim_reason, sizeof(lk->reclaim_reason), "%s", reason);
                goto out;
            }
        }
        if (now >= deadline) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                               "%s: cannot lock: another writer holds it", lk->path);
            goto out;
        }
        pause_ms(10);
    }
out:
    if (st != COG_OK)
        cog_cache_unlock(lk);
    return st;
}

/* The lock, then the logins journal settled (cache_journal.c): emptied
 * for every writer but a login, which appends to it. */
static cog_status lock_settled(const char *dir, long wait_ms, bool for_login,
                               struct cog_cache_lock *lk, struct cog_error *err)
{
    cog_status st = take(dir, wait_ms, lk, err);
    if (st == COG_OK && (st = cog_journal_settle(lk, dir, !for_login, err)) != COG_OK)
        cog_cache_unlock(lk);
    return st;
}

cog_status cog_cache_lock(const char *dir, long wait_ms, struct cog_cache_lock *lk,
                          struct cog_error *err)
{
    return lock_settled(dir, wait_ms, false, lk, err);
}

cog_status cog_cache_lock_login(const char *dir, long wait_ms, struct cog_cache_lock *lk,
                                struct cog_error *err)
{
    return lock_settled(dir, wait_ms, true, lk, err);
}

cog_status cog_cache_tidy(const char *dir, long wait_ms, struct cog_error *err)
{
    struct cog_cache_lock lk;
    cog_status st = cog_cache_lock(dir, wait_ms, &lk, err);
    if (st == COG_OK)
        cog_cache_unlock(&lk);
    return st;
}

cog_status cog_cache_lock_check(const struct cog_cache_lock *lk, struct cog_error *err)
{
    if (lk == NULL)
        return COG_OK;
    if (lk->fd >= 0 && lk->path != NULL && same_file(lk->fd, lk->path))
        return COG_OK;
    return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                         "%s: the lock was reclaimed from this writer (stopped or too slow); "
                         "nothing written",
                         lk->path ? lk->path : COG_CACHE_LOCK_FILE);
}

void cog_cache_unlock(struct cog_cache_lock *lk)
{
    if (lk->fd >= 0) {
        /* An empty record: the next holder is not mistaken for this one. */
        if (lk->path != NULL && same_file(lk->fd, lk->path))
            (void)ftruncate(lk->fd, 0);
        close(lk->fd); /* releases the flock */
    }
    free(lk->path);
    memset(lk, 0, sizeof(*lk));
    lk->fd = -1;
}
