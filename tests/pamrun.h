/* One PAM transaction in a forked child, with a conversation that answers
 * whatever the module asks by the prompt's text (unlike pamharness's exact
 * scripts), for tests that run many logins and judge only their outcome:
 * the fault matrix, hostile inputs, concurrent logins. A child that
 * crashes or hangs cannot take the test with it, and is reported as such.
 *
 * Call from a process under pam_wrapper (ph_run_wrapped) that has not run
 * a PAM transaction itself: pam_wrapper sets itself up at a process's
 * first pam_start and removes what it made when that process exits. */
#ifndef COGNITO_PAMRUN_H
#define COGNITO_PAMRUN_H

#include <stdbool.h>
#include <stddef.h>

#include <security/pam_appl.h>

#include "tests/testutil.h"

/* An answer given by prompt text, checked before the standard answers;
 * len 0 means strlen(bytes), so answers can hold NUL bytes. */
struct pr_answer {
    const char *prompt;
    const char *bytes;
    size_t len;
};

/* Ways a conversation function can let its caller down. */
enum pr_misbehave {
    PR_BEHAVE,       /* answers */
    PR_CONV_ERR,     /* returns PAM_CONV_ERR */
    PR_BUF_ERR,      /* returns PAM_BUF_ERR */
    PR_NULL_ARRAY,   /* returns PAM_SUCCESS with no response array */
    PR_NULL_STRINGS, /* returns an array whose resp strings are all NULL */
};

struct pr_script {
    const struct mock *mock; /* where SMS and email codes are read */
    const char *user;        /* whose codes */
    const char *password;    /* "Password: ", "Current password: " */
    const char *new_password;
    const char *totp_secret; /* "Authenticator code: ", unless a key was shown (MFA_SETUP) */
    const char *choice;      /* the MFA menu ("2" when NULL) */
    const struct pr_answer *answers;
    size_t n_answers;
    enum pr_misbehave misbehave;
    unsigned misbehave_at; /* at the Nth call of the conversation (1-based; 0 = every call) */
    /* Called in the child after the operations, before pam_end (pamh set)
     * and after it (pamh NULL), to look at the process; may be NULL. */
    void (*inspect)(pam_handle_t *pamh, const struct pr_script *s);
    void *inspect_arg;
    /* Called in the child before each operation (PR_AUTH, ...) runs, e.g.
     * to aim a fault at one phase only; may be NULL. */
    void (*before)(int op, const struct pr_script *s);
};

/* Which operations, in order; the first that fails ends the transaction. */
enum {
    PR_AUTH = 1,
    PR_ACCT = 2,
    PR_SESSION = 4,
};

/* How the transaction is set up. */
enum {
    PR_NO_CONV_FN = 1, /* the pam_conv's function pointer is NULL */
    PR_NO_USER = 2,    /* pam_start without a user: the module must ask or refuse */
};

#define PR_DIED (-1) /* the child died (status in .status) */
#define PR_HUNG (-2) /* the child outlived its limit and was killed */

struct pr_result {
    int rc;                /* the PAM result of the last operation run, or PR_DIED / PR_HUNG */
    int op;                /* the operation that returned rc (PR_AUTH, ...) */
    int status;            /* wait status when PR_DIED */
    long ms;               /* the operations' wall time, monotonic */
    long step_ms;          /* from the last answer given (or the start) to the result: the
                            * network step the module's timeout bounds */
    long op_ms;            /* the last operation's own wall time (pam_open_session's, ...) */
    bool strange;          /* a prompt no answer was known for */
    unsigned calls;        /* conversation calls */
    char last_error[256];  /* the last PAM_ERROR_MSG shown */
    char transcript[2048]; /* what was said and answered (answers to secret prompts hidden) */
};

/* Runs ops for user (NULL with PR_NO_USER) on service in a child; kills it
 * after limit_ms. */
void pr_run(const char *service, const char *user, const struct pr_script *s, int ops, int setup,
            long limit_ms, struct pr_result *out);

/* The conversation itself, for a test that runs PAM in its own process:
 * appdata is a struct pr_conv. */
struct pr_conv {
    const struct pr_script *script;
    struct pr_result *result;
    char shown_key[128]; /* the TOTP key an MFA_SETUP showed */
    long long answered;  /* cog_now_ms() when the conversation last answered a prompt */
};
int pr_conversation(int n, const struct pam_message **msgs, struct pam_response **resp,
                    void *appdata);

/* Runs job(w, i, record) for every i < n on `workers` child processes
 * (worker w takes i = w, w + workers, ...), each record starting as
 * records[i] and coming back into it. A record is at most PR_RECORD_MAX
 * bytes, so the workers' writes never mix. Returns how many came back: a
 * worker that died loses the rest of its share. */
#define PR_RECORD_MAX 4000
size_t pr_parallel(unsigned workers, size_t n, void *records, size_t record_size,
                   void (*job)(unsigned w, size_t i, void *record));
/* The number in environment variable name, clamped to 1..max (dflt unset). */
unsigned pr_jobs(const char *name, unsigned dflt, unsigned max);

/* One mock per worker: mocks[w] is started and its config written to
 * pr_conf_path(name, w) (ph_dir()/NAME-wW.conf), for services to name. */
void pr_conf_path(const char *name, unsigned w, char *out, size_t len);
void pr_mocks_start(struct mock *mocks, unsigned n, const char *name);
void pr_mocks_stop(struct mock *mocks, unsigned n);

/* "OK", "AUTH", "UNAV", ... for tables. */
const char *pr_code_name(int rc);

#endif
