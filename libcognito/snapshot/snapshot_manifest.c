/* A fleet snapshot's manifest: parse and verify (snapshot_manifest.h). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "libcognito/snapshot/snapshot_manifest.h"
#include "libcognito/core/util.h"

#define ED25519_SIG_LEN 64
#define KEY_FILE_MAX 16384

static const char *const part_keys[COG_SNAPSHOT_NPARTS] = {"nss", "accounts", "keys"};

const char *cog_snapshot_part_key(enum cog_snapshot_part part)
{
    return part < COG_SNAPSHOT_NPARTS ? part_keys[part] : "?";
}

/* A plain file name in the snapshot's directory: never a path, never hidden. */
static bool file_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > COG_SNAPSHOT_NAME_MAX || s[0] == '.')
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool hex64_ok(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* An integer member >= 0 (json-c parses it as int64). */
static bool int_member(struct json_object *o, const char *key, int64_t *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return *out >= 0;
}

static const char *str_member(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* One {"name", "size", "sha256"} object under key in parent. */
static const char *parse_file(struct json_object *parent, const char *key,
                              struct cog_snapshot_file *f)
{
    struct json_object *o;
    int64_t size;
    if (!json_object_object_get_ex(parent, key, &o) || !json_object_is_type(o, json_type_object))
        return "is missing";
    const char *name = str_member(o, "name"), *sum = str_member(o, "sha256");
    if (name == NULL || !file_name_ok(name))
        return "has no plain file name";
    if (sum == NULL || !hex64_ok(sum))
        return "has no sha256 (64 lowercase hex digits)";
    if (!int_member(o, "size", &size))
        return "has no size";
    snprintf(f->name, sizeof(f->name), "%s", name);
    memcpy(f->sha256, sum, 65);
    f->size = (uint64_t)size;
    return NULL;
}

/* "retired": an array of uids, as 0.1's exporter wrote them (optional;
 * absent is none). Emit writes retired_file instead. */
static cog_status parse_retired(struct json_object *root, struct cog_snapshot_manifest *out,
                                struct cog_error *err)
{
    struct json_object *arr;
    if (!json_object_object_get_ex(root, "retired", &arr))
        return COG_OK;
    if (!json_object_is_type(arr, json_type_array))
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: retired is no array");
    size_t n = json_object_array_length(arr);
    if (n == 0)
        return COG_OK;
    if ((out->retired = calloc(n, sizeof(*out->retired))) == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);
        int64_t uid = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
        if (uid <= 0 || uid > UINT32_MAX)
            return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                                 "manifest: retired holds something other than a uid");
        out->retired[out->nretired++] = (uint32_t)uid;
    }
    return COG_OK;
}

cog_status cog_snapshot_manifest_parse(const char *text, size_t len,
                                       struct cog_snapshot_manifest *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *root = NULL, *files;
    int64_t format = 0;
    const char *pool;

    memset(out, 0, sizeof(*out));
    if (tok == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (len > COG_SNAPSHOT_MANIFEST_MAX || memchr(text, '\0', len) != NULL)
        goto bad;
    root = json_tokener_parse_ex(tok, text, (int)len);
    if (root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len || !json_object_is_type(root, json_type_object))
        goto bad;
    if (!int_member(root, "format", &format) || format > 1000000) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: no format number");
        goto out;
    }
    out->format = (int)format;
    pool = str_member(root, "pool_id");
    if (pool == NULL || *pool == '\0' || strlen(pool) >= sizeof(out->pool_id) ||
        !cog_text_valid(pool, sizeof(out->pool_id))) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: no usable pool_id");
        goto out;
    }
    snprintf(out->pool_id, sizeof(out->pool_id), "%s", pool);
    if (!int_member(root, "serial", &out->serial) || !int_member(root, "created", &out->created) ||
        !int_member(root, "users", &out->users) || !int_member(root, "groups", &out->groups)) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "manifest: serial, created, users and groups must be numbers >= 0");
        goto out;
    }
    if (!json_object_object_get_ex(root, "files", &files) ||
        !json_object_is_type(files, json_type_object)) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: no files");
        goto out;
    }
    for (int p = 0; p < COG_SNAPSHOT_NPARTS; p++) {
        const char *why = parse_file(files, part_keys[p], &out->files[p]);
        if (why != NULL) {
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: file '%s' %s",
                               part_keys[p], why);
            goto out;
        }
    }
    if ((json_object_object_get_ex(root, "full_at", NULL) &&
         !int_member(root, "full_at", &out->full_at)) ||
        (json_object_object_get_ex(root, "events_until", NULL) &&
         !int_member(root, "events_until", &out->events_until))) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "manifest: full_at and events_until must be numbers >= 0");
        goto out;
    }
    if (json_object_object_get_ex(root, "retired_file", NULL)) {
        const char *why = parse_file(root, "retired_file", &out->retired_file);
        if (why != NULL) {
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: retired_file %s", why);
            goto out;
        }
        out->has_retired_file = true;
    }
    st = parse_retired(root, out, err);
    goto out;
bad:
    st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "manifest: not one JSON object");
out:
    json_object_put(root);
    if (tok != NULL)
        json_tokener_free(tok);
    if (st != COG_OK)
        cog_snapshot_manifest_free(out);
    return st;
}

void cog_snapshot_manifest_free(struct cog_snapshot_manifest *m)
{
    free(m->retired);
    m->retired = NULL;
    m->nretired = 0;
}

cog_status cog_snapshot_file_set(struct cog_snapshot_file *f, const char *name, const void *data,
                                 size_t len, struct cog_error *err)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    if (!file_name_ok(name) || strlen(name) > COG_SNAPSHOT_NAME_MAX)
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "snapshot file name '%s'", name);
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->size = len;
    SHA256(data, len, md);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(f->sha256 + 2 * i, 3, "%02x", md[i]);
    return COG_OK;
}

bool cog_snapshot_file_matches(const struct cog_snapshot_file *f, const void *data, size_t len)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char hex[65];
    if (f->size != len)
        return false;
    SHA256(data, len, md);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return strcmp(hex, f->sha256) == 0;
}

static struct json_object *file_object(const struct cog_snapshot_file *f)
{
    struct json_object *fo = json_object_new_object();
    if (fo != NULL) {
        json_object_object_add(fo, "name", json_object_new_string(f->name));
        json_object_object_add(fo, "size", json_object_new_int64((int64_t)f->size));
        json_object_object_add(fo, "sha256", json_object_new_string(f->sha256));
    }
    return fo;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

cog_status cog_snapshot_retired_encode(const uint32_t *uids, size_t n, char **data, size_t *len,
                                       struct cog_error *err)
{
    uint32_t *sorted = NULL;
    unsigned char *out = NULL;
    size_t k = 0;

    *data = NULL;
    *len = 0;
    if (n == 0)
        return COG_OK;
    sorted = malloc(n * sizeof(*sorted));
    out = malloc(n * 4);
    if (sorted == NULL || out == NULL) {
        free(sorted);
        free(out);
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    memcpy(sorted, uids, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_u32);
    for (size_t i = 0; i < n; i++) {
        if (sorted[i] == 0 || (k > 0 && sorted[i] == sorted[i - 1]))
            continue;
        for (int b = 0; b < 4; b++)
            out[4 * k + (size_t)b] = (unsigned char)(sorted[i] >> (8 * b));
        k++;
    }
    free(sorted);
    *data = (char *)out;
    *len = 4 * k;
    return COG_OK;
}

cog_status cog_snapshot_retired_decode(const void *data, size_t len, uint32_t **uids, size_t *n,
                                       struct cog_error *err)
{
    const unsigned char *p = data;
    uint32_t *out = NULL;

    *uids = NULL;
    *n = 0;
    if (len % 4 != 0)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                             "retired uids: not a whole number of 4-byte uids");
    if (len == 0)
        return COG_OK;
    if ((out = malloc(len)) == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < len / 4; i++) {
        out[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                 (uint32_t)p[4 * i + 3] << 24;
        if (out[i] == 0 || (i > 0 && out[i] <= out[i - 1])) {
            free(out);
            return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                                 "retired uids: not sorted, repeated or zero");
        }
    }
    *uids = out;
    *n = len / 4;
    return COG_OK;
}

cog_status cog_snapshot_manifest_emit(const struct cog_snapshot_manifest *m, char **text,
                                      size_t *len, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_object *o = json_object_new_object(), *files = json_object_new_object();

    *text = NULL;
    *len = 0;
    if (o == NULL || files == NULL)
        goto nomem;
    json_object_object_add(o, "format", json_object_new_int(m->format));
    json_object_object_add(o, "pool_id", json_object_new_string(m->pool_id));
    json_object_object_add(o, "serial", json_object_new_int64(m->serial));
    json_object_object_add(o, "created", json_object_new_int64(m->created));
    json_object_object_add(o, "users", json_object_new_int64(m->users));
    json_object_object_add(o, "groups", json_object_new_int64(m->groups));
    if (m->full_at > 0)
        json_object_object_add(o, "full_at", json_object_new_int64(m->full_at));
    if (m->events_until > 0)
        json_object_object_add(o, "events_until", json_object_new_int64(m->events_until));
    for (int p = 0; p < COG_SNAPSHOT_NPARTS; p++) {
        struct json_object *fo = file_object(&m->files[p]);
        if (fo == NULL)
            goto nomem;
        json_object_object_add(files, part_keys[p], fo);
    }
    json_object_object_add(o, "files", files);
    files = NULL;
    if (m->has_retired_file) {
        struct json_object *fo = file_object(&m->retired_file);
        if (fo == NULL)
            goto nomem;
        json_object_object_add(o, "retired_file", fo);
    }
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s == NULL || (*text = strdup(s)) == NULL)
        goto nomem;
    *len = strlen(*text);
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    json_object_put(files);
    json_object_put(o);
    return st;
}

cog_status cog_snapshot_sign(const char *key_path, const void *data, size_t len, char **sig_text,
                             struct cog_error *err)
{
    cog_status st = COG_OK;
    char *pem = NULL, *b64 = NULL;
    size_t pem_len = 0, sl = ED25519_SIG_LEN;
    unsigned mode = 0;
    unsigned char sig[ED25519_SIG_LEN];
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;

    *sig_text = NULL;
    if ((st = cog_read_trusted_file(key_path, KEY_FILE_MAX, &pem, &pem_len, &mode, err)) != COG_OK)
        goto out;
    if ((mode & 077) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: the private key is readable by others (chmod 0600)", key_path);
        goto out;
    }
    bio = BIO_new_mem_buf(pem, (int)pem_len);
    key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    if (key == NULL || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
        st =
            cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: not a PEM Ed25519 private key", key_path);
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &sl, data, len) != 1 || sl != ED25519_SIG_LEN) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "OpenSSL cannot sign with Ed25519");
        goto out;
    }
    if ((b64 = cog_base64_encode(sig, sl)) == NULL || asprintf(sig_text, "%s\n", b64) < 0) {
        *sig_text = NULL;
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    free(b64);
    if (pem != NULL) {
        cog_wipe(pem, pem_len); /* the private key */
        free(pem);
    }
    return st;
}

cog_status cog_snapshot_verify(const char *key_path, const void *data, size_t len,
                               const char *sig_text, size_t sig_len, struct cog_error *err)
{
    cog_status st = COG_OK;
    char *pem = NULL;
    size_t pem_len = 0;
    unsigned mode = 0;
    unsigned char *sig = NULL;
    size_t sl = 0;
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;

    if (key_path == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "snapshot_url is set but snapshot_public_key is not");
    /* The key decides what every host trusts: only root may change it. */
    if ((st = cog_read_trusted_file(key_path, KEY_FILE_MAX, &pem, &pem_len, &mode, err)) != COG_OK)
        goto out;
    bio = BIO_new_mem_buf(pem, (int)pem_len);
    key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (key == NULL || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: not a PEM Ed25519 public key", key_path);
        goto out;
    }
    while (sig_len > 0 && (sig_text[sig_len - 1] == '\n' || sig_text[sig_len - 1] == '\r'))
        sig_len--;
    if (sig_len == 0 || memchr(sig_text, '\n', sig_len) != NULL ||
        (sig = cog_base64_decode(sig_text, sig_len, &sl)) == NULL || sl != ED25519_SIG_LEN) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL,
                           "manifest.json.sig: not base64 of a 64-byte Ed25519 signature");
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "OpenSSL cannot verify Ed25519");
        goto out;
    }
    if (EVP_DigestVerify(ctx, sig, sl, data, len) != 1)
        st = cog_error_set(err, COG_ERR_TOKEN, NULL,
                           "manifest.json: the signature does not verify with %s", key_path);
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    BIO_free(bio);
    free(sig);
    free(pem);
    return st;
}
