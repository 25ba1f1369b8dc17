/* The writers' lock, which no one can freeze.
 *
 * cache.lock is an flock'd file that records its holder: "PID START SINCE"
 * (the holder's pid, its start time in clock ticks from /proc/PID/stat, and
 * the unix second it took the lock). Every wait polls with LOCK_NB up to a
 * deadline. A waiter that has seen the lock held for COG_LOCK_GRACE_MS looks
 * at the holder: one that is gone, stopped (SIGSTOP, a terminal's ^Z, a
 * debugger) or has held the lock past COG_LOCK_LEASE_S is stale, and the
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

#include "libcognito/cache.h"
#include "libcognito/util.h"

#define RECORD_MAX 96

/* A process's state letter and start time (field 22) from /proc/PID/stat. */
static bool proc_stat(pid_t pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024];
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
    if (p == NULL || p[1] != ' ')
        return false;
    *state = p[2];
    p += 3;
    for (int field = 4; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return false;
        p++;
    }
    char *end;
    errno = 0;
    *start = strtoull(p, &end, 10);
    return errno == 0 && end != p;
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
    char rec[RECORD_MAX], state;
    unsigned long long start = 0;
    if (!proc_stat(getpid(), &state, &start))
        start = 0;
    int n =
        snprintf(rec, sizeof(rec), "%ld %llu %lld\n", (long)getpid(), start, (long long)time(NULL));
    if (n > 0 && pwrite(fd, rec, (size_t)n, 0) == n)
        (void)ftruncate(fd, n);
}

/* The holder's record in fd's file, "" when there is none. */
static void read_record(int fd, char rec[RECORD_MAX])
{
    ssize_t n = pread(fd, rec, RECORD_MAX - 1, 0);
    rec[n > 0 ? n : 0] = '\0';
}

/* Whether the holder a record names may be pushed aside; why into reason. */
static bool holder_stale(const char *rec, char *reason, size_t len)
{
    char state;
    long pid;
    unsigned long long start, now_start;
    long long since;
    if (sscanf(rec, "%ld %llu %lld", &pid, &start, &since) != 3 || pid <= 0) {
        snprintf(reason, len, "its holder wrote no readable record");
        return true;
    }
    if (!proc_stat((pid_t)pid, &state, &now_start) || (start != 0 && start != now_start)) {
        snprintf(reason, len, "its holder (pid %ld) is gone", pid);
        return true;
    }
    if (state == 'T' || state == 't') {
        snprintf(reason, len, "its holder (pid %ld) is stopped", pid);
        return true;
    }
    if ((long long)time(NULL) - since > COG_LOCK_LEASE_S) {
        snprintf(reason, len, "its holder (pid %ld) has held it over %d s", pid, COG_LOCK_LEASE_S);
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

cog_status cog_cache_lock(const char *dir, long wait_ms, struct cog_cache_lock *lk,
                          struct cog_error *err)
{
    cog_status st = COG_OK;
    long long now = cog_now_ms(), held_since = -1;
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
            held_since = now;
            memcpy(seen, rec, sizeof(seen));
        }
        if (now - held_since >= COG_LOCK_GRACE_MS && holder_stale(rec, reason, sizeof(reason))) {
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
