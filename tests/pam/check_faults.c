/* The fault matrix: every fault the mock can inject, at every step of a
 * login, through the real Linux-PAM stack (pam_wrapper), each login in its
 * own process. A cell passes when the login did not crash, did not
 * succeed, returned the PAM code the fault calls for (PAM_AUTHINFO_UNAVAIL
 * for a service that fails, PAM_AUTH_ERR for a token that must not
 * count), within timeout + 0.5 s, and the fault really hit the login.
 * The identity pool's steps come after a login that worked, in
 * pam_open_session, where a failure must never undo the login: there a
 * cell passes when the session opened (PAM_SUCCESS), no AWS_* variable
 * reached the PAM environment, the user was told once, and
 * pam_open_session returned within timeout + 0.5 s; without a fault, the
 * credentials the identity pool issued are there.
 * The table goes to stdout, so CI shows it.
 *
 * A step is a row of `steps`, a fault a row of `faults`: adding either is
 * one line. Cells run on COGNITO_FAULTS_JOBS workers (default 4), each
 * with its own mock, so stalls overlap. */
#include "build-config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/pamrun.h"
#include "tests/testutil.h"

#define PW "Passw0rd!"
#define NEW_PW "N3wPassw0rd!"
#define TOTP_SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
/* The module's timeout (seconds) and what a login may take beyond it. */
#define TIMEOUT_S 3
#define SLACK_MS 500
/* A child that takes this long has hung, whatever the limit says. */
#define HARD_LIMIT_MS 20000
#define MAX_WORKERS 8
/* The mock's default identity pool (ops_identity.py). */
#define IDENTITY_POOL MOCK_REGION ":0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define NO_AWS "INFO 'AWS credentials are not available in this session.'"
/* What export_env (pam_cognito/aws.c) puts into the PAM environment. */
#define AWS_VARS 6

/* -- steps: the requests of a login ---------------------------------------------- */

/* What a step's answer is, which decides what faults mean there. */
enum {
    S_SIGNIN = 1,  /* InitiateAuth / RespondToAuthChallenge: a challenge or tokens */
    S_TOKENS = 2,  /* ... and normally the tokens */
    S_SETUP = 4,   /* AssociateSoftwareToken / VerifySoftwareToken */
    S_JWKS = 8,    /* the JWKS fetch */
    S_SESSION = 16 /* a request of pam_open_session (the identity pool) */
};

#define ALICE "{\"username\":\"alice\",\"password\":\"" PW "\"}"
#define SAM                                                                                        \
    "{\"username\":\"sam\",\"password\":\"" PW "\",\"mfa_settings\":[\"SMS_MFA\"],"                \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
#define EVE                                                                                        \
    "{\"username\":\"eve\",\"password\":\"" PW "\",\"mfa_settings\":[\"EMAIL_OTP\"],"              \
    "\"attributes\":{\"email\":\"eve@example.com\"}}"
#define TOM                                                                                        \
    "{\"username\":\"tom\",\"password\":\"" PW "\",\"mfa_settings\":[\"SOFTWARE_TOKEN_MFA\"],"     \
    "\"totp_secret\":\"" TOTP_SECRET "\"}"
#define BOB                                                                                        \
    "{\"username\":\"bob\",\"password\":\"" PW "\","                                               \
    "\"mfa_settings\":[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"],\"totp_secret\":\"" TOTP_SECRET "\","   \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
#define CARL "{\"username\":\"carl\",\"password\":\"" PW "\"}"
#define FRAN "{\"username\":\"fran\",\"password\":\"" PW "\",\"status\":\"FORCE_CHANGE_PASSWORD\"}"
#define MFA_ON "{\"mfa_configuration\":\"ON\"}"

static const struct step {
    const char *label; /* the table's column */
    const char *what;
    const char *user, *user_json, *pool;
    const char *op; /* the request the fault hits: op, after `after` of them passed */
    int after;
    unsigned kind;
} steps[] = {
    {"Initiate", "InitiateAuth (USER_SRP_AUTH)", "alice", ALICE, NULL, "InitiateAuth", 0, S_SIGNIN},
    {"PV", "PASSWORD_VERIFIER answer, tokens back", "alice", ALICE, NULL, "RespondToAuthChallenge",
     0, S_SIGNIN | S_TOKENS},
    {"PV>MFA", "PASSWORD_VERIFIER answer, SMS_MFA back", "sam", SAM, NULL, "RespondToAuthChallenge",
     0, S_SIGNIN},
    {"SMS", "SMS_MFA answer", "sam", SAM, NULL, "RespondToAuthChallenge", 1, S_SIGNIN | S_TOKENS},
    {"EMAIL", "EMAIL_OTP answer", "eve", EVE, NULL, "RespondToAuthChallenge", 1,
     S_SIGNIN | S_TOKENS},
    {"TOTP", "SOFTWARE_TOKEN_MFA answer", "tom", TOM, NULL, "RespondToAuthChallenge", 1,
     S_SIGNIN | S_TOKENS},
    {"SELECT", "SELECT_MFA_TYPE answer, SOFTWARE_TOKEN_MFA back", "bob", BOB, NULL,
     "RespondToAuthChallenge", 1, S_SIGNIN},
    {"Associate", "MFA_SETUP: AssociateSoftwareToken", "carl", CARL, MFA_ON,
     "AssociateSoftwareToken", 0, S_SETUP},
    {"Verify", "MFA_SETUP: VerifySoftwareToken", "carl", CARL, MFA_ON, "VerifySoftwareToken", 0,
     S_SETUP},
    {"MFA_SETUP", "MFA_SETUP answer", "carl", CARL, MFA_ON, "RespondToAuthChallenge", 1,
     S_SIGNIN | S_TOKENS},
    {"NEW_PW", "NEW_PASSWORD_REQUIRED answer", "fran", FRAN, NULL, "RespondToAuthChallenge", 1,
     S_SIGNIN | S_TOKENS},
    {"JWKS", "the JWKS fetch", "alice", ALICE, NULL, "jwks", 0, S_JWKS},
    {"GetId", "identity pool: GetId, in pam_open_session", "alice", ALICE, NULL, "GetId", 0,
     S_SESSION},
    {"GetCreds", "identity pool: GetCredentialsForIdentity, in pam_open_session", "alice", ALICE,
     NULL, "GetCredentialsForIdentity", 0, S_SESSION},
};
#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

/* -- faults ------------------------------------------------------------------------ */

#define NA (-100) /* the fault means nothing at that step */
#define UNAV PAM_AUTHINFO_UNAVAIL
#define AUTH PAM_AUTH_ERR

static const struct fault {
    const char *name;
    const char *spec; /* the fault's JSON members beside op/after/count; NULL: no fault */
    int expect;       /* the PAM result, unless an override below applies */
    int at_tokens;    /* at S_TOKENS steps (0: expect) */
    int at_setup;     /* at S_SETUP steps (0: expect) */
    unsigned only;    /* step kinds it applies to (0: all); NA elsewhere */
    const char *why;  /* for the overrides */
} faults[] = {
    {"(no fault)", NULL, PAM_SUCCESS, 0, 0, 0, "every step is reached and works"},
    {"stall", "\"kind\":\"stall\",\"seconds\":10", UNAV, 0, 0, 0, NULL},
    {"stall mid-body", "\"kind\":\"stall_body\",\"seconds\":10", UNAV, 0, 0, 0, NULL},
    {"TCP reset", "\"kind\":\"reset\"", UNAV, 0, 0, 0, NULL},
    {"TCP close", "\"kind\":\"close\"", UNAV, 0, 0, 0, NULL},
    {"HTTP 500",
     "\"kind\":\"status\",\"status\":500,\"body\":\"Internal Server Error\","
     "\"content_type\":\"text/plain\"",
     UNAV, 0, 0, 0, NULL},
    {"HTTP 502",
     "\"kind\":\"status\",\"status\":502,\"body\":\"<html>502 Bad Gateway</html>\","
     "\"content_type\":\"text/html\"",
     UNAV, 0, 0, 0, NULL},
    {"HTTP 503", "\"kind\":\"status\",\"status\":503,\"type\":\"ServiceUnavailableException\"",
     UNAV, 0, 0, 0, NULL},
    {"TooManyRequests", "\"kind\":\"throttle\"", UNAV, 0, 0, 0, NULL},
    {"InternalError", "\"kind\":\"status\",\"status\":500,\"type\":\"InternalErrorException\"",
     UNAV, 0, 0, 0, NULL},
    {"not JSON", "\"kind\":\"garbage\"", UNAV, 0, 0, 0, NULL},
    {"truncated JSON", "\"kind\":\"truncated_json\"", UNAV, 0, 0, 0, NULL},
    {"truncated body", "\"kind\":\"truncate\"", UNAV, 0, 0, 0, NULL},
    {"missing fields", "\"kind\":\"missing_fields\"", UNAV, 0, 0, 0, NULL},
    {"wrong types", "\"kind\":\"wrong_types\"", UNAV, 0, 0, 0, NULL},
    {"unknown challenge", "\"kind\":\"unknown_challenge\"", UNAV, 0, 0, S_SIGNIN,
     "a ChallengeName means nothing in the MFA set-up's or the JWKS's answer"},
    {"huge strings", "\"kind\":\"huge_strings\"", UNAV, AUTH, 0, 0,
     "where the answer holds the tokens, the ID token is what became huge: refused as a token"},
    {"oversized (2 MiB)", "\"kind\":\"oversized\",\"bytes\":2097152", UNAV, 0, 0, 0, NULL},
    {"TLS wrong name", "\"kind\":\"tls\",\"cert\":\"wrong_name\"", UNAV, 0, 0, 0, NULL},
    {"TLS unknown CA", "\"kind\":\"tls\",\"cert\":\"wrong_ca\"", UNAV, 0, 0, 0, NULL},
    {"TLS expired", "\"kind\":\"tls\",\"cert\":\"expired\"", UNAV, 0, 0, 0, NULL},
    {"TLS self-signed", "\"kind\":\"tls\",\"cert\":\"self_signed\"", UNAV, 0, 0, 0, NULL},
    {"token alg=none", "\"kind\":\"token\",\"spoil\":\"alg_none\"", AUTH, 0, 0, S_SIGNIN,
     "a forged sign-in answers the step; tokens mean nothing outside a sign-in answer"},
    {"token HS256/pubkey", "\"kind\":\"token\",\"spoil\":\"hs256_public_key\"", AUTH, 0, 0,
     S_SIGNIN, NULL},
    {"token bad signature", "\"kind\":\"token\",\"spoil\":\"bad_signature\"", AUTH, 0, 0, S_SIGNIN,
     NULL},
    {"token unknown kid", "\"kind\":\"token\",\"spoil\":\"unknown_kid\"", AUTH, 0, 0, S_SIGNIN,
     NULL},
    {"token exp past", "\"kind\":\"token\",\"spoil\":\"expired\"", AUTH, 0, 0, S_SIGNIN, NULL},
    {"token iat future", "\"kind\":\"token\",\"spoil\":\"iat_future\"", AUTH, 0, 0, S_SIGNIN, NULL},
    {"token wrong iss", "\"kind\":\"token\",\"spoil\":\"wrong_issuer\"", AUTH, 0, 0, S_SIGNIN,
     NULL},
    {"token wrong aud", "\"kind\":\"token\",\"spoil\":\"wrong_aud\"", AUTH, 0, 0, S_SIGNIN, NULL},
    {"token wrong use", "\"kind\":\"token\",\"spoil\":\"wrong_token_use\"", AUTH, 0, 0, S_SIGNIN,
     NULL},
    {"JWKS without kid", "\"kind\":\"jwks_without_kid\"", AUTH, 0, 0, S_JWKS,
     "the ID token's key is not in the pool's JWKS: the token cannot be verified"},
    {"JWKS other key", "\"kind\":\"jwks_other_key\"", AUTH, 0, 0, S_JWKS, NULL},
    {"JWKS keys no kid", "\"kind\":\"jwks_no_kids\"", UNAV, 0, 0, S_JWKS,
     "no key can be looked up: the JWKS is unusable, not the token bad"},
};
#define N_FAULTS (sizeof(faults) / sizeof(faults[0]))

static bool is_tls(const struct fault *f)
{
    return f->spec != NULL && strstr(f->spec, "\"tls\"") != NULL;
}

/* A step whose request is the first on a connection of its own: a TLS fault
 * there is the handshake's, as nothing resends a request on a fresh
 * connection. pam_open_session connects anew. */
static bool opens_connection(const struct step *s)
{
    return strcmp(s->op, "InitiateAuth") == 0 || strcmp(s->op, "GetId") == 0;
}

static int expected(const struct fault *f, const struct step *s)
{
    if (f->only != 0 && (f->only & s->kind) == 0)
        return NA;
    /* Whatever the identity pool does, the session opens. */
    if (s->kind & S_SESSION)
        return PAM_SUCCESS;
    if ((s->kind & S_TOKENS) && f->at_tokens != 0)
        return f->at_tokens;
    if ((s->kind & S_SETUP) && f->at_setup != 0)
        return f->at_setup;
    return f->expect;
}

/* -- one cell ---------------------------------------------------------------------- */

struct cell {
    unsigned fault, step;
    int expect;
    struct pr_result r;
    long hits;           /* requests (or handshakes) the fault hit */
    long bad_handshakes; /* handshakes that presented a bad certificate */
    long bad_requests;   /* requests that came over such a connection anyway */
    /* S_SESSION steps: what the session's PAM environment held */
    int aws_vars;     /* AWS_* variables (-1: never looked at) */
    bool session_env; /* PAM_COGNITO_SESSION was left for the shell */
    bool key_issued;  /* AWS_ACCESS_KEY_ID is the one the identity pool issued */
    unsigned no_aws;  /* times the user was told there are no AWS credentials */
};

static struct mock mocks[MAX_WORKERS];

/* What a session step's child saw of its PAM environment: slot w is worker
 * w's, shared (MAP_SHARED) so the child that ran PAM can tell its worker. */
struct env_seen {
    int aws_vars;
    bool session_env;
    char key_id[64];
};
static struct env_seen *seen;

/* A session step's script: the fault is aimed once the login worked, so it
 * cannot be the login's (and a handshake fault takes the session's first
 * connection). */
struct probe {
    const struct mock *mock;
    const char *fault; /* NULL: none */
    struct env_seen *seen;
};

static void before_op(int op, const struct pr_script *s)
{
    const struct probe *p = s->inspect_arg;
    if (op == PR_SESSION && p->fault != NULL)
        mock_fault(p->mock, p->fault);
}

static void inspect_env(pam_handle_t *pamh, const struct pr_script *s)
{
    struct probe *p = s->inspect_arg;
    char **env = NULL;

    if (pamh == NULL || (env = pam_getenvlist(pamh)) == NULL)
        return;
    p->seen->aws_vars = 0;
    for (char **e = env; *e != NULL; e++) {
        if (strncmp(*e, "AWS_", 4) == 0)
            p->seen->aws_vars++;
        if (strncmp(*e, "AWS_ACCESS_KEY_ID=", 18) == 0)
            snprintf(p->seen->key_id, sizeof(p->seen->key_id), "%s", *e + 18);
        if (strncmp(*e, "PAM_COGNITO_SESSION=", 20) == 0)
            p->seen->session_env = true;
        cog_free_secret(*e);
    }
    free(env);
}

static unsigned count_of(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* Whether key_id is an access key the mock's identity pool issued. */
static bool issued(const struct mock *m, const char *key_id)
{
    char *body = NULL, quoted[96];
    bool found = false;
    if (key_id[0] == '\0')
        return false;
    ck_assert_int_eq(mock_control(m, "GET", "/_mock/identity", NULL, &body), 200);
    snprintf(quoted, sizeof(quoted), "\"access_key_id\":\"%s\"", key_id);
    found = body != NULL && strstr(body, quoted) != NULL;
    free(body);
    return found;
}

static long fault_hits(const struct mock *m)
{
    char *body = NULL;
    long n = -1;
    ck_assert_int_eq(mock_control(m, "GET", "/_mock/faults/log", NULL, &body), 200);
    struct json_object *o = json_tokener_parse(body), *hits;
    if (json_object_object_get_ex(o, "hits", &hits))
        n = (long)json_object_array_length(hits);
    json_object_put(o);
    free(body);
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    return ftw->level > 0 ? remove(path) : 0;
}

static void run_cell(unsigned w, struct cell *c)
{
    const struct mock *m = &mocks[w];
    const struct fault *f = &faults[c->fault];
    const struct step *s = &steps[c->step];
    char service[32], cache[PATH_MAX], spec[512];
    bool session = s->kind & S_SESSION;
    struct probe probe = {.mock = m, .seen = &seen[w]};

    ck_assert_int_eq(mock_control(m, "POST", "/_mock/reset", "{}", NULL), 200);
    if (s->pool != NULL)
        ck_assert_int_eq(mock_control(m, "POST", "/_mock/pool", s->pool, NULL), 200);
    mock_add_user(m, s->user_json);
    /* No JWKS or user cache from the cell before: every login fetches the
     * JWKS, and a spoilt one never outlives its cell. */
    snprintf(cache, sizeof(cache), "%s/cache", m->dir);
    nftw(cache, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    if (f->spec != NULL) {
        /* A handshake fault at the first request hits the connection it
         * comes on; later, the reconnect after the request. Last of all the
         * control calls: a "connect" fault takes the next handshake. */
        bool connect = is_tls(f) && opens_connection(s);
        /* InitiateAuth's handshake comes twice: the early start's (while
         * the password is typed) and the one after Enter that follows its
         * failure. pam_open_session's comes once. */
        int handshakes = strcmp(s->op, "InitiateAuth") == 0 ? 2 : 1;
        snprintf(spec, sizeof(spec), "{\"op\":\"%s\",\"after\":%d,\"count\":%d,%s}",
                 connect ? "connect" : s->op, s->after, connect ? handshakes : -1, f->spec);
        if (session)
            probe.fault = spec;
        else
            mock_fault(m, spec);
    }
    memset(&seen[w], 0, sizeof(seen[w]));
    seen[w].aws_vars = -1;
    struct pr_script script = {
        .mock = m,
        .user = s->user,
        .password = PW,
        .new_password = NEW_PW,
        .totp_secret = TOTP_SECRET,
        .inspect = session ? inspect_env : NULL,
        .inspect_arg = &probe,
        .before = session ? before_op : NULL,
    };
    snprintf(service, sizeof(service), session ? "faults_id_w%u" : "faults_w%u", w);
    pr_run(service, s->user, &script, PR_AUTH | (session ? PR_SESSION : 0), 0, HARD_LIMIT_MS,
           &c->r);
    c->hits = f->spec != NULL ? fault_hits(m) : 0;
    c->bad_handshakes = mock_stat(m, "tls_fault_handshakes", NULL);
    c->bad_requests = mock_stat(m, "tls_fault_requests", NULL);
    if (session) {
        c->aws_vars = seen[w].aws_vars;
        c->session_env = seen[w].session_env;
        c->key_issued = issued(m, seen[w].key_id);
        c->no_aws = count_of(c->r.transcript, NO_AWS);
    }
}

/* The time a cell is judged by: the network step after the last answer, or
 * for a session step pam_open_session's. */
static long cell_ms(const struct cell *c)
{
    return (steps[c->step].kind & S_SESSION) ? c->r.op_ms : c->r.step_ms;
}

/* A session step's verdict on the credentials (rc must be PAM_SUCCESS). */
static bool session_ok(const struct cell *c, char *why, size_t len)
{
    bool want = faults[c->fault].spec == NULL;
    if (c->r.op != PR_SESSION) {
        snprintf(why, len, "the login failed before the session");
        return false;
    }
    if (c->aws_vars < 0) {
        snprintf(why, len, "the session's environment was never seen");
        return false;
    }
    if (c->session_env) {
        snprintf(why, len, "PAM_COGNITO_SESSION was left in the environment");
        return false;
    }
    if (want && (c->aws_vars != AWS_VARS || !c->key_issued)) {
        snprintf(why, len, "%d AWS_* variables, access key %s the identity pool's", c->aws_vars,
                 c->key_issued ? "is" : "is not");
        return false;
    }
    if (!want && c->aws_vars != 0) {
        snprintf(why, len, "%d AWS_* variables in the environment after the fault", c->aws_vars);
        return false;
    }
    if (c->no_aws != (want ? 0U : 1U)) {
        snprintf(why, len, "the user was told %u times there are no AWS credentials", c->no_aws);
        return false;
    }
    return true;
}

/* What a session cell shows: whether the credentials arrived. */
static const char *session_label(const struct cell *c)
{
    if (c->r.rc != PAM_SUCCESS || c->r.op != PR_SESSION)
        return pr_code_name(c->r.rc);
    return c->aws_vars > 0 ? "creds" : "no-creds";
}

static bool cell_ok(const struct cell *c, char *why, size_t len)
{
    const struct fault *f = &faults[c->fault];
    if (c->expect == NA)
        return true;
    if (c->r.rc != c->expect) {
        snprintf(why, len, "returned %s, expected %s", pr_code_name(c->r.rc),
                 pr_code_name(c->expect));
        return false;
    }
    if (c->r.strange) {
        snprintf(why, len, "the module asked something unexpected");
        return false;
    }
    if (cell_ms(c) > TIMEOUT_S * 1000 + SLACK_MS) {
        snprintf(why, len, "took %ld ms, more than timeout + %d ms", cell_ms(c), SLACK_MS);
        return false;
    }
    if ((steps[c->step].kind & S_SESSION) && !session_ok(c, why, len))
        return false;
    if (f->spec != NULL && c->hits < 1) {
        snprintf(why, len, "the fault never hit the login (it failed elsewhere)");
        return false;
    }
    if (is_tls(f) && c->bad_handshakes < 1) {
        snprintf(why, len, "the login never met the bad certificate");
        return false;
    }
    if (c->bad_requests > 0) {
        snprintf(why, len, "%ld request(s) went over a connection with a bad certificate",
                 c->bad_requests);
        return false;
    }
    if (c->expect == UNAV &&
        strcmp(c->r.last_error, "The sign-in service is unavailable. Try again later.") != 0) {
        snprintf(why, len, "the user was not told the service is unavailable");
        return false;
    }
    return true;
}

/* -- workers and the table --------------------------------------------------------- */

static void cell_job(unsigned w, size_t i, void *record)
{
    struct cell *c = record;
    (void)i;
    if (c->expect != NA)
        run_cell(w, c);
}

static void print_table(const struct cell *cells)
{
    printf("\nfault matrix: %zu faults x %zu steps through pam_cognito.so under pam_wrapper, "
           "timeout=%d s, limit %d ms\n",
           N_FAULTS, N_STEPS, TIMEOUT_S, TIMEOUT_S * 1000 + SLACK_MS);
    printf("cell: PAM result and seconds from the last answer typed (where the module's "
           "deadline starts) to the result;\n      OK success, UNAV PAM_AUTHINFO_UNAVAIL, AUTH "
           "PAM_AUTH_ERR, n/a not meaningful there, '!' not as expected\n"
           "identity pool steps (GetId, GetCreds): the login worked; cell: what pam_open_session "
           "left and its seconds;\n      the session opens (PAM_SUCCESS) either way: creds the "
           "AWS_* variables of the issued key,\n      no-creds none and the user told once\n\n");
    printf("%-20s", "fault \\ step");
    for (size_t s = 0; s < N_STEPS; s++)
        printf(" %-*s", (steps[s].kind & S_SESSION) ? 14 : 10, steps[s].label);
    printf("\n");
    for (size_t f = 0; f < N_FAULTS; f++) {
        printf("%-20s", faults[f].name);
        for (size_t s = 0; s < N_STEPS; s++) {
            const struct cell *c = &cells[f * N_STEPS + s];
            bool session = steps[s].kind & S_SESSION;
            char why[8];
            if (c->expect == NA)
                printf(" %-*s", session ? 14 : 10, "n/a");
            else
                printf(" %-*s%5.2f%c", session ? 8 : 4,
                       session ? session_label(c) : pr_code_name(c->r.rc),
                       (double)cell_ms(c) / 1000.0, cell_ok(c, why, sizeof(why)) ? ' ' : '!');
        }
        printf("\n");
    }
    printf("\nsteps:\n");
    for (size_t s = 0; s < N_STEPS; s++)
        printf("  %-10s %s (user %s)\n", steps[s].label, steps[s].what, steps[s].user);
    printf("expected results that are not the fault's usual one:\n");
    for (size_t f = 0; f < N_FAULTS; f++) {
        if (faults[f].why != NULL)
            printf("  %-20s %s\n", faults[f].name, faults[f].why);
    }
}

START_TEST(test_matrix)
{
    static struct cell cells[N_FAULTS * N_STEPS];
    unsigned n_workers = pr_jobs("COGNITO_FAULTS_JOBS", 4, MAX_WORKERS);

    pr_mocks_start(mocks, n_workers, "faults");
    for (unsigned w = 0; w < n_workers; w++) {
        char path[PATH_MAX], extra[PATH_MAX + 128];
        pr_conf_path("faults-id", w, path, sizeof(path));
        snprintf(extra, sizeof(extra), "identity_endpoint = %s\nidentity_pool_id = %s\n",
                 mocks[w].url, IDENTITY_POOL);
        mock_write_config(&mocks[w], path, extra);
    }
    seen = mmap(NULL, MAX_WORKERS * sizeof(*seen), PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(seen, MAP_FAILED);
    for (size_t f = 0; f < N_FAULTS; f++) {
        for (size_t s = 0; s < N_STEPS; s++) {
            struct cell *c = &cells[f * N_STEPS + s];
            c->fault = (unsigned)f;
            c->step = (unsigned)s;
            c->expect = expected(&faults[f], &steps[s]);
        }
    }
    long long t0 = cog_now_ms();
    size_t got = pr_parallel(n_workers, N_FAULTS * N_STEPS, cells, sizeof(cells[0]), cell_job);
    pr_mocks_stop(mocks, n_workers);
    munmap(seen, MAX_WORKERS * sizeof(*seen));
    ck_assert_uint_eq(got, N_FAULTS * N_STEPS);

    print_table(cells);
    size_t run = 0, bad = 0;
    for (size_t i = 0; i < N_FAULTS * N_STEPS; i++) {
        char why[160];
        run += cells[i].expect != NA;
        if (cell_ok(&cells[i], why, sizeof(why)))
            continue;
        bad++;
        printf("\nFAILED: %s at %s: %s\n%s", faults[cells[i].fault].name,
               steps[cells[i].step].label, why, cells[i].r.transcript);
    }
    printf("\n%zu cells run (%zu n/a), %zu as expected, %zu not, in %.1f s on %u workers\n", run,
           N_FAULTS * N_STEPS - run, run - bad, bad, (double)(cog_now_ms() - t0) / 1000.0,
           n_workers);
    fflush(stdout);
    ck_assert_msg(bad == 0, "%zu cells of the fault matrix are not as expected", bad);
}
END_TEST

static void write_services(void)
{
    char text[4 * PATH_MAX + 256], name[32];
    for (unsigned w = 0; w < MAX_WORKERS; w++) {
        char conf[PATH_MAX], id_conf[PATH_MAX];
        pr_conf_path("faults", w, conf, sizeof(conf));
        snprintf(name, sizeof(name), "faults_w%u", w);
        snprintf(text, sizeof(text),
                 "auth required @MODULE@ config=%s state_dir=%s/state-w%u timeout=%d\n", conf,
                 ph_dir(), w, TIMEOUT_S);
        ph_service(name, text);
        /* The identity pool's steps: the same login, then its session. */
        pr_conf_path("faults-id", w, id_conf, sizeof(id_conf));
        snprintf(name, sizeof(name), "faults_id_w%u", w);
        snprintf(text, sizeof(text),
                 "auth required @MODULE@ config=%s state_dir=%s/state-w%u timeout=%d\n"
                 "session required @MODULE@ config=%s state_dir=%s/state-w%u timeout=%d\n",
                 id_conf, ph_dir(), w, TIMEOUT_S, id_conf, ph_dir(), w, TIMEOUT_S);
        ph_service(name, text);
    }
}

int main(int argc, char **argv)
{
    test_skip_if_slow("check_faults");
    (void)argc;
    ph_run_wrapped(argv, write_services);
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("matrix");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_matrix);
    suite_add_tcase(s, tc);
    return test_main(s);
}
