#include "build-config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "tests/pamharness.h"
#include "tests/totp.h"

#define ENV_DIR "COGNITO_PAMTEST_DIR"

const char *ph_dir(void)
{
    const char *d = getenv(ENV_DIR);
    return d ? d : "";
}

const char *ph_path(const char *leaf)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s/%s", ph_dir(), leaf);
    return buf;
}

/* Setup runs before any Check test: no ck_assert (it needs a running test). */
static void die(const char *what)
{
    fprintf(stderr, "pam harness: %s\n", what);
    exit(99);
}

/* Replaces every `from` in text by `to` (at most a few, in a bounded buffer). */
static void replace(char *text, size_t cap, const char *from, const char *to)
{
    char *at;
    while ((at = strstr(text, from)) != NULL) {
        size_t tail = strlen(at + strlen(from));
        if (strlen(text) - strlen(from) + strlen(to) >= cap)
            die("service text too long");
        memmove(at + strlen(to), at + strlen(from), tail + 1);
        memcpy(at, to, strlen(to));
    }
}

void ph_service(const char *name, const char *text)
{
    char body[8192], module[PATH_MAX], args[2 * PATH_MAX], path[PATH_MAX];
    const char *top = getenv("top_builddir");

    snprintf(module, sizeof(module), "%s/pam_cognito/.libs/pam_cognito.so", top ? top : ".");
    snprintf(args, sizeof(args),
             "config=%s/cognito.conf state_dir=%s/state private_dir=%s/private "
             "aws_credentials_dir=%s/aws",
             ph_dir(), ph_dir(), ph_dir(), ph_dir());
    snprintf(body, sizeof(body), "%s", text);
    replace(body, sizeof(body), "@MODULE@", module);
    replace(body, sizeof(body), "@ARGS@", args);
    snprintf(path, sizeof(path), "%s/pam.d/%s", ph_dir(), name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("cannot write a service file");
    fputs(body, f);
    fclose(f);
}

/* The sanitizer runtime this program runs with, which must come before
 * pam_wrapper in LD_PRELOAD. */
static void asan_runtime(char *out, size_t len)
{
    char line[PATH_MAX + 128];
    FILE *maps = fopen("/proc/self/maps", "r");
    out[0] = '\0';
    while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
        char *path = strchr(line, '/');
        if (path != NULL && strstr(path, "/libasan.so") != NULL) {
            path[strcspn(path, "\n")] = '\0';
            snprintf(out, len, "%s", path);
            break;
        }
    }
    if (maps != NULL)
        fclose(maps);
}

/* pam_wrapper's own start-up strdup()s are never freed: not ours to report. */
static void lsan_suppress_pam_wrapper(const char *dir)
{
    char path[PATH_MAX + 16], opts[2 * PATH_MAX + 64];
    const char *old = getenv("LSAN_OPTIONS");
    snprintf(path, sizeof(path), "%s/lsan.supp", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("cannot write the leak suppressions");
    fputs("leak:libpam_wrapper.so\n", f);
    fclose(f);
    snprintf(opts, sizeof(opts), "%s%ssuppressions=%s", old ? old : "", old ? ":" : "", path);
    setenv("LSAN_OPTIONS", opts, 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* This program again, or under COGNITO_PAMTEST_RUNNER ("valgrind --opt ..."). */
static void exec_self(char **argv)
{
    char self[PATH_MAX], runner[1024];
    char *args[64];
    int n = 0;
    const char *r = getenv("COGNITO_PAMTEST_RUNNER");
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (len <= 0)
        return;
    self[len] = '\0';
    if (r != NULL && *r != '\0') {
        snprintf(runner, sizeof(runner), "%s", r);
        for (char *tok = strtok(runner, " "); tok != NULL && n < 32; tok = strtok(NULL, " "))
            args[n++] = tok;
    }
    args[n++] = self;
    for (int i = 1; argv[i] != NULL && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    execvp(args[0], args);
}

static const char *extra_preload = "";

void ph_also_preload(const char *lib)
{
    extra_preload = lib;
}

void ph_run_wrapped(char **argv, void (*write_services)(void))
{
    char dir[PATH_MAX], pamd[PATH_MAX + 8], preload[PATH_MAX + 64], asan[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    int status = 0;

    if (getenv("PAM_WRAPPER") != NULL && getenv(ENV_DIR) != NULL) {
        /* Loaded; the programs this one starts (the mock) do without. */
        unsetenv("LD_PRELOAD");
        return;
    }
    snprintf(dir, sizeof(dir), "%s/cognito-pam-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(99);
    }
    /* The state dir must be private, as /run/cognito would be. */
    chmod(dir, 0700);
    snprintf(pamd, sizeof(pamd), "%s/pam.d", dir);
    mkdir(pamd, 0755);
    setenv(ENV_DIR, dir, 1);
    write_services();

    asan_runtime(asan, sizeof(asan));
    snprintf(preload, sizeof(preload), "%s%slibpam_wrapper.so%s%s", asan, asan[0] ? " " : "",
             extra_preload[0] ? " " : "", extra_preload);
    if (asan[0] != '\0')
        lsan_suppress_pam_wrapper(dir);
    setenv("LD_PRELOAD", preload, 1);
    setenv("PAM_WRAPPER", "1", 1);
    /* ASan refuses RTLD_DEEPBIND, with which pam_wrapper loads libpam; it
     * looks for libasan in LD_PRELOAD, which the wrapped program clears, and
     * (1.1.4) reads its switch under uid_wrapper's name. */
    setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
    setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1);
    setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1);
    setenv("PAM_WRAPPER_SERVICE_DIR", pamd, 1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(99);
    }
    if (pid == 0) {
        exec_self(argv);
        perror("exec");
        _exit(99);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (getenv("COGNITO_KEEP_TMP") == NULL)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    exit(WIFEXITED(status) ? WEXITSTATUS(status) : 99);
}

void ph_latest_code(const struct mock *m, const char *user, const char *kind, char out[16])
{
    char path[256];
    char *body = NULL;
    struct json_object *o = NULL, *latest = NULL, *code = NULL;

    out[0] = '\0';
    snprintf(path, sizeof(path), "/_mock/codes/%s", user);
    ck_assert_int_eq(mock_control(m, "GET", path, NULL, &body), 200);
    o = json_tokener_parse(body);
    if (json_object_object_get_ex(o, "latest", &latest) &&
        json_object_object_get_ex(latest, kind, &code))
        snprintf(out, 16, "%s", json_object_get_string(code));
    json_object_put(o);
    free(body);
}

#define note(s, ...) test_appendf((s)->transcript, sizeof((s)->transcript), __VA_ARGS__)

static int script_fail(struct ph_script *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int script_fail(struct ph_script *s, const char *fmt, ...)
{
    va_list ap;
    if (!s->failed) {
        va_start(ap, fmt);
        vsnprintf(s->why, sizeof(s->why), fmt, ap);
        va_end(ap);
        s->failed = true;
    }
    return PAM_CONV_ERR;
}

static const char *style_name(int style)
{
    switch (style) {
    case PAM_PROMPT_ECHO_OFF:
        return "ECHO_OFF";
    case PAM_PROMPT_ECHO_ON:
        return "ECHO_ON";
    case PAM_TEXT_INFO:
        return "INFO";
    case PAM_ERROR_MSG:
        return "ERROR";
    default:
        return "?";
    }
}

/* Only the QR code's cells and line ends. */
static bool is_qr_text(const char *text)
{
    static const char *const cells[] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88", "\n"};
    while (*text) {
        size_t k = 0;
        for (; k < sizeof(cells) / sizeof(cells[0]); k++) {
            if (strncmp(text, cells[k], strlen(cells[k])) == 0)
                break;
        }
        if (k == sizeof(cells) / sizeof(cells[0]))
            return false;
        text += strlen(cells[k]);
    }
    return true;
}

static void keep_qr(struct ph_script *s, const char *text)
{
    size_t old = s->qr ? strlen(s->qr) : 0;
    char *qr = realloc(s->qr, old + strlen(text) + 2);
    ck_assert_ptr_nonnull(qr);
    if (old > 0)
        qr[old++] = '\n';
    strcpy(qr + old, text);
    s->qr = qr;
}

/* "Or open this link on the device with the app:\n<uri>\nOr type this key
 * into the app: ABCD EFGH ..." */
static bool keep_secret(struct ph_script *s, const char *text)
{
    static const char head[] = "Or open this link on the device with the app:\n";
    static const char key[] = "\nOr type this key into the app: ";
    const char *k = strstr(text, key);
    if (strncmp(text, head, strlen(head)) != 0 || k == NULL)
        return false;
    size_t ulen = (size_t)(k - text) - strlen(head);
    if (ulen >= sizeof(s->shown_uri))
        return false;
    memcpy(s->shown_uri, text + strlen(head), ulen);
    s->shown_uri[ulen] = '\0';
    size_t n = 0;
    for (const char *p = k + strlen(key); *p && n + 1 < sizeof(s->shown_secret); p++) {
        if (*p != ' ')
            s->shown_secret[n++] = *p;
    }
    s->shown_secret[n] = '\0';
    return true;
}

/* A TOTP code no window around now accepts. */
static void wrong_totp(const char *secret, char out[7])
{
    char near[3][7];
    time_t now = time(NULL);
    for (int i = 0; i < 3; i++)
        ck_assert(test_totp(secret, now + (i - 1) * 30, near[i]));
    for (unsigned v = 0;; v++) {
        snprintf(out, 7, "%06u", (unsigned)((strtoul(near[1], NULL, 10) + 1 + v) % 1000000u));
        if (strcmp(out, near[0]) && strcmp(out, near[1]) && strcmp(out, near[2]))
            return;
    }
}

static int answer(struct ph_script *s, const struct ph_turn *t, char **out)
{
    char buf[64] = "";
    switch (t->from) {
    case PH_TEXT:
        snprintf(buf, sizeof(buf), "%s", t->answer ? t->answer : "");
        break;
    case PH_CODE:
    case PH_WRONG_CODE: {
        char code[16];
        ph_latest_code(s->mock, s->user, t->answer, code);
        if (code[0] == '\0')
            return script_fail(s, "no %s code was sent to %s", t->answer, s->user);
        if (t->from == PH_CODE)
            snprintf(buf, sizeof(buf), "%s", code);
        else
            snprintf(buf, sizeof(buf), "%06lu", (strtoul(code, NULL, 10) + 1) % 1000000ul);
        break;
    }
    case PH_TOTP:
        if (!test_totp(s->totp_secret, time(NULL), buf))
            return script_fail(s, "bad TOTP secret in the script");
        break;
    case PH_WRONG_TOTP:
        wrong_totp(s->totp_secret, buf);
        break;
    case PH_TOTP_SHOWN:
        if (!test_totp(s->shown_secret, time(NULL), buf))
            return script_fail(s, "the module showed no usable key ('%s')", s->shown_secret);
        break;
    case PH_FAIL:
        note(s, "    <- (conversation fails)\n");
        return PAM_CONV_ERR;
    }
    note(s, "    <- '%s'\n", buf);
    *out = strdup(buf);
    return *out ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int one_message(struct ph_script *s, const struct pam_message *m, char **out)
{
    note(s, "%s '%s'\n", style_name(m->msg_style), m->msg);
    const struct ph_turn *t = s->pos < s->n ? &s->turns[s->pos] : NULL;
    /* A QR code comes in as many messages as it takes. */
    if (t != NULL && t->match == PH_QR && m->msg_style == PAM_TEXT_INFO && is_qr_text(m->msg)) {
        keep_qr(s, m->msg);
        return PAM_SUCCESS;
    }
    if (t != NULL && t->match == PH_QR) {
        if (s->qr == NULL)
            return script_fail(s, "turn %zu: expected a QR code, got %s '%s'", s->pos,
                               style_name(m->msg_style), m->msg);
        t = ++s->pos < s->n ? &s->turns[s->pos] : NULL;
    }
    if (t == NULL)
        return script_fail(s, "unexpected %s '%s' after the script's end", style_name(m->msg_style),
                           m->msg);
    if (m->msg_style != t->style)
        return script_fail(s, "turn %zu: expected %s '%s', got %s '%s'", s->pos,
                           style_name(t->style), t->text ? t->text : "", style_name(m->msg_style),
                           m->msg);
    if (t->match == PH_SECRET ? !keep_secret(s, m->msg) : strcmp(m->msg, t->text) != 0)
        return script_fail(s, "turn %zu: expected %s '%s', got '%s'", s->pos, style_name(t->style),
                           t->text ? t->text : "(link and key)", m->msg);
    s->pos++;
    if (m->msg_style == PAM_PROMPT_ECHO_OFF || m->msg_style == PAM_PROMPT_ECHO_ON)
        return answer(s, t, out);
    return PAM_SUCCESS;
}

static int script_conv(int n, const struct pam_message **msgs, struct pam_response **resp,
                       void *data)
{
    struct ph_script *s = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    int rc = PAM_SUCCESS;

    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n && rc == PAM_SUCCESS; i++)
        rc = one_message(s, msgs[i], &r[i].resp);
    if (rc != PAM_SUCCESS) {
        for (int i = 0; i < n; i++)
            free(r[i].resp);
        free(r);
        return rc;
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* Runs the cases, asserting that each returned what it expects and the
 * script did not fail; ok is what pamtest should answer. */
static void run_cases(const char *service, const char *user, struct ph_script *s,
                      struct pam_testcase *cases, size_t n_cases, enum pamtest_err ok)
{
    enum pamtest_err perr = _pamtest_conv(service, user, script_conv, s, cases, n_cases, NULL);
    if (perr == PAMTEST_ERR_CASE) {
        const struct pam_testcase *f = _pamtest_failed_case(cases, n_cases);
        ck_abort_msg("PAM op %d returned %d (%s), expected %d; conversation:\n%s%s%s",
                     f->pam_operation, f->op_rv, pam_strerror(NULL, f->op_rv), f->expected_rv,
                     s->transcript, s->failed ? "script: " : "", s->failed ? s->why : "");
    }
    ck_assert_msg(perr == PAMTEST_ERR_OK || perr == ok, "pamtest: %s", pamtest_strerror(perr));
    ck_assert_msg(!s->failed, "%s\nconversation:\n%s", s->why, s->transcript);
}

void ph_run(const char *service, const char *user, struct ph_script *s, struct pam_testcase *cases,
            size_t n_cases)
{
    run_cases(service, user, s, cases, n_cases, PAMTEST_ERR_OK);
    ck_assert_msg(s->pos == s->n, "the conversation stopped at turn %zu of %zu:\n%s", s->pos, s->n,
                  s->transcript);
}

pam_handle_t *ph_run_keep(const char *service, const char *user, struct ph_script *s,
                          struct pam_testcase *cases, size_t n_cases)
{
    ck_assert_int_eq(cases[n_cases - 1].pam_operation, PAMTEST_KEEPHANDLE);
    run_cases(service, user, s, cases, n_cases, PAMTEST_ERR_KEEPHANDLE);
    ck_assert_ptr_nonnull(cases[n_cases - 1].case_out.ph);
    return cases[n_cases - 1].case_out.ph;
}

void ph_script_clear(struct ph_script *s)
{
    free(s->qr);
    s->qr = NULL;
}
