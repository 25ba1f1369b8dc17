#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"

#define ATTR_PREFIX "userAttributes."
#define ATTR_NAME_MAX 64
#define ANSWER_MAX 2048
#define MAX_REQUIRED 16

/* The words for Cognito's standard attributes; others are asked by name. */
static const struct {
    const char *name;
    const char *label;
} attr_labels[] = {
    {"name", "Full name"},          {"given_name", "Given name"},
    {"family_name", "Family name"}, {"middle_name", "Middle name"},
    {"nickname", "Nickname"},       {"preferred_username", "Preferred username"},
    {"email", "Email address"},     {"phone_number", "Phone number (+15551234567)"},
    {"address", "Address"},         {"birthdate", "Birth date (YYYY-MM-DD)"},
    {"gender", "Gender"},           {"locale", "Locale"},
    {"zoneinfo", "Time zone"},      {"website", "Website"},
    {"profile", "Profile page"},    {"picture", "Picture URL"},
};

static const char *attr_label(const char *name)
{
    for (size_t i = 0; i < sizeof(attr_labels) / sizeof(attr_labels[0]); i++) {
        if (strcmp(attr_labels[i].name, name) == 0)
            return attr_labels[i].label;
    }
    return name;
}

/* A visible answer that must be plain text. */
static cog_status ask_answer(struct login *l, const char *prompt, char **answer)
{
    cog_status st = auth_ask_text(l, prompt, answer);
    if (st == COG_OK && !cog_text_valid(*answer, ANSWER_MAX)) {
        cog_free_secret(*answer);
        *answer = NULL;
        st = cog_error_set(l->err, COG_ERR_INVALID_INPUT, NULL, "the answer is not text");
    }
    return st;
}

/* Asks for one required attribute, or takes it from an earlier try. */
static cog_status required_attribute(struct login *l, struct step *s, const char *key)
{
    char prompt[ATTR_NAME_MAX + 64];
    char *answer = NULL;
    const char *name = key + strlen(ATTR_PREFIX);
    cog_status st;

    if (strncmp(key, ATTR_PREFIX, strlen(ATTR_PREFIX)) != 0 || name[0] == '\0' ||
        !cog_text_valid(name, ATTR_NAME_MAX))
        return cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                             "the service asked for an attribute with an unusable name");
    const char *kept = cog_json_string(s->kept, key);
    if (kept != NULL)
        return auth_add(l, s->responses, key, kept);
    snprintf(prompt, sizeof(prompt), "%s: ", attr_label(name));
    st = ask_answer(l, prompt, &answer);
    if (st != COG_OK)
        goto out;
    if ((st = auth_add(l, s->kept, key, answer)) != COG_OK)
        goto out;
    st = auth_add(l, s->responses, key, answer);
out:
    cog_free_secret(answer);
    return st;
}

cog_status auth_answer_new_password(struct login *l, struct step *s)
{
    char *password = NULL;
    struct json_object *required = NULL;
    cog_status st;

    if (s->attempt == 0)
        auth_info(l, "You must choose a new password.");
    else
        /* Cognito's own words say which rule the last one broke. */
        auth_error(l, l->err->message[0] && cog_text_valid(l->err->message, 512)
                          ? l->err->message
                          : "The new password was not accepted.");
    st = auth_ask_new_password(l, &password);
    if (st != COG_OK)
        goto out;
    if ((st = auth_add(l, s->responses, "NEW_PASSWORD", password)) != COG_OK)
        goto out;
    if (s->kept == NULL && (s->kept = json_object_new_object()) == NULL) {
        st = auth_nomem(l);
        goto out;
    }
    const char *list = cog_json_string(s->params, "requiredAttributes");
    required = list ? json_tokener_parse(list) : NULL;
    if (list != NULL && !json_object_is_type(required, json_type_array)) {
        st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                           "requiredAttributes is not a JSON array");
        goto out;
    }
    size_t n = required ? json_object_array_length(required) : 0;
    if (n > MAX_REQUIRED) {
        st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL, "too many required attributes");
        goto out;
    }
    for (size_t i = 0; i < n && st == COG_OK; i++) {
        struct json_object *item = json_object_array_get_idx(required, i);
        if (!json_object_is_type(item, json_type_string))
            st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                               "requiredAttributes holds a non-string");
        else
            st = required_attribute(l, s, json_object_get_string(item));
    }
out:
    json_object_put(required);
    cog_free_secret(password);
    return st;
}

/* The parameters a custom challenge asks with, in the order they are looked for. */
static const char *const question_keys[] = {"question", "QUESTION", "prompt", "PROMPT"};

/* "Favourite colour? " or "PIN: ": a question stays one, anything else gets a colon. */
static char *prompt_of(const char *question)
{
    size_t n = strlen(question);
    char last = n ? question[n - 1] : '\0';
    char *out = NULL;
    if (asprintf(&out, "%s%s", question, last == '?' || last == ':' ? " " : ": ") < 0)
        return NULL;
    return out;
}

/* "key: value" lines of the parameters a challenge came with, but USERNAME. */
static char *parameter_lines(struct json_object *params)
{
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    len = (size_t)snprintf(out, cap, "The sign-in asks:");
    if (params == NULL)
        return out;
    json_object_object_foreach(params, key, val)
    {
        const char *v = json_object_get_string(val);
        if (strcmp(key, "USERNAME") == 0 || v == NULL || !cog_text_valid(key, 128) ||
            !cog_text_valid(v, ANSWER_MAX))
            continue;
        size_t need = len + strlen(key) + strlen(v) + 8;
        if (need > cap) {
            char *bigger = realloc(out, need * 2);
            if (bigger == NULL) {
                free(out);
                return NULL;
            }
            out = bigger;
            cap = need * 2;
        }
        len += (size_t)snprintf(out + len, cap - len, "\n  %s: %s", key, v);
    }
    return out;
}

cog_status auth_answer_custom(struct login *l, struct step *s)
{
    const char *question = NULL;
    char *prompt = NULL, *answer = NULL;
    cog_status st;

    for (size_t i = 0; i < sizeof(question_keys) / sizeof(question_keys[0]) && !question; i++) {
        const char *q = cog_json_string(s->params, question_keys[i]);
        if (q != NULL && q[0] != '\0' && cog_text_valid(q, 512))
            question = q;
    }
    if (question != NULL) {
        prompt = prompt_of(question);
    } else {
        char *lines = parameter_lines(s->params);
        if (lines != NULL && strchr(lines, '\n') != NULL)
            auth_info(l, lines);
        free(lines);
        prompt = strdup("Answer: ");
    }
    if (prompt == NULL) {
        st = auth_nomem(l);
        goto out;
    }
    st = ask_answer(l, prompt, &answer);
    if (st != COG_OK)
        goto out;
    st = auth_add(l, s->responses, "ANSWER", answer);
out:
    cog_free_secret(answer);
    free(prompt);
    return st;
}
