/* PAM transactions against pam_cognito.so from the build tree, through the
 * real Linux-PAM library under pam_wrapper, with a scripted conversation
 * that checks every message and prompt the module sends, exactly. */
#ifndef COGNITO_PAMHARNESS_H
#define COGNITO_PAMHARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include <libpamtest.h>
#include <security/pam_appl.h>

#include "tests/testutil.h"

/* Runs the program under pam_wrapper. Unwrapped, it makes a temp dir with a
 * pam.d/ of services (write_services, called with ph_dir() set), runs
 * itself again in a child with LD_PRELOAD (libasan first in a sanitizer
 * build) and PAM_WRAPPER_SERVICE_DIR, removes the dir and exits with the
 * child's status. In the wrapped child it returns. */
void ph_run_wrapped(char **argv, void (*write_services)(void));
/* One more library to preload with pam_wrapper (nss_wrapper, say); call
 * before ph_run_wrapped. */
void ph_also_preload(const char *lib);
/* The temp dir: cognito.conf, state/ (the module's state_dir), private/
 * (private_dir) and aws/ (aws_credentials_dir) live here. */
const char *ph_dir(void);
/* Writes pam.d/NAME from text, where @MODULE@ is the module's path and
 * @ARGS@ "config=<dir>/cognito.conf state_dir=<dir>/state
 * private_dir=<dir>/private aws_credentials_dir=<dir>/aws". */
void ph_service(const char *name, const char *text);
/* ph_dir()/leaf into a static buffer. */
const char *ph_path(const char *leaf);

/* How a prompt is answered. */
enum ph_answer {
    PH_TEXT,       /* .answer as given */
    PH_CODE,       /* the latest code of kind .answer sent to the user (the mock's outbox) */
    PH_WRONG_CODE, /* one that differs from it */
    PH_TOTP,       /* the user's TOTP code now, from the script's secret */
    PH_WRONG_TOTP, /* a code no TOTP window accepts now */
    PH_TOTP_SHOWN, /* the TOTP code of the key the module showed (MFA_SETUP) */
    PH_FAIL,       /* the conversation fails here */
};

/* How a message is matched. */
enum ph_match {
    PH_EXACT,  /* style and text exactly */
    PH_QR,     /* one or more PAM_TEXT_INFO of a QR code, kept in script->qr */
    PH_SECRET, /* the "Or open this link" message: URI and key are kept */
};

struct ph_turn {
    int style; /* PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON, PAM_TEXT_INFO, PAM_ERROR_MSG */
    const char *text;
    enum ph_answer from;
    const char *answer;
    enum ph_match match;
};

struct ph_script {
    const struct ph_turn *turns;
    size_t n;
    const struct mock *mock;
    const char *user;        /* whose codes PH_CODE reads */
    const char *totp_secret; /* PH_TOTP */
    /* filled while it runs */
    size_t pos;
    bool failed;
    char why[512];
    char transcript[16384];
    char shown_uri[512];
    char shown_secret[128];
    char *qr;
};

#define PH_SCRIPT(t) .turns = (t), .n = sizeof(t) / sizeof((t)[0])

/* Runs the PAM operations in cases for user with the script as the
 * conversation, asserting each returns what it expects and that the
 * conversation went exactly as scripted. */
void ph_run(const char *service, const char *user, struct ph_script *s, struct pam_testcase *cases,
            size_t n_cases);
#define PH_RUN(service, user, script, cases)                                                       \
    ph_run(service, user, script, cases, sizeof(cases) / sizeof((cases)[0]))
void ph_script_clear(struct ph_script *s);
/* The same with PAMTEST_KEEPHANDLE as the last case: the handle is the
 * caller's, to go on with and pam_end. */
pam_handle_t *ph_run_keep(const char *service, const char *user, struct ph_script *s,
                          struct pam_testcase *cases, size_t n_cases);

/* The latest code of kind sent to user ("SMS_MFA", "EMAIL_OTP", ...), or "". */
void ph_latest_code(const struct mock *m, const char *user, const char *kind, char out[16]);

#endif
