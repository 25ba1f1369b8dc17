/* Which lines of a user's SSH key attribute sshd may be handed: the
 * attribute is often one the user edits, and an authorized_keys line with
 * options (command=, environment=, from=, cert-authority, ...) changes
 * what a key may do, not only which key it is. */
#ifndef COGNITO_SSHKEY_H
#define COGNITO_SSHKEY_H

enum cog_ssh_key_kind {
    COG_SSH_KEY_PLAIN = 0, /* TYPE BASE64 [COMMENT]: a key and nothing else */
    COG_SSH_KEY_OPTIONS,   /* OPTIONS TYPE BASE64 [COMMENT]: a key with options */
    COG_SSH_KEY_BAD,       /* anything else */
};

#define COG_SSH_KEY_LINE_MAX 16384

/* Classifies one line. A key is a known public key type (certificates are
 * not plain keys), standard base64 that decodes, and a blob whose embedded
 * type string is that type; the comment is text without control characters.
 * *why (may be NULL) gets a static reason for anything but PLAIN. */
enum cog_ssh_key_kind cog_ssh_key_check(const char *line, const char **why);

#endif
