/* The fleet snapshot's manifest (snapshot_manifest.h): emit and parse round
 * trip; what parse refuses; Ed25519 sign and verify with keys made here by
 * OpenSSL, a flipped byte and a foreign key refused; a signing key others
 * can read refused. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "libcognito/snapshot_manifest.h"
#include "tests/testutil.h"

static char dir[] = "/tmp/check_snapshot.XXXXXX";

/* A fresh Ed25519 pair: DIR/NAME.key (0600) and DIR/NAME.pub. */
static void make_keys(const char *name)
{
    char path[256];
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    ck_assert_ptr_nonnull(k);
    snprintf(path, sizeof(path), "%s/%s.key", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(path, 0600);
    snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
    fclose(f);
    EVP_PKEY_free(k);
}

static void sample(struct cog_snapshot_manifest *m)
{
    struct cog_error err = {0};
    memset(m, 0, sizeof(*m));
    m->format = COG_SNAPSHOT_FORMAT;
    snprintf(m->pool_id, sizeof(m->pool_id), "eu-west-1_Abc");
    m->serial = 42;
    m->created = 1700000000;
    m->users = 3;
    m->groups = 1;
    for (int i = 0; i < COG_SNAP_NFILES; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s-42.cache", cog_snapshot_file_key(i));
        ck_assert_int_eq(cog_snapshot_entry_set(&m->files[i], name, name, strlen(name), &err),
                         COG_OK);
    }
}

START_TEST(test_round_trip)
{
    struct cog_snapshot_manifest m, back;
    struct cog_error err = {0};
    uint32_t retired[] = {10000001, 10000002};
    char *text = NULL;
    size_t len = 0;

    sample(&m);
    m.retired = retired;
    m.nretired = 2;
    ck_assert_int_eq(cog_snapshot_manifest_emit(&m, &text, &len, &err), COG_OK);
    ck_assert_int_eq(cog_snapshot_manifest_parse(text, len, &back, &err), COG_OK);
    ck_assert_int_eq(back.serial, 42);
    ck_assert_str_eq(back.pool_id, "eu-west-1_Abc");
    ck_assert_str_eq(back.files[COG_SNAP_KEYS].name, "keys-42.cache");
    ck_assert_str_eq(back.files[COG_SNAP_NSS].sha256, m.files[COG_SNAP_NSS].sha256);
    ck_assert_uint_eq(back.nretired, 2);
    ck_assert_uint_eq(back.retired[1], 10000002);
    ck_assert(cog_snapshot_entry_matches(&back.files[COG_SNAP_NSS], "nss-42.cache", 12));
    ck_assert(!cog_snapshot_entry_matches(&back.files[COG_SNAP_NSS], "nss-42.cachf", 12));
    cog_snapshot_manifest_free(&back);
    free(text);
}
END_TEST

/* Each damaged manifest is refused with a reason. */
static const struct {
    const char *from, *to;
} damage[] = {
    {"\"format\":1", "\"format\":2"},
    {"\"serial\":42", "\"serial\":0"},
    {"\"name\":\"nss-42.cache\"", "\"name\":\"../nss-42.cache\""},
    {"\"pool_id\":\"eu-west-1_Abc\"", "\"pool_id\":7"},
    {"\"keys\":", "\"kays\":"},
    {"\"size\":12", "\"size\":-1"},
};

START_TEST(test_parse_refuses)
{
    struct cog_snapshot_manifest m, back;
    struct cog_error err = {0};
    char *text = NULL, buf[4096];
    size_t len = 0;

    sample(&m);
    ck_assert_int_eq(cog_snapshot_manifest_emit(&m, &text, &len, &err), COG_OK);
    /* compact it so the replacements match */
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < sizeof(buf); i++) {
        if (text[i] != ' ' && text[i] != '\n')
            buf[n++] = text[i];
    }
    buf[n] = '\0';
    char *at = strstr(buf, damage[_i].from);
    ck_assert_msg(at != NULL, "%s not in %s", damage[_i].from, buf);
    char out[4096];
    snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - buf), buf, damage[_i].to,
             at + strlen(damage[_i].from));
    ck_assert_int_eq(cog_snapshot_manifest_parse(out, strlen(out), &back, &err),
                     COG_ERR_INVALID_INPUT);
    ck_assert(strstr(err.message, "snapshot manifest:") != NULL);
    ck_assert_int_eq(cog_snapshot_manifest_parse(buf, n, &back, &err), COG_OK);
    cog_snapshot_manifest_free(&back);
    free(text);
}
END_TEST

START_TEST(test_sign_verify)
{
    struct cog_error err = {0};
    char key[256], pub[256], other[256];
    char *sig = NULL;
    size_t siglen = 0;
    const char text[] = "{\"format\":1}\n";

    make_keys("a");
    make_keys("b");
    snprintf(key, sizeof(key), "%s/a.key", dir);
    snprintf(pub, sizeof(pub), "%s/a.pub", dir);
    snprintf(other, sizeof(other), "%s/b.pub", dir);
    ck_assert_int_eq(cog_snapshot_sign(key, text, strlen(text), &sig, &siglen, &err), COG_OK);
    ck_assert_uint_eq(siglen, 89); /* 88 base64 characters and a newline */
    ck_assert_int_eq(cog_snapshot_verify(pub, text, strlen(text), sig, siglen, &err), COG_OK);
    ck_assert_int_eq(cog_snapshot_verify(other, text, strlen(text), sig, siglen, &err),
                     COG_ERR_TOKEN);
    char flipped[sizeof(text)];
    memcpy(flipped, text, sizeof(text));
    flipped[3] ^= 1;
    ck_assert_int_eq(cog_snapshot_verify(pub, flipped, strlen(flipped), sig, siglen, &err),
                     COG_ERR_TOKEN);
    ck_assert_int_eq(cog_snapshot_verify(pub, text, strlen(text), "AAAA", 4, &err), COG_ERR_TOKEN);
    /* the private key is not a public key, and a missing key is a configuration error */
    ck_assert_int_eq(cog_snapshot_verify(key, text, strlen(text), sig, siglen, &err),
                     COG_ERR_CONFIG);
    free(sig);
    sig = NULL;
    chmod(key, 0640);
    ck_assert_int_eq(cog_snapshot_sign(key, text, strlen(text), &sig, &siglen, &err),
                     COG_ERR_CONFIG);
    ck_assert(strstr(err.message, "readable by others") != NULL);
    ck_assert_ptr_null(sig);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_add_test(tc, test_round_trip);
    tcase_add_loop_test(tc, test_parse_refuses, 0, sizeof(damage) / sizeof(damage[0]));
    tcase_add_test(tc, test_sign_verify);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    int rc = test_main(suite());
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
