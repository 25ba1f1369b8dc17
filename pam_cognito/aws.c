#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "libcognito/core/util.h"
#include "pam_cognito/aws.h"

/* ~/.aws/config files are small; a huge one is not ours to rewrite. */
#define AWS_CONFIG_MAX (256 * 1024)
#define CAT "/bin/cat"

static cog_status nomem(struct cog_error *err)
{
    return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

/* NAME=value into the PAM environment; the copy made here is wiped. */
static cog_status put(pam_handle_t *pamh, const char *name, const char *value,
                      struct cog_error *err)
{
    char *pair = NULL;
    int n = asprintf(&pair, "%s=%s", name, value);
    if (n < 0)
        return nomem(err);
    int rc = pam_putenv(pamh, pair);
    cog_wipe(pair, (size_t)n);
    free(pair);
    return rc == PAM_SUCCESS ? COG_OK
                             : cog_error_set(err, COG_ERR_INTERNAL, NULL, "pam_putenv %s: %s", name,
                                             pam_strerror(pamh, rc));
}

static cog_status export_env(pam_handle_t *pamh, const struct cog_config *cfg,
                             const struct cog_identity_credentials *c, struct cog_error *err)
{
    char when[COG_ISO8601_MAX], region[40];
    cog_status st;

    cog_iso8601(c->expiration, when);
    cog_config_identity_region(cfg, region, sizeof(region));
    /* AWS_DEFAULT_REGION too: the AWS CLI v1 reads only that one. */
    if ((st = put(pamh, "AWS_ACCESS_KEY_ID", c->aws.access_key_id, err)) != COG_OK ||
        (st = put(pamh, "AWS_SECRET_ACCESS_KEY", c->aws.secret_access_key, err)) != COG_OK ||
        (st = put(pamh, "AWS_SESSION_TOKEN", c->aws.session_token, err)) != COG_OK ||
        (st = put(pamh, "AWS_REGION", region, err)) != COG_OK ||
        (st = put(pamh, "AWS_DEFAULT_REGION", region, err)) != COG_OK)
        return st;
    return put(pamh, "AWS_CREDENTIAL_EXPIRATION", when, err);
}

/* The user's entry, copied (getpwnam's buffer is shared). */
static cog_status user_entry(const char *user, struct passwd *pw, char **buf, struct cog_error *err)
{
    struct passwd *found = NULL;
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t len = size > 0 ? (size_t)size : 16384;

    *buf = malloc(len);
    if (*buf == NULL)
        return nomem(err);
    if (getpwnam_r(user, pw, *buf, len, &found) != 0 || found == NULL) {
        free(*buf);
        *buf = NULL;
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s has no passwd entry", user);
    }
    return COG_OK;
}

static char *credentials_path(const struct cog_config *cfg, uid_t uid)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%lu.json", cfg->aws_credentials_dir, (unsigned long)uid) < 0)
        return NULL;
    return path;
}

/* aws_credentials_dir: root's, writable by root alone, so nobody can put a
 * link where root writes. Made 0755 if missing: each file is 0600. */
static cog_status credentials_dir(const char *dir, struct cog_error *err)
{
    struct stat sb;
    if (cog_mkdir_mode(dir, 0755) != 0 && errno != EEXIST)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", dir,
                             strerror(errno));
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
        (sb.st_mode & 022) != 0)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "%s: must be a directory only root can write", dir);
    return COG_OK;
}

/* The credential_process JSON, mode 0600, atomically, then given to the
 * user: in a directory only root writes, nobody can swap the name between. */
static cog_status write_credentials(const char *path, const struct passwd *pw,
                                    const struct cog_identity_credentials *c, struct cog_error *err)
{
    cog_status st;
    char *json = cog_identity_credentials_json(c);

    if (json == NULL)
        return nomem(err);
    st = cog_write_file_atomic(path, json, strlen(json), 0600, err);
    if (st == COG_OK && chown(path, pw->pw_uid, pw->pw_gid) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", path, strerror(errno));
        unlink(path);
    }
    cog_free_secret(json);
    return st;
}

/* Where the section of a profile starts and ends in text: the header line
 * ("[profile NAME]", or "[default]") to the next header. */
static bool find_section(const char *text, const char *header, size_t *start, size_t *end)
{
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *p = line;
        while (p < line + len && (*p == ' ' || *p == '\t'))
            p++;
        size_t rest = (size_t)(line + len - p);
        while (rest > 0 && (p[rest - 1] == ' ' || p[rest - 1] == '\t' || p[rest - 1] == '\r'))
            rest--;
        if (rest == strlen(header) && strncmp(p, header, rest) == 0) {
            *start = (size_t)(line - text);
            const char *next = eol ? eol + 1 : line + len;
            while (*next != '\0') {
                const char *q = next;
                while (*q == ' ' || *q == '\t')
                    q++;
                if (*q == '[')
                    break;
                const char *nl = strchr(next, '\n');
                next = nl ? nl + 1 : next + strlen(next);
            }
            *end = (size_t)(next - text);
            return true;
        }
        line = eol ? eol + 1 : line + len;
    }
    return false;
}

/* text with the profile's section replaced by section (or added at the
 * end); malloc'd. */
static char *with_profile(const char *text, const char *header, const char *section)
{
    size_t start, end, n = strlen(text);
    char *out = NULL;
    if (find_section(text, header, &start, &end)) {
        if (asprintf(&out, "%.*s%s%s", (int)start, text, section, text + end) < 0)
            return NULL;
        return out;
    }
    const char *sep = n == 0 ? "" : text[n - 1] == '\n' ? "\n" : "\n\n";
    if (asprintf(&out, "%s%s%s", text, sep, section) < 0)
        return NULL;
    return out;
}

/* Reads ~/.aws/config (may be missing) without following a link. */
static cog_status read_config(int dfd, char **text, mode_t *mode, struct cog_error *err)
{
    struct stat sb;
    size_t got = 0;
    int fd = openat(dfd, "config", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    *text = NULL;
    *mode = 0600;
    if (fd < 0 && errno == ENOENT) {
        *text = strdup("");
        return *text ? COG_OK : nomem(err);
    }
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > AWS_CONFIG_MAX) {
        if (fd >= 0)
            close(fd);
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "~/.aws/config is a link, not a file, or too large: left alone");
    }
    *mode = sb.st_mode & 0777;
    *text = malloc((size_t)sb.st_size + 1);
    while (*text != NULL && got < (size_t)sb.st_size) {
        ssize_t r = read(fd, *text + got, (size_t)sb.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (*text == NULL)
        return nomem(err);
    (*text)[got] = '\0';
    return COG_OK;
}

/* Writes the profile into ~/.aws/config. Runs as the user: whatever links
 * the user made lead only where the user may write anyway. */
static cog_status write_profile(const struct cog_config *cfg, const struct passwd *pw,
                                const char *cred_path, struct cog_error *err)
{
    cog_status st = COG_OK;
    char *dir = NULL, *old = NULL, *new = NULL, *header = NULL, *section = NULL, *path = NULL;
    char region[40];
    int dfd = -1;
    mode_t mode;
    struct stat sb;

    cog_config_identity_region(cfg, region, sizeof(region));
    bool is_default = strcmp(cfg->aws_profile, "default") == 0;
    if (asprintf(&dir, "%s/.aws", pw->pw_dir) < 0 ||
        asprintf(&header, is_default ? "[%s]" : "[profile %s]", cfg->aws_profile) < 0 ||
        asprintf(&section,
                 "%s\n# pam_cognito: this login's AWS credentials; rewritten at each login\n"
                 "credential_process = " CAT " %s\nregion = %s\n\n",
                 header, cred_path, region) < 0) {
        st = nomem(err);
        goto out;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", dir, strerror(errno));
        goto out;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || fstat(dfd, &sb) != 0 || sb.st_uid != pw->pw_uid) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s is a link or not the user's: left alone",
                           dir);
        goto out;
    }
    if ((st = read_config(dfd, &old, &mode, err)) != COG_OK)
        goto out;
    if ((new = with_profile(old, header, section)) == NULL) {
        st = nomem(err);
        goto out;
    }
    if (strcmp(old, new) == 0)
        goto out;
    if (asprintf(&path, "%s/config", dir) < 0) {
        path = NULL;
        st = nomem(err);
        goto out;
    }
    st = cog_write_file_atomic(path, new, strlen(new), mode, err);
out:
    if (dfd >= 0)
        close(dfd);
    free(path);
    free(dir);
    free(old);
    free(new);
    free(header);
    free(section);
    return st;
}

static cog_status export_file(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                              const struct cog_identity_credentials *c, struct cog_error *err)
{
    struct passwd pw;
    char *buf = NULL, *path = NULL;
    cog_status st = user_entry(user, &pw, &buf, err);

    if (st != COG_OK)
        goto out;
    if ((path = credentials_path(cfg, pw.pw_uid)) == NULL) {
        st = nomem(err);
        goto out;
    }
    if ((st = credentials_dir(cfg->aws_credentials_dir, err)) != COG_OK ||
        (st = write_credentials(path, &pw, c, err)) != COG_OK)
        goto out;
    PAM_MODUTIL_DEF_PRIVS(privs);
    if (pam_modutil_drop_priv(pamh, &privs, &pw) != 0) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "cannot act as %s", user);
        goto out;
    }
    struct cog_error profile_err = {0};
    /* The credentials are in place; a profile we may not write costs the
     * convenience, not the credentials. */
    if (write_profile(cfg, &pw, path, &profile_err) != COG_OK)
        pam_syslog(pamh, LOG_NOTICE, "no profile %s for %s: %s", cfg->aws_profile, user,
                   profile_err.message);
    if (pam_modutil_regain_priv(pamh, &privs) != 0) {
        /* Nothing more may run as a half-dropped root. */
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "cannot regain privileges");
    }
out:
    free(path);
    free(buf);
    return st;
}

cog_status pc_aws_export(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user,
                         const struct cog_identity_credentials *c, struct cog_error *err)
{
    cog_status st = COG_OK;
    switch (cfg->aws_credentials) {
    case COG_AWS_ENV:
        st = export_env(pamh, cfg, c, err);
        break;
    case COG_AWS_FILE:
        st = export_file(pamh, cfg, user, c, err);
        break;
    case COG_AWS_OFF:
        break;
    }
    if (st == COG_OK)
        pc_debug(pamh, args, "AWS credentials of %s (%s) until %lld", user, c->identity_id,
                 c->expiration);
    return st;
}

void pc_aws_forget(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                   const char *key_id)
{
    struct passwd pw;
    struct cog_error err;
    struct stat sb;
    char *buf = NULL, *path = NULL, *text = NULL;
    ssize_t got = 0;
    int fd = -1;

    if (cfg->aws_credentials != COG_AWS_FILE || key_id == NULL ||
        user_entry(user, &pw, &buf, &err) != COG_OK ||
        (path = credentials_path(cfg, pw.pw_uid)) == NULL)
        goto out;
    /* The user owns the file and may have changed it: only its key counts. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > 64 * 1024 ||
        (text = calloc(1, (size_t)sb.st_size + 1)) == NULL)
        goto out;
    got = read(fd, text, (size_t)sb.st_size);
    if (got == sb.st_size && strstr(text, key_id) != NULL && unlink(path) != 0)
        pam_syslog(pamh, LOG_ERR, "cannot remove %s: %s", path, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (text != NULL) {
        cog_wipe(text, (size_t)sb.st_size);
        free(text);
    }
    free(path);
    free(buf);
}
