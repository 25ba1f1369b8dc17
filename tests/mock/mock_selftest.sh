#!/bin/sh
# Self-test of the mock Cognito IdP (tests/mock/test_mock.py): its SRP
# reproduces the reference SDK's vectors, its JWTs verify with code that
# is not its own, and a started server does whole logins over TLS. The
# other tests trust the mock; this is why they may.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

[ "$PYTHON3" != no ] || skip "python3 not found"
command -v openssl >/dev/null 2>&1 || skip "openssl CLI not found"

test_dir
TMPDIR=$TEST_DIR
export TMPDIR
"$PYTHON3" "$top_srcdir/tests/mock/test_mock.py" || exit 1
"$PYTHON3" "$top_srcdir/tests/mock/test_mock_webauthn.py" || exit 1
"$PYTHON3" "$top_srcdir/tests/mock/test_mock_session.py"
