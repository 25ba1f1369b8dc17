/* A fleet snapshot's manifest and signature (snapshot_manifest.h) and the
 * host's record of it (snapshot_install.h): what is accepted, and each
 * thing that is refused, with the status cognitoctl turns into its exit
 * code. tests/cli/cognitoctl_snapshot.sh drives the whole install. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "libcognito/core/config.h"
#include "libcognito/snapshot/export_delta.h"
#include "libcognito/core/json.h"
#include "libcognito/snapshot/export_state.h"
#include "libcognito/snapshot/snapshot_install.h"
#include "libcognito/snapshot/snapshot_manifest.h"
#include "libcognito/core/util.h"
#include "tests/testutil.h"

#define SHA_A "0000000000000000000000000000000000000000000000000000000000000000"

static char *manifest(const char *pool, const char *serial, const char *nss_name, const char *sha)
{
    char *m = NULL;
    int n = asprintf(&m,
                     "{\"format\":1,\"pool_id\":\"%s\",\"serial\":%s,\"created\":1700000000,"
                     "\"users\":2,\"groups\":1,\"files\":{"
                     "\"nss\":{\"name\":\"%s\",\"size\":10,\"sha256\":\"%s\"},"
                     "\"accounts\":{\"name\":\"accounts-7.cache\",\"size\":20,\"sha256\":\"" SHA_A
                     "\"},"
                     "\"keys\":{\"name\":\"keys-7.cache\",\"size\":0,\"sha256\":\"" SHA_A "\"}}}",
                     pool, serial, nss_name, sha);
    ck_assert_int_gt(n, 0);
    return m;
}

static cog_status parse(const char *text, struct cog_snapshot_manifest *m, struct cog_error *err)
{
    return cog_snapshot_manifest_parse(text, strlen(text), m, err);
}

START_TEST(test_parse_good)
{
    struct cog_snapshot_manifest m;
    struct cog_error err = {0};
    char *t = manifest("us-east-1_Pool", "7", "nss-7.cache", SHA_A);
    ck_assert_msg(parse(t, &m, &err) == COG_OK, "%s", err.message);
    ck_assert_int_eq(m.format, 1);
    ck_assert_str_eq(m.pool_id, "us-east-1_Pool");
    ck_assert_int_eq(m.serial, 7);
    ck_assert_int_eq(m.created, 1700000000);
    ck_assert_str_eq(m.files[COG_SNAPSHOT_NSS].name, "nss-7.cache");
    ck_assert_int_eq(m.files[COG_SNAPSHOT_ACCOUNTS].size, 20);
    ck_assert_str_eq(m.files[COG_SNAPSHOT_KEYS].sha256, SHA_A);
    /* A manifest of an exporter without incremental exports: none of its times. */
    ck_assert_int_eq(m.full_at, 0);
    ck_assert_int_eq(m.events_until, 0);
    cog_snapshot_manifest_free(&m);
    /* A host accepts the incremental exporter's fields; refuses them malformed. */
    char *with = NULL;
    ck_assert_int_gt(
        asprintf(&with, "{\"full_at\":1700000000,\"events_until\":1700003600,%s", t + 1), 0);
    ck_assert_msg(parse(with, &m, &err) == COG_OK, "%s", err.message);
    ck_assert_int_eq(m.full_at, 1700000000);
    ck_assert_int_eq(m.events_until, 1700003600);
    cog_snapshot_manifest_free(&m);
    free(with);
    ck_assert_int_gt(asprintf(&with, "{\"full_at\":-5,%s", t + 1), 0);
    ck_assert_int_eq(parse(with, &m, &err), COG_ERR_INVALID_INPUT);
    free(with);
    ck_assert_int_gt(asprintf(&with, "{\"events_until\":\"soon\",%s", t + 1), 0);
    ck_assert_int_eq(parse(with, &m, &err), COG_ERR_INVALID_INPUT);
    free(with);
    free(t);
}
END_TEST

/* Each malformed manifest, refused with a reason. */
START_TEST(test_parse_refused)
{
    struct cog_snapshot_manifest m;
    struct cog_error err = {0};
    char *bad[] = {
        manifest("us-east-1_Pool", "7", "../nss.cache", SHA_A),    /* leaves the prefix */
        manifest("us-east-1_Pool", "7", "/etc/passwd", SHA_A),     /* a path */
        manifest("us-east-1_Pool", "7", ".hidden", SHA_A),         /* hidden */
        manifest("us-east-1_Pool", "7", "nss-7.cache", "abc"),     /* short hash */
        manifest("us-east-1_Pool", "-1", "nss-7.cache", SHA_A),    /* negative serial */
        manifest("us-east-1_Pool", "\"7\"", "nss-7.cache", SHA_A), /* a string serial */
        manifest("", "7", "nss-7.cache", SHA_A),                   /* no pool */
        manifest("us-east-1_Pool", "7.5", "nss-7.cache", SHA_A),   /* not an integer */
        strdup("[1,2,3]"),                                         /* not an object */
        strdup("{\"format\":1}"),                                  /* nothing else */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        ck_assert_msg(parse(bad[i], &m, &err) == COG_ERR_INVALID_INPUT, "accepted #%zu: %s", i,
                      bad[i]);
        ck_assert_msg(err.message[0] != '\0', "no reason for #%zu", i);
        free(bad[i]);
    }
    /* Trailing bytes after the object: a second object smuggled in. */
    char *t = manifest("us-east-1_Pool", "7", "nss-7.cache", SHA_A);
    char *two = NULL;
    ck_assert_int_gt(asprintf(&two, "%s{}", t), 0);
    ck_assert_int_eq(parse(two, &m, &err), COG_ERR_INVALID_INPUT);
    /* A NUL inside. */
    ck_assert_int_eq(cog_snapshot_manifest_parse(t, strlen(t) + 1, &m, &err),
                     COG_ERR_INVALID_INPUT);
    free(two);
    free(t);
}
END_TEST

/* ---- signatures ------------------------------------------------------------------- */

static EVP_PKEY *keygen(int type)
{
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(type, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(EVP_PKEY_keygen_init(c), 1);
    if (type == EVP_PKEY_RSA)
        ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(c, 1024), 1);
    ck_assert_int_eq(EVP_PKEY_keygen(c, &k), 1);
    EVP_PKEY_CTX_free(c);
    return k;
}

/* The public half as PEM in dir/name, mode 0644. */
static char *write_pub(const char *dir, const char *name, EVP_PKEY *k, mode_t mode)
{
    char *path = NULL;
    ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(PEM_write_PUBKEY(f, k), 1);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

/* base64 of k's Ed25519 signature over data, newline-terminated. */
static char *sign_b64(EVP_PKEY *k, const char *data, size_t len)
{
    unsigned char sig[64];
    size_t sl = sizeof(sig);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    ck_assert_int_eq(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
    ck_assert_int_eq(EVP_DigestSign(c, sig, &sl, (const unsigned char *)data, len), 1);
    EVP_MD_CTX_free(c);
    char *b = cog_base64_encode(sig, sl), *out = NULL;
    ck_assert_int_gt(asprintf(&out, "%s\n", b), 0);
    free(b);
    return out;
}

START_TEST(test_verify)
{
    char dir[] = "/tmp/check_snapshot.XXXXXX";
    struct cog_error err = {0};
    ck_assert_ptr_nonnull(mkdtemp(dir));
    EVP_PKEY *fleet = keygen(EVP_PKEY_ED25519), *other = keygen(EVP_PKEY_ED25519);
    EVP_PKEY *rsa = keygen(EVP_PKEY_RSA);
    char *pub = write_pub(dir, "fleet.pub", fleet, 0644);
    char *loose = write_pub(dir, "loose.pub", fleet, 0666);
    char *rsa_pub = write_pub(dir, "rsa.pub", rsa, 0644);
    const char *msg = "{\"format\":1}";
    size_t len = strlen(msg);
    char *sig = sign_b64(fleet, msg, len), *forged = sign_b64(other, msg, len);

    ck_assert_msg(cog_snapshot_verify(pub, msg, len, sig, strlen(sig), &err) == COG_OK, "%s",
                  err.message);
    /* One byte more, or another key's signature: refused as forged. */
    ck_assert_int_eq(cog_snapshot_verify(pub, "{\"format\":2}", len, sig, strlen(sig), &err),
                     COG_ERR_TOKEN);
    ck_assert_int_eq(cog_snapshot_verify(pub, msg, len, forged, strlen(forged), &err),
                     COG_ERR_TOKEN);
    ck_assert_int_eq(cog_snapshot_verify(pub, msg, len, "AAAA\n", 5, &err), COG_ERR_TOKEN);
    ck_assert_int_eq(cog_snapshot_verify(pub, msg, len, "", 0, &err), COG_ERR_TOKEN);
    /* A key anyone may rewrite, an RSA key, no key: the configuration's fault. */
    ck_assert_int_eq(cog_snapshot_verify(loose, msg, len, sig, strlen(sig), &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "writable"));
    ck_assert_int_eq(cog_snapshot_verify(rsa_pub, msg, len, sig, strlen(sig), &err),
                     COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "Ed25519"));
    ck_assert_int_eq(cog_snapshot_verify(NULL, msg, len, sig, strlen(sig), &err), COG_ERR_CONFIG);

    unlink(pub);
    unlink(loose);
    unlink(rsa_pub);
    rmdir(dir);
    free(pub);
    free(loose);
    free(rsa_pub);
    free(sig);
    free(forged);
    EVP_PKEY_free(fleet);
    EVP_PKEY_free(other);
    EVP_PKEY_free(rsa);
}
END_TEST

/* The exporter's side: what emit writes, parse reads back; what sign
 * makes, verify accepts; a private key others may read is refused. */
START_TEST(test_emit_sign_roundtrip)
{
    char dir[] = "/tmp/check_snapshot.XXXXXX", *key_path = NULL, *text = NULL, *sig = NULL;
    size_t len = 0;
    struct cog_snapshot_manifest m = {.format = 1,
                                      .serial = 42,
                                      .created = 1700000000,
                                      .users = 3,
                                      .groups = 1},
                                 back;
    struct cog_error err = {0};
    uint32_t retired[] = {20005, 4000000000u};
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(m.pool_id, sizeof(m.pool_id), "eu-west-1_Fleet");
    char *rdata = NULL;
    size_t rlen = 0;
    /* Retired uids go in a file of their own, sorted and without repeats. */
    uint32_t unsorted[] = {4000000000u, 20005, 4000000000u};
    ck_assert_int_eq(cog_snapshot_retired_encode(unsorted, 3, &rdata, &rlen, &err), COG_OK);
    ck_assert_uint_eq(rlen, 8);
    ck_assert_int_eq(cog_snapshot_file_set(&m.retired_file, "retired-42.bin", rdata, rlen, &err),
                     COG_OK);
    m.has_retired_file = true;
    m.retired = retired; /* not emitted: the manifest names the file instead */
    m.nretired = 2;
    m.full_at = 1699990000;
    m.events_until = 1699999000;
    for (int p = 0; p < COG_SNAPSHOT_NPARTS; p++) {
        snprintf(m.files[p].name, sizeof(m.files[p].name), "%s-42.cache",
                 cog_snapshot_part_key((enum cog_snapshot_part)p));
        m.files[p].size = 1000u + (unsigned)p;
        memcpy(m.files[p].sha256, SHA_A, 65);
    }
    ck_assert_msg(cog_snapshot_manifest_emit(&m, &text, &len, &err) == COG_OK, "%s", err.message);
    ck_assert_msg(cog_snapshot_manifest_parse(text, len, &back, &err) == COG_OK, "%s", err.message);
    ck_assert_int_eq(back.format, 1);
    ck_assert_str_eq(back.pool_id, m.pool_id);
    ck_assert_int_eq(back.serial, 42);
    ck_assert_int_eq(back.created, m.created);
    ck_assert_int_eq(back.users, 3);
    ck_assert_int_eq(back.groups, 1);
    for (int p = 0; p < COG_SNAPSHOT_NPARTS; p++) {
        ck_assert_str_eq(back.files[p].name, m.files[p].name);
        ck_assert_uint_eq(back.files[p].size, m.files[p].size);
        ck_assert_str_eq(back.files[p].sha256, m.files[p].sha256);
    }
    ck_assert_ptr_null(strstr(text, "\"retired\":"));
    ck_assert_uint_eq(back.nretired, 0);
    ck_assert(back.has_retired_file);
    ck_assert_str_eq(back.retired_file.name, "retired-42.bin");
    ck_assert(cog_snapshot_file_matches(&back.retired_file, rdata, rlen));
    uint32_t *uids = NULL;
    size_t n = 0;
    ck_assert_int_eq(cog_snapshot_retired_decode(rdata, rlen, &uids, &n, &err), COG_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(uids[0], 20005);
    ck_assert_uint_eq(uids[1], 4000000000u);
    free(uids);
    /* Decode takes nothing but sorted, distinct, non-zero 4-byte uids. */
    static const unsigned char odd[] = {1, 0, 0}, zero[] = {0, 0, 0, 0},
                               unordered[] = {5, 0, 0, 0, 4, 0, 0, 0};
    ck_assert_int_eq(cog_snapshot_retired_decode(odd, 3, &uids, &n, &err), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_snapshot_retired_decode(zero, 4, &uids, &n, &err), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_snapshot_retired_decode(unordered, 8, &uids, &n, &err),
                     COG_ERR_INVALID_INPUT);
    ck_assert_ptr_null(uids);
    free(rdata);
    /* A manifest of 0.1's exporter listed them inline: still read. */
    static const char legacy[] =
        "{\"format\":1,\"pool_id\":\"p\",\"serial\":1,\"created\":1,\"users\":0,"
        "\"groups\":0,\"files\":{\"nss\":{\"name\":\"nss-1.cache\",\"size\":1,\"sha256\":"
        "\"" SHA_A "\"},\"accounts\":{\"name\":\"accounts-1.cache\",\"size\":1,\"sha256\":"
        "\"" SHA_A "\"},\"keys\":{\"name\":\"keys-1.cache\",\"size\":1,\"sha256\":\"" SHA_A
        "\"}},\"retired\":[7,9]}";
    struct cog_snapshot_manifest old;
    ck_assert_msg(cog_snapshot_manifest_parse(legacy, strlen(legacy), &old, &err) == COG_OK, "%s",
                  err.message);
    ck_assert_uint_eq(old.nretired, 2);
    ck_assert_uint_eq(old.retired[1], 9);
    ck_assert(!old.has_retired_file);
    cog_snapshot_manifest_free(&old);
    ck_assert_int_eq(back.full_at, 1699990000);
    ck_assert_int_eq(back.events_until, 1699999000);
    cog_snapshot_manifest_free(&back);
    /* The files' helpers: what set records, matches accepts, and nothing else. */
    struct cog_snapshot_file sf;
    ck_assert_int_eq(cog_snapshot_file_set(&sf, "nss-1.cache", "abc", 3, &err), COG_OK);
    ck_assert_str_eq(sf.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert(cog_snapshot_file_matches(&sf, "abc", 3));
    ck_assert(!cog_snapshot_file_matches(&sf, "abd", 3));
    ck_assert(!cog_snapshot_file_matches(&sf, "abcd", 4));
    ck_assert_int_ne(cog_snapshot_file_set(&sf, "../x", "abc", 3, &err), COG_OK);

    EVP_PKEY *k = keygen(EVP_PKEY_ED25519);
    char *pub = write_pub(dir, "fleet.pub", k, 0644);
    ck_assert_int_gt(asprintf(&key_path, "%s/fleet.key", dir), 0);
    FILE *f = fopen(key_path, "w");
    ck_assert_int_eq(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(key_path, 0644);
    ck_assert_int_eq(cog_snapshot_sign(key_path, text, len, &sig, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "0600"));
    chmod(key_path, 0600);
    ck_assert_msg(cog_snapshot_sign(key_path, text, len, &sig, &err) == COG_OK, "%s", err.message);
    ck_assert_int_eq(sig[strlen(sig) - 1], '\n');
    ck_assert_msg(cog_snapshot_verify(pub, text, len, sig, strlen(sig), &err) == COG_OK, "%s",
                  err.message);
    text[len - 2] ^= 1; /* one bit of the signed bytes */
    ck_assert_int_eq(cog_snapshot_verify(pub, text, len, sig, strlen(sig), &err), COG_ERR_TOKEN);

    unlink(pub);
    unlink(key_path);
    rmdir(dir);
    free(pub);
    free(key_path);
    free(text);
    free(sig);
    EVP_PKEY_free(k);
}
END_TEST

/* snapshot.state: none is serial -1; a damaged one is refused, never read
 * as "nothing installed" (that would let any older snapshot back in). */
START_TEST(test_state)
{
    char dir[] = "/tmp/check_snapshot.XXXXXX", *path = NULL;
    struct cog_snapshot_state s;
    struct cog_error err = {0};
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(cog_snapshot_state_read(dir, &s, &err), COG_OK);
    ck_assert_int_eq(s.serial, -1);
    ck_assert_int_gt(asprintf(&path, "%s/%s", dir, COG_SNAPSHOT_STATE_FILE), 0);
    FILE *f = fopen(path, "w");
    fputs("{\"serial\":12,\"etag\":\"\\\"abc\\\"\",\"installed\":1700000000}", f);
    fclose(f);
    chmod(path, 0644);
    ck_assert_msg(cog_snapshot_state_read(dir, &s, &err) == COG_OK, "%s", err.message);
    ck_assert_int_eq(s.serial, 12);
    ck_assert_str_eq(s.etag, "\"abc\"");
    f = fopen(path, "w");
    fputs("{\"serial\":", f);
    fclose(f);
    ck_assert_int_eq(cog_snapshot_state_read(dir, &s, &err), COG_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "damaged"));
    unlink(path);
    rmdir(dir);
    free(path);
}
END_TEST

/* What a CloudTrail record means for the incremental export (export_delta.h). */
static enum cog_event_effect effect(const char *json, const char **sub, const char **user)
{
    const char *why;
    struct json_object *rec = json_tokener_parse(json);
    const char *name = cog_json_string(rec, "eventName");
    enum cog_event_effect e =
        cog_export_event_effect("eu-west-1_Pool", name ? name : "", rec, sub, user, &why);
    ck_assert(e != COG_EVENT_UNRESOLVED || (why != NULL && *why != '\0'));
    /* sub and user point into rec: the callers below only compare them while it lives. */
    static struct json_object *keep;
    json_object_put(keep);
    keep = rec;
    return e;
}

START_TEST(test_event_effect)
{
    const char *sub, *user;
#define P "\"requestParameters\":{\"userPoolId\":\"eu-west-1_Pool\""
    ck_assert_int_eq(effect("{\"eventName\":\"AdminCreateUser\"," P ",\"username\":\"HIDDEN_DUE_TO_"
                            "SECURITY_REASONS\"},\"additionalEventData\":{\"sub\":\"s-1\"}}",
                            &sub, &user),
                     COG_EVENT_USER);
    ck_assert_str_eq(sub, "s-1");
    ck_assert_ptr_null(user);
    ck_assert_int_eq(
        effect("{\"eventName\":\"AdminAddUserToGroup\"," P ",\"username\":\"bob\"}}", &sub, &user),
        COG_EVENT_USER);
    ck_assert_str_eq(user, "bob");
    /* Masked, or unusable in a Filter: a full read. */
    ck_assert_int_eq(effect("{\"eventName\":\"AdminDeleteUser\"," P ",\"username\":\"HIDDEN_FOR_"
                            "SECURITY_REASONS\"}}",
                            &sub, &user),
                     COG_EVENT_UNRESOLVED);
    ck_assert_int_eq(effect("{\"eventName\":\"AdminDeleteUser\"," P ",\"username\":\"a\\\" or "
                            "sub ^= \\\"\"}}",
                            &sub, &user),
                     COG_EVENT_UNRESOLVED);
    ck_assert_int_eq(effect("{\"eventName\":\"AdminDeleteUser\",\"requestParameters\":{"
                            "\"username\":\"bob\"}}",
                            &sub, &user),
                     COG_EVENT_UNRESOLVED); /* which pool? */
    ck_assert_int_eq(effect("{\"eventName\":\"CreateUserImportJob\"," P "}}", &sub, &user),
                     COG_EVENT_UNRESOLVED);
    ck_assert_int_eq(effect("not json", &sub, &user), COG_EVENT_UNRESOLVED);
    /* Nothing to do: a read, a failed call, another pool, a sign-in. */
    ck_assert_int_eq(
        effect("{\"eventName\":\"AdminDeleteUser\",\"readOnly\":true," P "}}", &sub, &user),
        COG_EVENT_NONE);
    ck_assert_int_eq(effect("{\"eventName\":\"AdminDeleteUser\",\"errorCode\":\"UserNotFound"
                            "Exception\"," P "}}",
                            &sub, &user),
                     COG_EVENT_NONE);
    ck_assert_int_eq(effect("{\"eventName\":\"AdminDeleteUser\",\"requestParameters\":{"
                            "\"userPoolId\":\"eu-west-1_Other\"}}",
                            &sub, &user),
                     COG_EVENT_NONE);
    ck_assert_int_eq(
        effect("{\"eventName\":\"InitiateAuth\",\"requestParameters\":{}}", &sub, &user),
        COG_EVENT_NONE);
    /* readOnly counts only as JSON true: the string "false" is no read. */
    ck_assert_int_eq(effect("{\"eventName\":\"AdminDeleteUser\",\"readOnly\":\"false\"," P
                            ",\"username\":\"HIDDEN_DUE_TO_SECURITY_REASONS\"}}",
                            &sub, &user),
                     COG_EVENT_UNRESOLVED);
    ck_assert_int_eq(
        effect("{\"eventName\":\"DeleteGroup\"," P ",\"groupName\":\"ops\"}}", &sub, &user),
        COG_EVENT_GROUPS);
#undef P
}
END_TEST

/* The exporter's listing (export_state.h) comes back as it went, and only
 * for the serial and attribute names it was made with. */
START_TEST(test_export_state)
{
    struct cog_config cfg;
    struct cog_pool pool, back;
    struct cog_error err = {0};
    char *text = NULL;
    size_t len = 0;
    cog_config_init(&cfg);
    cfg.ssh_key_attribute = strdup("custom:ssh");
    cog_pool_init(&pool);
    struct cog_pool_user *u = cog_pool_add_user(&pool);
    u->username = "alice";
    u->sub = "sub-a";
    u->name = "Alice \"A\"";
    u->ssh_keys = "ssh-ed25519 AAAA one\nssh-ed25519 BBBB two";
    u->created = 1700000000;
    u->enabled = false;
    u->status = "CONFIRMED";
    ck_assert(cog_pool_user_add_group(&pool, u, "ops"));
    ck_assert(cog_pool_user_add_group(&pool, u, "team"));
    u = cog_pool_add_user(&pool);
    u->username = "bob";
    u->sub = "sub-b";
    u->enabled = true;
    u->status = "FORCE_CHANGE_PASSWORD";
    struct cog_pool_group *g = cog_pool_add_group(&pool);
    g->name = "ops";
    g->created = 1600000000;
    ck_assert_int_eq(cog_export_state_emit(&cfg, &pool, 9, 1700000500, &text, &len, &err), COG_OK);
    cog_pool_init(&back);
    int64_t until = 0;
    ck_assert_msg(cog_export_state_parse(&cfg, text, len, 9, &back, &until, &err) == COG_OK, "%s",
                  err.message);
    ck_assert_int_eq(until, 1700000500);
    ck_assert_uint_eq(back.nusers, 2);
    ck_assert_str_eq(back.users[0].username, "alice");
    ck_assert_str_eq(back.users[0].sub, "sub-a");
    ck_assert_str_eq(back.users[0].name, "Alice \"A\"");
    ck_assert_str_eq(back.users[0].ssh_keys, "ssh-ed25519 AAAA one\nssh-ed25519 BBBB two");
    ck_assert_int_eq(back.users[0].created, 1700000000);
    ck_assert(!back.users[0].enabled);
    ck_assert_uint_eq(back.users[0].ngroups, 2);
    ck_assert_str_eq(back.users[0].groups[1], "team");
    ck_assert_str_eq(back.users[1].status, "FORCE_CHANGE_PASSWORD");
    ck_assert(back.users[1].enabled);
    ck_assert_uint_eq(back.ngroups, 1);
    ck_assert_int_eq(back.groups[0].created, 1600000000);
    cog_pool_free(&back);
    /* Another serial, other attribute names, a cut-off file: a full read instead. */
    cog_pool_init(&back);
    ck_assert_int_eq(cog_export_state_parse(&cfg, text, len, 8, &back, &until, &err),
                     COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_export_state_parse(&cfg, text, len - 1, 9, &back, &until, &err),
                     COG_ERR_INVALID_INPUT);
    free(cfg.ssh_key_attribute);
    cfg.ssh_key_attribute = strdup("custom:keys");
    ck_assert_int_eq(cog_export_state_parse(&cfg, text, len, 9, &back, &until, &err),
                     COG_ERR_INVALID_INPUT);
    cog_pool_free(&back);
    /* pool's strings are literals: free only its arrays and arena. */
    cog_pool_free(&pool);
    free(text);
    cog_config_free(&cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_add_test(tc, test_parse_good);
    tcase_add_test(tc, test_parse_refused);
    tcase_add_test(tc, test_verify);
    tcase_add_test(tc, test_emit_sign_roundtrip);
    tcase_add_test(tc, test_state);
    tcase_add_test(tc, test_export_state);
    tcase_add_test(tc, test_event_effect);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_main(suite());
}
