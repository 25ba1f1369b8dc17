/* The prompts of a sign-in: every question the state machine asks goes
 * through these, which count the conversation's turns, refuse a missing
 * callback, and turn an aborted conversation into its error. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"

static cog_status too_many_turns(struct login *l)
{
    return cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL, "the service asked too many questions");
}

cog_status auth_add(struct login *l, struct json_object *obj, const char *key, const char *value)
{
    return cog_json_add_string(obj, key, value) ? COG_OK : auth_nomem(l);
}

/* -- prompts ------------------------------------------------------------------ */

/* After an answer: a missing one is a cancel, and the clock restarts. */
static cog_status answered(struct login *l, cog_status st, char **answer)
{
    if (st != COG_OK || (answer != NULL && *answer == NULL)) {
        if (answer != NULL) {
            cog_free_secret(*answer);
            *answer = NULL;
        }
        if (st == COG_ERR_NOMEM)
            return auth_nomem(l);
        return cog_error_set(l->err, COG_ERR_ABORTED, NULL, "no answer given");
    }
    cog_http_begin_step(l->idp->http);
    return COG_OK;
}

cog_status auth_no_callback(struct login *l, const char *what)
{
    return cog_error_set(l->err, COG_ERR_INTERNAL, NULL, "no way to ask for %s", what);
}

cog_status auth_ask_code(struct login *l, enum cog_code_kind kind, const char *prompt,
                         char **answer)
{
    *answer = NULL;
    if (l->cb == NULL || l->cb->ask_code == NULL)
        return auth_no_callback(l, "a code");
    if (!auth_spend_turn(l))
        return too_many_turns(l);
    return answered(l, l->cb->ask_code(l->cb->ctx, kind, prompt, answer), answer);
}

cog_status auth_ask_text(struct login *l, const char *prompt, char **answer)
{
    *answer = NULL;
    if (l->cb == NULL || l->cb->ask_text == NULL)
        return auth_no_callback(l, "an answer");
    if (!auth_spend_turn(l))
        return too_many_turns(l);
    return answered(l, l->cb->ask_text(l->cb->ctx, prompt, answer), answer);
}

/* Twice, until both match: through the front end's own ask_new_password
 * when it has one, else with two password prompts here. */
cog_status auth_ask_new_password(struct login *l, char **answer)
{
    cog_status st = COG_ERR_ABORTED;

    *answer = NULL;
    if (l->cb != NULL && l->cb->ask_new_password != NULL) {
        if (!auth_spend_turn(l))
            return too_many_turns(l);
        st = l->cb->ask_new_password(l->cb->ctx, COG_PROMPT_NEW_PASSWORD,
                                     COG_PROMPT_NEW_PASSWORD_AGAIN, answer);
    } else if (l->cb != NULL && l->cb->ask_password != NULL) {
        for (int tries = 0; tries < COG_MENU_TRIES; tries++) {
            char *again = NULL;
            if (!auth_spend_turn(l))
                return too_many_turns(l);
            st = l->cb->ask_password(l->cb->ctx, COG_PROMPT_NEW_PASSWORD, answer);
            if (st == COG_OK && *answer != NULL && !auth_spend_turn(l)) {
                cog_free_secret(*answer);
                *answer = NULL;
                return too_many_turns(l);
            }
            if (st == COG_OK && *answer != NULL)
                st = l->cb->ask_password(l->cb->ctx, COG_PROMPT_NEW_PASSWORD_AGAIN, &again);
            bool same =
                st == COG_OK && *answer != NULL && again != NULL && strcmp(*answer, again) == 0;
            cog_free_secret(again);
            if (same || st != COG_OK)
                break;
            cog_free_secret(*answer);
            *answer = NULL;
            st = COG_ERR_ABORTED;
            auth_error(l, COG_TEXT_PASSWORDS_DIFFER);
        }
    } else {
        return auth_no_callback(l, "a new password");
    }
    st = answered(l, st, answer);
    /* Cognito refuses these anyway; saying so here spares a round trip. */
    if (st == COG_OK && ((*answer)[0] == '\0' || !cog_text_valid(*answer, 1024))) {
        cog_free_secret(*answer);
        *answer = NULL;
        st = cog_error_set(l->err, COG_ERR_INVALID_PASSWORD, "InvalidPasswordException",
                           "The new password is empty or holds control characters.");
    }
    return st;
}

/* A numbered menu: through the front end's select_mfa when it has one,
 * else as a message and a visible prompt, asked again on a bad answer. */
cog_status auth_select(struct login *l, const char *prompt, const char *const *labels, size_t n,
                       size_t *picked)
{
    char ask[32], again[64];
    char *menu = NULL;
    cog_status st = COG_ERR_ABORTED;

    if (l->cb != NULL && l->cb->select_mfa != NULL) {
        if (!auth_spend_turn(l))
            return too_many_turns(l);
        st = l->cb->select_mfa(l->cb->ctx, prompt, labels, n, picked);
        if (st == COG_OK && *picked >= n)
            st = COG_ERR_ABORTED;
        return answered(l, st, NULL);
    }
    if (l->cb == NULL || l->cb->ask_text == NULL)
        return auth_no_callback(l, "a choice");
    if ((menu = cog_auth_menu_text(prompt, labels, n)) == NULL)
        return auth_nomem(l);
    cog_auth_choice_prompt(n, ask, sizeof(ask));
    cog_auth_choice_retry(n, again, sizeof(again));
    for (int tries = 0; tries < COG_MENU_TRIES; tries++) {
        char *answer = NULL;
        auth_info(l, menu);
        if (!auth_spend_turn(l)) {
            st = too_many_turns(l);
            break;
        }
        st = l->cb->ask_text(l->cb->ctx, ask, &answer);
        bool ok = st == COG_OK && cog_auth_parse_choice(answer, n, picked);
        cog_free_secret(answer);
        if (ok || st != COG_OK)
            break;
        st = COG_ERR_ABORTED;
        auth_error(l, again);
    }
    free(menu);
    return answered(l, st, NULL);
}

void auth_info(struct login *l, const char *text)
{
    if (l->cb != NULL && l->cb->show_info != NULL && auth_spend_turn(l))
        l->cb->show_info(l->cb->ctx, text);
}

void auth_error(struct login *l, const char *text)
{
    if (l->cb != NULL && l->cb->show_error != NULL && auth_spend_turn(l))
        l->cb->show_error(l->cb->ctx, text);
}

void auth_say_delivery(struct login *l, const char *what, const struct cog_delivery *where)
{
    char text[256];
    const char *how = strcmp(where->medium, "SMS") == 0     ? " by SMS"
                      : strcmp(where->medium, "EMAIL") == 0 ? " by email"
                                                            : "";
    if (where->destination[0] != '\0')
        snprintf(text, sizeof(text), "%s was sent%s to %s.", what, how, where->destination);
    else
        snprintf(text, sizeof(text), "%s was sent%s.", what, how);
    auth_info(l, text);
}
