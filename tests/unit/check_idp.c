#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"

/* Cognito's answers, as DESIGN.md's table maps them. */
static const struct {
    long status;
    const char *body;
    const char *header;
    cog_status want;
    const char *code;
    const char *message;
} errors[] = {
    {400, "{\"__type\":\"NotAuthorizedException\",\"message\":\"Incorrect username or password.\"}",
     NULL, COG_ERR_AUTH, "NotAuthorizedException", "Incorrect username or password."},
    {400,
     "{\"__type\":\"com.amazonaws.cognito.identity.idp.model#UserNotFoundException\","
     "\"message\":\"User does not exist.\"}",
     NULL, COG_ERR_USER_UNKNOWN, "UserNotFoundException", "User does not exist."},
    {400, "{\"__type\":\"CodeMismatchException\",\"message\":\"Invalid code.\"}", NULL,
     COG_ERR_CODE, "CodeMismatchException", "Invalid code."},
    {400, "{\"__type\":\"ExpiredCodeException\",\"message\":\"x\"}", NULL, COG_ERR_CODE,
     "ExpiredCodeException", "x"},
    {400, "{\"__type\":\"PasswordResetRequiredException\",\"message\":\"reset\"}", NULL,
     COG_ERR_PASSWORD_RESET_REQUIRED, "PasswordResetRequiredException", "reset"},
    {400, "{\"__type\":\"UserNotConfirmedException\",\"message\":\"c\"}", NULL,
     COG_ERR_NOT_CONFIRMED, "UserNotConfirmedException", "c"},
    {400,
     "{\"__type\":\"InvalidPasswordException\",\"message\":\"Password did not conform with "
     "policy: Password must have uppercase characters\"}",
     NULL, COG_ERR_INVALID_PASSWORD, "InvalidPasswordException",
     "Password did not conform with policy: Password must have uppercase characters"},
    {400, "{\"__type\":\"TooManyRequestsException\",\"message\":\"Rate exceeded\"}", NULL,
     COG_ERR_UNAVAILABLE, "TooManyRequestsException", "Rate exceeded"},
    {400, "{\"__type\":\"InvalidParameterException\",\"Message\":\"bad\"}", NULL, COG_ERR_SERVICE,
     "InvalidParameterException", "bad"},
    /* The header is the fallback when the body says nothing. */
    {400, "", "NotAuthorizedException:http://internal.amazon.com/coral/com.amazon.coral/",
     COG_ERR_AUTH, "NotAuthorizedException", NULL},
    {400, "not json", "UserNotFoundException:", COG_ERR_USER_UNKNOWN, "UserNotFoundException",
     NULL},
    /* Server errors are unavailability whatever they claim. */
    {500, "{\"__type\":\"InternalErrorException\",\"message\":\"oops\"}", NULL, COG_ERR_UNAVAILABLE,
     "InternalErrorException", "oops"},
    {503, "<html>busy</html>", NULL, COG_ERR_UNAVAILABLE, "", NULL},
    {502, "", NULL, COG_ERR_UNAVAILABLE, "", NULL},
    /* A NotAuthorized in a 5xx is still not a wrong password. */
    {500, "{\"__type\":\"NotAuthorizedException\"}", NULL, COG_ERR_UNAVAILABLE,
     "NotAuthorizedException", NULL},
    {429, "", NULL, COG_ERR_UNAVAILABLE, "", NULL},
    /* A 4xx we cannot read is an unusable service, never a wrong password. */
    {400, "garbage", NULL, COG_ERR_UNAVAILABLE, "", NULL},
    {403, "{}", NULL, COG_ERR_UNAVAILABLE, "", NULL},
    {400, "{\"__type\":\"Weird<script>Name\"}", NULL, COG_ERR_SERVICE, "Weird", NULL},
    /* Control characters in a message are not passed on to a terminal or log. */
    {400, "{\"__type\":\"NotAuthorizedException\",\"message\":\"a\\u001b[2Jb\"}", NULL,
     COG_ERR_AUTH, "NotAuthorizedException", "NotAuthorizedException (HTTP 400)"},
};

START_TEST(test_error_mapping)
{
    struct cog_error err;
    memset(&err, 0x55, sizeof(err));
    cog_status st = cog_idp_parse_error(errors[_i].status, errors[_i].body, strlen(errors[_i].body),
                                        errors[_i].header, &err);
    ck_assert_msg(st == errors[_i].want, "case %d: status %d, want %d", _i, st, errors[_i].want);
    ck_assert_int_eq(err.status, st);
    ck_assert_str_eq(err.code, errors[_i].code);
    if (errors[_i].message)
        ck_assert_str_eq(err.message, errors[_i].message);
    else
        ck_assert(err.message[0] != '\0');
}
END_TEST

START_TEST(test_parse_body)
{
    struct json_object *o = NULL;
    struct cog_error err;
    const char *ok = "{\"ChallengeName\":\"PASSWORD_VERIFIER\",\"ChallengeParameters\":{}}";
    ck_assert_int_eq(cog_idp_parse_body(ok, strlen(ok), &o, &err), COG_OK);
    ck_assert_str_eq(cog_json_string(o, "ChallengeName"), "PASSWORD_VERIFIER");
    ck_assert_ptr_nonnull(cog_json_object(o, "ChallengeParameters"));
    ck_assert_ptr_null(cog_json_string(o, "ChallengeParameters"));
    ck_assert_ptr_null(cog_json_object(o, "ChallengeName"));
    ck_assert_ptr_null(cog_json_string(o, "missing"));
    json_object_put(o);

    static const char *const bad[] = {
        "", "[]", "\"str\"", "{", "{\"a\":1} trailing", "null", "{\"a\":1}{\"b\":2}", "42"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(cog_idp_parse_body(bad[i], strlen(bad[i]), &o, &err), COG_ERR_UNAVAILABLE);
        ck_assert_ptr_null(o);
    }
    /* Deep nesting is refused, not recursed into. */
    char deep[512];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    deep[0] = '{';
    ck_assert_int_eq(cog_idp_parse_body(deep, strlen(deep), &o, &err), COG_ERR_UNAVAILABLE);
}
END_TEST

START_TEST(test_secret_hash_added)
{
    struct cog_config cfg;
    struct cog_error err;
    cog_config_init(&cfg);
    cfg.client_id = strdup("1example23456789abcdefghij");
    struct json_object *o = json_object_new_object();

    /* No client secret: nothing added. */
    ck_assert_int_eq(cog_idp_add_secret_hash(&cfg, o, "SECRET_HASH", "alice", &err), COG_OK);
    ck_assert_ptr_null(cog_json_string(o, "SECRET_HASH"));

    /* The SDK vectors' first example. */
    cfg.client_secret = strdup("examplesecret0123456789abcdefghijklmnopqrstuvwxyz");
    ck_assert_int_eq(cog_idp_add_secret_hash(&cfg, o, "SECRET_HASH", "alice", &err), COG_OK);
    ck_assert_str_eq(cog_json_string(o, "SECRET_HASH"),
                     "0DJjB9bJdE1GUrHv7ZlnGzNgjhRmglECbmYKJra5hsI=");
    json_object_put(o);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_exception_names)
{
    ck_assert_int_eq(cog_status_from_exception("NotAuthorizedException"), COG_ERR_AUTH);
    ck_assert_int_eq(cog_status_from_exception("ThrottlingException"), COG_ERR_UNAVAILABLE);
    ck_assert_int_eq(cog_status_from_exception("LimitExceededException"), COG_ERR_UNAVAILABLE);
    ck_assert_int_eq(cog_status_from_exception("TooManyFailedAttemptsException"), COG_ERR_AUTH);
    ck_assert_int_eq(cog_status_from_exception("AliasExistsException"), COG_ERR_SERVICE);
    ck_assert_int_eq(cog_status_from_exception(""), COG_ERR_UNAVAILABLE);
    ck_assert_int_eq(cog_status_from_exception(NULL), COG_ERR_UNAVAILABLE);
}
END_TEST

START_TEST(test_username_validation)
{
    ck_assert(cog_username_valid("alice"));
    ck_assert(cog_username_valid("alice@example.com"));
    ck_assert(cog_username_valid("3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6"));
    ck_assert(cog_username_valid("J\xc3\xbcrgen"));
    ck_assert(!cog_username_valid(""));
    ck_assert(!cog_username_valid(NULL));
    ck_assert(!cog_username_valid("ali ce"));
    ck_assert(!cog_username_valid("alice\n"));
    ck_assert(!cog_username_valid("al\tice"));
    ck_assert(!cog_username_valid("a\x7f"));
    ck_assert(!cog_username_valid("a\xc2\x85"));     /* C1 NEL */
    ck_assert(!cog_username_valid("a\xff"));         /* invalid UTF-8 */
    ck_assert(!cog_username_valid("a\xc0\xaf"));     /* overlong '/' */
    ck_assert(!cog_username_valid("a\xed\xa0\x80")); /* surrogate */
    /* Cognito names are letters, marks, symbols, numbers and punctuation:
     * no separator or format character, which could pass for a space or a
     * line break, or reorder text, in a log line or on a terminal. */
    static const char *const invisible[] = {
        "ali\xc2\xa0"
        "ce",                    /* U+00A0 no-break space */
        "alice\xe2\x80\xa8root", /* U+2028 line separator */
        "alice\xe2\x80\xa9root", /* U+2029 paragraph separator */
        "ali\xe2\x80\x8b"
        "ce", /* U+200B zero-width space */
        "\xe2\x80\xae"
        "ecila",             /* U+202E right-to-left override */
        "alice\xe2\x81\xa6", /* U+2066 left-to-right isolate */
        "\xef\xbb\xbf"
        "alice", /* U+FEFF byte order mark */
        "ali\xc2\xad"
        "ce",                    /* U+00AD soft hyphen */
        "alice\xe3\x80\x80",     /* U+3000 ideographic space */
        "alice\xee\x80\x80",     /* U+E000 private use */
        "alice\xf3\xa0\x80\x81", /* U+E0001 language tag */
    };
    for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++)
        ck_assert_msg(!cog_username_valid(invisible[i]), "invisible character %zu accepted", i);
    ck_assert(cog_username_valid("\xe5\x90\x8d\xe5\x89\x8d")); /* 名前 */
    ck_assert(cog_username_valid("o'brien\"x\\y"));
    ck_assert(cog_username_valid("\xe2\x82\xac\xf0\x9f\x98\x80")); /* €😀: symbols */
    char long_name[200];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    ck_assert(!cog_username_valid(long_name));
    long_name[COG_USERNAME_MAX] = '\0';
    ck_assert(cog_username_valid(long_name));
}
END_TEST

START_TEST(test_base64)
{
    size_t n;
    unsigned char *d = cog_base64_decode("aGVsbG8", 7, &n);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(d, "hello", 5);
    free(d);
    d = cog_base64_decode("aGVsbG8=", 8, &n);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n, 5);
    free(d);
    d = cog_base64_decode("-_8", 3, &n); /* url-safe */
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(d[0], 0xfb);
    ck_assert_int_eq(d[1], 0xff);
    free(d);
    ck_assert_ptr_null(cog_base64_decode("a", 1, &n));
    ck_assert_ptr_null(cog_base64_decode("ab=c", 4, &n));
    ck_assert_ptr_null(cog_base64_decode("ab c", 4, &n));
    ck_assert_ptr_null(cog_base64_decode("ab===", 5, &n));
    char *e = cog_base64_encode((const unsigned char *)"hello", 5);
    ck_assert_str_eq(e, "aGVsbG8=");
    free(e);
}
END_TEST

static Suite *idp_suite(void)
{
    Suite *s = suite_create("idp");
    TCase *tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_error_mapping, 0, (int)(sizeof(errors) / sizeof(errors[0])));
    tcase_add_test(tc, test_exception_names);
    suite_add_tcase(s, tc);
    TCase *tb = tcase_create("bodies");
    tcase_add_test(tb, test_parse_body);
    tcase_add_test(tb, test_secret_hash_added);
    tcase_add_test(tb, test_username_validation);
    tcase_add_test(tb, test_base64);
    suite_add_tcase(s, tb);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(idp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
