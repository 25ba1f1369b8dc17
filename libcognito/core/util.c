#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "libcognito/core/util.h"

void cog_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}

void cog_free_secret(char *s)
{
    if (s == NULL)
        return;
    cog_wipe(s, strlen(s));
    free(s);
}

char *cog_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *cog_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Length of the UTF-8 sequence starting at s (1..4), or 0 when invalid:
 * overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0;
        if (c == 0xed && s[1] >= 0xa0)
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

bool cog_text_valid(const char *s, size_t max_len)
{
    if (s == NULL)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    while (*p != '\0') {
        size_t n = utf8_seq_len(p);
        if (n == 0)
            return false;
        if (n == 1 && (*p < 0x20 || *p == 0x7f))
            return false;
        if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) /* C1 controls U+0080..U+009F */
            return false;
        p += n;
        len += n;
        if (len > max_len)
            return false;
    }
    return true;
}

/* The code point of a valid sequence of n bytes. */
static unsigned long utf8_decode(const unsigned char *s, size_t n)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    unsigned long cp = s[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

/* Separators (Zs, Zl, Zp), format characters (Cf) and private use (Co):
 * what Cognito's username pattern [\p{L}\p{M}\p{S}\p{N}\p{P}]+ leaves out
 * beyond controls. They pass for a space or a line break, or reorder text,
 * in a log line or on a terminal. */
static bool invisible(unsigned long cp)
{
    static const struct {
        unsigned long lo, hi;
    } ranges[] = {
        {0x00a0, 0x00a0},   {0x00ad, 0x00ad},    {0x0600, 0x0605},   {0x061c, 0x061c},
        {0x06dd, 0x06dd},   {0x070f, 0x070f},    {0x0890, 0x0891},   {0x08e2, 0x08e2},
        {0x1680, 0x1680},   {0x180e, 0x180e},    {0x2000, 0x200f},   {0x2028, 0x202f},
        {0x205f, 0x2064},   {0x2066, 0x206f},    {0x3000, 0x3000},   {0xe000, 0xf8ff},
        {0xfeff, 0xfeff},   {0xfff9, 0xfffb},    {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
        {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},  {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
        {0xe0020, 0xe007f}, {0xf0000, 0x10ffff},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (cp >= ranges[i].lo && cp <= ranges[i].hi)
            return true;
    }
    return false;
}

/* What a terminal must not get raw from text others wrote: C0 and C1
 * controls, DEL, and the bidi embeddings, overrides and isolates, which
 * reorder what follows them on the line. */
static bool terminal_unsafe(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

size_t cog_text_escape_to(const char *s, bool keep_newline, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t len = 0, used = 0;
    char esc[8];

    while (*p != '\0') {
        size_t n = utf8_seq_len(p);
        size_t elen = 0;
        unsigned long cp = n ? utf8_decode(p, n) : 0;
        if (n == 0) { /* not UTF-8: the byte, as \xHH */
            memcpy(esc, "\\x", 2);
            esc[2] = hex[*p >> 4];
            esc[3] = hex[*p & 0xf];
            elen = 4;
            n = 1;
        } else if (cp == '\n' && keep_newline) {
            elen = 0;
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            esc[0] = '\\';
            esc[1] = cp == '\n' ? 'n' : cp == '\t' ? 't' : 'r';
            elen = 2;
        } else if (terminal_unsafe(cp)) {
            memcpy(esc, "\\u", 2);
            for (int i = 0; i < 4; i++)
                esc[2 + i] = hex[(cp >> (12 - 4 * i)) & 0xf];
            elen = 6;
        }
        const char *piece = elen ? esc : (const char *)p;
        size_t plen = elen ? elen : n;
        /* Once a piece does not fit, nothing more goes in: never half an
         * escape or half a character. */
        if (out != NULL && used == len && used + plen < cap) {
            memcpy(out + used, piece, plen);
            used += plen;
        }
        len += plen;
        p += n;
    }
    if (out != NULL && cap > 0)
        out[used] = '\0';
    return len;
}

char *cog_text_escape(const char *s, bool keep_newline)
{
    size_t n = cog_text_escape_to(s, keep_newline, NULL, 0);
    char *out = malloc(n + 1);
    if (out != NULL)
        cog_text_escape_to(s, keep_newline, out, n + 1);
    return out;
}

bool cog_username_valid(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    if (!cog_text_valid(name, COG_USERNAME_MAX))
        return false;
    /* Cognito's username pattern is [\p{L}\p{M}\p{S}\p{N}\p{P}]+: no whitespace. */
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0';) {
        size_t n = utf8_seq_len(p);
        if (*p == ' ' || invisible(utf8_decode(p, n)))
            return false;
        p += n;
    }
    return true;
}

void cog_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

char *cog_base64_encode(const unsigned char *in, size_t n)
{
    if (n > (size_t)1 << 28)
        return NULL;
    size_t cap = 4 * ((n + 2) / 3) + 1;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

unsigned char *cog_base64_decode(const char *in, size_t in_len, size_t *out_len)
{
    unsigned char *buf = NULL;
    unsigned char *out = NULL;
    size_t padded, stripped = 0;

    if (in == NULL || in_len > (size_t)1 << 28)
        goto out;
    /* Normalise url-safe input and padding into a scratch copy EVP can read. */
    padded = in_len + 4;
    buf = malloc(padded + 1);
    if (buf == NULL)
        goto out;
    size_t j = 0;
    for (size_t i = 0; i < in_len; i++) {
        char c = in[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '=') {
            stripped++;
            continue;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/'))
            goto out;
        if (stripped > 0) /* data after padding */
            goto out;
        buf[j++] = (unsigned char)c;
    }
    if (j % 4 == 1 || stripped > 2)
        goto out;
    size_t pad = (4 - j % 4) % 4;
    for (size_t i = 0; i < pad; i++)
        buf[j++] = '=';
    buf[j] = '\0';
    out = malloc(j / 4 * 3 + 1);
    if (out == NULL)
        goto out;
    int n = EVP_DecodeBlock(out, buf, (int)j);
    if (n < 0) {
        free(out);
        out = NULL;
        goto out;
    }
    *out_len = (size_t)n - pad;
    out[*out_len] = '\0';
out:
    if (buf != NULL) {
        cog_wipe(buf, padded + 1);
        free(buf);
    }
    return out;
}

int cog_mkdir_mode(const char *path, unsigned mode)
{
    /* Made private first, then opened without following a link and given
     * its mode: never wider than asked for, not even for a moment. */
    if (mkdir(path, 0700) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fchmod(fd, (mode_t)mode);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

long long cog_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cog_status cog_text_copy(const char *text, size_t len, const char *origin, char **copy,
                         struct cog_error *err)
{
    *copy = NULL;
    if (memchr(text, '\0', len) != NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: contains a NUL byte", origin);
    *copy = malloc(len + 1);
    if (*copy == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    memcpy(*copy, text, len);
    (*copy)[len] = '\0';
    return COG_OK;
}

cog_status cog_read_trusted_file(const char *path, size_t max_size, char **buf, size_t *len,
                                 unsigned *mode, struct cog_error *err)
{
    cog_status st = COG_OK;
    int fd = -1;
    char *data = NULL;
    size_t got = 0;
    struct stat sb;

    *buf = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    if (fd < 0) {
        st = cog_error_set(err, errno == ENOENT ? COG_ERR_INVALID_INPUT : COG_ERR_CONFIG, NULL,
                           "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: not a regular file", path);
        goto out;
    }
    /* Whoever can write this file decides who logs in. */
    uid_t me = geteuid();
    if (sb.st_uid != 0 && (me == 0 || sb.st_uid != me)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: must be owned by root", path);
        goto out;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: is writable by group or others (chmod go-w)", path);
        goto out;
    }
    if ((size_t)sb.st_size > max_size) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: larger than %zu bytes", path, max_size);
        goto out;
    }
    data = malloc((size_t)sb.st_size + 1);
    if (data == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, data + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: read error: %s", path,
                               strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    data[got] = '\0';
    *buf = data;
    *len = got;
    if (mode != NULL)
        *mode = (unsigned)sb.st_mode & 07777;
    data = NULL;
out:
    if (data != NULL) {
        cog_wipe(data, got);
        free(data);
    }
    if (fd >= 0)
        close(fd);
    return st;
}

cog_status cog_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                 struct cog_error *err)
{
    cog_status st = COG_OK;
    char *tmp = NULL;
    int fd = -1;

    if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
        tmp = NULL;
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        st =
            cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    if (fchmod(fd, (mode_t)mode) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: chmod: %s", tmp, strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: write: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
out:
    if (fd >= 0)
        close(fd);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    return st;
}
