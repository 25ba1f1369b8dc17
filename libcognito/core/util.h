/* Small helpers every part shares: wiping secrets, checked strings. */
#ifndef COGNITO_UTIL_H
#define COGNITO_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Overwrites n bytes in a way the compiler may not elide. */
void cog_wipe(void *p, size_t n);
/* Wipes a NUL-terminated secret and frees it; NULL is fine. */
void cog_free_secret(char *s);
/* strdup that returns NULL for NULL. */
char *cog_strdup(const char *s);
/* Drops leading spaces/tabs and trailing spaces/tabs/CRs in place; returns the start. */
char *cog_trim(char *s);

/* Usernames go into JSON and logs: bounded length, valid UTF-8, no control,
 * separator, format or private-use character (Cognito's own pattern). */
#define COG_USERNAME_MAX 128
bool cog_username_valid(const char *name);
/* True when s is valid UTF-8 without C0/C1 controls or DEL. */
bool cog_text_valid(const char *s, size_t max_len);
/* Text someone else wrote (an attribute, a claim, a device name, a message
 * or challenge parameter from the IdP), fit for a terminal: C0 and C1
 * controls, DEL, the bidi controls U+202A..U+202E and U+2066..U+2069 become
 * \uXXXX (\n, \t, \r for those three), bytes that are not UTF-8 \xHH;
 * a newline stays one with keep_newline. Everything else is copied. The
 * escapes are JSON's, so escaped JSON text stays JSON. One function for
 * every place such text is shown: cognitoctl and the PAM conversation.
 * _to writes at most cap bytes with the NUL (never half an escape) and
 * returns the full length, as snprintf does; cog_text_escape returns a
 * malloc'd copy (NULL only when out of memory; NULL s gives ""). */
size_t cog_text_escape_to(const char *s, bool keep_newline, char *out, size_t cap);
char *cog_text_escape(const char *s, bool keep_newline);

/* Lowercase hex of bytes into out (2*n+1 bytes). */
void cog_hex_encode(const unsigned char *in, size_t n, char *out);
/* Standard base64 (with padding). Returns malloc'd string or NULL. */
char *cog_base64_encode(const unsigned char *in, size_t n);
/* Decodes standard or url-safe base64, padded or not. Returns malloc'd buffer or NULL. */
unsigned char *cog_base64_decode(const char *in, size_t in_len, size_t *out_len);

/* Reads a whole regular file that only root (or the caller, when the caller is
 * not root) can write: config files and caches that decide who logs in.
 * *mode gets the file's mode bits. The buffer is NUL-terminated. */
#include "libcognito/core/error.h"
cog_status cog_read_trusted_file(const char *path, size_t max_size, char **buf, size_t *len,
                                 unsigned *mode, struct cog_error *err);

/* A NUL-terminated copy of a text of len bytes, for a line parser to cut
 * up; a text with a NUL byte in it is refused (COG_ERR_CONFIG, naming
 * origin), as its lines would be cut short unseen. */
cog_status cog_text_copy(const char *text, size_t len, const char *origin, char **copy,
                         struct cog_error *err);

/* Replaces path atomically: a temp file in the same directory, fsync, rename.
 * A reader sees the old file or the new one, never half of one. */
cog_status cog_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
                                 struct cog_error *err);

/* mkdir(path, mode) whose result does not depend on the umask: a directory
 * it makes gets exactly mode (a caller's umask 077 must not hide the cache
 * from NSS readers). Returns what mkdir returns: -1 with EEXIST for one that
 * exists, whose mode it leaves alone. */
int cog_mkdir_mode(const char *path, unsigned mode);

/* Monotonic clock in milliseconds. */
long long cog_now_ms(void);

#endif
