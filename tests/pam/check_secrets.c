/* Secrets stay where they belong: logins with `debug` on through the real
 * Linux-PAM stack (pam_wrapper), by SRP and by USER_PASSWORD_AUTH, with an
 * SMS code, a TOTP code and a new password; then a search for the
 * passwords, the codes, the TOTP key and any JWT (tokens begin "eyJ") in:
 *   - everything the module logged (pam_wrapper prints pam_syslog lines,
 *     LOG_DEBUG included, on stderr: PAM_WRAPPER_DEBUGLEVEL=2),
 *   - every file in cache_dir and state_dir,
 *   - /proc/self/environ, /proc/self/cmdline and the PAM environment of
 *     the process that logged in, before pam_end.
 * The log and file searches have a control that shows they look where
 * they say: the log names the login, a cache file names the user. */
#include "build-config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <security/pam_appl.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"
#include "tests/totp.h"

/* Values no log line or file holds by chance. */
#define PW "Pw-Secret-7f3a9!"
#define NEW_PW "Nw-Secret-1b2c8!"
#define TOTP_SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#define LIMIT_MS 30000

static struct mock mock;

/* -- searching ----------------------------------------------------------------------- */

#define MAX_SECRETS 128
static struct {
    const char *text; /* the constant, or copy */
    char copy[16];    /* a code */
    bool digits_only; /* a code: found only between non-digits */
} secrets[MAX_SECRETS];
static size_t n_secrets;

static void add_secret(const char *text)
{
    for (size_t i = 0; i < n_secrets; i++) {
        if (strcmp(secrets[i].text, text) == 0)
            return;
    }
    ck_assert_uint_lt(n_secrets, MAX_SECRETS);
    if (text[0] != '\0') {
        /* Passwords stay this program's constants; codes are copied. */
        if (strlen(text) < sizeof(secrets[0].copy)) {
            snprintf(secrets[n_secrets].copy, sizeof(secrets[0].copy), "%s", text);
            secrets[n_secrets].text = secrets[n_secrets].copy;
        } else {
            secrets[n_secrets].text = text;
        }
        secrets[n_secrets].digits_only = strspn(text, "0123456789") == strlen(text);
        n_secrets++;
    }
}

static bool isdigit_at(const char *p, const char *lo, const char *hi)
{
    return p >= lo && p < hi && *p >= '0' && *p <= '9';
}

static bool base64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* "eyJ..." "." "eyJ": a JWT's header and payload (base64url of '{"'), not
 * three letters a base64 key happens to hold. */
static bool holds_jwt(const char *buf, size_t len)
{
    const char *end = buf + len;
    for (const char *p = buf; (p = memmem(p, (size_t)(end - p), "eyJ", 3)) != NULL; p++) {
        const char *q = p + 3;
        while (q < end && base64url(*q))
            q++;
        if (end - q >= 4 && memcmp(q, ".eyJ", 4) == 0)
            return true;
    }
    return false;
}

/* The first secret (or JWT) in buf, or NULL. */
static const char *find_secret(const char *buf, size_t len, bool jwt)
{
    for (size_t i = 0; i < n_secrets; i++) {
        const char *t = secrets[i].text;
        size_t n = strlen(t);
        for (const char *p = buf; (p = memmem(p, len - (size_t)(p - buf), t, n)) != NULL; p++) {
            if (!secrets[i].digits_only ||
                (!isdigit_at(p - 1, buf, buf + len) && !isdigit_at(p + n, buf, buf + len)))
                return t;
        }
    }
    if (jwt && holds_jwt(buf, len))
        return "a JWT";
    return NULL;
}

static char *read_all(const char *path, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    for (;;) {
        if (n + 4096 > cap) {
            char *p = realloc(buf, cap = cap * 2 + 8192);
            if (p == NULL)
                break;
            buf = p;
        }
        ssize_t k = read(fd, buf + n, cap - n - 1);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    close(fd);
    if (buf != NULL)
        buf[n] = '\0';
    *len = n;
    return buf;
}

/* Every regular file under dir: a secret or JWT in one fails the test.
 * The one place tokens belong is the session store (state_dir/sessions):
 * they cross there from the auth phase to the session phase (pam_cognito(8),
 * THE SESSION), so JWTs are allowed in it, but only in files no one but
 * root can read, in a directory no one else can enter; passwords and codes
 * are no more allowed there than anywhere else. Returns how many files
 * were read. */
static int search_dir(const char *dir, const char *needle, bool *needle_seen, bool tokens_ok)
{
    int files = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            bool store = tokens_ok || strcmp(e->d_name, "sessions") == 0;
            ck_assert_msg(!store || (st.st_mode & 0077) == 0, "%s is mode %o", path,
                          (unsigned)(st.st_mode & 07777));
            files += search_dir(path, needle, needle_seen, store);
            continue;
        }
        ck_assert_msg(!tokens_ok || (st.st_mode & 0077) == 0, "%s is mode %o", path,
                      (unsigned)(st.st_mode & 07777));
        size_t len = 0;
        char *buf = read_all(path, &len);
        ck_assert_msg(buf != NULL, "cannot read %s", path);
        const char *found = find_secret(buf, len, !tokens_ok);
        ck_assert_msg(found == NULL, "%s holds %s", path, found);
        if (needle != NULL && memmem(buf, len, needle, strlen(needle)) != NULL)
            *needle_seen = true;
        free(buf);
        files++;
    }
    closedir(d);
    return files;
}

/* -- looking at the process that logged in ---------------------------------------------- */

/* What the inspection found, written by the child for the parent. */
static void report(const char *where, const char *what)
{
    FILE *f = fopen(ph_path("inspect.txt"), "a");
    if (f != NULL) {
        fprintf(f, "%s holds %s\n", where, what);
        fclose(f);
    }
}

/* Searches the heap and anonymous writable mappings for the passwords;
 * returns whether one was found (what in *found). */
static void inspect(pam_handle_t *pamh, const struct pr_script *s)
{
    const char *found = NULL;
    size_t len = 0;

    (void)s;
    /* Called before pam_end only: what the process shows of itself while
     * the transaction is open. */
    if (pamh == NULL)
        return;
    static const char *const files[] = {"/proc/self/environ", "/proc/self/cmdline"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *buf = read_all(files[i], &len);
        if (buf != NULL && (found = find_secret(buf, len, true)) != NULL)
            report(files[i], found);
        free(buf);
    }
    char **env = pam_getenvlist(pamh);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        if (find_secret(env[i], strlen(env[i]), true) != NULL)
            report("the PAM environment", "a secret");
        free(env[i]);
    }
    free(env);
}

/* -- the logins ------------------------------------------------------------------------ */

struct login {
    const char *service, *user;
    int ops;
};

static void run_login(const struct login *l, const char *log)
{
    struct pr_result r;
    struct pr_script script = {
        .mock = &mock,
        .user = l->user,
        .password = PW,
        .new_password = NEW_PW,
        .totp_secret = TOTP_SECRET,
        .inspect = inspect,
    };
    char code[16];

    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    /* The TOTP codes of the minutes around the login. */
    for (int d = -1; d <= 1; d++) {
        if (test_totp(TOTP_SECRET, time(NULL) + d * 30, code))
            add_secret(code);
    }
    pr_run(l->service, l->user, &script, l->ops, 0, LIMIT_MS, &r);
    for (int d = -1; d <= 1; d++) {
        if (test_totp(TOTP_SECRET, time(NULL) + d * 30, code))
            add_secret(code);
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_msg(r.rc == PAM_SUCCESS, "%s via %s: %s\n%s", l->user, l->service, pr_code_name(r.rc),
                  r.transcript);
}

/* Every code the mock sent a user. */
static void add_codes(const char *user)
{
    char path[64], *body = NULL;
    struct json_object *o = NULL, *msgs = NULL;
    snprintf(path, sizeof(path), "/_mock/codes/%s", user);
    ck_assert_int_eq(mock_control(&mock, "GET", path, NULL, &body), 200);
    o = json_tokener_parse(body);
    ck_assert(json_object_object_get_ex(o, "messages", &msgs));
    for (size_t i = 0; i < json_object_array_length(msgs); i++) {
        struct json_object *code = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(msgs, i), "code", &code))
            add_secret(json_object_get_string(code));
    }
    ck_assert_uint_gt(json_object_array_length(msgs), 0);
    json_object_put(o);
    free(body);
}

START_TEST(test_secrets)
{
    static const struct login logins[] = {
        {"secrets", "alice", PR_AUTH | PR_ACCT}, {"secrets_pw", "alice", PR_AUTH | PR_ACCT},
        {"secrets", "sam", PR_AUTH | PR_ACCT},   {"secrets", "tom", PR_AUTH | PR_ACCT},
        {"secrets", "fran", PR_AUTH | PR_ACCT},
    };
    char log[PATH_MAX], cache[PATH_MAX];
    size_t len = 0;

    add_secret(PW);
    add_secret(NEW_PW);
    add_secret(TOTP_SECRET);
    /* The users come from a seed file written from this program's
     * constants, so no buffer of the test's own holds the password. */
    static const char seed[] =
        "{\"users\": [{\"username\":\"alice\",\"password\":\"" PW "\"},"
        "{\"username\":\"sam\",\"password\":\"" PW "\",\"mfa_settings\":[\"SMS_MFA\"],"
        "\"attributes\":{\"phone_number\":\"+15555551111\"}},"
        "{\"username\":\"tom\",\"password\":\"" PW "\","
        "\"mfa_settings\":[\"SOFTWARE_TOKEN_MFA\"],\"totp_secret\":\"" TOTP_SECRET "\"},"
        "{\"username\":\"fran\",\"password\":\"" PW "\","
        "\"status\":\"FORCE_CHANGE_PASSWORD\"}]}";
    char seed_path[PATH_MAX];
    snprintf(seed_path, sizeof(seed_path), "%s", ph_path("seed.json"));
    int fd = open(seed_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, seed, sizeof(seed) - 1), (ssize_t)(sizeof(seed) - 1));
    close(fd);
    const char *const args[] = {"--seed", seed_path, NULL};
    mock_start(&mock, args, NULL);
    mock_write_config(&mock, ph_path("cognito.conf"), NULL);
    snprintf(log, sizeof(log), "%s", ph_path("module.log"));
    setenv("PAM_WRAPPER_DEBUGLEVEL", "2", 1);
    for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++)
        run_login(&logins[i], log);
    unsetenv("PAM_WRAPPER_DEBUGLEVEL");
    add_codes("sam");

    /* What the module logged. */
    char *text = read_all(log, &len);
    ck_assert_ptr_nonnull(text);
    const char *found = find_secret(text, len, true);
    bool control = strstr(text, "Cognito login of fran") != NULL;
    if (found != NULL || !control)
        printf("the module's log:\n%s\n", text);
    ck_assert_msg(control, "control: no debug line in the module's log");
    ck_assert_msg(found == NULL, "the module's log holds %s", found);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "SYSLOG(")) != NULL; p++)
        lines++;
    free(text);

    /* What the processes that logged in held. */
    char *seen = read_all(ph_path("inspect.txt"), &len);
    ck_assert_msg(seen == NULL || len == 0, "%s", seen);
    free(seen);

    /* Every file the module keeps. */
    bool user_seen = false;
    snprintf(cache, sizeof(cache), "%s/cache", mock.dir);
    int files = search_dir(cache, "fran", &user_seen, false);
    ck_assert_msg(user_seen, "control: no cache file names fran");
    files += search_dir(ph_path("state"), NULL, NULL, false);
    ck_assert_int_ge(files, 3);

    printf("\nsecrets: %zu logins with debug; %zu secrets (passwords, codes, TOTP key) and JWTs "
           "searched for in %d log lines, %d files, environ, cmdline and the PAM environment: "
           "none found\n",
           sizeof(logins) / sizeof(logins[0]), n_secrets, lines, files);
    mock_stop(&mock);
}
END_TEST

static void write_services(void)
{
    ph_service("secrets", "auth required @MODULE@ @ARGS@ debug\n"
                          "account required @MODULE@ @ARGS@ debug\n");
    ph_service("secrets_pw", "auth required @MODULE@ @ARGS@ debug auth_flow=USER_PASSWORD_AUTH\n"
                             "account required @MODULE@ @ARGS@ debug\n");
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("secrets");
    TCase *tc = tcase_create("debug");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_secrets);
    suite_add_tcase(s, tc);
    return test_main(s);
}
