/* The SSH key filter of `cognitoctl authorized-keys`: plain public keys
 * pass, lines with options are told apart, anything else is no key. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "libcognito/cache/sshkey.h"
#include "tests/testutil.h"

#define ED25519 "AAAAC3NzaC1lZDI1NTE5AAAAIKLXFSI9rBvnckdsQxgNuNerlMt1fx2Twd0ZdZ5ML9GF"
#define ECDSA                                                                                      \
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI2i70S3os8TRA2iruBVXUcbEvb+inqQSG/"      \
    "kGKNw1BeDV99l/5mnQjs0SlYp1OSc1B5Fdc4To3E+FlBi+q1GNiI="
#define RSA                                                                                        \
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCrbvXImM9uSUqVnqu/uy7OJZ3C8/i7HgnbGGV2UDIwNd5R+u47zqtePoczTWyl" \
    "dNF3wv4IOLju4Qyf/BVTUcPHVkoGNqeUUFhL4r055oY+BkX1NP4XoM3exgEdvR8YnulNDn2GPn1pdGjYoE1r5Cjequ"   \
    "MRySJ+ruyFFXWnU6Kg2w=="

START_TEST(test_plain_keys_pass)
{
    static const char *const plain[] = {
        "ssh-ed25519 " ED25519,
        "ssh-ed25519 " ED25519 " alice@laptop",
        "  ssh-ed25519\t" ED25519 "  two words of comment ",
        "ecdsa-sha2-nistp256 " ECDSA " k",
        "ssh-rsa " RSA,
        /* what the existing CLI tests cache: the blob's type is right */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlice1 alice@laptop",
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        const char *why = "unset";
        ck_assert_msg(cog_ssh_key_check(plain[i], &why) == COG_SSH_KEY_PLAIN, "%s: %s", plain[i],
                      why);
        ck_assert_ptr_null(why);
    }
}
END_TEST

START_TEST(test_options_told_apart)
{
    static const char *const with_options[] = {
        "command=\"/bin/sh -c 'id' \" ssh-ed25519 " ED25519 " x",
        "environment=\"LD_PRELOAD=/tmp/x.so\" ssh-ed25519 " ED25519,
        "from=\"10.0.0.0/8\" ssh-ed25519 " ED25519,
        "cert-authority ssh-rsa " RSA,
        "no-pty,permitopen=\"*:*\",tunnel=\"0\" ssh-ed25519 " ED25519,
        "restrict,command=\"a \\\" b\" ecdsa-sha2-nistp256 " ECDSA,
    };
    for (size_t i = 0; i < sizeof(with_options) / sizeof(with_options[0]); i++) {
        const char *why = NULL;
        ck_assert_msg(cog_ssh_key_check(with_options[i], &why) == COG_SSH_KEY_OPTIONS, "%s",
                      with_options[i]);
        ck_assert_ptr_nonnull(strstr(why, "options"));
    }
}
END_TEST

START_TEST(test_no_key_is_bad)
{
    static const char *const bad[] = {
        "",
        "   ",
        "# a comment",
        "ssh-ed25519",
        "ssh-ed25519 ",
        "ssh-foo " ED25519,
        "ssh-ed25519-cert-v01@openssh.com " ED25519,
        "ssh-rsa " ED25519,                               /* the blob says ssh-ed25519 */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI!",         /* not base64 */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI-KLX_FSI9", /* url-safe alphabet */
        "ssh-ed25519 A",
        "ssh-ed25519 " ED25519 " comment\twith\x01control",
        "command=\"unterminated ssh-ed25519 " ED25519,
        "command=\"x\" ssh-ed25519 not-base64",
        "command=\"x\"",
        "hello world",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = NULL;
        ck_assert_msg(cog_ssh_key_check(bad[i], &why) == COG_SSH_KEY_BAD, "accepted '%s'", bad[i]);
        ck_assert_ptr_nonnull(why);
    }
    ck_assert_int_eq(cog_ssh_key_check(NULL, NULL), COG_SSH_KEY_BAD);
    char *huge = malloc(COG_SSH_KEY_LINE_MAX + 64);
    ck_assert_ptr_nonnull(huge);
    strcpy(huge, "ssh-ed25519 ");
    memset(huge + 12, 'A', COG_SSH_KEY_LINE_MAX);
    huge[12 + COG_SSH_KEY_LINE_MAX] = '\0';
    ck_assert_int_eq(cog_ssh_key_check(huge, NULL), COG_SSH_KEY_BAD);
    free(huge);
}
END_TEST

static Suite *sshkey_suite(void)
{
    Suite *s = suite_create("sshkey");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, test_plain_keys_pass);
    tcase_add_test(tc, test_options_told_apart);
    tcase_add_test(tc, test_no_key_is_bad);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(sshkey_suite());
}
