/* AWS Signature V4: AWS's own test-suite vectors (aws-sig-v4-test-suite,
 * credentials AKIDEXAMPLE, 2015-08-30, us-east-1, service "service"), the
 * signing-key example of AWS's documentation, and the credential sources.
 * That the mock's independent Python check accepts what this code signs is
 * shown by cognitoctl_sync.sh. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/core/config.h"
#include "libcognito/wire/sigv4.h"
#include "libcognito/core/util.h"
#include "tests/testutil.h"

#define SUITE_DATE "20150830T123600Z"
#define SUITE_TOKEN                                                                                \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxf"    \
    "pSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPk"    \
    "yQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbq"      \
    "BAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

static struct cog_aws_credentials suite_creds = {
    .access_key_id = "AKIDEXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

struct vector {
    const char *name;
    const char *method;
    const char *path;
    const char *query;
    struct cog_sigv4_header headers[5];
    size_t nheaders;
    const char *creq;      /* the published canonical request */
    const char *signature; /* the published Signature= */
    const char *signed_headers;
};

#define HOST                                                                                       \
    {"Host", "example.amazonaws.com"},                                                             \
    {                                                                                              \
        "X-Amz-Date", SUITE_DATE                                                                   \
    }
#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct vector vectors[] = {
    {"get-vanilla",
     "GET",
     "/",
     NULL,
     {HOST},
     2,
     "GET\n/"
     "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_HASH,
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
     "host;x-amz-date"},
    {"post-vanilla",
     "POST",
     "/",
     NULL,
     {HOST},
     2,
     "POST\n/"
     "\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_HASH,
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
     "host;x-amz-date"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/",
     "Param2=value2&Param1=value1",
     {HOST},
     2,
     "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z"
     "\n\nhost;x-amz-date\n" EMPTY_HASH,
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
     "host;x-amz-date"},
    {"get-vanilla-query-order-value",
     "GET",
     "/",
     "Param1=value2&Param1=value1",
     {HOST},
     2,
     NULL,
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
     "host;x-amz-date"},
    {"get-vanilla-utf8-query",
     "GET",
     "/",
     "\xe1\x88\xb4=bar",
     {HOST},
     2,
     NULL,
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
     "host;x-amz-date"},
    {"get-utf8",
     "GET",
     "/\xe1\x88\xb4",
     NULL,
     {HOST},
     2,
     "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;"
     "x-amz-date\n" EMPTY_HASH,
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
     "host;x-amz-date"},
    {"get-unreserved",
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     NULL,
     {HOST},
     2,
     NULL,
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
     "host;x-amz-date"},
    {"get-space",
     "GET",
     "/example space/",
     NULL,
     {HOST},
     2,
     NULL,
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
     "host;x-amz-date"},
    {"get-slashes",
     "GET",
     "//example//",
     NULL,
     {HOST},
     2,
     NULL,
     "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
     "host;x-amz-date"},
    {"get-relative-relative",
     "GET",
     "/example1/example2/../..",
     NULL,
     {HOST},
     2,
     NULL,
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
     "host;x-amz-date"},
    {"get-header-value-trim",
     "GET",
     "/",
     NULL,
     {HOST, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
     4,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:"
     "20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY_HASH,
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
     "host;my-header1;my-header2;x-amz-date"},
    {"get-header-key-duplicate",
     "GET",
     "/",
     NULL,
     {{"Host", "example.amazonaws.com"},
      {"My-Header1", "value2"},
      {"My-Header1", "value2"},
      {"My-Header1", "value1"},
      {"X-Amz-Date", SUITE_DATE}},
     5,
     NULL,
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
     "host;my-header1;x-amz-date"},
    {"post-header-key-sort",
     "POST",
     "/",
     NULL,
     {HOST, {"My-Header1", "value1"}},
     3,
     NULL,
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
     "host;my-header1;x-amz-date"},
};

START_TEST(test_suite_vector)
{
    const struct vector *v = &vectors[_i];
    struct cog_sigv4_result res;
    struct cog_error err = {0};
    char want[512];
    struct cog_sigv4_request req = {
        .method = v->method,
        .path = v->path,
        .query = v->query,
        .headers = v->headers,
        .nheaders = v->nheaders,
        .body = "",
        .body_len = 0,
        .region = "us-east-1",
        .service = "service",
        .amz_date = SUITE_DATE,
    };
    ck_assert_int_eq(cog_sigv4_sign(&req, &suite_creds, &res, &err), COG_OK);
    if (v->creq != NULL)
        ck_assert_str_eq(res.canonical_request, v->creq);
    snprintf(want, sizeof(want),
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
             "SignedHeaders=%s, Signature=%s",
             v->signed_headers, v->signature);
    ck_assert_msg(strcmp(res.authorization, want) == 0, "%s: got %s", v->name, res.authorization);
    cog_sigv4_result_clear(&res);
}
END_TEST

/* post-sts-header-before: a session token is a signed header like any other. */
START_TEST(test_session_token_vector)
{
    struct cog_aws_credentials creds = suite_creds;
    struct cog_sigv4_header headers[] = {HOST, {"X-Amz-Security-Token", SUITE_TOKEN}};
    struct cog_sigv4_result res;
    struct cog_error err = {0};
    struct cog_sigv4_request req = {
        .method = "POST",
        .path = "/",
        .headers = headers,
        .nheaders = 3,
        .region = "us-east-1",
        .service = "service",
        .amz_date = SUITE_DATE,
    };
    creds.session_token = SUITE_TOKEN;
    ck_assert_int_eq(cog_sigv4_sign(&req, &creds, &res, &err), COG_OK);
    ck_assert_ptr_nonnull(strstr(res.authorization,
                                 "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="
                                 "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05e"
                                 "ad"));
    ck_assert_str_eq(res.string_to_sign,
                     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                     "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
    cog_sigv4_result_clear(&res);
}
END_TEST

/* The derivation example of AWS's SigV4 documentation (IAM, 2012-02-15). */
START_TEST(test_signing_key_example)
{
    unsigned char key[32];
    char hex[65];
    ck_assert_int_eq(cog_sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                           "us-east-1", "iam", key),
                     COG_OK);
    cog_hex_encode(key, 32, hex);
    ck_assert_str_eq(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}
END_TEST

/* A cognito-idp request as sync sends it: body, target and content type signed. */
START_TEST(test_json_body_changes_signature)
{
    struct cog_sigv4_header headers[] = {
        {"Content-Type", "application/x-amz-json-1.1"},
        {"Host", "cognito-idp.eu-west-1.amazonaws.com"},
        {"X-Amz-Date", SUITE_DATE},
        {"X-Amz-Target", "AWSCognitoIdentityProviderService.ListUsers"},
    };
    struct cog_sigv4_request req = {
        .method = "POST",
        .path = "/",
        .headers = headers,
        .nheaders = 4,
        .body = "{\"UserPoolId\":\"eu-west-1_A\"}",
        .body_len = 28,
        .region = "eu-west-1",
        .service = "cognito-idp",
        .amz_date = SUITE_DATE,
    };
    struct cog_sigv4_result a, b;
    struct cog_error err = {0};
    ck_assert_int_eq(cog_sigv4_sign(&req, &suite_creds, &a, &err), COG_OK);
    ck_assert_ptr_nonnull(strstr(a.authorization, "/20150830/eu-west-1/cognito-idp/aws4_request, "
                                                  "SignedHeaders=content-type;host;x-amz-date;"
                                                  "x-amz-target, "));
    /* The payload hash ends the canonical request; sha256sum computed this one. */
    const char *tail = "\ne22b4fd7bbc86fd5fcba56d9d9310657aaa60e1d7da7c0fd44ec813af922d28f";
    size_t cl = strlen(a.canonical_request), tl = strlen(tail);
    ck_assert_uint_gt(cl, tl);
    ck_assert_str_eq(a.canonical_request + cl - tl, tail);
    req.body = "{\"UserPoolId\":\"eu-west-1_B\"}";
    ck_assert_int_eq(cog_sigv4_sign(&req, &suite_creds, &b, &err), COG_OK);
    ck_assert_str_ne(a.authorization, b.authorization);
    cog_sigv4_result_clear(&a);
    cog_sigv4_result_clear(&b);
}
END_TEST

START_TEST(test_credentials_file_format)
{
    struct cog_aws_credentials c;
    struct cog_error err = {0};
    const char *ini = "# admin keys\n[other]\naws_access_key_id = AKIAOTHER0000000000\n"
                      "[default]\naws_access_key_id = AKIAEXAMPLE000000001\n"
                      "aws_secret_access_key = abc/def+ghi\nregion = eu-west-1\n";
    ck_assert_int_eq(cog_aws_credentials_parse(ini, strlen(ini), "f", &c, &err), COG_OK);
    ck_assert_str_eq(c.access_key_id, "AKIAEXAMPLE000000001");
    ck_assert_str_eq(c.secret_access_key, "abc/def+ghi");
    ck_assert_ptr_null(c.session_token);
    cog_aws_credentials_clear(&c);

    const char *bare = "aws_access_key_id=AKIAEXAMPLE000000001\naws_secret_access_key=s\n"
                       "aws_session_token=tok\n";
    ck_assert_int_eq(cog_aws_credentials_parse(bare, strlen(bare), "f", &c, &err), COG_OK);
    ck_assert_str_eq(c.session_token, "tok");
    cog_aws_credentials_clear(&c);

    const char *no_secret = "aws_access_key_id = AKIAEXAMPLE000000001\n";
    ck_assert_int_eq(cog_aws_credentials_parse(no_secret, strlen(no_secret), "f", &c, &err),
                     COG_ERR_CONFIG);
    const char *lower = "aws_access_key_id = akiaexample\naws_secret_access_key = s\n";
    ck_assert_int_eq(cog_aws_credentials_parse(lower, strlen(lower), "f", &c, &err),
                     COG_ERR_CONFIG);
    /* The secret never reaches an error message. */
    const char *twice =
        "aws_secret_access_key = SECRETVALUE\naws_secret_access_key = SECRETVALUE\n";
    ck_assert_int_eq(cog_aws_credentials_parse(twice, strlen(twice), "f", &c, &err),
                     COG_ERR_CONFIG);
    ck_assert_ptr_null(strstr(err.message, "SECRETVALUE"));
}
END_TEST

START_TEST(test_credentials_sources)
{
    struct cog_config cfg;
    struct cog_aws_credentials c;
    struct cog_error err = {0};
    char dir[] = "/tmp/cognito-sigv4-XXXXXX", path[64];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/creds", dir);
    FILE *f = fopen(path, "w");
    fputs("[default]\naws_access_key_id = AKIAFILE000000000001\naws_secret_access_key = s\n", f);
    fclose(f);
    cog_config_init(&cfg);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");

    ck_assert_int_eq(cog_aws_credentials_load(&cfg, &c, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "no AWS credentials"));

    cfg.admin_credentials_file = strdup(path);
    chmod(path, 0644);
    ck_assert_int_eq(cog_aws_credentials_load(&cfg, &c, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "readable by others"));
    chmod(path, 0600);
    ck_assert_int_eq(cog_aws_credentials_load(&cfg, &c, &err), COG_OK);
    ck_assert_str_eq(c.access_key_id, "AKIAFILE000000000001");
    ck_assert_str_eq(c.source, path);
    cog_aws_credentials_clear(&c);

    /* The environment wins, as with the AWS tools. */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV0000000000001", 1);
    ck_assert_int_eq(cog_aws_credentials_load(&cfg, &c, &err), COG_ERR_CONFIG);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    ck_assert_int_eq(cog_aws_credentials_load(&cfg, &c, &err), COG_OK);
    ck_assert_str_eq(c.access_key_id, "AKIAENV0000000000001");
    ck_assert_str_eq(c.session_token, "envtoken");
    ck_assert_str_eq(c.source, "the environment");
    cog_aws_credentials_clear(&c);
    ck_assert_ptr_null(c.secret_access_key);

    unlink(path);
    rmdir(dir);
    cog_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *tc = tcase_create("sigv4");
    tcase_add_loop_test(tc, test_suite_vector, 0, sizeof(vectors) / sizeof(vectors[0]));
    tcase_add_test(tc, test_session_token_vector);
    tcase_add_test(tc, test_signing_key_example);
    tcase_add_test(tc, test_json_body_changes_signature);
    tcase_add_test(tc, test_credentials_file_format);
    tcase_add_test(tc, test_credentials_sources);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
