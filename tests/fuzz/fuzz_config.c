/* cognito.conf from arbitrary bytes: the parser, the cross-key rules, and the
 * URLs and names a login derives from whatever the parser accepted. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/core/config.h"
#include "libcognito/core/util.h"
#include "tests/fuzz/fuzz.h"

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Everything a login takes from an accepted config must be what the rules promise. */
static void check_derived(const struct cog_config *cfg)
{
    char *idp = cog_config_idp_url(cfg);
    char *iss = cog_config_issuer(cfg);
    char *jwks = cog_config_jwks_url(cfg);
    const char *pool = cog_config_pool_name(cfg);

    FUZZ_CHECK(idp != NULL && iss != NULL && jwks != NULL && pool != NULL);
    /* TLS is always verified: nothing may turn the endpoint into plain http. */
    FUZZ_CHECK(starts_with(idp, "https://") && ends_with(idp, "/"));
    FUZZ_CHECK(starts_with(jwks, idp) && ends_with(jwks, "/.well-known/jwks.json"));
    FUZZ_CHECK(starts_with(iss, "https://cognito-idp.") && ends_with(iss, cfg->user_pool_id));
    /* The SRP pool name is hashed into every claim: non-empty, alphanumeric. */
    FUZZ_CHECK(pool[0] != '\0');
    for (const char *p = pool; *p != '\0'; p++)
        FUZZ_CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9'));
    FUZZ_CHECK(cfg->timeout >= 1 && cfg->timeout <= 300);
    FUZZ_CHECK(cfg->auth_flow == COG_FLOW_USER_SRP_AUTH ||
               cfg->auth_flow == COG_FLOW_USER_PASSWORD_AUTH);
    FUZZ_CHECK(cfg->client_id != NULL && cfg->client_id[0] != '\0');
    FUZZ_CHECK(cfg->ca_file == NULL || cfg->ca_file[0] == '/');
    FUZZ_CHECK(cfg->cache_dir == NULL || cfg->cache_dir[0] == '/');
    free(idp);
    free(iss);
    free(jwks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cog_config cfg;
    struct cog_error err = {0};
    char *buf = fuzz_bytes(data, size);

    cog_config_init(&cfg);
    cog_status st = cog_config_parse_buffer(&cfg, buf, size, "fuzz.conf", &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_CONFIG);
    if (st != COG_OK) {
        /* Errors are logged and shown: bounded, and no bytes that drive a terminal. */
        FUZZ_CHECK(err.status == st);
        FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
        FUZZ_CHECK(fuzz_text_shown_safe(err.message));
        goto out;
    }
    /* PAM argv is a second source over the same struct: every key may be set again. */
    cog_config_begin_source(&cfg);
    FUZZ_CHECK(cog_config_parse_buffer(&cfg, buf, size, "fuzz.conf", &err) == COG_OK);
    st = cog_config_finish(&cfg, &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_CONFIG);
    if (st == COG_OK)
        check_derived(&cfg);
out:
    cog_config_free(&cfg);
    free(buf);
    return 0;
}
