#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "libcognito/core/config.h"
#include "libcognito/core/util.h"

static const char good[] = "# a comment\n"
                           "region = us-east-1\n"
                           "\n"
                           "user_pool_id = us-east-1_aB12cDe34   # trailing comment\n"
                           "client_id=1example23456789abcdefghij\n"
                           "\ttimeout = 7\r\n"
                           "auth_flow = USER_PASSWORD_AUTH\n"
                           "endpoint = https://127.0.0.1:8443\n"
                           "ca_file = /etc/ssl/test-ca.pem\n";

static cog_status parse(struct cog_config *cfg, const char *text, struct cog_error *err)
{
    cog_config_init(cfg);
    cog_status st = cog_config_parse_buffer(cfg, text, strlen(text), "test.conf", err);
    if (st == COG_OK)
        st = cog_config_finish(cfg, err);
    return st;
}

START_TEST(test_good_file)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    ck_assert_int_eq(parse(&cfg, good, &err), COG_OK);
    ck_assert_str_eq(cfg.region, "us-east-1");
    ck_assert_str_eq(cfg.user_pool_id, "us-east-1_aB12cDe34");
    ck_assert_str_eq(cfg.client_id, "1example23456789abcdefghij");
    ck_assert_int_eq(cfg.timeout, 7);
    ck_assert_int_eq(cfg.auth_flow, COG_FLOW_USER_PASSWORD_AUTH);
    ck_assert_ptr_null(cfg.client_secret);
    ck_assert_str_eq(cog_config_pool_name(&cfg), "aB12cDe34");

    char *url = cog_config_idp_url(&cfg);
    ck_assert_str_eq(url, "https://127.0.0.1:8443/");
    free(url);
    char *iss = cog_config_issuer(&cfg);
    ck_assert_str_eq(iss, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_aB12cDe34");
    free(iss);
    char *jwks = cog_config_jwks_url(&cfg);
    ck_assert_str_eq(jwks, "https://127.0.0.1:8443/us-east-1_aB12cDe34/.well-known/jwks.json");
    free(jwks);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_defaults)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    ck_assert_int_eq(
        parse(&cfg, "region = eu-west-1\nuser_pool_id = eu-west-1_X\nclient_id = abc\n", &err),
        COG_OK);
    ck_assert_int_eq(cfg.timeout, 10);
    ck_assert_int_eq(cfg.auth_flow, COG_FLOW_USER_SRP_AUTH);
    ck_assert_ptr_null(cfg.endpoint);
    char *url = cog_config_idp_url(&cfg);
    ck_assert_str_eq(url, "https://cognito-idp.eu-west-1.amazonaws.com/");
    free(url);
    cog_config_free(&cfg);
}
END_TEST

/* Each bad input must be refused with a message naming the line. */
static const struct {
    const char *text;
    const char *expect; /* substring of the error message */
} bad[] = {
    {"region = us-east-1\nbogus = 1\n", "test.conf:2: unknown key 'bogus'"},
    {"region = us-east-1\nregion = us-east-2\n", "test.conf:2: key 'region' given twice"},
    {"timeout = 0\n", "test.conf:1: key 'timeout': '0' is not a number from 1 to 300"},
    {"timeout = 301\n", "from 1 to 300"},
    {"timeout = 5s\n", "'5s' is not a number"},
    {"timeout = -1\n", "is not a number"},
    {"auth_flow = CUSTOM\n", "test.conf:1: key 'auth_flow': 'CUSTOM' is not USER_SRP_AUTH"},
    {"endpoint = http://example.com/\n", "is not an https:// URL"},
    {"ca_file = relative/ca.pem\n", "is not an absolute path"},
    {"region = US EAST\n", "is not an AWS region name"},
    {"user_pool_id = nounderscore\n", "is not a user pool id"},
    {"user_pool_id = us-east-1_bad-name\n", "is not a user pool id"},
    {"client_id = has space\n", "is not an app client id"},
    {"just some words\n", "test.conf:1: expected 'key = value'"},
    {"= value\n", "test.conf:1: missing key"},
    {"region =\n", "test.conf:1: key 'region' has an empty value"},
    {"\n\n\nclient_secret = bad secret!\n", "test.conf:4: key 'client_secret': not an app"},
    /* Quotes in messages are text cut at a character, never raw bytes (found by fuzz_config). */
    {"\xd8 = 1\n", "test.conf:1: unknown key '(not text)'"},
    {"ke\x1b[31my = 1\n", "unknown key '(not text)'"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9 = 1\n",
     "unknown key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
    {"timeout = 1234567890123456789012345678901\xc3\xa9\n",
     "'1234567890123456789012345678901' is not a number"},
    /* after the password */
    {"identity_pool_id = us-east-1_abc\n", "is not an identity pool id"},
    {"identity_pool_id = us-east-1:not-hex!\n", "is not an identity pool id"},
    {"identity_endpoint = http://x/\n", "is not an https:// URL"},
    {"aws_credentials = env,file\n", "'env,file' is not one of env, file or off"},
    {"on_close = delete\n", "'delete' is not one of revoke, signout or none"},
    {"offline_login = yes\n", "'yes' is not one of off or password"},
    {"remember_device = maybe\n", "'maybe' is not yes or no"},
    {"offline_max_age = 30\n", "'30' is not a duration from 60 to"},
    {"offline_max_age = 7w\n", "'7w' is not a duration"},
    {"offline_max_age = -1d\n", "is not a duration"},
    {"offline_max_age = 99999999999999999999d\n", "is not a duration"},
    {"aws_profile = my profile\n", "is not a profile name"},
    {"aws_credentials_dir = /run/a b\n", "a path with characters other than"},
    {"private_dir = var/lib\n", "is not an absolute path"},
};

START_TEST(test_session_keys)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    char region[40];
    ck_assert_int_eq(parse(&cfg,
                           "region = eu-west-1\nuser_pool_id = eu-west-1_X\nclient_id = abc\n"
                           "identity_pool_id = eu-central-1:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9\n"
                           "aws_credentials = file\non_close = signout\nremember_device = yes\n"
                           "offline_login = password\noffline_max_age = 3d\n"
                           "offline_login_mfa_users = true\naws_profile = work.cognito\n",
                           &err),
                     COG_OK);
    ck_assert_int_eq(cfg.aws_credentials, COG_AWS_FILE);
    ck_assert_int_eq(cfg.on_close, COG_CLOSE_SIGNOUT);
    ck_assert(cfg.remember_device);
    ck_assert_int_eq(cfg.offline_login, COG_OFFLINE_PASSWORD);
    ck_assert_int_eq(cfg.offline_max_age, 3 * 86400);
    ck_assert(cfg.offline_login_mfa_users);
    ck_assert_str_eq(cfg.aws_profile, "work.cognito");
    /* The identity pool's own region names its endpoint. */
    char *url = cog_config_identity_url(&cfg);
    ck_assert_str_eq(url, "https://cognito-identity.eu-central-1.amazonaws.com/");
    free(url);
    cog_config_identity_region(&cfg, region, sizeof(region));
    ck_assert_str_eq(region, "eu-central-1");
    char *provider = cog_config_identity_provider(&cfg);
    ck_assert_str_eq(provider, "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X");
    free(provider);
    cog_config_free(&cfg);

    /* Defaults: env credentials, revoke on close, nothing remembered or cached. */
    ck_assert_int_eq(parse(&cfg,
                           "region = eu-west-1\nuser_pool_id = eu-west-1_X\nclient_id = abc\n"
                           "identity_endpoint = https://127.0.0.1:9/\noffline_max_age = 90m\n",
                           &err),
                     COG_OK);
    ck_assert_ptr_null(cfg.identity_pool_id);
    ck_assert_int_eq(cfg.aws_credentials, COG_AWS_ENV);
    ck_assert_int_eq(cfg.on_close, COG_CLOSE_REVOKE);
    ck_assert(!cfg.remember_device);
    ck_assert_int_eq(cfg.offline_login, COG_OFFLINE_OFF);
    ck_assert(!cfg.offline_login_mfa_users);
    ck_assert_int_eq(cfg.offline_max_age, 90 * 60);
    ck_assert_str_eq(cfg.aws_profile, "cognito");
    ck_assert_str_eq(cfg.private_dir, CACHEDIR "/private");
    url = cog_config_identity_url(&cfg);
    ck_assert_str_eq(url, "https://127.0.0.1:9/");
    free(url);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_bad_lines)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    cog_config_init(&cfg);
    cog_status st =
        cog_config_parse_buffer(&cfg, bad[_i].text, strlen(bad[_i].text), "test.conf", &err);
    ck_assert_int_eq(st, COG_ERR_CONFIG);
    ck_assert_msg(strstr(err.message, bad[_i].expect) != NULL, "case %d: got '%s', want '%s'", _i,
                  err.message, bad[_i].expect);
    /* Messages are logged and shown on terminals. */
    ck_assert_msg(cog_text_valid(err.message, sizeof(err.message)), "case %d: not text", _i);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_secret_never_echoed)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    cog_config_init(&cfg);
    const char *text = "client_secret = s3cr3t value\n";
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, text, strlen(text), "t", &err), COG_ERR_CONFIG);
    ck_assert_ptr_null(strstr(err.message, "s3cr3t"));
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_missing_required)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    ck_assert_int_eq(parse(&cfg, "region = us-east-1\nclient_id = abc\n", &err), COG_ERR_CONFIG);
    ck_assert_str_eq(err.message, "test.conf: missing required key 'user_pool_id'");
    cog_config_free(&cfg);

    ck_assert_int_eq(
        parse(&cfg, "region = us-east-1\nuser_pool_id = eu-west-1_X\nclient_id = abc\n", &err),
        COG_ERR_CONFIG);
    ck_assert_str_eq(err.message, "test.conf:2: user_pool_id 'eu-west-1_X' is not in region "
                                  "'us-east-1'");
    cog_config_free(&cfg);

    /* cross-key rules of the mapping name the file too */
    ck_assert_int_eq(parse(&cfg,
                           "region = us-east-1\nuser_pool_id = us-east-1_X\nclient_id = abc\n"
                           "uid_min = 5000\nuid_max = 4000\n",
                           &err),
                     COG_ERR_CONFIG);
    ck_assert_str_eq(err.message, "test.conf: uid_min/uid_max or gid_min/gid_max are not in order");
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_nul_byte)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    cog_config_init(&cfg);
    const char text[] = "region = us-east-1\0x\n";
    ck_assert_int_eq(cog_config_parse_buffer(&cfg, text, sizeof(text) - 1, "t", &err),
                     COG_ERR_CONFIG);
    cog_config_free(&cfg);
}
END_TEST

START_TEST(test_argv_overrides_file)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    ck_assert_int_eq(parse(&cfg, good, &err), COG_OK);
    /* PAM arguments are a new source: they may set a key the file set. */
    cog_config_begin_source(&cfg);
    ck_assert_int_eq(cog_config_set(&cfg, "timeout", "3", "pam argv", 0, &err), COG_OK);
    ck_assert_int_eq(cfg.timeout, 3);
    ck_assert_int_eq(cog_config_set(&cfg, "timeout", "4", "pam argv", 0, &err), COG_ERR_CONFIG);
    ck_assert_str_eq(err.message, "pam argv: key 'timeout' given twice");
    ck_assert(cog_config_key_known("client_id"));
    ck_assert(!cog_config_key_known("use_first_pass"));
    cog_config_free(&cfg);
}
END_TEST

static char tmpdir[] = "/tmp/check-config-XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_file_permissions)
{
    char path[64];
    struct cog_config cfg;
    struct cog_error err = {0};
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/c.conf", tmpdir);

    write_file(path, good, 0644);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_OK);
    cog_config_free(&cfg);

    write_file(path, good, 0666);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "writable by group or others"));
    cog_config_free(&cfg);

    write_file(path, good, 0620);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_ERR_CONFIG);
    cog_config_free(&cfg);

    /* A client secret may only live in a file nobody else can read. */
    write_file(path, "client_secret = abcdef\n", 0644);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "c.conf:1: client_secret in a file others can read"));
    ck_assert_ptr_nonnull(strstr(err.message, "client_secret_file"));
    cog_config_free(&cfg);

    write_file(path, "client_secret = abcdef\n", 0600);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_OK);
    ck_assert_str_eq(cfg.client_secret, "abcdef");
    cog_config_free(&cfg);

    /* Owned by someone else (when we are root, anyone but root). */
    if (geteuid() == 0) {
        write_file(path, good, 0644);
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        cog_config_init(&cfg);
        ck_assert_int_eq(cog_config_load_file(&cfg, path, &err), COG_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err.message, "must be owned by root"));
        cog_config_free(&cfg);
    }

    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, "/nonexistent/cognito.conf", &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/cognito.conf"));
    cog_config_free(&cfg);

    /* A symlink is refused: the checks above must be about the file itself. */
    char link[80];
    snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
    write_file(path, good, 0644);
    ck_assert_int_eq(symlink(path, link), 0);
    cog_config_init(&cfg);
    ck_assert_int_eq(cog_config_load_file(&cfg, link, &err), COG_ERR_CONFIG);
    cog_config_free(&cfg);
    unlink(link);
    unlink(path);
    rmdir(tmpdir);
}
END_TEST

/* Loads dir/c.conf holding `good` and the lines in extra; the status. */
static cog_status load_with(const char *dir, const char *extra, mode_t mode, struct cog_config *cfg,
                            struct cog_error *err)
{
    char path[128], text[2048];
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    snprintf(text, sizeof(text), "%s%s", good, extra);
    write_file(path, text, mode);
    cog_config_init(cfg);
    cog_status st = cog_config_load_file(cfg, path, err);
    if (st == COG_OK)
        st = cog_config_finish(cfg, err);
    return st;
}

/* The secret lives alone in a root-only file; cognito.conf is for everyone. */
START_TEST(test_secret_file)
{
    char dir[] = "/tmp/check-secret-XXXXXX", secret[128], line[256];
    struct cog_config cfg;
    struct cog_error err = {0};
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    snprintf(secret, sizeof(secret), "%s/client_secret", dir);
    snprintf(line, sizeof(line), "client_secret_file = %s\n", secret);

    write_file(secret, "s3cretFromFile0123\n", 0600);
    ck_assert_msg(load_with(dir, line, 0644, &cfg, &err) == COG_OK, "%s", err.message);
    ck_assert_str_eq(cfg.client_secret, "s3cretFromFile0123");
    ck_assert(!cfg.client_secret_unreadable);
    cog_config_free(&cfg);

    /* group or others may read it: refused, naming config line and file */
    write_file(secret, "s3cretFromFile0123\n", 0640);
    ck_assert_int_eq(load_with(dir, line, 0644, &cfg, &err), COG_ERR_CONFIG);
    ck_assert_msg(strstr(err.message, "c.conf:10: key 'client_secret_file'") != NULL &&
                      strstr(err.message, secret) != NULL &&
                      strstr(err.message, "group or others may read it") != NULL,
                  "%s", err.message);
    ck_assert_ptr_null(strstr(err.message, "s3cret"));
    cog_config_free(&cfg);

    write_file(secret, "two\nlines\n", 0600);
    ck_assert_int_eq(load_with(dir, line, 0644, &cfg, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "not one app client secret on one line"));
    cog_config_free(&cfg);

    unlink(secret);
    ck_assert_int_eq(load_with(dir, line, 0644, &cfg, &err), COG_ERR_CONFIG);
    ck_assert_msg(strstr(err.message, "c.conf:10: key 'client_secret_file'") != NULL &&
                      strstr(err.message, secret) != NULL,
                  "%s", err.message);
    cog_config_free(&cfg);

    /* both: one place only */
    write_file(secret, "s3cretFromFile0123\n", 0600);
    char both[512];
    snprintf(both, sizeof(both), "client_secret = abc\n%s", line);
    ck_assert_int_eq(load_with(dir, both, 0600, &cfg, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "c.conf:11: client_secret and client_secret_file"));
    cog_config_free(&cfg);

    /* the config may be world-readable, never writable by others */
    ck_assert_int_eq(load_with(dir, line, 0646, &cfg, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "writable by group or others"));
    cog_config_free(&cfg);

    if (geteuid() == 0) {
        /* owned by someone else than root */
        ck_assert_int_eq(chown(secret, 65534, 65534), 0);
        ck_assert_int_eq(load_with(dir, line, 0644, &cfg, &err), COG_ERR_CONFIG);
        ck_assert_ptr_nonnull(strstr(err.message, "must be owned by root"));
        cog_config_free(&cfg);
        ck_assert_int_eq(chown(secret, 0, 0), 0);
        /* an ordinary user reads the config, not the secret: no error, but marked */
        ck_assert_int_eq(load_with(dir, line, 0644, &cfg, &err), COG_OK);
        cog_config_free(&cfg);
        pid_t pid = fork();
        ck_assert_int_ne(pid, -1);
        if (pid == 0) {
            char path[128];
            snprintf(path, sizeof(path), "%s/c.conf", dir);
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(10);
            cog_config_init(&cfg);
            if (cog_config_load_file(&cfg, path, &err) != COG_OK)
                _exit(11);
            _exit(cfg.client_secret_unreadable && cfg.client_secret == NULL ? 0 : 12);
        }
        int status = 0;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    unlink(secret);
    snprintf(line, sizeof(line), "%s/c.conf", dir);
    unlink(line);
    rmdir(dir);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_good_file);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_session_keys);
    tcase_add_loop_test(tc, test_bad_lines, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, test_secret_never_echoed);
    tcase_add_test(tc, test_missing_required);
    tcase_add_test(tc, test_nul_byte);
    tcase_add_test(tc, test_argv_overrides_file);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("file");
    tcase_add_test(tf, test_file_permissions);
    tcase_add_test(tf, test_secret_file);
    suite_add_tcase(s, tf);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
