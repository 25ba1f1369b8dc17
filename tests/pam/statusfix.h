/* What issue 18's PAM tests share (tests/pam/check_status.c, the account's
 * status, the session and remembered devices; tests/pam/check_offline.c,
 * what an offline login proves): the mock with its pool, the module's
 * records, the PAM services, and the conversation's turns. */
#ifndef COGNITO_STATUSFIX_H
#define COGNITO_STATUSFIX_H

#include <stddef.h>

#include "tests/pamharness.h"
#include "tests/testutil.h"

extern struct mock mock;

#define PW "Passw0rd!"
#define SMS_SENT "A code was sent by SMS to +*******1111."
#define OFFLINE_OK "Cognito is unreachable: logged in with your cached password"
#define UNAVAILABLE "The sign-in service is unavailable. Try again later."
#define T_PASSWORD(pw)                                                                             \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, "Password: ", PH_TEXT, pw, PH_EXACT                                   \
    }
#define T_INFO(text)                                                                               \
    {                                                                                              \
        PAM_TEXT_INFO, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define T_ERR(text)                                                                                \
    {                                                                                              \
        PAM_ERROR_MSG, text, PH_TEXT, NULL, PH_EXACT                                               \
    }
#define T_SMS                                                                                      \
    {                                                                                              \
        PAM_PROMPT_ECHO_OFF, "SMS code: ", PH_CODE, "SMS_MFA", PH_EXACT                            \
    }

#define ALICE "{\"username\":\"alice\",\"password\":\"" PW "\"}"
#define SAM                                                                                        \
    "{\"username\":\"sam\",\"password\":\"" PW "\",\"mfa_settings\":[\"SMS_MFA\"],"                \
    "\"attributes\":{\"phone_number\":\"+15555551111\"}}"
#define CUS                                                                                        \
    "{\"username\":\"cus\",\"password\":\"" PW "\",\"custom_challenges\":["                        \
    "{\"params\":{\"question\":\"Favourite colour?\"},\"answer\":\"blue\"}]}"

/* The unchecked fixture: the mock, and cognito.conf for it in ph_dir(). */
void mock_up(void);
void mock_down(void);
/* Writes every service both programs log in with (ph_run_wrapped's hook). */
void status_services(void);

/* A clean pool holding user (JSON), with pool settings (or NULL), and none
 * of the module's records. */
void fresh(const char *user, const char *settings);
/* The module's record of key in leaf (named by the SHA-256 of the key), or
 * "" when there is none. */
const char *record_of(const char *leaf, const char *key);
/* How many regular files ph_dir()/leaf holds. */
int files_in(const char *leaf);

/* An authentication as service for user with the conversation t[0..n). */
void auth_expect(const char *service, const char *user, const struct ph_turn *t, size_t n,
                 int expected);
#define AUTH_EXPECT(service, user, t, expected)                                                    \
    auth_expect(service, user, t, sizeof(t) / sizeof((t)[0]), expected)

#endif
