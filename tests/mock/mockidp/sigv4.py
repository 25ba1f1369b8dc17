"""AWS Signature Version 4, checked the way AWS's endpoints check it.

Written from AWS's description of the algorithm (canonical request,
string to sign, signing key), not from the client in libcognito/wire/sigv4.c:
the C client passing this check is evidence for both, and
tests/mock/test_mock_admin.py pins this file to AWS's published test-suite
vectors. Errors carry the codes and messages AWS answers with, because the
client turns them into "your credentials were refused".
"""

import calendar
import hashlib
import hmac
import re
import time
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
# AWS refuses a request signed more than 15 minutes away from its clock.
MAX_SKEW = 15 * 60

MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")
BAD_TOKEN = "The security token included in the request is invalid."

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")


class SigError(Exception):
    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


def _sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _mac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _mac(("AWS4" + secret).encode("utf-8"), date)
    k = _mac(k, region)
    k = _mac(k, service)
    return _mac(k, "aws4_request")


def _enc(text):
    return quote(text, safe="-_.~")


def canonical_uri(path):
    """Dot segments and empty segments removed, each segment encoded once."""
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(_enc(unquote(seg)))
    uri = "/" + "/".join(out)
    if out and path.endswith("/"):
        uri += "/"
    return uri


def canonical_query(query):
    pairs = []
    for part in query.split("&") if query else []:
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((_enc(unquote(key)), _enc(unquote(value))))
    return "&".join("%s=%s" % kv for kv in sorted(pairs))


def _squeeze(value):
    return " ".join(value.split())


def canonical_request(method, path, query, headers, signed, body):
    """headers: a list of (name, value) as received, names in any case."""
    lines = []
    for name in signed:
        values = [_squeeze(v) for n, v in headers if n.lower() == name]
        lines.append("%s:%s\n" % (name, ",".join(values)))
    return "\n".join([method, canonical_uri(path), canonical_query(query), "".join(lines),
                      ";".join(signed), _sha256_hex(body)])


def string_to_sign(amz_date, scope, creq):
    return "\n".join([ALGORITHM, amz_date, scope, _sha256_hex(creq.encode("utf-8"))])


def sign(method, raw_path, headers, body, access_key, secret, region, service, amz_date):
    """The Authorization value for a request (the mock's self-test uses it)."""
    path, _, query = raw_path.partition("?")
    signed = sorted({n.lower() for n, _ in headers})
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    creq = canonical_request(method, path, query, headers, signed, body)
    key = signing_key(secret, amz_date[:8], region, service)
    sig = hmac.new(key, string_to_sign(amz_date, scope, creq).encode(), hashlib.sha256).hexdigest()
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, access_key, scope, ";".join(signed), sig)


def _amz_epoch(amz_date):
    try:
        return calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except (ValueError, OverflowError):
        return None


def verify(method, raw_path, headers, body, credentials, region, service, now):
    """Raises SigError unless the request is signed by a known key.

    headers: a list of (name, value); credentials: access key id ->
    {"secret_access_key": ..., "session_token": ... or None}.
    """
    values = [v for n, v in headers if n.lower() == "authorization"]
    if not values:
        raise SigError("MissingAuthenticationTokenException", "Missing Authentication Token")
    m = _AUTH_RE.match(values[0].strip())
    if m is None:
        raise SigError("IncompleteSignatureException",
                       "Authorization header requires 'Credential', 'Signature' and "
                       "'SignedHeaders' parameters.")
    access_key, date, cred_region, cred_service, signed_list, signature = m.groups()
    cred = credentials.get(access_key)
    if cred is None:
        raise SigError("UnrecognizedClientException", BAD_TOKEN)
    if cred_region != region or cred_service != service:
        raise SigError("InvalidSignatureException",
                       "Credential should be scoped to a valid region and service.")
    signed = signed_list.split(";")
    if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
        raise SigError("InvalidSignatureException", MISMATCH)
    names = {n.lower() for n, _ in headers}
    if any(name not in names for name in signed):
        raise SigError("InvalidSignatureException", MISMATCH)
    amz_dates = [v for n, v in headers if n.lower() == "x-amz-date"]
    when = _amz_epoch(amz_dates[0]) if amz_dates else None
    if when is None or amz_dates[0][:8] != date:
        raise SigError("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'.")
    if abs(now - when) > MAX_SKEW:
        raise SigError("InvalidSignatureException",
                       "Signature expired: %s is now earlier than the allowed window." % amz_dates[0])
    token = cred.get("session_token")
    sent = [v for n, v in headers if n.lower() == "x-amz-security-token"]
    if token and (not sent or not hmac.compare_digest(sent[0], token)
                  or "x-amz-security-token" not in signed):
        raise SigError("UnrecognizedClientException", BAD_TOKEN)
    path, _, query = raw_path.partition("?")
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    creq = canonical_request(method, path, query, headers, signed, body)
    key = signing_key(cred["secret_access_key"], date, region, service)
    want = hmac.new(key, string_to_sign(amz_dates[0], scope, creq).encode(),
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, signature):
        raise SigError("InvalidSignatureException", MISMATCH)
