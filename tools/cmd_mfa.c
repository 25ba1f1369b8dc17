/* cognitoctl mfa and devices: a user's MFA settings, TOTP enrolment (in the
 * words pam_cognito uses at MFA_SETUP) and remembered devices. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/qr.h"
#include "libcognito/core/util.h"
#include "tools/user_session.h"

static const struct {
    const char *word, *method, *settings;
} mfa_methods[] = {
    {"sms", "SMS_MFA", "SMSMfaSettings"},
    {"totp", "SOFTWARE_TOKEN_MFA", "SoftwareTokenMfaSettings"},
    {"email", "EMAIL_OTP", "EmailMfaSettings"},
};
#define NMFA (sizeof(mfa_methods) / sizeof(mfa_methods[0]))

static int mfa_show(struct session *s)
{
    struct json_object *resp = NULL;
    int rc = user_get_user(s, &resp);
    if (rc != EXIT_OK)
        return rc;
    struct json_object *list = json_object_object_get(resp, "UserMFASettingList");
    const char *preferred = cog_json_string(resp, "PreferredMfaSetting");
    if (s->g->json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "enabled",
                               list ? json_object_get(list) : json_object_new_array());
        json_object_object_add(o, "preferred",
                               preferred ? json_object_new_string(preferred) : NULL);
        ctl_print_json(o);
        json_object_put(o);
    } else {
        printf("enabled:  ");
        for (size_t i = 0; i < user_arr_len(list); i++)
            printf("%s ", term_shown(json_object_get_string(json_object_array_get_idx(list, i))));
        printf("%s\npreferred: %s\n", user_arr_len(list) ? "" : "none",
               preferred ? term_shown(preferred) : "none");
    }
    cog_json_put_wiped(resp);
    return EXIT_OK;
}

/* SetUserMFAPreference for one method. */
static int mfa_set(struct session *s, size_t m, bool enabled, bool preferred)
{
    struct json_object *req = json_object_new_object(), *set = json_object_new_object();
    json_object_object_add(set, "Enabled", json_object_new_boolean(enabled));
    json_object_object_add(set, "PreferredMfa", json_object_new_boolean(preferred));
    json_object_object_add(req, mfa_methods[m].settings, set);
    return user_token_call(s, "SetUserMFAPreference", req, NULL);
}

#define TOTP_SETUP_TRIES 3

/* AssociateSoftwareToken, the QR code, the first code, VerifySoftwareToken. */
static int mfa_setup_totp(struct session *s)
{
    struct cog_error err = {0};
    char *secret = NULL, *uri = NULL, *qr = NULL, *code = NULL, *no_session = NULL, *key = NULL;
    int rc = EXIT_OK;
    if (cog_associate_software_token(&s->idp, NULL, s->res.access_token, &secret, &no_session,
                                     &err) != COG_OK) {
        rc = user_fail(s, &err);
        goto out;
    }
    const char *issuer = s->cfg.totp_issuer ? s->cfg.totp_issuer : s->cfg.user_pool_id;
    uri = cog_otpauth_uri(issuer, s->user, secret);
    if (uri == NULL) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    /* What pam_cognito shows for MFA_SETUP, in the same words. */
    if ((key = cog_totp_key_grouped(secret)) == NULL) {
        rc = EXIT_INTERNAL;
        goto out;
    }
    if (cog_qr_text_style(uri, s->cfg.qr_style, &qr, &err) == COG_OK)
        fprintf(stderr, "%s\n%s\n", cog_qr_intro(s->cfg.qr_style), qr);
    fprintf(stderr, "Or open this link on the device with the app:\n%s\n", uri);
    fprintf(stderr, "Or type this key into the app: %s\n", term_shown(key));
    /* Three tries, as a login's MFA_SETUP gives. */
    for (int attempt = 0; attempt < TOTP_SETUP_TRIES; attempt++) {
        if (attempt > 0)
            fprintf(stderr, "%s\n", COG_TEXT_WRONG_CODE);
        cog_free_secret(code);
        code = NULL;
        if ((rc = user_ask_code(s, "Authenticator code: ", &code)) != EXIT_OK)
            goto out;
        if (cog_verify_software_token(&s->idp, NULL, s->res.access_token, code, NULL, &no_session,
                                      &err) == COG_OK)
            break;
        if (err.status != COG_ERR_CODE || attempt + 1 == TOTP_SETUP_TRIES) {
            rc = user_fail(s, &err);
            goto out;
        }
    }
    rc = mfa_set(s, 1, true, true);
    if (rc == EXIT_OK)
        user_say(s, "The authenticator app of %s is set up and preferred", s->user);
out:
    free(no_session); /* stays NULL: no session was sent */
    cog_free_secret(secret);
    cog_free_secret(uri);
    cog_free_secret(qr);
    cog_free_secret(code);
    cog_free_secret(key);
    return rc;
}

/* The method an `mfa enable|disable|prefer WORD` names, or NMFA. */
static size_t mfa_method(int argc, char **argv)
{
    size_t m = 0;
    if (argc != 2 || (strcmp(argv[0], "enable") != 0 && strcmp(argv[0], "disable") != 0 &&
                      strcmp(argv[0], "prefer") != 0))
        return NMFA;
    while (m < NMFA && strcmp(argv[1], mfa_methods[m].word) != 0)
        m++;
    return m;
}

bool mfa_args_ok(int argc, char **argv)
{
    return argc == 0 || (argc == 1 && strcmp(argv[0], "show") == 0) ||
           (argc == 1 && strcmp(argv[0], "setup-totp") == 0) || mfa_method(argc, argv) < NMFA;
}

int run_mfa(struct session *s, int argc, char **argv)
{
    size_t m = mfa_method(argc, argv);
    if (argc == 1 && strcmp(argv[0], "setup-totp") == 0)
        return mfa_setup_totp(s);
    if (m == NMFA)
        return mfa_show(s);
    bool prefer = strcmp(argv[0], "prefer") == 0;
    int rc = mfa_set(s, m, prefer || strcmp(argv[0], "enable") == 0, prefer);
    if (rc == EXIT_OK)
        user_say(s, "Done: %s %s", argv[0], mfa_methods[m].method);
    return rc;
}

bool devices_args_ok(int argc, char **argv)
{
    return argc == 0 || (argc == 1 && strcmp(argv[0], "list") == 0) ||
           (argc == 2 && strcmp(argv[0], "forget") == 0);
}

int run_devices(struct session *s, int argc, char **argv)
{
    struct json_object *resp = NULL;
    int rc;
    if (argc == 2) {
        struct json_object *req = json_object_new_object();
        cog_json_add_string(req, "DeviceKey", argv[1]);
        if ((rc = user_token_call(s, "ForgetDevice", req, NULL)) == EXIT_OK)
            user_say(s, "Forgot device %s", argv[1]);
        return rc;
    }
    if ((rc = user_token_call(s, "ListDevices", json_object_new_object(), &resp)) != EXIT_OK)
        return rc;
    struct json_object *devices = json_object_object_get(resp, "Devices");
    if (s->g->json && devices != NULL) {
        ctl_print_json(devices);
    } else if (s->g->json) {
        printf("[]\n");
    } else {
        for (size_t i = 0; i < user_arr_len(devices); i++) {
            struct json_object *d = json_object_array_get_idx(devices, i), *attrs;
            const char *name = "";
            attrs = json_object_object_get(d, "DeviceAttributes");
            for (size_t k = 0; k < user_arr_len(attrs); k++) {
                struct json_object *a = json_object_array_get_idx(attrs, k);
                const char *n = cog_json_string(a, "Name");
                if (n && strcmp(n, "device_name") == 0 && cog_json_string(a, "Value"))
                    name = cog_json_string(a, "Value");
            }
            printf("%s %s\n", term_shown(cog_json_string(d, "DeviceKey")), term_shown(name));
        }
        if (user_arr_len(devices) == 0)
            printf("No remembered devices\n");
    }
    json_object_put(resp);
    return EXIT_OK;
}
