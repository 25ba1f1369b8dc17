#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth.h"

char *cog_auth_menu_text(const char *prompt, const char *const *labels, size_t n)
{
    size_t cap = strlen(prompt) + 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(labels[i]) + 32;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t len = (size_t)snprintf(out, cap, "%s", prompt);
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "\n  %zu) %s", i + 1, labels[i]);
    return out;
}

void cog_auth_choice_prompt(size_t n, char *buf, size_t len)
{
    snprintf(buf, len, "Choice [1-%zu]: ", n);
}

void cog_auth_choice_retry(size_t n, char *buf, size_t len)
{
    snprintf(buf, len, "Please enter a number from 1 to %zu.", n);
}

bool cog_auth_parse_choice(const char *answer, size_t n, size_t *picked)
{
    char *end;
    if (answer == NULL || answer[0] < '0' || answer[0] > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(answer, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > n)
        return false;
    *picked = (size_t)v - 1;
    return true;
}

const char *cog_auth_failure_text(cog_status st)
{
    switch (st) {
    case COG_ERR_UNAVAILABLE:
        return "The sign-in service is unavailable. Try again later.";
    case COG_ERR_PASSWORD_RESET_REQUIRED:
        return "Your password must be reset before you can sign in. Reset it where you "
               "manage your account, or ask an administrator.";
    case COG_ERR_NOT_CONFIRMED:
        return "Your account is not confirmed yet. Confirm it with the code you were sent, "
               "or ask an administrator.";
    case COG_ERR_CODE:
        return "Too many wrong codes.";
    case COG_ERR_INVALID_PASSWORD:
        return "The new password was not accepted.";
    default:
        return NULL;
    }
}
