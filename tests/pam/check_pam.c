/* pam_cognito.so through the real Linux-PAM library (pam_wrapper +
 * libpamtest) against the mock IdP: every challenge as conversation turns
 * whose exact words are asserted, the failures that must never grant
 * access, the account phase and the password change. */
#include "build-config.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <openssl/sha.h>
#include <qrencode.h>

#include "libcognito/cache/cache.h"
#include "libcognito/wire/idp.h"
#include "libcognito/signin/qr.h"
#include "tests/cachetest.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"
#include "tests/pamharness.h"
#include "tests/testutil.h"

static struct mock mock;

#define TOTP_SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#define PW "Passw0rd!"

#define PASSWORD(pw)                                                                               \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, "Password: ", PH_TEXT, pw, PH_EXACT                                   \
    }
#define OFF(text, from, ans)                                                                       \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, text, from, ans, PH_EXACT                                             \
    }
#define ON(text, from, ans)                                                                        \
    {                                                                                              \
        PAM_PROMPT_ECHO_ON, text, from, ans, PH_EXACT                                              \
    }
#define INFO(text)                                                                                 \
    {                                                                                              \
        PAM_TEXT_INFO, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define ERR(text)                                                                                  \
    {                                                                                              \
        PAM_ERROR_MSG, text, PH_TEXT, NULL, PH_EXACT                                               \
    }

#define WRONG_CODE "That code is wrong or has expired. Try again."
#define SMS_SENT "A code was sent by SMS to +*******1111."

/* -- the mock ---------------------------------------------------------------------- */

/* The mock's default identity pool (ops_identity.py). */
#define IDENTITY_POOL "us-east-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

static void mock_up(void)
{
    char extra[2048], cache[PATH_MAX];
    mock_start(&mock, NULL, NULL);
    /* Only the stacks with a session line use the identity pool. Users get
     * their uid from custom:uid (alice: the uid of her test home) and the
     * test's local files; NSS (nss_wrapper) asks those files, then the
     * test build of the NSS module reading this mock's cache. */
    snprintf(extra, sizeof(extra),
             "identity_endpoint = %s\nidentity_pool_id = " IDENTITY_POOL "\n"
             "uid_attribute = custom:uid\nuid_min = 1000\nhome_template = %s/home/%%u\n"
             "local_passwd_file = %s/local_passwd\nlocal_group_file = %s/local_group\n",
             mock.url, ph_dir(), ph_dir(), ph_dir());
    mock_write_config(&mock, ph_path("cognito.conf"), extra);
    snprintf(cache, sizeof(cache), "%s/cache", mock.dir);
    setenv("COGNITO_NSS_CACHE_DIR", cache, 1);
}

static void mock_down(void)
{
    mock_stop(&mock);
}

/* What pam_acct_mgmt returns when the module says PAM_IGNORE: the account
 * stacks here are "[success=done ignore=ignore default=die] pam_cognito"
 * then pam_deny, so ignoring falls through to pam_deny's PAM_AUTH_ERR while
 * a refusal stays PAM_PERM_DENIED. */
#define MODULE_IGNORED PAM_AUTH_ERR

/* Removes the files of dir whose names start with none of keep (or all). */
static void empty_dir(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && (keep == NULL || strncmp(e->d_name, keep, strlen(keep)) != 0))
            unlink(path);
    }
    if (d != NULL)
        closedir(d);
}

/* Empties the mock's user cache (the JWKS stays) and tells the NSS module,
 * which would otherwise go on answering from the files it has mapped. */
static void drop_cache(void)
{
    char cache[PATH_MAX];
    struct cog_error err = {0};
    snprintf(cache, sizeof(cache), "%s/cache", mock.dir);
    cog_cache_notify(cache, COG_CACHE_NSS_FILE, &err); /* none: nobody mapped it */
    empty_dir(cache, "jwks-");
}

/* A clean pool with these users (USER JSON objects, NULL-terminated), and
 * no login records or user cache left by earlier tests (the JWKS stays). */
static void fresh(const char *first, ...)
{
    va_list ap;
    empty_dir(ph_path("state"), NULL);
    empty_dir(ph_path("state/sessions"), NULL);
    empty_dir(ph_path("private/offline"), NULL);
    empty_dir(ph_path("private/devices"), NULL);
    drop_cache();
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    va_start(ap, first);
    for (const char *u = first; u != NULL; u = va_arg(ap, const char *))
        mock_add_user(&mock, u);
    va_end(ap);
    mock_reset_stats(&mock);
}

static void pool(const char *settings)
{
    char *body = NULL;
    long st = mock_control(&mock, "POST", "/_mock/pool", settings, &body);
    ck_assert_msg(st == 200, "pool settings refused: %s", body);
    free(body);
}

/* alice as a Unix user (nss_wrapper): uid 43210 as root, else our own. */
static uid_t alice_uid(void)
{
    return geteuid() == 0 ? 43210 : getuid();
}

#define ALICE_SUB "a11ce000-0000-4000-8000-00000000a11c"

/* alice's custom:uid is the owner of her test home (alice_uid). */
static const char *alice_json(void)
{
    static char json[512];
    snprintf(json, sizeof(json),
             "{\"username\":\"alice\",\"sub\":\"" ALICE_SUB "\",\"password\":\"" PW "\","
             "\"groups\":[\"admins\",\"ops\"],"
             "\"attributes\":{\"email\":\"alice@example.com\",\"custom:uid\":\"%u\"}}",
             (unsigned)alice_uid());
    return json;
}
#define ALICE alice_json()
#define SAM                                                                                        \
    "{\"username\":\"sam\",\"password\":\"" PW "\",\"mfa_settings\":[\"SMS_MFA\"],"                \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
#define TOM                                                                                        \
    "{\"username\":\"tom\",\"password\":\"" PW "\",\"mfa_settings\":[\"SOFTWARE_TOKEN_MFA\"],"     \
    "\"totp_secret\":\"" TOTP_SECRET "\"}"
#define EVE                                                                                        \
    "{\"username\":\"eve\",\"password\":\"" PW "\",\"mfa_settings\":[\"EMAIL_OTP\"],"              \
    "\"attributes\":{\"email\":\"eve@example.com\"}}"
#define BOB                                                                                        \
    "{\"username\":\"bob\",\"password\":\"" PW "\","                                               \
    "\"mfa_settings\":[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"],\"totp_secret\":\"" TOTP_SECRET "\","   \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"

/* The stored user as JSON (caller puts it). */
static struct json_object *get_user(const char *name)
{
    char path[128], *body = NULL;
    snprintf(path, sizeof(path), "/_mock/users/%s", name);
    ck_assert_int_eq(mock_control(&mock, "GET", path, NULL, &body), 200);
    struct json_object *o = json_tokener_parse(body);
    free(body);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* -- one test per conversation turn --------------------------------------------------- */

START_TEST(test_password)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    PH_RUN("cognito", "alice", &s, cases);
    /* One login: InitiateAuth and one answer (the JWKS may come once). */
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);
}
END_TEST

START_TEST(test_sms_mfa)
{
    fresh(SAM, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO(SMS_SENT),
        OFF("SMS code: ", PH_CODE, "SMS_MFA"),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "sam"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "sam", &s, cases);
}
END_TEST

START_TEST(test_totp_mfa)
{
    fresh(TOM, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        OFF("Authenticator code: ", PH_TOTP, NULL),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "tom", .totp_secret = TOTP_SECRET};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "tom", &s, cases);
}
END_TEST

START_TEST(test_email_otp)
{
    fresh(EVE, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO("A code was sent by email to e***@e***."),
        OFF("Email code: ", PH_CODE, "EMAIL_OTP"),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "eve"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "eve", &s, cases);
}
END_TEST

START_TEST(test_echo_codes)
{
    fresh(SAM, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO(SMS_SENT),
        ON("SMS code: ", PH_CODE, "SMS_MFA"),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "sam"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito_echo", "sam", &s, cases);
}
END_TEST

#define MENU "Choose how to confirm this sign-in:\n  1) Code by SMS\n  2) Authenticator app"

START_TEST(test_select_mfa_type)
{
    fresh(BOB, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO(MENU),
        ON("Choice [1-2]: ", PH_TEXT, "3"),
        ERR("Please enter a number from 1 to 2."),
        INFO(MENU),
        ON("Choice [1-2]: ", PH_TEXT, "2"),
        OFF("Authenticator code: ", PH_TOTP, NULL),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "bob", .totp_secret = TOTP_SECRET};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "bob", &s, cases);

    const struct ph_turn t2[] = {
        PASSWORD(PW),
        INFO(MENU),
        ON("Choice [1-2]: ", PH_TEXT, "1"),
        INFO(SMS_SENT),
        OFF("SMS code: ", PH_CODE, "SMS_MFA"),
    };
    struct ph_script s2 = {PH_SCRIPT(t2), .mock = &mock, .user = "bob"};
    PH_RUN("cognito", "bob", &s2, cases);
}
END_TEST

/* The QR code shown must encode exactly the expected otpauth:// URI: read
 * the drawing back into modules and compare with libqrencode's symbol. */
static void assert_qr_encodes(const char *qr, const char *uri)
{
    QRcode *q = QRcode_encodeString8bit(uri, 0, QR_ECLEVEL_L);
    ck_assert_ptr_nonnull(q);
    int size = q->width + 2 * COG_QR_MARGIN; /* the quiet zone on each side */
    int line = 0, x = 0;
    for (const char *p = qr; *p; line += *p == '\n' ? 1 : 0, x = *p == '\n' ? 0 : x, p++) {
        if (*p == '\n')
            continue;
        bool top, bottom;
        if (*p == ' ') {
            top = bottom = false;
        } else {
            ck_assert(strncmp(p, "\xe2\x96", 2) == 0);
            top = p[2] == '\x80' || p[2] == '\x88';
            bottom = p[2] == '\x84' || p[2] == '\x88';
            p += 2;
        }
        for (int half = 0; half < 2; half++) {
            int y = 2 * line + half - COG_QR_MARGIN, mx = x - COG_QR_MARGIN;
            bool drawn = half ? bottom : top;
            if (2 * line + half >= size) {
                ck_assert(!drawn);
                continue;
            }
            bool light = mx < 0 || y < 0 || mx >= q->width || y >= q->width ||
                         !(q->data[y * q->width + mx] & 1);
            ck_assert_msg(drawn == light, "QR module (%d,%d) differs", mx, y);
        }
        x++;
    }
    ck_assert_int_eq(line + 1, (size + 1) / 2);
    QRcode_free(q);
}

START_TEST(test_mfa_setup)
{
    fresh(ALICE, NULL);
    pool("{\"mfa_configuration\":\"ON\"}");
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO("This account needs an authenticator app (TOTP). " COG_QR_INTRO("dark", "light")),
        {PAM_TEXT_INFO, NULL, PH_TEXT, NULL, PH_QR},
        {PAM_TEXT_INFO, NULL, PH_TEXT, NULL, PH_SECRET},
        OFF("Authenticator code: ", PH_TOTP_SHOWN, NULL),
        INFO("The authenticator app is set up."),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "alice", &s, cases);

    /* The key shown is the one the pool now holds, in the URI and the QR code. */
    struct json_object *u = get_user("alice");
    char secret[128];
    snprintf(secret, sizeof(secret), "%s",
             json_object_get_string(json_object_object_get(u, "totp_secret")));
    ck_assert_str_eq(s.shown_secret, secret);
    char uri[256];
    snprintf(uri, sizeof(uri),
             "otpauth://totp/" MOCK_POOL_ID ":alice?secret=%s&issuer=" MOCK_POOL_ID, secret);
    ck_assert_str_eq(s.shown_uri, uri);
    assert_qr_encodes(s.qr, uri);
    json_object_put(u);
    ph_script_clear(&s);

    /* Enrolled: the next login asks for the app's code. */
    const struct ph_turn t2[] = {PASSWORD(PW), OFF("Authenticator code: ", PH_TOTP, NULL)};
    struct ph_script s2 = {PH_SCRIPT(t2), .mock = &mock, .user = "alice", .totp_secret = secret};
    PH_RUN("cognito", "alice", &s2, cases);
}
END_TEST

START_TEST(test_new_password_required)
{
    fresh("{\"username\":\"fran\",\"password\":\"" PW "\",\"status\":\"FORCE_CHANGE_PASSWORD\","
          "\"attributes\":{\"email\":\"fran@example.com\"}}",
          NULL);
    pool("{\"required_attributes\":[\"name\",\"custom:dept\"]}");
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO("You must choose a new password."),
        OFF("New password: ", PH_TEXT, "n3wpassw0rd!"),
        OFF("Retype new password: ", PH_TEXT, "n3wpassw0rd?"),
        ERR("The passwords do not match."),
        OFF("New password: ", PH_TEXT, "n3wpassw0rd!"),
        OFF("Retype new password: ", PH_TEXT, "n3wpassw0rd!"),
        ON("Full name: ", PH_TEXT, "Fran F"),
        ON("custom:dept: ", PH_TEXT, "ops"),
        ERR("Password did not conform with policy: Password must have uppercase characters"),
        OFF("New password: ", PH_TEXT, "N3wPassw0rd!"),
        OFF("Retype new password: ", PH_TEXT, "N3wPassw0rd!"),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "fran"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "fran", &s, cases);

    struct json_object *u = get_user("fran");
    struct json_object *attrs = json_object_object_get(u, "attributes");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(u, "status")), "CONFIRMED");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(attrs, "name")), "Fran F");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(attrs, "custom:dept")), "ops");
    json_object_put(u);
    /* The new password is the password now. */
    const struct ph_turn t2[] = {PASSWORD("N3wPassw0rd!")};
    struct ph_script s2 = {PH_SCRIPT(t2), .mock = &mock, .user = "fran"};
    PH_RUN("cognito", "fran", &s2, cases);
}
END_TEST

START_TEST(test_custom_challenge)
{
    fresh("{\"username\":\"cus\",\"password\":\"" PW "\",\"custom_challenges\":["
          "{\"params\":{\"question\":\"Favourite colour?\"},\"answer\":\"blue\",\"tries\":2},"
          "{\"params\":{\"hint\":\"last 4 digits of your badge\"},\"answer\":\"1234\"}]}",
          NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        ON("Favourite colour? ", PH_TEXT, "red"),
        ON("Favourite colour? ", PH_TEXT, "blue"),
        INFO("The sign-in asks:\n  hint: last 4 digits of your badge"),
        ON("Answer: ", PH_TEXT, "1234"),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "cus"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito_custom", "cus", &s, cases);

    const struct ph_turn t2[] = {
        PASSWORD(PW),
        ON("Favourite colour? ", PH_TEXT, "red"),
        ON("Favourite colour? ", PH_TEXT, "green"),
    };
    struct ph_script s2 = {PH_SCRIPT(t2), .mock = &mock, .user = "cus"};
    struct pam_testcase fails[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito_custom", "cus", &s2, fails);
}
END_TEST

#define RITA                                                                                       \
    "{\"username\":\"rita\",\"password\":\"" PW "\",\"status\":\"RESET_REQUIRED\","                \
    "\"attributes\":{\"email\":\"rita@example.com\"}}"

START_TEST(test_password_reset)
{
    fresh(RITA, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO("Your password must be reset before you can sign in."),
        INFO("A password reset code was sent by email to r***@e***."),
        OFF("Password reset code: ", PH_WRONG_CODE, "ForgotPassword"),
        OFF("New password: ", PH_TEXT, "Reset1234!"),
        OFF("Retype new password: ", PH_TEXT, "Reset1234!"),
        ERR(WRONG_CODE),
        OFF("Password reset code: ", PH_CODE, "ForgotPassword"),
        INFO("Your password has been reset."),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "rita"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito_reset", "rita", &s, cases);
    /* Signed in with the new password: the old one is gone. */
    const struct ph_turn t2[] = {PASSWORD(PW)};
    struct ph_script s2 = {PH_SCRIPT(t2), .mock = &mock, .user = "rita"};
    struct pam_testcase fails[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito", "rita", &s2, fails);
}
END_TEST

/* Without allow_password_reset a reset-required account reads exactly like
 * a wrong password: whoever types at the prompt learns nothing of it. */
START_TEST(test_password_reset_off)
{
    fresh(RITA, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "rita"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito", "rita", &s, cases);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ForgotPassword"), 0);
}
END_TEST

#define UNA                                                                                        \
    "{\"username\":\"una\",\"password\":\"" PW "\",\"status\":\"UNCONFIRMED\","                    \
    "\"attributes\":{\"email\":\"una@example.com\"}}"

START_TEST(test_confirm_sign_up)
{
    fresh(UNA, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO("Your account is not confirmed yet. Enter the confirmation code you were sent, or "
             "just press Enter to get a new one."),
        OFF("Confirmation code: ", PH_TEXT, ""),
        INFO("A confirmation code was sent by email to u***@e***."),
        OFF("Confirmation code: ", PH_WRONG_CODE, "ConfirmSignUp"),
        ERR(WRONG_CODE),
        OFF("Confirmation code: ", PH_CODE, "ConfirmSignUp"),
        INFO("Your account is confirmed."),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "una"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito_confirm", "una", &s, cases);
    struct json_object *u = get_user("una");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(u, "status")), "CONFIRMED");
    json_object_put(u);
}
END_TEST

START_TEST(test_confirm_sign_up_off)
{
    fresh(UNA, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        ERR("Your account is not confirmed yet. Confirm it with the code you were sent, or ask "
            "an administrator."),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "una"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito", "una", &s, cases);
}
END_TEST

START_TEST(test_chauthtok)
{
    fresh(SAM, NULL);
    const struct ph_turn t[] = {
        OFF("Current password: ", PH_TEXT, PW),
        INFO(SMS_SENT),
        OFF("SMS code: ", PH_CODE, "SMS_MFA"),
        OFF("New password: ", PH_TEXT, "Short1!"),
        OFF("Retype new password: ", PH_TEXT, "Short1!"),
        ERR("Password did not conform with policy: Password not long enough"),
        OFF("New password: ", PH_TEXT, "N3wPassw0rd!"),
        OFF("Retype new password: ", PH_TEXT, "N3wPassw0rd!"),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "sam"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS)};
    PH_RUN("cognito", "sam", &s, cases);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ChangePassword"), 2);

    const struct ph_turn t2[] = {
        PASSWORD("N3wPassw0rd!"),
        INFO(SMS_SENT),
        OFF("SMS code: ", PH_CODE, "SMS_MFA"),
    };
    struct ph_script s2 = {PH_SCRIPT(t2), .mock = &mock, .user = "sam"};
    struct pam_testcase auth[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "sam", &s2, auth);
}
END_TEST

START_TEST(test_chauthtok_wrong_old_password)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {OFF("Current password: ", PH_TEXT, "Wrong0ne!")};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_CHAUTHTOK, PAM_AUTH_ERR)};
    PH_RUN("cognito", "alice", &s, cases);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ChangePassword"), 0);
}
END_TEST

/* -- nothing here may grant access ------------------------------------------------- */

/* The login failed, and left nothing the account phase could take for one. */
static void assert_refused(const char *service, const char *user, const struct ph_turn *t, size_t n,
                           int expected)
{
    struct ph_script s = {.turns = t, .n = n, .mock = &mock, .user = user};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, expected),
    };
    PH_RUN(service, user, &s, cases);
    struct ph_script none = {.mock = &mock, .user = user};
    struct pam_testcase acct[] = {pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED)};
    PH_RUN(service, user, &none, acct);
}
#define ASSERT_REFUSED(service, user, t, expected)                                                 \
    assert_refused(service, user, t, sizeof(t) / sizeof((t)[0]), expected)

START_TEST(test_wrong_password)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD("Passw0rd?")};
    ASSERT_REFUSED("cognito", "alice", t, PAM_AUTH_ERR);
}
END_TEST

START_TEST(test_wrong_code_three_times)
{
    fresh(SAM, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        INFO(SMS_SENT),
        OFF("SMS code: ", PH_WRONG_CODE, "SMS_MFA"),
        ERR(WRONG_CODE),
        OFF("SMS code: ", PH_WRONG_CODE, "SMS_MFA"),
        ERR(WRONG_CODE),
        OFF("SMS code: ", PH_WRONG_CODE, "SMS_MFA"),
        ERR("Too many wrong codes."),
    };
    ASSERT_REFUSED("cognito", "sam", t, PAM_AUTH_ERR);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 4);
}
END_TEST

START_TEST(test_wrong_totp_three_times)
{
    fresh(TOM, NULL);
    const struct ph_turn t[] = {
        PASSWORD(PW),
        OFF("Authenticator code: ", PH_WRONG_TOTP, NULL),
        ERR(WRONG_CODE),
        OFF("Authenticator code: ", PH_WRONG_TOTP, NULL),
        ERR(WRONG_CODE),
        OFF("Authenticator code: ", PH_WRONG_TOTP, NULL),
        ERR("Too many wrong codes."),
    };
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "tom", .totp_secret = TOTP_SECRET};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito", "tom", &s, cases);
}
END_TEST

START_TEST(test_unknown_user)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    ASSERT_REFUSED("cognito", "mallory", t, PAM_USER_UNKNOWN);
    /* A pool that hides existence: the same as a wrong password. */
    pool("{\"prevent_user_existence_errors\":true}");
    ASSERT_REFUSED("cognito", "mallory", t, PAM_AUTH_ERR);
}
END_TEST

START_TEST(test_disabled_user)
{
    fresh("{\"username\":\"dave\",\"password\":\"" PW "\",\"enabled\":false}", NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    ASSERT_REFUSED("cognito", "dave", t, PAM_AUTH_ERR);
}
END_TEST

#define UNAVAILABLE ERR("The sign-in service is unavailable. Try again later.")

START_TEST(test_throttled)
{
    fresh(ALICE, NULL);
    /* Twice: the InitiateAuth sent while the password is typed, and the one
     * sent again after Enter (check_early.c: once is only slower). */
    mock_fault(&mock, "{\"op\":\"InitiateAuth\",\"kind\":\"throttle\",\"count\":2}");
    const struct ph_turn t[] = {PASSWORD(PW), UNAVAILABLE};
    ASSERT_REFUSED("cognito", "alice", t, PAM_AUTHINFO_UNAVAIL);
    mock_fault(&mock, "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"status\",\"status\":503}");
    ASSERT_REFUSED("cognito", "alice", t, PAM_AUTHINFO_UNAVAIL);
}
END_TEST

START_TEST(test_idp_down)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW), UNAVAILABLE};
    /* A stalled IdP: unavailable within timeout (2 s) + 0.5 s. */
    mock_fault(&mock, "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"stall\",\"seconds\":30}");
    long long t0 = cog_now_ms();
    ASSERT_REFUSED("cognito_fast", "alice", t, PAM_AUTHINFO_UNAVAIL);
    long long took = cog_now_ms() - t0;
    ck_assert_msg(took < 2500, "took %lld ms with timeout=2", took);
    /* A stall after the user typed a code: that step has its own 2 s. */
    fresh(SAM, NULL);
    mock_fault(&mock, "{\"op\":\"RespondToAuthChallenge\",\"kind\":\"stall\",\"seconds\":30,"
                      "\"after\":1}");
    const struct ph_turn sms[] = {PASSWORD(PW), INFO(SMS_SENT),
                                  OFF("SMS code: ", PH_CODE, "SMS_MFA"), UNAVAILABLE};
    t0 = cog_now_ms();
    ASSERT_REFUSED("cognito_fast", "sam", sms, PAM_AUTHINFO_UNAVAIL);
    took = cog_now_ms() - t0;
    ck_assert_msg(took >= 1500 && took < 2500, "took %lld ms with timeout=2", took);
    /* Nobody listening at all. */
    t0 = cog_now_ms();
    ASSERT_REFUSED("cognito_down", "alice", t, PAM_AUTHINFO_UNAVAIL);
    ck_assert_msg(cog_now_ms() - t0 < 2500, "took %lld ms", cog_now_ms() - t0);
}
END_TEST

static const char *const token_faults[] = {
    "bad_signature", "alg_none",        "wrong_aud",   "expired",
    "wrong_issuer",  "wrong_token_use", "unknown_kid",
};

START_TEST(test_bad_token)
{
    char setting[96];
    fresh(ALICE, NULL);
    snprintf(setting, sizeof(setting), "{\"token_fault\":\"%s\"}", token_faults[_i]);
    pool(setting);
    const struct ph_turn t[] = {PASSWORD(PW)};
    ASSERT_REFUSED("cognito", "alice", t, PAM_AUTH_ERR);
    /* The login itself went through: only the token check refused it. */
    ck_assert_int_eq(mock_stat(&mock, NULL, "RespondToAuthChallenge"), 1);
    /* An unknown kid is worth one JWKS refetch, never more. */
    if (strcmp(token_faults[_i], "unknown_kid") == 0)
        ck_assert_int_le(mock_stat(&mock, NULL, "jwks"), 2);
}
END_TEST

/* An alias signs the user in, but the token names "alice", not the PAM user. */
START_TEST(test_token_of_another_user)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    ASSERT_REFUSED("cognito", "alice@example.com", t, PAM_AUTH_ERR);
}
END_TEST

START_TEST(test_conversation_fails)
{
    fresh(SAM, NULL);
    const struct ph_turn t[] = {PASSWORD(PW), INFO(SMS_SENT), OFF("SMS code: ", PH_FAIL, NULL)};
    ASSERT_REFUSED("cognito", "sam", t, PAM_CONV_ERR);
    const struct ph_turn t2[] = {OFF("Password: ", PH_FAIL, NULL)};
    ASSERT_REFUSED("cognito", "sam", t2, PAM_CONV_ERR);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
}
END_TEST

START_TEST(test_system_account_refused)
{
    fresh("{\"username\":\"root\",\"password\":\"" PW "\"}", NULL);
    struct ph_script s = {.mock = &mock, .user = "root"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
        pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED),
    };
    PH_RUN("cognito", "root", &s, cases);
    struct pam_testcase groups[] = {pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED)};
    PH_RUN("cognito_wheel", "root", &s, groups);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

START_TEST(test_bad_options)
{
    fresh(ALICE, NULL);
    static const char *const services[] = {"cognito_bogus", "cognito_secret", "cognito_badval"};
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        struct ph_script s = {.mock = &mock, .user = "alice"};
        struct pam_testcase cases[] = {
            pam_test(PAMTEST_AUTHENTICATE, PAM_SERVICE_ERR),
            pam_test(PAMTEST_ACCOUNT, PAM_SERVICE_ERR),
        };
        PH_RUN(services[i], "alice", &s, cases);
    }
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* -- use_first_pass, try_first_pass, PAM_SILENT --------------------------------------- */

START_TEST(test_use_first_pass)
{
    fresh(ALICE, NULL);
    struct ph_script s = {.mock = &mock, .user = "alice"};
    struct pam_testcase ok[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    struct pam_testcase no[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    setenv("PAM_AUTHTOK", PW, 1);
    PH_RUN("cognito_first", "alice", &s, ok);
    setenv("PAM_AUTHTOK", "Passw0rd?", 1);
    PH_RUN("cognito_first", "alice", &s, no);
    unsetenv("PAM_AUTHTOK");
    /* No earlier password: refused without a prompt or a request. */
    mock_reset_stats(&mock);
    PH_RUN("cognito_first", "alice", &s, no);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

START_TEST(test_try_first_pass)
{
    fresh(ALICE, NULL);
    struct ph_script s = {.mock = &mock, .user = "alice"};
    struct pam_testcase ok[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    setenv("PAM_AUTHTOK", PW, 1);
    PH_RUN("cognito_try", "alice", &s, ok);
    unsetenv("PAM_AUTHTOK");
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s2 = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    PH_RUN("cognito_try", "alice", &s2, ok);
    /* Without either option the module asks, whatever an earlier module read. */
    setenv("PAM_AUTHTOK", "Passw0rd?", 1);
    struct ph_script s3 = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    PH_RUN("cognito_stacked", "alice", &s3, ok);
    unsetenv("PAM_AUTHTOK");
}
END_TEST

START_TEST(test_silent)
{
    fresh(SAM, NULL);
    const struct ph_turn t[] = {PASSWORD(PW), OFF("SMS code: ", PH_CODE, "SMS_MFA")};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "sam"};
    struct pam_testcase cases[] = {
        pam_test_flags(PAMTEST_AUTHENTICATE, PAM_SUCCESS, PAM_SILENT),
    };
    PH_RUN("cognito", "sam", &s, cases);
}
END_TEST

/* -- the account phase ------------------------------------------------------------ */

START_TEST(test_allowed_groups)
{
    fresh(ALICE, "{\"username\":\"carol\",\"password\":\"" PW "\",\"groups\":[\"devs\"]}", NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase in[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
    };
    PH_RUN("cognito_groups", "alice", &s, in);
    struct ph_script s2 = {PH_SCRIPT(t), .mock = &mock, .user = "carol"};
    struct pam_testcase out[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED),
    };
    PH_RUN("cognito_groups", "carol", &s2, out);
}
END_TEST

/* sshd runs authentication in a child process: the account phase, in
 * another transaction, knows the login from the record alone. */
START_TEST(test_account_in_another_process)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase auth[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    struct ph_script none = {.mock = &mock, .user = "alice"};
    struct pam_testcase allowed[] = {pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS)};
    struct pam_testcase denied[] = {pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED)};

    PH_RUN("cognito", "alice", &s, auth);
    PH_RUN("cognito_groups", "alice", &none, allowed);
    PH_RUN("cognito_wheel", "alice", &none, denied);

    /* The record: private, in a private directory, no secret in it. */
    struct stat sb;
    ck_assert_int_eq(stat(ph_path("state"), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    DIR *d = opendir(ph_path("state"));
    struct dirent *e;
    char record[512] = "";
    while ((e = readdir(d)) != NULL) {
        /* The login record; sessions/ holds the tokens (test_session_store). */
        if (e->d_name[0] != '.' && e->d_type == DT_REG)
            snprintf(record, sizeof(record), "%s/%s", ph_path("state"), e->d_name);
    }
    closedir(d);
    ck_assert_int_eq(stat(record, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    char *text = test_read_file(record, NULL);
    ck_assert_ptr_null(strstr(text, PW));
    ck_assert_ptr_null(strstr(text, "eyJ"));
    ck_assert_ptr_nonnull(strstr(text, "\"admins\""));
    free(text);

    /* A record others could have written does not count (nor, for this
     * check, the user cache the login also filled). */
    chmod(record, 0644);
    drop_cache();
    struct pam_testcase ignored[] = {pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED)};
    PH_RUN("cognito", "alice", &none, ignored);
    PH_RUN("cognito_groups", "alice", &none, denied);
}
END_TEST

/* Another module authenticated (SSH keys): no record, not ours to judge,
 * unless allowed_groups asks us to vouch for a group. */
START_TEST(test_account_without_cognito_login)
{
    fresh(ALICE, NULL);
    struct ph_script none = {.mock = &mock, .user = "alice"};
    struct pam_testcase ignore[] = {pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED)};
    struct pam_testcase denied[] = {pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED)};
    PH_RUN("cognito", "alice", &none, ignore);
    PH_RUN("cognito_groups", "alice", &none, denied);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* What `cognitoctl sync` would write: alice active in admins, dave disabled
 * in admins. */
static void sync_cache(void)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_pool pool;
    static const struct {
        const char *name, *sub;
        bool enabled;
    } users[] = {{"alice", ALICE_SUB, true},
                 {"dave", "0f1e2d3c-0000-4000-8000-00000000da7e", false}};

    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, ph_path("cognito.conf"), &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    cog_pool_init(&pool);
    struct cog_pool_group *g = cog_pool_add_group(&pool);
    g->name = cog_pool_strdup(&pool, "admins");
    for (size_t i = 0; i < 2; i++) {
        struct cog_pool_user *u = cog_pool_add_user(&pool);
        u->username = cog_pool_strdup(&pool, users[i].name);
        u->sub = cog_pool_strdup(&pool, users[i].sub);
        u->enabled = users[i].enabled;
        u->status = "CONFIRMED";
        u->created = 1700000000 + (int64_t)i;
        ck_assert(cog_pool_user_add_group(&pool, u, "admins"));
    }
    ck_assert_msg(cog_cache_store_pool(&cfg, &pool, time(NULL), NULL, NULL, &err) == COG_OK, "%s",
                  err.message);
    cog_pool_free(&pool);
    cog_config_free(&cfg);
}

/* Another module authenticated (SSH keys): the user cache speaks for the
 * account, disabled users included. */
START_TEST(test_account_from_cache)
{
    fresh(ALICE, NULL);
    sync_cache();
    struct ph_script none = {.mock = &mock, .user = "alice"};
    struct pam_testcase allowed[] = {pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS)};
    struct pam_testcase denied[] = {pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED)};
    struct pam_testcase ignored[] = {pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED)};
    PH_RUN("cognito", "alice", &none, allowed);
    PH_RUN("cognito_groups", "alice", &none, allowed);
    PH_RUN("cognito_wheel", "alice", &none, denied);
    PH_RUN("cognito", "dave", &none, denied);
    PH_RUN("cognito", "carol", &none, ignored);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* A login puts a user the last sync did not see into the cache at once. */
START_TEST(test_login_fills_cache)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    struct cog_account a = {0};
    fresh(SAM, NULL);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, ph_path("cognito.conf"), &err), COG_OK);
    ck_assert_int_eq(cog_config_finish(&cfg, &err), COG_OK);
    ck_assert_int_ne(cog_account_lookup(&cfg, "sam", &a, &err), COG_OK);

    const struct ph_turn t[] = {PASSWORD(PW), INFO(SMS_SENT),
                                OFF("SMS code: ", PH_CODE, "SMS_MFA")};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "sam"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "sam", &s, cases);
    ck_assert_int_eq(cog_account_lookup(&cfg, "sam", &a, &err), COG_OK);
    ck_assert(a.enabled);
    ck_assert(a.from_login);

    /* And NSS knows sam right after, with the uid the account record has. */
    struct nssmod nss;
    struct passwd pw;
    char buf[1024];
    int e = 0;
    nssmod_load(&nss, cfg.cache_dir);
    ck_assert_int_eq(nss.getpwnam_r("sam", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(pw.pw_name, "sam");
    ck_assert_uint_eq(pw.pw_uid, a.uid);
    ck_assert_uint_eq(pw.pw_gid, a.uid);
    ck_assert_int_eq(nss.getpwuid_r(a.uid, &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    ck_assert_str_eq(pw.pw_name, "sam");
    cog_account_clear(&a);
    cog_config_free(&cfg);
}
END_TEST

/* -- the session: AWS credentials, the tokens' end ------------------------------------- */

/* How many files dir holds (0 when it is missing). */
static int count_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static long long json_int_at(struct json_object *o, const char *key)
{
    struct json_object *x = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &x), "no %s", key);
    return json_object_get_int64(x);
}

/* The access key id of the last credentials the mock's identity pool issued. */
static void last_issued_key(char out[64])
{
    struct json_object *o = mock_get_json(&mock, "/_mock/identity"), *issued = NULL;
    ck_assert(json_object_object_get_ex(o, "issued", &issued));
    size_t n = json_object_array_length(issued);
    ck_assert_uint_gt(n, 0);
    struct json_object *last = json_object_array_get_idx(issued, n - 1);
    snprintf(out, 64, "%s", cog_json_string(last, "access_key_id"));
    json_object_put(o);
}

static long long revoked_refresh_tokens(void)
{
    struct json_object *o = mock_get_json(&mock, "/_mock/tokens");
    long long n = json_int_at(o, "revoked");
    json_object_put(o);
    return n;
}

/* The four AWS variables (and the expiry) as the mock issued them. */
static void assert_aws_env(pam_handle_t *ph)
{
    char key[64];
    last_issued_key(key);
    const char *id = pam_getenv(ph, "AWS_ACCESS_KEY_ID");
    ck_assert_ptr_nonnull(id);
    ck_assert_str_eq(id, key);
    ck_assert_int_eq(strncmp(id, "ASIA", 4), 0);
    const char *secret = pam_getenv(ph, "AWS_SECRET_ACCESS_KEY");
    ck_assert_ptr_nonnull(secret);
    ck_assert_uint_eq(strlen(secret), 40);
    const char *token = pam_getenv(ph, "AWS_SESSION_TOKEN");
    ck_assert_ptr_nonnull(token);
    ck_assert_int_eq(strncmp(token, "IQoJb3JpZ2luX2Vj", 16), 0);
    ck_assert_str_eq(pam_getenv(ph, "AWS_REGION"), "us-east-1");
    ck_assert_str_eq(pam_getenv(ph, "AWS_DEFAULT_REGION"), "us-east-1");
    const char *exp = pam_getenv(ph, "AWS_CREDENTIAL_EXPIRATION");
    ck_assert_ptr_nonnull(exp);
    ck_assert_uint_eq(strlen(exp), 20); /* 2026-11-22T04:00:00Z */
    /* The session's id is the module's business, not the shell's. */
    ck_assert_ptr_null(pam_getenv(ph, "PAM_COGNITO_SESSION"));
}

static void assert_no_aws_env(pam_handle_t *ph)
{
    static const char *const names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN", "AWS_REGION"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(pam_getenv(ph, names[i]) == NULL, "%s is set", names[i]);
}

#define SESSION_IGNORED PAM_SESSION_ERR
#define NO_AWS INFO("AWS credentials are not available in this session.")

/* One process, as su, sudo and login do: the session has the user's own AWS
 * credentials, and closing it revokes the login's refresh token. */
START_TEST(test_session_aws)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
    };
    pam_handle_t *ph = ph_run_keep("cognito_session", "alice", &s, cases, 4);
    assert_aws_env(ph);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetId"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetCredentialsForIdentity"), 1);
    /* The tokens wait in a root-only record until the session closes. */
    struct stat sb;
    ck_assert_int_eq(stat(ph_path("state/sessions"), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    ck_assert_int_eq(count_files(ph_path("state/sessions")), 1);
    ck_assert_int_eq(revoked_refresh_tokens(), 0);

    ck_assert_int_eq(pam_close_session(ph, 0), PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RevokeToken"), 1);
    ck_assert_int_eq(revoked_refresh_tokens(), 1);
    ck_assert_int_eq(count_files(ph_path("state/sessions")), 0);
    pam_end(ph, PAM_SUCCESS);
    ck_assert_uint_eq(s.pos, s.n);
}
END_TEST

/* sshd authenticates in a child and opens the session in its parent: the
 * tokens reach the other transaction through the root-only store. */
START_TEST(test_session_in_another_process)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase auth[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
    };
    /* sshd's auth child: its PAM environment goes back to the monitor. */
    pam_handle_t *child = ph_run_keep("cognito_session", "alice", &s, auth, 2);
    char carried[128];
    ck_assert_ptr_nonnull(pam_getenv(child, "PAM_COGNITO_SESSION"));
    snprintf(carried, sizeof(carried), "PAM_COGNITO_SESSION=%s",
             pam_getenv(child, "PAM_COGNITO_SESSION"));
    pam_end(child, PAM_SUCCESS);

    /* The record holds tokens: root's alone, and nobody else's words. */
    DIR *d = opendir(ph_path("state/sessions"));
    ck_assert_ptr_nonnull(d);
    char record[PATH_MAX] = "";
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            snprintf(record, sizeof(record), "%s/%s", ph_path("state/sessions"), e->d_name);
    closedir(d);
    struct stat sb;
    ck_assert_int_eq(stat(record, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    char *text = test_read_file(record, NULL);
    ck_assert_ptr_null(strstr(text, PW));
    free(text);

    struct ph_script none = {.mock = &mock, .user = "alice"};
    struct pam_testcase keep[] = {pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS)};
    pam_handle_t *ph = ph_run_keep("cognito_session", "alice", &none, keep, 1);
    ck_assert_int_eq(pam_putenv(ph, carried), PAM_SUCCESS);
    ck_assert_int_eq(pam_open_session(ph, 0), PAM_SUCCESS);
    assert_aws_env(ph);
    ck_assert_int_eq(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    ck_assert_int_eq(revoked_refresh_tokens(), 1);
    ck_assert_int_eq(count_files(ph_path("state/sessions")), 0);

    /* The login's tokens served one session: another finds none. */
    struct pam_testcase again[] = {pam_test(PAMTEST_OPEN_SESSION, SESSION_IGNORED)};
    PH_RUN("cognito_session_only", "alice", &none, again);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetId"), 1);
}
END_TEST

/* on_close=signout: GlobalSignOut ends every sign-in of the user. */
START_TEST(test_session_signout)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase first[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "alice", &s, first); /* another sign-in, never closed */
    struct ph_script s2 = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
    };
    PH_RUN("cognito_signout", "alice", &s2, cases);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GlobalSignOut"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "RevokeToken"), 0);
    ck_assert_int_eq(revoked_refresh_tokens(), 2);
}
END_TEST

/* The identity pool failing costs the session its AWS credentials, never the
 * login: logged, and said once. */
START_TEST(test_session_identity_fails)
{
    fresh(ALICE, NULL);
    mock_fault(&mock, "{\"op\":\"GetCredentialsForIdentity\",\"kind\":\"status\",\"status\":500}");
    const struct ph_turn t[] = {PASSWORD(PW), NO_AWS};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
    };
    pam_handle_t *ph = ph_run_keep("cognito_session", "alice", &s, cases, 3);
    assert_no_aws_env(ph);
    ck_assert_int_eq(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    ck_assert_uint_eq(s.pos, s.n);
    /* The identity pool refusing the token: the same. */
    fresh(ALICE, NULL);
    pool("{\"identity_pool_id\":\"us-east-1:00000000-0000-4000-8000-000000000000\"}");
    struct ph_script s2 = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases2[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
    };
    PH_RUN("cognito_session", "alice", &s2, cases2);
    ck_assert_int_eq(revoked_refresh_tokens(), 1);
}
END_TEST

/* aws_credentials=file: no keys in the environment; a credential_process
 * file only the user can read, and a profile in the user's ~/.aws/config
 * that leaves the user's own sections alone. Closing removes the file. */
START_TEST(test_session_aws_file)
{
    char path[PATH_MAX], cred[PATH_MAX], key[64];
    struct stat sb;
    fresh(ALICE, NULL);
    snprintf(path, sizeof(path), "%s/home/alice/.aws", ph_dir());
    mkdir(path, 0700);
    ck_assert_int_eq(chown(path, alice_uid(), alice_uid()), 0);
    snprintf(path, sizeof(path), "%s/home/alice/.aws/config", ph_dir());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[default]\nregion = eu-west-1\n", f);
    fclose(f);
    ck_assert_int_eq(chown(path, alice_uid(), alice_uid()), 0);

    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
    };
    pam_handle_t *ph = ph_run_keep("cognito_file", "alice", &s, cases, 3);
    assert_no_aws_env(ph);
    last_issued_key(key);
    snprintf(cred, sizeof(cred), "%s/aws/%u.json", ph_dir(), (unsigned)alice_uid());
    ck_assert_int_eq(stat(cred, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_uint_eq(sb.st_uid, alice_uid());
    char *text = test_read_file(cred, NULL);
    struct json_object *o = json_tokener_parse(text);
    free(text);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(json_int_at(o, "Version"), 1);
    ck_assert_str_eq(cog_json_string(o, "AccessKeyId"), key);
    ck_assert_ptr_nonnull(cog_json_string(o, "SecretAccessKey"));
    ck_assert_ptr_nonnull(cog_json_string(o, "SessionToken"));
    ck_assert_ptr_nonnull(cog_json_string(o, "Expiration"));
    json_object_put(o);
    char *config = test_read_file(path, NULL);
    char want[2 * PATH_MAX];
    snprintf(want, sizeof(want), "[profile cognito]\n");
    ck_assert_msg(strncmp(config, "[default]\nregion = eu-west-1\n", 29) == 0, "%s", config);
    ck_assert_ptr_nonnull(strstr(config, want));
    snprintf(want, sizeof(want), "credential_process = /bin/cat %s\nregion = us-east-1\n", cred);
    ck_assert_msg(strstr(config, want) != NULL, "%s", config);
    free(config);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_uid, alice_uid());

    ck_assert_int_eq(pam_close_session(ph, 0), PAM_SUCCESS);
    pam_end(ph, PAM_SUCCESS);
    ck_assert_int_ne(access(cred, F_OK), 0);
    ck_assert_int_eq(revoked_refresh_tokens(), 1);
}
END_TEST

/* sudo authenticates the user, then opens the session of root: not ours,
 * and the id of the login's tokens goes nowhere near root's command. */
START_TEST(test_session_of_another_user)
{
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_KEEPHANDLE, PAM_SUCCESS),
    };
    pam_handle_t *ph = ph_run_keep("cognito_session_only", "alice", &s, cases, 2);
    ck_assert_ptr_nonnull(pam_getenv(ph, "PAM_COGNITO_SESSION"));
    ck_assert_int_eq(pam_set_item(ph, PAM_USER, "root"), PAM_SUCCESS);
    ck_assert_int_eq(pam_open_session(ph, 0), SESSION_IGNORED);
    ck_assert_ptr_null(pam_getenv(ph, "PAM_COGNITO_SESSION"));
    assert_no_aws_env(ph);
    pam_end(ph, PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "GetId"), 0);
}
END_TEST

/* A session of a login that was not ours (SSH keys, a local password):
 * nothing to do, nothing asked of Cognito. */
START_TEST(test_session_not_ours)
{
    fresh(ALICE, NULL);
    struct ph_script none = {.mock = &mock, .user = "alice"};
    struct pam_testcase cases[] = {
        pam_test(PAMTEST_OPEN_SESSION, SESSION_IGNORED),
        pam_test(PAMTEST_CLOSE_SESSION, SESSION_IGNORED),
    };
    PH_RUN("cognito_session_only", "alice", &none, cases);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* -- offline login ------------------------------------------------------------------ */

#define OFFLINE_OK INFO("Cognito is unreachable: logged in with your cached password")

static void auth_expect(const char *service, const char *user, const struct ph_turn *t, size_t n,
                        int expected)
{
    struct ph_script s = {.turns = t, .n = n, .mock = &mock, .user = user};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, expected)};
    PH_RUN(service, user, &s, cases);
}
#define AUTH_EXPECT(service, user, t, expected)                                                    \
    auth_expect(service, user, t, sizeof(t) / sizeof((t)[0]), expected)

/* The module's record of user in dir (store.h: named by the SHA-256 of the
 * name), or "" when there is none. */
static const char *record_of(const char *dir, const char *user)
{
    static char path[PATH_MAX];
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)user, strlen(user), md);
    cog_hex_encode(md, sizeof(md), hex);
    snprintf(path, sizeof(path), "%s/%s", ph_path(dir), hex);
    return access(path, F_OK) == 0 ? path : "";
}
#define verifier_path(user) record_of("private/offline", user)
#define device_path(user) record_of("private/devices", user)

/* An online login keeps a slow salted verifier, root's alone; with Cognito
 * unreachable it lets the right password in, and only that one. */
START_TEST(test_offline_login)
{
    fresh(ALICE, NULL);
    const struct ph_turn ok[] = {PASSWORD(PW)};
    AUTH_EXPECT("cognito_offline", "alice", ok, PAM_SUCCESS);
    const char *path = verifier_path("alice");
    ck_assert_str_ne(path, "");
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(ph_path("private"), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    char *text = test_read_file(path, NULL);
    ck_assert_ptr_null(strstr(text, PW));
    ck_assert_ptr_nonnull(strstr(text, "\"$y$")); /* yescrypt */
    free(text);

    const struct ph_turn offline[] = {PASSWORD(PW), OFFLINE_OK};
    AUTH_EXPECT("cognito_offline_down", "alice", offline, PAM_SUCCESS);
    const struct ph_turn wrong[] = {PASSWORD("Passw0rd?")};
    AUTH_EXPECT("cognito_offline_down", "alice", wrong, PAM_AUTH_ERR);
    /* Another user has no verifier: unavailable, as without the option. */
    const struct ph_turn other[] = {PASSWORD(PW), UNAVAILABLE};
    AUTH_EXPECT("cognito_offline_down", "carol", other, PAM_AUTHINFO_UNAVAIL);
    /* The option off: the verifier is never consulted. */
    AUTH_EXPECT("cognito_down", "alice", other, PAM_AUTHINFO_UNAVAIL);
}
END_TEST

/* A verifier older than offline_max_age counts for nothing. */
START_TEST(test_offline_too_old)
{
    struct cog_error err = {0};
    fresh(ALICE, NULL);
    const struct ph_turn ok[] = {PASSWORD(PW)};
    AUTH_EXPECT("cognito_offline", "alice", ok, PAM_SUCCESS);
    /* The last online login, eight days ago (offline_max_age = 7d). */
    const char *path = verifier_path("alice");
    char *text = test_read_file(path, NULL);
    struct json_object *o = json_tokener_parse(text);
    free(text);
    ck_assert_ptr_nonnull(o);
    json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL) - 8 * 86400));
    const char *s = json_object_to_json_string(o);
    ck_assert_int_eq(cog_write_file_atomic(path, s, strlen(s), 0600, &err), COG_OK);
    json_object_put(o);
    const struct ph_turn t[] = {PASSWORD(PW), UNAVAILABLE};
    AUTH_EXPECT("cognito_offline_down", "alice", t, PAM_AUTHINFO_UNAVAIL);
    /* Within a longer bound it would have counted. */
    const struct ph_turn offline[] = {PASSWORD(PW), OFFLINE_OK};
    AUTH_EXPECT("cognito_offline_down_30d", "alice", offline, PAM_SUCCESS);
}
END_TEST

/* Cognito refusing the password (it was changed elsewhere) removes the
 * verifier: a refused user never gets in offline. */
START_TEST(test_offline_never_after_refusal)
{
    fresh(ALICE, NULL);
    const struct ph_turn ok[] = {PASSWORD(PW)};
    AUTH_EXPECT("cognito_offline", "alice", ok, PAM_SUCCESS);
    ck_assert_str_ne(verifier_path("alice"), "");
    mock_add_user(&mock, "{\"username\":\"alice\",\"sub\":\"" ALICE_SUB
                         "\",\"password\":\"N3w-Passw0rd!\"}");
    /* NotAuthorized online: refused, never turned into an offline success. */
    AUTH_EXPECT("cognito_offline", "alice", ok, PAM_AUTH_ERR);
    ck_assert_str_eq(verifier_path("alice"), "");
    const struct ph_turn t[] = {PASSWORD(PW), UNAVAILABLE};
    AUTH_EXPECT("cognito_offline_down", "alice", t, PAM_AUTHINFO_UNAVAIL);
    /* The new password online replaces the verifier; the old one is out. */
    const struct ph_turn new_pw[] = {PASSWORD("N3w-Passw0rd!")};
    AUTH_EXPECT("cognito_offline", "alice", new_pw, PAM_SUCCESS);
    const struct ph_turn old_pw[] = {PASSWORD(PW)};
    AUTH_EXPECT("cognito_offline_down", "alice", old_pw, PAM_AUTH_ERR);
    const struct ph_turn offline[] = {PASSWORD("N3w-Passw0rd!"), OFFLINE_OK};
    AUTH_EXPECT("cognito_offline_down", "alice", offline, PAM_SUCCESS);
}
END_TEST

/* A user whose logins take MFA gets in offline only with
 * offline_login_mfa_users=yes. */
START_TEST(test_offline_mfa_user)
{
    fresh(SAM, NULL);
    const struct ph_turn sms[] = {PASSWORD(PW), INFO(SMS_SENT),
                                  OFF("SMS code: ", PH_CODE, "SMS_MFA")};
    AUTH_EXPECT("cognito_offline", "sam", sms, PAM_SUCCESS);
    ck_assert_str_ne(verifier_path("sam"), "");
    const struct ph_turn t[] = {PASSWORD(PW), UNAVAILABLE};
    AUTH_EXPECT("cognito_offline_down", "sam", t, PAM_AUTHINFO_UNAVAIL);
    const struct ph_turn offline[] = {PASSWORD(PW), OFFLINE_OK};
    AUTH_EXPECT("cognito_offline_down_mfa", "sam", offline, PAM_SUCCESS);
}
END_TEST

/* -- remembered devices ------------------------------------------------------------- */

/* The one device the mock keeps for user. */
static struct json_object *only_device(const char *user, struct json_object **all)
{
    char path[128];
    snprintf(path, sizeof(path), "/_mock/devices/%s", user);
    *all = mock_get_json(&mock, path);
    struct json_object *devs = json_object_object_get(*all, "devices");
    ck_assert_int_eq(json_object_array_length(devs), 1);
    return json_object_array_get_idx(devs, 0);
}

static const char *const device_tracking[] = {"ALWAYS", "USER_OPT_IN"};

/* After a login that passed MFA the host is a remembered device of the
 * user; the next login proves the device by its SRP and is not asked for
 * the code. */
START_TEST(test_remembered_device)
{
    char setting[64];
    struct json_object *all;
    fresh(SAM, NULL);
    snprintf(setting, sizeof(setting), "{\"device_tracking\":\"%s\"}", device_tracking[_i]);
    pool(setting);
    const struct ph_turn sms[] = {PASSWORD(PW), INFO(SMS_SENT),
                                  OFF("SMS code: ", PH_CODE, "SMS_MFA")};
    AUTH_EXPECT("cognito_device", "sam", sms, PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ConfirmDevice"), 1);
    ck_assert_int_eq(mock_stat(&mock, NULL, "UpdateDeviceStatus"), _i == 1);
    struct json_object *dev = only_device("sam", &all);
    ck_assert(json_object_get_boolean(json_object_object_get(dev, "confirmed")));
    ck_assert(json_object_get_boolean(json_object_object_get(dev, "remembered")));
    ck_assert(json_object_get_boolean(json_object_object_get(dev, "has_verifier")));
    char key[128];
    snprintf(key, sizeof(key), "%s", cog_json_string(dev, "key"));
    json_object_put(all);
    /* Its secret is root's alone, on this host. */
    const char *path = device_path("sam");
    ck_assert_str_ne(path, "");
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    char *text = test_read_file(path, NULL);
    ck_assert_ptr_nonnull(strstr(text, key));
    free(text);

    mock_reset_stats(&mock);
    const struct ph_turn t[] = {PASSWORD(PW)};
    AUTH_EXPECT("cognito_device", "sam", t, PAM_SUCCESS);
    ck_assert_int_eq(mock_stat(&mock, NULL, "ConfirmDevice"), 0);
    dev = only_device("sam", &all);
    ck_assert_str_eq(cog_json_string(dev, "key"), key);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(dev, "authentications")), 1);
    json_object_put(all);

    /* Without remember_device the device is neither used nor made. */
    AUTH_EXPECT("cognito", "sam", sms, PAM_SUCCESS);
}
END_TEST

/* A device Cognito no longer knows costs one MFA login, never a lockout;
 * that login remembers a new one. */
START_TEST(test_forgotten_device)
{
    char path[256];
    struct json_object *all;
    fresh(SAM, NULL);
    pool("{\"device_tracking\":\"ALWAYS\"}");
    const struct ph_turn sms[] = {PASSWORD(PW), INFO(SMS_SENT),
                                  OFF("SMS code: ", PH_CODE, "SMS_MFA")};
    AUTH_EXPECT("cognito_device", "sam", sms, PAM_SUCCESS);
    struct json_object *dev = only_device("sam", &all);
    snprintf(path, sizeof(path), "/_mock/devices/sam/%s", cog_json_string(dev, "key"));
    json_object_put(all);
    ck_assert_int_eq(mock_control(&mock, "DELETE", path, NULL, NULL), 200);
    AUTH_EXPECT("cognito_device", "sam", sms, PAM_SUCCESS);
    ck_assert_str_ne(device_path("sam"), "");
    const struct ph_turn t[] = {PASSWORD(PW)};
    AUTH_EXPECT("cognito_device", "sam", t, PAM_SUCCESS);
}
END_TEST

/* -- the build --------------------------------------------------------------------- */

/* An account line whose PAM_IGNORE shows (see MODULE_IGNORED). */
#define ACCT(args)                                                                                 \
    "account [success=done ignore=ignore default=die] @MODULE@ @ARGS@" args "\n"                   \
    "account required pam_deny.so\n"

/* Outside a test (no ck_assert here): stop the run. */
static void must(bool ok, const char *what)
{
    if (!ok) {
        perror(what);
        exit(EXIT_FAILURE);
    }
}

static void write_file(const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", ph_dir(), name);
    FILE *f = fopen(path, "w");
    must(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, path);
}

/* The Unix users the module may look up (nss_wrapper): root and lee in the
 * local files (local_passwd_file, as the mapping reads them), lenny only in
 * NSS's (another source, like LDAP), then the Cognito users of the mock's
 * cache through the NSS module. alice has a home of her own in the test
 * dir, owned by her custom:uid. */
static void write_users(void)
{
    char path[PATH_MAX], home[PATH_MAX];
    unsigned uid = (unsigned)alice_uid();
    /* alice reaches her home through it (the module writes there as her). */
    must(chmod(ph_dir(), 0711) == 0, ph_dir());
    snprintf(home, sizeof(home), "%s/home", ph_dir());
    must(mkdir(home, 0755) == 0, home);
    snprintf(home, sizeof(home), "%s/home/alice", ph_dir());
    must(mkdir(home, 0755) == 0, home);
    must(chown(home, uid, uid) == 0, home);
    const char *local = "root:x:0:0:root:/root:/bin/sh\nlee:x:1500:1500:Lee:/home/lee:/bin/sh\n";
    write_file("local_passwd", local);
    write_file("local_group", "root:x:0:\nlee:x:1500:\n");
    snprintf(path, sizeof(path), "%slenny:x:1600:1600:Lenny:/home/lenny:/bin/sh\n", local);
    write_file("passwd", path);
    write_file("group", "root:x:0:\nlee:x:1500:\nlenny:x:1600:\n");
    snprintf(path, sizeof(path), "%s/passwd", ph_dir());
    setenv("NSS_WRAPPER_PASSWD", path, 1);
    snprintf(path, sizeof(path), "%s/group", ph_dir());
    setenv("NSS_WRAPPER_GROUP", path, 1);
    const char *module = getenv("NSS_TEST_MODULE");
    must(module != NULL, "NSS_TEST_MODULE (run through make check)");
    setenv("NSS_WRAPPER_MODULE_SO_PATH", module, 1);
    setenv("NSS_WRAPPER_MODULE_FN_PREFIX", "cognito", 1);
}

static void write_services(void)
{
    write_users();
    ph_service("other", "auth required pam_deny.so\naccount required pam_deny.so\n"
                        "password required pam_deny.so\nsession required pam_deny.so\n");
    ph_service("cognito",
               "auth required @MODULE@ @ARGS@\n" ACCT("") "password required @MODULE@ @ARGS@\n");
    ph_service("cognito_session",
               "auth required @MODULE@ @ARGS@\n" ACCT("") "session required @MODULE@ @ARGS@\n");
    /* PAM_IGNORE shows as pam_deny's PAM_SESSION_ERR (see MODULE_IGNORED). */
    ph_service("cognito_session_only",
               "auth required @MODULE@ @ARGS@\n"
               "session [success=done ignore=ignore default=die] @MODULE@ @ARGS@\n"
               "session required pam_deny.so\n");
    ph_service(
        "cognito_signout",
        "auth required @MODULE@ @ARGS@\nsession required @MODULE@ @ARGS@ on_close=signout\n");
    ph_service("cognito_offline", "auth required @MODULE@ @ARGS@ offline_login=password\n");
#define DOWN "timeout=2 endpoint=https://127.0.0.1:1/ offline_login=password"
    ph_service("cognito_offline_down", "auth required @MODULE@ @ARGS@ " DOWN "\n");
    ph_service("cognito_offline_down_30d",
               "auth required @MODULE@ @ARGS@ " DOWN " offline_max_age=30d\n");
    ph_service("cognito_offline_down_mfa",
               "auth required @MODULE@ @ARGS@ " DOWN " offline_login_mfa_users\n");
    ph_service("cognito_device", "auth required @MODULE@ @ARGS@ remember_device\n");
    ph_service("cognito_file", "auth required @MODULE@ @ARGS@\n"
                               "session required @MODULE@ @ARGS@ aws_credentials=file\n");
    ph_service("cognito_password_ignore",
               "password [success=done ignore=ignore default=die] @MODULE@ @ARGS@\n"
               "password required pam_deny.so\n");
    ph_service("cognito_echo", "auth required @MODULE@ @ARGS@ echo_codes\n");
    ph_service("cognito_reset", "auth required @MODULE@ @ARGS@ allow_password_reset\n");
    ph_service("cognito_confirm", "auth required @MODULE@ @ARGS@ allow_confirm\n");
    ph_service("cognito_custom", "auth required @MODULE@ @ARGS@ auth_flow=CUSTOM_AUTH\n");
    ph_service("cognito_fast", "auth required @MODULE@ @ARGS@ timeout=2\n" ACCT(""));
    ph_service("cognito_down",
               "auth required @MODULE@ @ARGS@ timeout=2 endpoint=https://127.0.0.1:1/\n" ACCT(""));
    ph_service("cognito_groups",
               "auth required @MODULE@ @ARGS@\n" ACCT(" allowed_groups=wheel,admins"));
    ph_service("cognito_wheel", ACCT(" allowed_groups=wheel"));
    ph_service("cognito_bogus", "auth required @MODULE@ @ARGS@ frobnicate\n" ACCT(" frobnicate"));
    ph_service("cognito_secret",
               "auth required @MODULE@ @ARGS@ client_secret=abc\n" ACCT(" client_secret=abc"));
    ph_service("cognito_badval", "auth required @MODULE@ @ARGS@ timeout=0\n" ACCT(" timeout=0"));
    ph_service("cognito_first", "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"
                                "auth required @MODULE@ @ARGS@ use_first_pass\n");
    ph_service("cognito_try", "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"
                              "auth required @MODULE@ @ARGS@ try_first_pass\n");
    ph_service("cognito_stacked", "auth required " PAM_WRAPPER_MODULES "/pam_set_items.so\n"
                                  "auth required @MODULE@ @ARGS@\n");
}

/* ---- who may be a Cognito user (threat model: the pool user) ------------------------ */

/* pam_deny's answers when pam_cognito says PAM_IGNORE in these stacks. */
#define PASSWORD_IGNORED PAM_AUTHTOK_ERR
#define SESSION_IGNORED PAM_SESSION_ERR

/* A pool user named like a local account: lee is in the local files, lenny
 * only in another NSS source. pam_cognito leaves both alone in every phase
 * and asks Cognito nothing, though the pool password is right. */
START_TEST(test_local_account_wins)
{
    fresh("{\"username\":\"lee\",\"password\":\"" PW "\"}",
          "{\"username\":\"lenny\",\"password\":\"" PW "\"}", NULL);
    const char *users[] = {"lee", "lenny"};
    for (size_t i = 0; i < 2; i++) {
        /* Not even the password is asked. */
        struct ph_script none = {.mock = &mock, .user = users[i]};
        struct pam_testcase cases[] = {
            pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
            pam_test(PAMTEST_ACCOUNT, MODULE_IGNORED),
        };
        PH_RUN("cognito", users[i], &none, cases);
        /* allowed_groups still asks the module to vouch for a group: it cannot. */
        struct pam_testcase groups[] = {pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED)};
        PH_RUN("cognito_wheel", users[i], &none, groups);
        struct pam_testcase chauthtok[] = {pam_test(PAMTEST_CHAUTHTOK, PASSWORD_IGNORED)};
        PH_RUN("cognito_password_ignore", users[i], &none, chauthtok);
        struct pam_testcase session[] = {pam_test(PAMTEST_OPEN_SESSION, SESSION_IGNORED)};
        PH_RUN("cognito_session_only", users[i], &none, session);
    }
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* Pool users named like privileged groups never become Unix users. */
START_TEST(test_pool_admin_refused)
{
    fresh("{\"username\":\"admin\",\"password\":\"" PW "\"}",
          "{\"username\":\"systemd-coredump\",\"password\":\"" PW "\"}", NULL);
    struct ph_script s = {.mock = &mock, .user = "admin"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN)};
    PH_RUN("cognito", "admin", &s, cases);
    struct ph_script s2 = {.mock = &mock, .user = "systemd-coredump"};
    PH_RUN("cognito", "systemd-coredump", &s2, cases);
    /* The mapping lowers names: so does the deny list. */
    struct ph_script s3 = {.mock = &mock, .user = "Admin"};
    PH_RUN("cognito", "Admin", &s3, cases);
    ck_assert_int_eq(mock_stat(&mock, "requests", NULL), 0);
}
END_TEST

/* alice logs in, so the host binds "alice" to her sub. The pool then has
 * another "alice" (deleted and signed up again: a new sub): refused, and
 * the cache still says the first one's sub. */
START_TEST(test_sub_change_refused)
{
    struct cog_config cfg;
    struct cog_account a;
    struct cog_error err = {0};
    fresh(ALICE, NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase ok[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
    PH_RUN("cognito", "alice", &s, ok);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, ph_path("cognito.conf"), &err), COG_OK);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &a, &err), COG_OK);
    char *first = strdup(a.sub);
    cog_account_clear(&a);

    ck_assert_str_eq(first, ALICE_SUB);
    ck_assert_int_eq(mock_control(&mock, "POST", "/_mock/reset", "{}", NULL), 200);
    mock_add_user(&mock, "{\"username\":\"alice\",\"password\":\"" PW "\"}"); /* a new sub */
    struct ph_script s2 = {PH_SCRIPT(t), .mock = &mock, .user = "alice"};
    struct pam_testcase refused[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito", "alice", &s2, refused);
    ck_assert_int_eq(cog_account_lookup(&cfg, "alice", &a, &err), COG_OK);
    ck_assert_str_eq(a.sub, first);
    cog_account_clear(&a);
    free(first);
    cog_config_free(&cfg);
}
END_TEST

/* A login the cache cannot hold (here a custom:uid below uid_min) is no login. */
START_TEST(test_mapping_refusal_refuses_login)
{
    struct cog_config cfg;
    struct cog_account a;
    struct cog_error err = {0};
    fresh("{\"username\":\"ulla\",\"password\":\"" PW "\",\"attributes\":{\"custom:uid\":\"0\"}}",
          NULL);
    const struct ph_turn t[] = {PASSWORD(PW)};
    struct ph_script s = {PH_SCRIPT(t), .mock = &mock, .user = "ulla"};
    struct pam_testcase cases[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR)};
    PH_RUN("cognito", "ulla", &s, cases);
    ck_assert_int_eq(mock_stat(&mock, NULL, "InitiateAuth"), 1);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, ph_path("cognito.conf"), &err), COG_OK);
    ck_assert_int_ne(cog_account_lookup(&cfg, "ulla", &a, &err), COG_OK);
    cog_config_free(&cfg);
}
END_TEST

static Suite *pam_suite(void)
{
    Suite *s = suite_create("pam");
    TCase *turns = tcase_create("turns");
    tcase_add_unchecked_fixture(turns, mock_up, mock_down);
    tcase_set_timeout(turns, 60);
    tcase_add_test(turns, test_password);
    tcase_add_test(turns, test_sms_mfa);
    tcase_add_test(turns, test_totp_mfa);
    tcase_add_test(turns, test_email_otp);
    tcase_add_test(turns, test_echo_codes);
    tcase_add_test(turns, test_select_mfa_type);
    tcase_add_test(turns, test_mfa_setup);
    tcase_add_test(turns, test_new_password_required);
    tcase_add_test(turns, test_custom_challenge);
    tcase_add_test(turns, test_password_reset);
    tcase_add_test(turns, test_password_reset_off);
    tcase_add_test(turns, test_confirm_sign_up);
    tcase_add_test(turns, test_confirm_sign_up_off);
    tcase_add_test(turns, test_chauthtok);
    tcase_add_test(turns, test_chauthtok_wrong_old_password);
    suite_add_tcase(s, turns);

    TCase *refused = tcase_create("refused");
    tcase_add_unchecked_fixture(refused, mock_up, mock_down);
    tcase_set_timeout(refused, 60);
    tcase_add_test(refused, test_wrong_password);
    tcase_add_test(refused, test_wrong_code_three_times);
    tcase_add_test(refused, test_wrong_totp_three_times);
    tcase_add_test(refused, test_unknown_user);
    tcase_add_test(refused, test_local_account_wins);
    tcase_add_test(refused, test_pool_admin_refused);
    tcase_add_test(refused, test_sub_change_refused);
    tcase_add_test(refused, test_mapping_refusal_refuses_login);
    tcase_add_test(refused, test_disabled_user);
    tcase_add_test(refused, test_throttled);
    tcase_add_test(refused, test_idp_down);
    tcase_add_loop_test(refused, test_bad_token, 0,
                        (int)(sizeof(token_faults) / sizeof(token_faults[0])));
    tcase_add_test(refused, test_token_of_another_user);
    tcase_add_test(refused, test_conversation_fails);
    tcase_add_test(refused, test_system_account_refused);
    tcase_add_test(refused, test_bad_options);
    suite_add_tcase(s, refused);

    TCase *options = tcase_create("options");
    tcase_add_unchecked_fixture(options, mock_up, mock_down);
    tcase_set_timeout(options, 60);
    tcase_add_test(options, test_use_first_pass);
    tcase_add_test(options, test_try_first_pass);
    tcase_add_test(options, test_silent);
    tcase_add_test(options, test_allowed_groups);
    tcase_add_test(options, test_account_in_another_process);
    tcase_add_test(options, test_account_without_cognito_login);
    tcase_add_test(options, test_account_from_cache);
    tcase_add_test(options, test_login_fills_cache);
    suite_add_tcase(s, options);

    TCase *session = tcase_create("session");
    tcase_add_unchecked_fixture(session, mock_up, mock_down);
    tcase_set_timeout(session, 60);
    tcase_add_test(session, test_session_aws);
    tcase_add_test(session, test_session_in_another_process);
    tcase_add_test(session, test_session_signout);
    tcase_add_test(session, test_session_identity_fails);
    tcase_add_test(session, test_session_aws_file);
    tcase_add_test(session, test_session_not_ours);
    tcase_add_test(session, test_session_of_another_user);
    suite_add_tcase(s, session);

    TCase *offline = tcase_create("offline");
    tcase_add_unchecked_fixture(offline, mock_up, mock_down);
    tcase_set_timeout(offline, 60);
    tcase_add_test(offline, test_offline_login);
    tcase_add_test(offline, test_offline_too_old);
    tcase_add_test(offline, test_offline_never_after_refusal);
    tcase_add_test(offline, test_offline_mfa_user);
    suite_add_tcase(s, offline);

    TCase *devices = tcase_create("devices");
    tcase_add_unchecked_fixture(devices, mock_up, mock_down);
    tcase_set_timeout(devices, 60);
    tcase_add_loop_test(devices, test_remembered_device, 0,
                        (int)(sizeof(device_tracking) / sizeof(device_tracking[0])));
    tcase_add_test(devices, test_forgotten_device);
    suite_add_tcase(s, devices);
    return s;
}

int main(int argc, char **argv)
{
    (void)argc;
    ph_also_preload("libnss_wrapper.so");
    ph_run_wrapped(argv, write_services);
    SRunner *sr = srunner_create(pam_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
