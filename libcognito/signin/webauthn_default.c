/* Which authenticator a login uses: libfido2's first key. A build
 * configured with --enable-test-hooks (never a release or Debian build)
 * may instead use the software key of tests/softkey.c named by
 * $COGNITO_TEST_SOFTKEY, so the PAM tests can log in with a passkey. */
#include <stdlib.h>
#include <unistd.h>

#include "build-config.h"
#include "libcognito/signin/webauthn.h"

#ifdef COG_TEST_HOOKS
#include "tests/softkey.h"
#endif

int cog_authenticator_default(struct cog_authenticator *out, struct cog_error *err)
{
#ifdef COG_TEST_HOOKS
    /* Not in a set-id process: its environment is the caller's. */
    const char *path = getenv("COGNITO_TEST_SOFTKEY");
    if (path != NULL && path[0] == '/' && getuid() == geteuid() && getgid() == getegid())
        return softkey_authenticator(out, path);
#endif
    return cog_authenticator_fido2(out, err);
}
