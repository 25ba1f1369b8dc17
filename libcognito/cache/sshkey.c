#include "build-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/cache/sshkey.h"
#include "libcognito/core/util.h"

/* The public key types sshd accepts in authorized_keys, certificates aside. */
static const char *const key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
};

static bool known_type(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
        if (strlen(key_types[i]) == n && memcmp(key_types[i], s, n) == 0)
            return true;
    }
    return false;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The key blob starts with the type as an SSH string: uint32 length, bytes. */
static bool blob_names_type(const char *b64, size_t b64_len, const char *type, size_t type_len)
{
    size_t n = 0;
    bool ok = false;
    for (size_t i = 0; i < b64_len; i++) {
        char c = b64[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '='))
            return false;
    }
    unsigned char *blob = cog_base64_decode(b64, b64_len, &n);
    if (blob == NULL)
        return false;
    if (n >= 4 + type_len) {
        uint32_t len =
            (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
        ok = len == type_len && memcmp(blob + 4, type, type_len) == 0;
    }
    free(blob);
    return ok;
}

/* TYPE BASE64 [COMMENT] at s. */
static bool plain_key(const char *s, const char **why)
{
    const char *type = s;
    while (*s != '\0' && !blank(*s))
        s++;
    size_t type_len = (size_t)(s - type);
    if (!known_type(type, type_len)) {
        *why = "not a known public key type";
        return false;
    }
    while (blank(*s))
        s++;
    const char *b64 = s;
    while (*s != '\0' && !blank(*s))
        s++;
    if (s == b64 || !blob_names_type(b64, (size_t)(s - b64), type, type_len)) {
        *why = "key data is not base64 of a key of its type";
        return false;
    }
    return true;
}

/* The end of an authorized_keys options field: up to the first blank
 * outside double quotes (a backslash quotes the next character in them). */
static const char *skip_options(const char *s)
{
    bool quoted = false;
    for (; *s != '\0'; s++) {
        if (quoted && *s == '\\' && s[1] != '\0')
            s++;
        else if (*s == '"')
            quoted = !quoted;
        else if (!quoted && blank(*s))
            return s;
    }
    return quoted ? NULL : s;
}

/* Valid UTF-8 without control characters, tabs (sshd's separators) aside. */
static bool text_with_tabs(const char *line)
{
    char *copy = strdup(line);
    if (copy == NULL)
        return false;
    for (char *p = copy; *p != '\0'; p++) {
        if (*p == '\t')
            *p = ' ';
    }
    bool ok = cog_text_valid(copy, COG_SSH_KEY_LINE_MAX);
    free(copy);
    return ok;
}

enum cog_ssh_key_kind cog_ssh_key_check(const char *line, const char **why)
{
    const char *ignored;
    if (why == NULL)
        why = &ignored;
    *why = NULL;
    if (line == NULL || strlen(line) > COG_SSH_KEY_LINE_MAX || !text_with_tabs(line)) {
        *why = "too long or not text";
        return COG_SSH_KEY_BAD;
    }
    while (blank(*line))
        line++;
    if (*line == '\0' || *line == '#') {
        *why = "no key";
        return COG_SSH_KEY_BAD;
    }
    const char *why_plain = NULL;
    if (plain_key(line, &why_plain))
        return COG_SSH_KEY_PLAIN;
    /* Not a key at its start: options then a key, or nothing sshd should see. */
    const char *end = skip_options(line);
    if (end == NULL || *end == '\0') {
        *why = why_plain;
        return COG_SSH_KEY_BAD;
    }
    while (blank(*end))
        end++;
    if (!plain_key(end, why)) {
        *why = why_plain;
        return COG_SSH_KEY_BAD;
    }
    *why = "has options (command=, from=, cert-authority, ...)";
    return COG_SSH_KEY_OPTIONS;
}
