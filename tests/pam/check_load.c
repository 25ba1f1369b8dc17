/* Load and concurrency: 50 logins at once through the real Linux-PAM stack
 * (pam_wrapper), each in its own process, against one mock that throttles
 * a seeded 10 % of the sign-in requests, while `cognitoctl sync` runs over
 * and over (its ListUsers throttled too) and rewrites the cache the logins
 * write into.
 *
 * Every login must end as the mock's fault log says it should: the users a
 * throttle hit get PAM_AUTHINFO_UNAVAIL (InitiateAuth: both the early one
 * and the one sent again after Enter), every other one PAM_SUCCESS, or
 * PAM_AUTHINFO_UNAVAIL with the module's log saying it timed out (the mock,
 * one Python process, is the bottleneck on a busy machine; at least a fifth
 * must succeed, or the cache saw too few concurrent writers to mean much). At
 * least one sync must succeed while the logins run. After, every cache
 * file must map, validate and pass its checksum, and every user must be in
 * it: through the NSS files (full file and logins file read as one) and
 * the account facts. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define N_LOGINS 50
#define N_OTHERS 400 /* pool users no one logs in as: the sync's bulk */
/* The module's timeout: 50 logins queue at one single-threaded Python
 * mock on two shared cores; what is measured here is correctness. */
#define TIMEOUT_S 30
#define LIMIT_MS 120000
#define RATE "0.1"

#define ADMIN_KEY "AKIAMOCKADMIN0000001"
#define ADMIN_SECRET "mock/Admin+Secret/Key0123456789abcdefghij"

static struct mock mock;

struct login {
    struct pr_result r;
    bool timed_out; /* the module logged a timeout or a dropped connection */
};

static void user_name(size_t i, char out[16])
{
    snprintf(out, 16, "load%02zu", i);
}

static void login_job(unsigned w, size_t i, void *record)
{
    struct login *l = record;
    char user[16];
    (void)w;
    user_name(i, user);
    struct pr_script script = {.mock = &mock, .user = user, .password = PW};
    char path[PATH_MAX], line[512];

    /* The module's syslog lines (pam_wrapper prints them on stderr) say
     * why a login was unavailable. This worker runs only this login. */
    snprintf(path, sizeof(path), "%s/%s.log", ph_dir(), user);
    FILE *log = fopen(path, "w+");
    ck_assert_ptr_nonnull(log);
    fflush(stderr);
    dup2(fileno(log), STDERR_FILENO);
    pr_run("load", user, &script, PR_AUTH, 0, LIMIT_MS, &l->r);
    rewind(log);
    while (fgets(line, sizeof(line), log) != NULL) {
        /* Timed out, or a connection the overloaded mock dropped or reset:
         * any failure to get an answer is "service unavailable: ...". */
        if (strstr(line, "service unavailable: ") != NULL)
            l->timed_out = true;
    }
    fclose(log);
}

/* -- the sync running beside the logins ---------------------------------------------- */

struct syncs {
    pid_t pid;
    int fd;
    long runs, ok; /* filled by syncs_stop */
};

static int run_sync(void)
{
    char ctl[PATH_MAX];
    const char *top = getenv("top_builddir");
    int status = 0;

    snprintf(ctl, sizeof(ctl), "%s/tools/cognitoctl", top ? top : ".");
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        execl(ctl, ctl, "sync", "--config", mock.conf, "--quiet", (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Syncs until SIGTERM (after the one it is in), then writes runs and
 * successes to the pipe. */
static volatile sig_atomic_t stop_syncing;
static void on_term(int sig)
{
    (void)sig;
    stop_syncing = 1;
}

static void syncs_start(struct syncs *s)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        long counts[2] = {0, 0};
        close(fds[0]);
        signal(SIGTERM, on_term);
        /* Until told to stop, and then on until one succeeded (a sync that
         * lost every round to the logins' lock would prove nothing): at
         * most ten rounds in all after the stop. */
        long after_stop = 0;
        while (!stop_syncing || (counts[1] == 0 && after_stop++ < 10)) {
            int rc = run_sync();
            counts[0]++;
            counts[1] += rc == 0;
            if (rc != 0 && rc != 3)
                fprintf(stderr, "cognitoctl sync exited %d\n", rc);
        }
        _exit(write(fds[1], counts, sizeof(counts)) == (ssize_t)sizeof(counts) ? 0 : 1);
    }
    close(fds[1]);
    s->fd = fds[0];
}

static void syncs_stop(struct syncs *s)
{
    long counts[2] = {0, 0};
    kill(s->pid, SIGTERM);
    ck_assert_int_eq(read(s->fd, counts, sizeof(counts)), (ssize_t)sizeof(counts));
    close(s->fd);
    waitpid(s->pid, NULL, 0);
    s->runs = counts[0];
    s->ok = counts[1];
}

/* -- what the mock says happened ------------------------------------------------------- */

/* Marks in hit[] the login users a fault hit; returns the ListUsers hits. */
static bool initiate_once[N_LOGINS];

static long fault_hits(bool hit[N_LOGINS])
{
    char *body = NULL;
    struct json_object *o = NULL, *hits = NULL;
    long list_hits = 0;
    unsigned initiate[N_LOGINS] = {0};

    ck_assert_int_eq(mock_control(&mock, "GET", "/_mock/faults/log", NULL, &body), 200);
    o = json_tokener_parse(body);
    ck_assert(json_object_object_get_ex(o, "hits", &hits));
    for (size_t k = 0; k < json_object_array_length(hits); k++) {
        struct json_object *h = json_object_array_get_idx(hits, k), *x = NULL;
        const char *user =
            json_object_object_get_ex(h, "user", &x) ? json_object_get_string(x) : NULL;
        const char *op = json_object_object_get_ex(h, "op", &x) ? json_object_get_string(x) : "";
        unsigned i;
        if (strcmp(op, "ListUsers") == 0)
            list_hits++;
        else if (user != NULL && sscanf(user, "load%2u", &i) == 1 && i < N_LOGINS &&
                 strcmp(op, "InitiateAuth") == 0)
            initiate[i]++;
        else if (user != NULL && sscanf(user, "load%2u", &i) == 1 && i < N_LOGINS)
            hit[i] = true;
        else
            ck_abort_msg("a fault hit an unexpected request: %s %s", op, user ? user : "-");
    }
    /* The InitiateAuth sent while the password is typed (the early start)
     * is sent again after Enter when it fails: both throttled fail the
     * login; one throttled is the early one (the login works) or, when the
     * early one timed out on the overloaded mock, the one after Enter. */
    for (size_t k = 0; k < N_LOGINS; k++) {
        hit[k] = hit[k] || initiate[k] >= 2;
        initiate_once[k] = !hit[k] && initiate[k] == 1;
    }
    json_object_put(o);
    free(body);
    return list_hits;
}

/* -- the cache after --------------------------------------------------------------------- */

static void check_file(const char *dir, const char *name, enum cog_disk_kind kind, bool need)
{
    char path[PATH_MAX];
    struct cog_cache_map m;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    enum cog_cache_rc rc = cog_cache_map_open(&m, path, kind);
    if (rc == COG_CACHE_ABSENT && !need)
        return;
    ck_assert_msg(rc == COG_CACHE_OK, "%s: cannot be mapped (%d)", name, rc);
    ck_assert_msg(cog_cache_map_verify(&m), "%s: checksum", name);
    cog_cache_map_close(&m);
}

static void check_cache(const bool ok[N_LOGINS])
{
    char dir[PATH_MAX / 2 + 16], path[PATH_MAX];
    struct cog_cache_map full, delta;
    struct cog_config cfg;
    struct cog_error err = {0};

    snprintf(dir, sizeof(dir), "%s/cache", mock.dir);
    check_file(dir, COG_CACHE_NSS_FILE, COG_DISK_NSS, true);
    check_file(dir, COG_CACHE_NSS_DELTA_FILE, COG_DISK_NSS, false);
    check_file(dir, COG_CACHE_ACCOUNTS_FILE, COG_DISK_ACCOUNTS, true);
    check_file(dir, COG_CACHE_ACCOUNTS_DELTA_FILE, COG_DISK_ACCOUNTS, false);

    snprintf(path, sizeof(path), "%s/%s", dir, COG_CACHE_NSS_FILE);
    ck_assert_int_eq(cog_cache_map_open(&full, path, COG_DISK_NSS), COG_CACHE_OK);
    snprintf(path, sizeof(path), "%s/%s", dir, COG_CACHE_NSS_DELTA_FILE);
    bool have_delta = cog_cache_map_open(&delta, path, COG_DISK_NSS) == COG_CACHE_OK;
    struct cog_cache_view view = {&full, have_delta ? &delta : NULL};

    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, mock.conf, &err), COG_OK);
    for (size_t i = 0; i < N_LOGINS + N_OTHERS; i++) {
        char user[16];
        struct cog_view_user u;
        struct cog_account a = {0};
        if (i < N_LOGINS)
            user_name(i, user);
        else
            snprintf(user, sizeof(user), "other%zu", i - N_LOGINS);
        ck_assert_msg(cog_view_user_by_name(&view, user, &u) == COG_CACHE_OK,
                      "%s is not in the NSS cache", user);
        ck_assert_msg(cog_account_lookup(&cfg, user, &a, &err) == COG_OK,
                      "%s has no account facts: %s", user, err.message);
        ck_assert_str_eq(a.name, user);
        ck_assert(a.enabled);
        /* A user who logged in is known by its login or a sync after it. */
        if (i < N_LOGINS && ok[i])
            ck_assert(a.from_login || a.created != 0);
        cog_account_clear(&a);
    }
    cog_config_free(&cfg);
    if (have_delta)
        cog_cache_map_close(&delta);
    cog_cache_map_close(&full);
}

START_TEST(test_load)
{
    static struct login logins[N_LOGINS];
    bool hit[N_LOGINS] = {false}, ok[N_LOGINS] = {false};
    char body[512];
    struct syncs syncs;
    size_t n_ok = 0, n_unav = 0, n_slow = 0, bad = 0;
    long max_ms = 0;

    mock_start(&mock, NULL, NULL);
    mock_write_config(&mock, ph_path("cognito.conf"), NULL);
    for (size_t i = 0; i < N_LOGINS; i++) {
        char user[16];
        user_name(i, user);
        snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"" PW "\"}", user);
        mock_add_user(&mock, body);
    }
    snprintf(body, sizeof(body),
             "{\"generate\":{\"count\":%d,\"prefix\":\"other\",\"groups\":[\"staff\"]}}", N_OTHERS);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/users/bulk", body, NULL), 200);
    static const char *const ops[] = {"InitiateAuth", "RespondToAuthChallenge", "ListUsers"};
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        snprintf(body, sizeof(body),
                 "{\"op\":\"%s\",\"kind\":\"throttle\",\"rate\":" RATE ",\"seed\":%zu,"
                 "\"count\":-1}",
                 ops[k], k + 1);
        mock_fault(&mock, body);
    }
    setenv("AWS_ACCESS_KEY_ID", ADMIN_KEY, 1);
    setenv("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET, 1);

    long long t0 = cog_now_ms();
    syncs_start(&syncs);
    size_t got = pr_parallel(N_LOGINS, N_LOGINS, logins, sizeof(logins[0]), login_job);
    long long t1 = cog_now_ms();
    syncs_stop(&syncs);
    ck_assert_uint_eq(got, N_LOGINS);

    long list_hits = fault_hits(hit);
    printf("\n%d concurrent logins, %s of sign-in and ListUsers requests throttled, "
           "cognitoctl sync looping beside them:\n",
           N_LOGINS, RATE);
    for (size_t i = 0; i < N_LOGINS; i++) {
        const struct pr_result *r = &logins[i].r;
        int want = hit[i] ? PAM_AUTHINFO_UNAVAIL : PAM_SUCCESS;
        /* Fifty TLS handshakes and SRP exchanges queue at one Python
         * process: on a busy machine a connection can wait longer than the
         * module's 5 s connect timeout, or be dropped, and failing closed
         * (PAM_AUTHINFO_UNAVAIL, never another code) is then right. */
        bool overloaded =
            !hit[i] && r->rc == PAM_AUTHINFO_UNAVAIL && (logins[i].timed_out || initiate_once[i]);
        ok[i] = r->rc == PAM_SUCCESS;
        n_ok += r->rc == PAM_SUCCESS;
        n_unav += r->rc == PAM_AUTHINFO_UNAVAIL && hit[i];
        n_slow += overloaded;
        max_ms = r->ms > max_ms ? r->ms : max_ms;
        if ((r->rc != want && !overloaded) || r->strange) {
            bad++;
            printf("load%02zu: %s, expected %s (throttled: %s)\n%s", i, pr_code_name(r->rc),
                   pr_code_name(want), hit[i] ? "yes" : "no", r->transcript);
        }
    }
    printf("  %zu OK, %zu UNAV (the throttled ones), %zu UNAV by timeout or dropped connection "
           "(not throttled, the "
           "mock overloaded), %zu not as expected; slowest login %.1f s; all in %.1f s\n",
           n_ok, n_unav, n_slow, bad, (double)max_ms / 1000.0, (double)(t1 - t0) / 1000.0);
    printf("  syncs: %ld run, %ld succeeded, ListUsers throttled %ld times\n", syncs.runs, syncs.ok,
           list_hits);
    fflush(stdout);
    ck_assert_msg(bad == 0, "%zu logins ended otherwise than the fault log says", bad);
    /* The seed makes both kinds of login happen; a run without them proves less. */
    ck_assert_uint_gt(n_unav, 0);
    ck_assert_uint_ge(n_ok, N_LOGINS / 5);
    ck_assert_msg(syncs.ok >= 1, "no sync succeeded while the logins ran");

    check_cache(ok);
    printf("  cache: every file valid, all %d users in it\n", N_LOGINS + N_OTHERS);
    mock_stop(&mock);
}
END_TEST

static void write_services(void)
{
    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text), "auth required @MODULE@ @ARGS@ timeout=%d\n", TIMEOUT_S);
    ph_service("load", text);
}

int main(int argc, char **argv)
{
    test_skip_if_slow("check_load");
    (void)argc;
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("concurrent");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_load);
    suite_add_tcase(s, tc);
    return test_main(s);
}
