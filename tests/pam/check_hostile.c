/* Hostile inputs through the real Linux-PAM stack (pam_wrapper), each login
 * in its own process: user names, passwords (SRP and USER_PASSWORD_AUTH),
 * MFA codes and new passwords with newlines, quotes, backslashes, NUL
 * bytes, 10 KB of text, invalid UTF-8, JSON and format-string injection;
 * conversation functions that fail or answer NULL; PAM items missing.
 *
 * Every case must end without a crash or a hang and without success, with
 * a result a refused login may have; every request the module sent must be
 * strict JSON in valid UTF-8 whose member carrying the hostile value holds
 * exactly the bytes given (so nothing went out unescaped or altered);
 * a value the module must refuse never reaches the IdP; an SRP password
 * never goes on the wire at all. Cases run on COGNITO_HOSTILE_JOBS workers
 * (default 4), each with its own mock. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define LIMIT_MS 20000
#define MAX_WORKERS 8
#define MAX_CASES 256
#define BIG 10240

/* -- the hostile values ------------------------------------------------------------ */

struct value {
    const char *label;
    const char *bytes;
    size_t len;
    bool refused; /* not valid text for Cognito: must never reach the IdP as a name */
};

static char big_ascii[BIG + 1], big_utf8[BIG + 1], name_129[130];

#define V(label, lit, refused)                                                                     \
    {                                                                                              \
        label, lit, sizeof(lit) - 1, refused                                                       \
    }
static struct value values[] = {
    V("newline at end", "alice\n", true),
    V("newline inside", "ali\nce", true),
    V("CR LF and a name", "alice\r\nroot", true),
    V("tab", "ali\tce", true),
    V("escape sequence", "\x1b[31malice", true),
    V("DEL", "alice\x7f", true),
    V("NUL then a name", "alice\0root", false),
    V("NUL first", "\0alice", true),
    V("lone quote", "\"", false),
    V("quote inside", "al\"ice", false),
    V("quote and brace", "alice\"}", false),
    V("lone backslash", "\\", false),
    V("backslash inside", "ali\\ce", false),
    V("backslash quote", "alice\\\"", false),
    V("escaped NUL text", "alice\\u0000root", false),
    V("escaped quote text", "\\u0022,\\\"x", false),
    V("JSON object", "{\"__type\":\"NotAuthorizedException\"}", false),
    V("member injection", "alice\",\"USERNAME\":\"root", false),
    V("closing injection", "x\"}],\"AuthenticationResult\":{\"IdToken\":\"x\"},\"a\":[{\"", false),
    V("format string", "%s%n%x%p", false),
    V("path", "../../etc/passwd", false),
    V("invalid byte", "alice\xff", true),
    V("lone continuation", "\x80", true),
    V("truncated sequence", "caf\xc3", true),
    V("overlong slash", "\xc0\xaf", true),
    V("surrogate", "\xed\xa0\x80", true),
    V("beyond U+10FFFF", "\xf4\x90\x80\x80", true),
    V("line separator",
      "ali\xe2\x80\xa8"
      "ce",
      true),
    V("RTL override",
      "\xe2\x80\xae"
      "ecila",
      true),
    V("zero-width space", "al\xe2\x80\x8bice", true),
    V("space", "al ice", true),
    V("empty", "", true),
    V("non-ASCII letters", "\xc3\xa9l\xc3\xafs\xc3\xa9", false),
    V("CJK", "\xe5\x90\x8d\xe5\x89\x8d", false),
    {"129 bytes", name_129, 129, true},
    {"10 KB ASCII", big_ascii, BIG, true},
    {"10 KB of 2-byte letters", big_utf8, BIG, true},
};
#define N_VALUES (sizeof(values) / sizeof(values[0]))

/* -- where a value goes ------------------------------------------------------------ */

enum target {
    T_USER,      /* PAM_USER (the conversation's answer to the user prompt if it holds NUL) */
    T_PASSWORD,  /* the password, SRP: it never goes on the wire */
    T_PASS_WIRE, /* the password, USER_PASSWORD_AUTH: AuthParameters.PASSWORD */
    T_CODE,      /* the SMS code: ChallengeResponses.SMS_MFA_CODE */
    T_NEW_PW,    /* NEW_PASSWORD_REQUIRED's new password: ChallengeResponses.NEW_PASSWORD */
    T_MISC,      /* conversation failures, missing items: see the case */
};

static const char *const target_names[] = {"user",     "password",     "password/wire",
                                           "SMS code", "new password", "PAM"};
/* The request member each target's value travels in (NULL: none may). */
static const char *const target_field[] = {"USERNAME",     NULL,           "PASSWORD",
                                           "SMS_MFA_CODE", "NEW_PASSWORD", NULL};

#define SAM                                                                                        \
    "{\"username\":\"sam\",\"password\":\"" PW "\",\"mfa_settings\":[\"SMS_MFA\"],"                \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
#define FRAN "{\"username\":\"fran\",\"password\":\"" PW "\",\"status\":\"FORCE_CHANGE_PASSWORD\"}"
#define ALICE "{\"username\":\"alice\",\"password\":\"" PW "\"}"

struct hcase {
    char label[64];
    enum target target;
    const struct value *v;
    const char *user; /* PAM_USER (T_USER: NULL, the value) */
    const char *user_json;
    const char *service; /* "srp", "pw", "first" */
    int setup;           /* PR_NO_CONV_FN, PR_NO_USER */
    enum pr_misbehave misbehave;
    unsigned misbehave_at;
    int expect; /* the PAM result; 0: any refusal (AUTH_ERR or USER_UNKNOWN) */
    bool no_requests;
};

static struct hcase cases[MAX_CASES];
static size_t n_cases;

static struct hcase *add_case(enum target t, const char *label)
{
    if (n_cases >= MAX_CASES)
        abort();
    struct hcase *c = &cases[n_cases++];
    memset(c, 0, sizeof(*c));
    snprintf(c->label, sizeof(c->label), "%s", label);
    c->target = t;
    c->service = "srp";
    c->user = "alice";
    c->user_json = ALICE;
    return c;
}

static void make_cases(void)
{
    memset(big_ascii, 'a', BIG);
    for (size_t i = 0; i < BIG; i += 2)
        memcpy(big_utf8 + i, "\xc3\xa9", 2);
    memset(name_129, 'a', 129);

    for (size_t i = 0; i < N_VALUES; i++) {
        const struct value *v = &values[i];
        struct hcase *c = add_case(T_USER, v->label);
        c->v = v;
        c->user = NULL;
        if (memchr(v->bytes, '\0', v->len) != NULL)
            c->setup = PR_NO_USER;
        /* What C sees of "alice\0root" is alice, who exists: the password
         * below is not hers, so this one too must fail, but by her password. */
        if (v->refused) {
            c->expect = PAM_USER_UNKNOWN;
            c->no_requests = true;
        }
    }
    /* A wrong password, code or new password: refused, not unavailable. */
    static const struct {
        enum target t;
        const char *service, *user, *user_json;
    } secrets[] = {
        {T_PASSWORD, "srp", "alice", ALICE},
        {T_PASS_WIRE, "pw", "alice", ALICE},
        {T_CODE, "srp", "sam", SAM},
        {T_NEW_PW, "srp", "fran", FRAN},
    };
    for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++) {
        for (size_t i = 0; i < N_VALUES; i++) {
            struct hcase *c = add_case(secrets[k].t, values[i].label);
            c->v = &values[i];
            c->service = secrets[k].service;
            c->user = secrets[k].user;
            c->user_json = secrets[k].user_json;
            c->expect = PAM_AUTH_ERR;
        }
    }

    static const struct {
        const char *name;
        enum pr_misbehave m;
    } misbehaviours[] = {
        {"returns PAM_CONV_ERR", PR_CONV_ERR},
        {"returns PAM_BUF_ERR", PR_BUF_ERR},
        {"answers no array", PR_NULL_ARRAY},
        {"answers NULL strings", PR_NULL_STRINGS},
    };
    /* Where the conversation fails: the call it fails at (1 the password;
     * 2 the message before the code's or new password's prompt). */
    static const struct {
        const char *where, *user, *user_json;
        unsigned at;
        int setup;
        bool no_requests;
    } places[] = {
        {"at the password", "alice", ALICE, 1, 0, true},
        {"at the SMS code", "sam", SAM, 3, 0, false},
        {"at the new password", "fran", FRAN, 3, 0, false},
        {"at the user prompt (no PAM_USER)", NULL, ALICE, 1, PR_NO_USER, true},
    };
    for (size_t i = 0; i < sizeof(misbehaviours) / sizeof(misbehaviours[0]); i++) {
        for (size_t p = 0; p < sizeof(places) / sizeof(places[0]); p++) {
            char label[64];
            snprintf(label, sizeof(label), "conv %s %s", misbehaviours[i].name, places[p].where);
            struct hcase *c = add_case(T_MISC, label);
            c->user = places[p].user;
            c->user_json = places[p].user_json;
            c->setup = places[p].setup;
            c->misbehave = misbehaviours[i].m;
            c->misbehave_at = places[p].at;
            c->no_requests = places[p].no_requests;
            c->expect = -1;
        }
    }
    struct hcase *c = add_case(T_MISC, "no conversation function");
    c->setup = PR_NO_CONV_FN;
    c->no_requests = true;
    c->expect = -1;
    c = add_case(T_MISC, "use_first_pass, no PAM_AUTHTOK");
    c->service = "first";
    c->no_requests = true;
    c->expect = -1;
    c = add_case(T_MISC, "PAM_USER ALICE, her password");
    c->user = "ALICE";
    c->expect = -1;
    c = add_case(T_MISC, "PAM_USER root, a pool user root");
    c->user = "root";
    c->user_json = "{\"username\":\"root\",\"password\":\"" PW "\"}";
    c->no_requests = true;
    c->expect = PAM_USER_UNKNOWN;
}

/* The results a refusal may have beyond the case's own: a failing
 * conversation is PAM_CONV_ERR (or PAM_BUF_ERR when it said so), a missing
 * one or a missing token one of the service/credential errors. */
static bool allowed_misc(int rc)
{
    return rc == PAM_AUTH_ERR || rc == PAM_CONV_ERR || rc == PAM_BUF_ERR ||
           rc == PAM_USER_UNKNOWN || rc == PAM_SERVICE_ERR || rc == PAM_AUTHTOK_RECOVERY_ERR ||
           rc == PAM_CRED_INSUFFICIENT;
}

/* -- one case ---------------------------------------------------------------------- */

struct record {
    struct pr_result r;
    long requests;
    char bad[400]; /* what the requests did wrong, "" if nothing */
};

static struct mock mocks[MAX_WORKERS];

/* Every member named field anywhere in o, compared with the value. */
static void check_field(struct json_object *o, const char *field, const struct value *v,
                        const char *op, char *bad, size_t len)
{
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            check_field(json_object_array_get_idx(o, i), field, v, op, bad, len);
        return;
    }
    if (!json_object_is_type(o, json_type_object))
        return;
    json_object_object_foreach(o, key, val)
    {
        if (strcmp(key, field) == 0) {
            const char *s = json_object_get_string(val);
            size_t n = (size_t)json_object_get_string_len(val);
            /* What C sees of a value with a NUL in it ends there. */
            size_t want = strnlen(v->bytes, v->len);
            /* After PASSWORD_VERIFIER, USERNAME is USER_ID_FOR_SRP. */
            bool later_name = strcmp(field, "USERNAME") == 0 && strcmp(op, "InitiateAuth") != 0;
            if (!json_object_is_type(val, json_type_string) ||
                (!later_name && (n != want || memcmp(s, v->bytes, n) != 0)))
                test_appendf(bad, len, "%s sent %s as '%.40s' (%zu bytes), not the %zu given; ", op,
                             field, s ? s : "(null)", n, want);
        }
        check_field(val, field, v, op, bad, len);
    }
}

/* Whether a string anywhere in o but the user's name holds the value (as
 * C sees it, when it is long enough to mean something: a quote is in many
 * strings). */
static bool holds(struct json_object *o, const struct value *v)
{
    size_t want = strnlen(v->bytes, v->len);
    if (json_object_is_type(o, json_type_string))
        return want >= 4 && strstr(json_object_get_string(o), v->bytes) != NULL;
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            if (holds(json_object_array_get_idx(o, i), v))
                return true;
        }
    }
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, val)
        {
            /* "alice\0root" is alice to C, and alice is the user's name. */
            if (strcmp(key, "USERNAME") != 0 && holds(val, v))
                return true;
        }
    }
    return false;
}

static void check_requests(const struct mock *m, const struct hcase *c, struct record *rec)
{
    char *body = NULL;
    struct json_object *o = NULL, *list = NULL;
    const char *field = target_field[c->target];

    ck_assert_int_eq(mock_control(m, "GET", "/_mock/requests", NULL, &body), 200);
    o = json_tokener_parse(body);
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "requests", &list));
    rec->requests = (long)json_object_array_length(list);
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *req = json_object_array_get_idx(list, i), *x = NULL, *json = NULL;
        const char *op = "?";
        if (json_object_object_get_ex(req, "op", &x))
            op = json_object_get_string(x);
        if (strcmp(op, "jwks") == 0)
            continue;
        if (!json_object_object_get_ex(req, "utf8", &x) || !json_object_get_boolean(x))
            test_appendf(rec->bad, sizeof(rec->bad), "%s: body not UTF-8; ", op);
        if (!json_object_object_get_ex(req, "json", &json))
            test_appendf(rec->bad, sizeof(rec->bad), "%s: body not strict JSON; ", op);
        else if (field != NULL && c->v != NULL)
            check_field(json, field, c->v, op, rec->bad, sizeof(rec->bad));
        /* An SRP password is never sent: no string in any request holds it. */
        if (c->target == T_PASSWORD && json != NULL && holds(json, c->v))
            test_appendf(rec->bad, sizeof(rec->bad), "%s: the SRP password is on the wire; ", op);
    }
    json_object_put(o);
    free(body);
}

static void run_case(unsigned w, const struct hcase *c, struct record *rec)
{
    const struct mock *m = &mocks[w];
    const struct value *v = c->v;
    char service[32];
    struct pr_answer answers[3];
    size_t n_answers = 0;
    struct pr_script script = {
        .mock = m,
        .user = c->user ? c->user : "alice",
        .password = PW,
        .new_password = "N3wPassw0rd!",
        .misbehave = c->misbehave,
        .misbehave_at = c->misbehave_at,
    };
    const char *user = c->user;

    mock_add_user(m, c->user_json);
    ck_assert_int_eq(mock_control(m, "DELETE", "/_mock/requests", NULL, NULL), 200);
    switch (c->target) {
    case T_USER:
        user = v->bytes;
        script.user = "alice";
        /* Only the NUL cases come through the user prompt. */
        answers[n_answers++] = (struct pr_answer){"login: ", v->bytes, v->len};
        answers[n_answers++] = (struct pr_answer){"login:", v->bytes, v->len};
        /* "alice\0root" reaches the module as alice: not with her password. */
        script.password = "n0t-Her-Passw0rd";
        break;
    case T_PASSWORD:
    case T_PASS_WIRE:
        answers[n_answers++] = (struct pr_answer){"Password: ", v->bytes, v->len};
        break;
    case T_CODE:
        answers[n_answers++] = (struct pr_answer){"SMS code: ", v->bytes, v->len};
        break;
    case T_NEW_PW:
        answers[n_answers++] = (struct pr_answer){"New password: ", v->bytes, v->len};
        answers[n_answers++] = (struct pr_answer){"Retype new password: ", v->bytes, v->len};
        break;
    case T_MISC:
        break;
    }
    script.answers = answers;
    script.n_answers = n_answers;
    snprintf(service, sizeof(service), "hostile_%s_w%u", c->service, w);
    pr_run(service, (c->setup & PR_NO_USER) ? NULL : user, &script, PR_AUTH, c->setup, LIMIT_MS,
           &rec->r);
    check_requests(m, c, rec);
}

static bool case_ok(const struct hcase *c, const struct record *rec, char *why, size_t len)
{
    int rc = rec->r.rc;
    if (rc == PR_DIED || rc == PR_HUNG || rc == PAM_SUCCESS) {
        snprintf(why, len, "%s", pr_code_name(rc));
        return false;
    }
    if (c->expect == 0 && rc != PAM_AUTH_ERR && rc != PAM_USER_UNKNOWN) {
        snprintf(why, len, "returned %s, expected AUTH or USER_UNKNOWN", pr_code_name(rc));
        return false;
    }
    if (c->expect > 0 && rc != c->expect) {
        snprintf(why, len, "returned %s, expected %s", pr_code_name(rc), pr_code_name(c->expect));
        return false;
    }
    if (c->expect < 0 && !allowed_misc(rc)) {
        snprintf(why, len, "returned %s", pr_code_name(rc));
        return false;
    }
    if (c->no_requests && rec->requests > 0) {
        snprintf(why, len, "%ld request(s) reached the IdP", rec->requests);
        return false;
    }
    if (rec->bad[0] != '\0') {
        snprintf(why, len, "%s", rec->bad);
        return false;
    }
    if (rec->r.strange) {
        snprintf(why, len, "the module asked something unexpected");
        return false;
    }
    return true;
}

static void case_job(unsigned w, size_t i, void *record)
{
    run_case(w, &cases[i], record);
}

START_TEST(test_hostile)
{
    static struct record records[MAX_CASES];
    unsigned n_workers = pr_jobs("COGNITO_HOSTILE_JOBS", 4, MAX_WORKERS);

    pr_mocks_start(mocks, n_workers, "hostile");
    long long t0 = cog_now_ms();
    size_t got = pr_parallel(n_workers, n_cases, records, sizeof(records[0]), case_job);
    pr_mocks_stop(mocks, n_workers);
    ck_assert_uint_eq(got, n_cases);

    size_t bad = 0;
    printf("\nhostile inputs: %zu cases through pam_cognito.so under pam_wrapper\n", n_cases);
    printf("%-14s %-44s %-6s %5s %s\n", "input", "case", "result", "reqs", "");
    for (size_t i = 0; i < n_cases; i++) {
        char why[480] = "";
        bool ok = case_ok(&cases[i], &records[i], why, sizeof(why));
        bad += !ok;
        printf("%-14s %-44s %-6s %5ld %s%s\n", target_names[cases[i].target], cases[i].label,
               pr_code_name(records[i].r.rc), records[i].requests, ok ? "" : "FAILED: ", why);
        if (!ok)
            printf("%s", records[i].r.transcript);
    }
    printf("\n%zu cases, %zu as expected, %zu not, in %.1f s on %u workers\n", n_cases,
           n_cases - bad, bad, (double)(cog_now_ms() - t0) / 1000.0, n_workers);
    fflush(stdout);
    ck_assert_uint_ge(n_cases, 100);
    ck_assert_msg(bad == 0, "%zu hostile-input cases are not as expected", bad);
}
END_TEST

static void write_services(void)
{
    char text[2 * PATH_MAX + 256], name[48];
    static const struct {
        const char *kind, *args;
    } kinds[] = {
        {"srp", ""},
        {"pw", " auth_flow=USER_PASSWORD_AUTH"},
        {"first", " use_first_pass"},
    };
    for (unsigned w = 0; w < MAX_WORKERS; w++) {
        char conf[PATH_MAX];
        pr_conf_path("hostile", w, conf, sizeof(conf));
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
            snprintf(name, sizeof(name), "hostile_%s_w%u", kinds[k].kind, w);
            snprintf(text, sizeof(text),
                     "auth required @MODULE@ config=%s state_dir=%s/state-w%u%s\n", conf, ph_dir(),
                     w, kinds[k].args);
            ph_service(name, text);
        }
    }
}

int main(int argc, char **argv)
{
    test_skip_if_slow("check_hostile");
    (void)argc;
    ph_run_wrapped(argv, write_services);
    make_cases();
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("inputs");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    return test_main(s);
}
