/* The fixture of issue 18's PAM tests (tests/pam/statusfix.h). */
#include "build-config.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/sha.h>

#include "libcognito/core/util.h"
#include "tests/pam/statusfix.h"

struct mock mock;

/* The account stacks: PAM_IGNORE falls through to pam_deny (PAM_AUTH_ERR). */
#define ACCT(args)                                                                                 \
    "account [success=done ignore=ignore default=die] @MODULE@ @ARGS@" args "\n"                   \
    "account required pam_deny.so\n"
#define SET_ITEMS "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"
#define DOWN "timeout=2 endpoint=https://127.0.0.1:1/"

/* -- the mock and the module's directories -------------------------------------------- */

void mock_up(void)
{
    char extra[256];
    mock_start(&mock, NULL, NULL);
    snprintf(extra, sizeof(extra),
             "identity_endpoint = %s\nidentity_pool_id = "
             "us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\n",
             mock.url);
    mock_write_config(&mock, ph_path("cognito.conf"), extra);
}

void mock_down(void)
{
    mock_stop(&mock);
}

static void empty(const char *leaf)
{
    DIR *d = opendir(ph_path(leaf));
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", ph_path(leaf), e->d_name);
        if (e->d_name[0] != '.' && e->d_type == DT_REG)
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
}

int files_in(const char *leaf)
{
    int n = 0;
    DIR *d = opendir(ph_path(leaf));
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.' && e->d_type == DT_REG;
    if (d != NULL)
        closedir(d);
    return n;
}

void fresh(const char *user, const char *settings)
{
    static const char *const dirs[] = {"state", "state/sessions", "private/offline",
                                       "private/devices"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        empty(dirs[i]);
    char cache[PATH_MAX];
    snprintf(cache, sizeof(cache), "%s/cache", mock.dir);
    DIR *d = opendir(cache);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[2 * PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", cache, e->d_name);
        if (e->d_name[0] != '.' && strncmp(e->d_name, "jwks-", 5) != 0)
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    if (settings != NULL)
        ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/pool", settings, NULL), 200);
    mock_add_user(&mock, user);
    mock_reset_stats(&mock);
}

const char *record_of(const char *leaf, const char *key)
{
    static char path[PATH_MAX];
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)key, strlen(key), md);
    cog_hex_encode(md, sizeof(md), hex);
    snprintf(path, sizeof(path), "%s/%s", ph_path(leaf), hex);
    return access(path, F_OK) == 0 ? path : "";
}

void auth_expect(const char *service, const char *user, const struct ph_turn *t, size_t n,
                 int expected)
{
    struct ph_script s = {.turns = t, .n = n, .mock = &mock, .user = user};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, expected)};
    PH_RUN(service, user, &s, cases);
}

/* -- the services ------------------------------------------------------------------------- */

void status_services(void)
{
    ph_service("other", "auth required pam_deny.so\naccount required pam_deny.so\n"
                        "password required pam_deny.so\nsession required pam_deny.so\n");
    ph_service("status", "auth required @MODULE@ @ARGS@\n");
    ph_service("status_acct", ACCT(""));
    ph_service("status_acct_fcp", ACCT(" allowed_user_status=FORCE_CHANGE_PASSWORD"));
    ph_service("status_offline", "auth required @MODULE@ @ARGS@ offline_login=password\n");
    ph_service("status_offline_fast",
               "auth required @MODULE@ @ARGS@ timeout=2 offline_login=password\n");
    ph_service("status_offline_mfa",
               "auth required @MODULE@ @ARGS@ offline_login=password offline_login_mfa_users\n");
    ph_service("status_offline_down",
               "auth required @MODULE@ @ARGS@ " DOWN " offline_login=password\n");
    ph_service("status_offline_down_mfa", "auth required @MODULE@ @ARGS@ " DOWN
                                          " offline_login=password offline_login_mfa_users\n");
    ph_service("status_custom", "auth required @MODULE@ @ARGS@ auth_flow=CUSTOM_AUTH\n");
    ph_service("status_custom_offline",
               "auth required @MODULE@ @ARGS@ auth_flow=CUSTOM_AUTH offline_login=password\n");
    ph_service("status_device_rhost", SET_ITEMS "auth required @MODULE@ @ARGS@ remember_device\n");
    ph_service("status_device_remote", SET_ITEMS "auth required @MODULE@ @ARGS@ remember_device "
                                                 "remember_device_remote\n");
    /* sudo on Debian: common-auth and common-account, no session of ours. */
    ph_service("status_sudo", "auth required @MODULE@ @ARGS@\n" ACCT(""));
    ph_service("status_su", "session [success=done ignore=ignore default=die] @MODULE@ @ARGS@\n"
                            "session required pam_deny.so\n");
}
