#include "build-config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "libcognito/snapshot_manifest.h"
#include "libcognito/util.h"

#define KEY_FILE_MAX 16384

static const char *const file_keys[COG_SNAP_NFILES] = {"nss", "accounts", "keys"};

const char *cog_snapshot_file_key(enum cog_snapshot_file f)
{
    return (unsigned)f < COG_SNAP_NFILES ? file_keys[f] : "?";
}

static bool plain_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(((struct cog_snapshot_entry *)0)->name) || name[0] == '.')
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return false;
    cog_hex_encode(md, 32, hex);
    return true;
}

cog_status cog_snapshot_entry_set(struct cog_snapshot_entry *e, const char *name, const void *data,
                                  size_t len, struct cog_error *err)
{
    memset(e, 0, sizeof(*e));
    if (!plain_name(name))
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "bad snapshot file name");
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->size = len;
    if (!sha256_hex(data, len, e->sha256))
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "SHA-256 failed");
    return COG_OK;
}

bool cog_snapshot_entry_matches(const struct cog_snapshot_entry *e, const void *data, size_t len)
{
    char hex[65];
    if (e->size != len || !sha256_hex(data, len, hex))
        return false;
    return CRYPTO_memcmp(hex, e->sha256, 64) == 0;
}

cog_status cog_snapshot_manifest_emit(const struct cog_snapshot_manifest *m, char **text,
                                      size_t *len, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_object *o = json_object_new_object(), *files = json_object_new_object();

    *text = NULL;
    if (o == NULL || files == NULL) {
        json_object_put(files);
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    json_object_object_add(o, "format", json_object_new_int(m->format));
    json_object_object_add(o, "pool_id", json_object_new_string(m->pool_id));
    json_object_object_add(o, "serial", json_object_new_int64(m->serial));
    json_object_object_add(o, "created", json_object_new_int64(m->created));
    json_object_object_add(o, "users", json_object_new_int64(m->users));
    json_object_object_add(o, "groups", json_object_new_int64(m->groups));
    for (int i = 0; i < COG_SNAP_NFILES; i++) {
        const struct cog_snapshot_entry *e = &m->files[i];
        struct json_object *f = json_object_new_object();
        if (f == NULL)
            continue;
        json_object_object_add(f, "name", json_object_new_string(e->name));
        json_object_object_add(f, "size", json_object_new_int64((int64_t)e->size));
        json_object_object_add(f, "sha256", json_object_new_string(e->sha256));
        json_object_object_add(files, file_keys[i], f);
    }
    json_object_object_add(o, "files", files);
    struct json_object *ret = json_object_new_array();
    for (size_t i = 0; ret != NULL && i < m->nretired; i++)
        json_object_array_add(ret, json_object_new_int64(m->retired[i]));
    if (ret != NULL)
        json_object_object_add(o, "retired", ret);
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s == NULL || (*text = malloc(strlen(s) + 2)) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    *len = (size_t)snprintf(*text, strlen(s) + 2, "%s\n", s);
out:
    json_object_put(o);
    return st;
}

static bool get_int64(struct json_object *o, const char *key, int64_t *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static const char *get_string(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool hex64(const char *s)
{
    return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static const char *parse_entry(struct json_object *files, int i, struct cog_snapshot_entry *e)
{
    struct json_object *f;
    int64_t size = -1;
    if (!json_object_object_get_ex(files, file_keys[i], &f) ||
        !json_object_is_type(f, json_type_object))
        return "a file is missing";
    const char *name = get_string(f, "name"), *sha = get_string(f, "sha256");
    if (name == NULL || !plain_name(name))
        return "a file name is missing or not a plain name";
    if (!get_int64(f, "size", &size) || size < 0)
        return "a file size is missing or negative";
    if (!hex64(sha))
        return "a file sha256 is not 64 lowercase hex digits";
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->size = (uint64_t)size;
    memcpy(e->sha256, sha, 65);
    return NULL;
}

static const char *parse_retired(struct json_object *o, struct cog_snapshot_manifest *out)
{
    struct json_object *ret;
    if (!json_object_object_get_ex(o, "retired", &ret))
        return NULL;
    if (!json_object_is_type(ret, json_type_array))
        return "retired is not a list";
    size_t n = json_object_array_length(ret);
    if (n == 0)
        return NULL;
    if ((out->retired = calloc(n, sizeof(*out->retired))) == NULL)
        return "out of memory";
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(ret, i);
        int64_t id = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
        if (id <= 0 || id > UINT32_MAX)
            return "retired holds something that is not a uid";
        out->retired[out->nretired++] = (uint32_t)id;
    }
    return NULL;
}

void cog_snapshot_manifest_free(struct cog_snapshot_manifest *m)
{
    free(m->retired);
    m->retired = NULL;
    m->nretired = 0;
}

cog_status cog_snapshot_manifest_parse(const char *text, size_t len,
                                       struct cog_snapshot_manifest *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    const char *why = NULL;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = NULL, *files = NULL;
    int64_t format = 0;

    memset(out, 0, sizeof(*out));
    if (tok == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (len > COG_SNAPSHOT_MAX_BYTES || memchr(text, '\0', len) != NULL) {
        why = "too large or not text";
        goto out;
    }
    o = json_tokener_parse_ex(tok, text, (int)len);
    if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        !json_object_is_type(o, json_type_object)) {
        why = "not a JSON object";
        goto out;
    }
    if (!get_int64(o, "format", &format) || format != COG_SNAPSHOT_FORMAT) {
        why = "unknown format (this host reads format 1)";
        goto out;
    }
    out->format = (int)format;
    const char *pool = get_string(o, "pool_id");
    if (pool == NULL || *pool == '\0' || strlen(pool) >= sizeof(out->pool_id)) {
        why = "pool_id is missing";
        goto out;
    }
    snprintf(out->pool_id, sizeof(out->pool_id), "%s", pool);
    if (!get_int64(o, "serial", &out->serial) || out->serial <= 0) {
        why = "serial is missing or not positive";
        goto out;
    }
    if (!get_int64(o, "created", &out->created) || !get_int64(o, "users", &out->users) ||
        !get_int64(o, "groups", &out->groups) || out->users < 0 || out->groups < 0) {
        why = "created, users or groups is missing";
        goto out;
    }
    if (!json_object_object_get_ex(o, "files", &files) ||
        !json_object_is_type(files, json_type_object)) {
        why = "files is missing";
        goto out;
    }
    for (int i = 0; i < COG_SNAP_NFILES && why == NULL; i++)
        why = parse_entry(files, i, &out->files[i]);
    if (why == NULL)
        why = parse_retired(o, out);
out:
    if (why != NULL) {
        cog_snapshot_manifest_free(out);
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "snapshot manifest: %s", why);
    }
    json_object_put(o);
    if (tok != NULL)
        json_tokener_free(tok);
    return st;
}

/* A PEM key from a file; private keys must be root-only. */
static cog_status load_key(const char *path, bool private_key, EVP_PKEY **out,
                           struct cog_error *err)
{
    cog_status st;
    char *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;
    BIO *bio = NULL;

    *out = NULL;
    st = cog_read_trusted_file(path, KEY_FILE_MAX, &buf, &len, &mode, err);
    if (st != COG_OK) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", path,
                           st == COG_ERR_INVALID_INPUT ? "no such file" : err->message);
        goto out;
    }
    if (private_key && (mode & 077)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: holds the snapshot signing key but is readable by others "
                           "(chown root, chmod 0600)",
                           path);
        goto out;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (bio != NULL)
        *out = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                           : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (*out == NULL || EVP_PKEY_base_id(*out) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(*out);
        *out = NULL;
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: not a PEM Ed25519 %s key", path,
                           private_key ? "private" : "public");
    }
out:
    BIO_free(bio);
    if (buf != NULL) {
        cog_wipe(buf, len);
        free(buf);
    }
    return st;
}

cog_status cog_snapshot_sign(const char *key_path, const void *text, size_t len, char **sig_b64,
                             size_t *sig_len, struct cog_error *err)
{
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned char sig[COG_SNAPSHOT_SIG_LEN];
    size_t n = sizeof(sig);
    char *b64 = NULL;

    *sig_b64 = NULL;
    if (key_path == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "snapshot_private_key is not set in the configuration");
    cog_status st = load_key(key_path, true, &key, err);
    if (st != COG_OK)
        goto out;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &n, text, len) != 1 || n != sizeof(sig)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "Ed25519 signing failed");
        goto out;
    }
    b64 = cog_base64_encode(sig, n);
    if (b64 == NULL || (*sig_b64 = malloc(strlen(b64) + 2)) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    *sig_len = (size_t)snprintf(*sig_b64, strlen(b64) + 2, "%s\n", b64);
out:
    free(b64);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return st;
}

cog_status cog_snapshot_verify(const char *pubkey_path, const void *text, size_t len,
                               const char *sig_b64, size_t sig_len, struct cog_error *err)
{
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned char *sig = NULL;
    size_t n = 0;

    if (pubkey_path == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "snapshot_public_key is not set in the configuration");
    cog_status st = load_key(pubkey_path, false, &key, err);
    if (st != COG_OK)
        goto out;
    while (sig_len > 0 && strchr(" \t\r\n", sig_b64[sig_len - 1]) != NULL)
        sig_len--;
    sig = sig_len > 0 && sig_len < 200 ? cog_base64_decode(sig_b64, sig_len, &n) : NULL;
    if (sig == NULL || n != COG_SNAPSHOT_SIG_LEN) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL,
                           "snapshot signature: not a base64 Ed25519 signature");
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestVerify(ctx, sig, n, text, len) != 1)
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "snapshot signature does not verify with %s",
                           pubkey_path);
out:
    free(sig);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return st;
}
