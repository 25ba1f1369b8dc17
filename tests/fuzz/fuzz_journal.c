/* The logins journal's reader (cache_journal.c), which every writer runs
 * under the lock, a PAM login included. The journal is root's own 0600
 * file, so its bytes come from this code or from a crash mid-write; this
 * target holds the reader to its promises on any bytes anyway.
 *
 * Input: the journal file's first bytes (header slots at 0 and 512,
 * records from 1024). So that mutations get past the sums, the target
 * writes them itself where a header slot or a record's tail has its magic:
 * each slot's sum over its fields, and the tail's sum over the record a
 * slot names. Then, in a scratch directory (on /dev/shm when there is one:
 * a settle fsyncs), without any logins file: cog_journal_info and
 * cog_journal_settle (a login's: it restores the files, it does not empty).
 *
 * Properties: no crash, no UB, no leak; the settle either fails with a
 * message or leaves the directory holding only the journal and logins
 * files that are sound cache files of their kind, with the modes the code
 * gives them (never a file the journal named otherwise); a second settle
 * then finds nothing to restore (the files are what the record says). */
#include "build-config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "tests/fuzz/fuzz.h"

#define SLOT 512u
#define HDR_SUM_AT 40u  /* magic, seq, epoch, last_off, last_len, then the sum */
#define TAIL_LEN 24u    /* record_len, sum, magic */
#define FILE_MAX 65536u /* what the target writes of an input */

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* The sums written where the magics are (see the top). */
static void fix_sums(uint8_t *b, size_t len)
{
    for (size_t s = 0; s < 2; s++) {
        uint8_t *h = b + s * SLOT;
        if (s * SLOT + HDR_SUM_AT + 8 > len || memcmp(h, "COGJHDR2", 8) != 0)
            continue;
        uint64_t off = get64(h + 24), rlen = get64(h + 32);
        if (off <= len && rlen >= 32 + TAIL_LEN && rlen <= len - off &&
            memcmp(b + off + rlen - 8, "COGJEND2", 8) == 0)
            put64(b + off + rlen - 16, cog_disk_checksum(b + off, rlen - TAIL_LEN));
        put64(h + HDR_SUM_AT, cog_disk_checksum(h, HDR_SUM_AT));
    }
}

static char scratch[64];

static void path_of(char *buf, size_t len, const char *dir, const char *name)
{
    FUZZ_CHECK((size_t)snprintf(buf, len, "%s/%s", dir, name) < len);
}

static void remove_logins(const char *dir)
{
    char path[256];
    for (size_t i = 0; i < COG_CACHE_NLOGINS; i++) {
        path_of(path, sizeof(path), dir, cog_cache_logins_files[i].name);
        (void)unlink(path);
    }
}

static void remove_scratch(void)
{
    char path[256];
    remove_logins(scratch);
    path_of(path, sizeof(path), scratch, COG_CACHE_JOURNAL_FILE);
    (void)unlink(path);
    (void)rmdir(scratch);
}

static const char *scratch_dir(void)
{
    if (scratch[0] == '\0') {
        struct stat sb;
        snprintf(scratch, sizeof(scratch), "%s/fuzz-journal.XXXXXX",
                 stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp");
        FUZZ_CHECK(mkdtemp(scratch) != NULL);
        atexit(remove_scratch);
    }
    return scratch;
}

/* Only the journal and sound logins files of their modes, each held once. */
static void check_dir(const char *dir)
{
    char path[256];
    DIR *d = opendir(dir);
    struct dirent *e;
    FUZZ_CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            strcmp(e->d_name, COG_CACHE_JOURNAL_FILE) == 0)
            continue;
        size_t i = 0;
        while (i < COG_CACHE_NLOGINS && strcmp(e->d_name, cog_cache_logins_files[i].name) != 0)
            i++;
        FUZZ_CHECK(i < COG_CACHE_NLOGINS); /* nothing else: no temp file, no other name */
        struct stat sb;
        struct cog_cache_map m;
        path_of(path, sizeof(path), dir, e->d_name);
        FUZZ_CHECK(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode));
        FUZZ_CHECK((sb.st_mode & 07777) == cog_cache_logins_files[i].mode);
        FUZZ_CHECK(cog_cache_map_open(&m, path, cog_cache_logins_files[i].kind) == COG_CACHE_OK);
        FUZZ_CHECK(cog_cache_map_verify(&m));
        cog_cache_map_close(&m);
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = scratch_dir();
    char path[256];
    struct cog_error err = {0};
    struct cog_journal_info info;
    size_t len = size < FILE_MAX ? size : FILE_MAX;
    uint8_t *b = malloc(len ? len : 1);
    FUZZ_CHECK(b != NULL);
    memcpy(b, data, len);
    fix_sums(b, len);

    remove_logins(dir);
    path_of(path, sizeof(path), dir, COG_CACHE_JOURNAL_FILE);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0 && write(fd, b, len) == (ssize_t)len && close(fd) == 0);
    free(b);

    cog_journal_info(dir, &info);
    FUZZ_CHECK(info.present && info.readable && info.trusted && info.size == len);
    FUZZ_CHECK(!info.valid || len >= 2 * SLOT); /* both slots are read whole */

    cog_status st = cog_journal_settle(NULL, dir, false, &err);
    if (st != COG_OK) {
        FUZZ_CHECK(err.message[0] != '\0');
        return 0;
    }
    check_dir(dir);
    /* The files are now what the journal's current record says (or it
     * named none and was emptied): a second settle has nothing to do. */
    struct stat before[COG_CACHE_NLOGINS], after;
    bool had[COG_CACHE_NLOGINS];
    for (size_t i = 0; i < COG_CACHE_NLOGINS; i++) {
        path_of(path, sizeof(path), dir, cog_cache_logins_files[i].name);
        had[i] = stat(path, &before[i]) == 0;
    }
    FUZZ_CHECK(cog_journal_settle(NULL, dir, false, &err) == COG_OK);
    for (size_t i = 0; i < COG_CACHE_NLOGINS; i++) {
        path_of(path, sizeof(path), dir, cog_cache_logins_files[i].name);
        bool has = stat(path, &after) == 0;
        FUZZ_CHECK(has == had[i] && (!has || after.st_ino == before[i].st_ino));
    }
    return 0;
}
