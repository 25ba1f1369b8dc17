#!/usr/bin/env python3
"""Makes the fuzzers' fixed RSA key material: a JWKS, tokens it signs, and the
seeds that carry those tokens. Run once; the outputs are committed and the
private key is thrown away, so a seed that verifies can only be one made here.

    python3 tests/fuzz/make_fixtures.py [SRCDIR]

Writes tests/fuzz/fixtures.h and tests/fuzz/corpus/{fuzz_jwt,fuzz_auth}/key-*.
Needs python3 and the openssl CLI. Rerunning replaces the key, so every
seed named key-* changes with it.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

REGION = "us-east-1"
POOL = "us-east-1_MockPool1"
CLIENT = "mockclient0123456789abcdef"
ISSUER = "https://cognito-idp.%s.amazonaws.com/%s" % (REGION, POOL)
IAT = 1700000000
NOW = IAT + 100          # the fuzz_jwt clock
EXP = 4102444800         # 2100-01-01: fuzz_auth verifies against the real clock
SEP = b"\n----\n"        # fuzz_auth's response separator


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True,
                          capture_output=True).stdout


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    fuzz = os.path.join(src, "tests", "fuzz")
    tmp = tempfile.mkdtemp()
    try:
        write_all(fuzz, os.path.join(tmp, "key.pem"))
    finally:
        shutil.rmtree(tmp)


def c_define(name, value):
    """#define NAME "value", split into adjacent literals the way clang-format
    lays them out (escaped newlines in column 100), so the header is already
    formatted."""
    if len(name) + len(json.dumps(value)) < 92:
        return "#define %s %s\n" % (name, json.dumps(value))
    lines = ["#define " + name] + ["    " + json.dumps(value[i:i + 72])
                                   for i in range(0, len(value), 72)]
    return "".join(l.ljust(99) + "\\\n" for l in lines[:-1]) + lines[-1] + "\n"


def respellings(token):
    """Copies of a good token that decode to the same signature bytes: each must
    be refused (jwt.c takes only canonical base64url)."""
    head, sig = token.rsplit(".", 1)
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(sig[-1])
    return {
        "key-regress-padded": token + "=",
        "key-regress-std-alphabet": head + "." + sig.replace("-", "+").replace("_", "/"),
        "key-regress-trailing-bits": token[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1],
    }


def write_jwt_seeds(fuzz, seeds):
    out = os.path.join(fuzz, "corpus", "fuzz_jwt")
    os.makedirs(out, exist_ok=True)
    for name, tok in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\x00" + tok.encode())


def write_all(fuzz, key):
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key)
    text = openssl("rsa", "-in", key, "-noout", "-modulus").decode()
    n = bytes.fromhex(text.strip().split("=", 1)[1])
    kid = base64.b64encode(os.urandom(32)).decode()
    jwks = json.dumps({"keys": [{"alg": "RS256", "e": "AQAB", "kid": kid, "kty": "RSA",
                                 "n": b64url(n), "use": "sig"}]}, separators=(",", ":"))

    def sign(claims, header=None):
        h = header or {"kid": kid, "alg": "RS256"}
        signing_input = (b64url(json.dumps(h, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = openssl("dgst", "-sha256", "-sign", key, data=signing_input.encode())
        return signing_input + "." + b64url(sig)

    base = {"sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "iss": ISSUER, "iat": IAT, "exp": EXP,
            "auth_time": IAT, "origin_jti": "f0e1d2c3", "event_id": "e1d2c3b4", "jti": "a1b2c3d4"}
    id_claims = dict(base, **{"cognito:groups": ["admins"], "email_verified": True,
                              "cognito:username": "alice", "aud": CLIENT, "token_use": "id",
                              "email": "alice@example.com"})
    access_claims = dict(base, **{"client_id": CLIENT, "token_use": "access",
                                  "scope": "aws.cognito.signin.user.admin", "username": "alice"})
    id_token = sign(id_claims)
    access_token = sign(access_claims)

    with open(os.path.join(fuzz, "fixtures.h"), "w") as f:
        f.write("/* Made by tests/fuzz/make_fixtures.py: a JWKS with one RSA key whose private\n"
                " * half was thrown away, and the only tokens it will ever sign. */\n"
                "#ifndef COGNITO_FUZZ_FIXTURES_H\n#define COGNITO_FUZZ_FIXTURES_H\n\n")
        for name, value in [("REGION", REGION), ("POOL_ID", POOL), ("CLIENT_ID", CLIENT),
                            ("ISSUER", ISSUER), ("KID", kid), ("JWKS", jwks),
                            ("ID_TOKEN", id_token), ("ACCESS_TOKEN", access_token)]:
            f.write(c_define("FUZZ_" + name, value))
        f.write("/* fuzz_jwt's clock: inside both tokens' lifetime. */\n"
                "#define FUZZ_NOW %d\n\n#endif\n" % NOW)

    # fuzz_jwt: mode byte 0 (token vs the fixed JWKS), then the token.
    jwt_seeds = {
        "key-id-good": id_token,
        "key-access-good": access_token,
        "key-id-wrong-iss": sign(dict(id_claims, iss=ISSUER + "x")),
        "key-id-wrong-aud": sign(dict(id_claims, aud="other")),
        "key-id-expired": sign(dict(id_claims, exp=IAT + 10)),
        "key-id-future-iat": sign(dict(id_claims, iat=NOW + 3600)),
        "key-id-no-sub": sign({k: v for k, v in id_claims.items() if k != "sub"}),
        "key-id-exp-string": sign(dict(id_claims, exp=str(EXP))),
        # signed as RS256 but claiming another algorithm: refused on the header alone
        "key-id-header-rs512": sign(id_claims, {"kid": kid, "alg": "RS512", "typ": "JWT"}),
        "key-id-unknown-kid": sign(id_claims, {"kid": kid + "x", "alg": "RS256"}),
    }
    jwt_seeds.update(respellings(id_token))
    write_jwt_seeds(fuzz, jwt_seeds)
    with open(os.path.join(fuzz, "corpus", "fuzz_jwt", "key-jwks"), "wb") as f:
        f.write(b"\x01" + jwks.encode())

    # fuzz_auth: flags byte, then "STATUS[ ERRORTYPE]\nBODY" records split by SEP.
    def result(idt, extra=None):
        ar = {"AccessToken": access_token, "ExpiresIn": 3600, "IdToken": idt,
              "RefreshToken": "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d", "TokenType": "Bearer"}
        ar.update(extra or {})
        return b"200\n" + json.dumps({"AuthenticationResult": ar, "ChallengeParameters": {}}).encode()

    challenge = b"200\n" + json.dumps({"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "S1",
                                       "ChallengeParameters": {"USER_ID_FOR_SRP": "alice",
                                                               "requiredAttributes": "[]",
                                                               "userAttributes": "{}"}}).encode()
    auth_seeds = {
        # bit 0: USER_PASSWORD_AUTH; bit 3: the password comes with the options
        "key-password-success": b"\x09" + result(id_token),
        "key-password-success-device": b"\x09" + result(id_token, {"NewDeviceMetadata": {
            "DeviceKey": "us-east-1_0a1b2c3d", "DeviceGroupKey": "-abcdEFG"}}),
        "key-password-access-as-id": b"\x01" + result(access_token),
        "key-password-challenge-then-success": b"\x01" + challenge + SEP + result(id_token),
        "key-password-jwks-scripted": b"\x05" + result(id_token) + SEP + b"200\n" + jwks.encode(),
    }
    out = os.path.join(fuzz, "corpus", "fuzz_auth")
    os.makedirs(out, exist_ok=True)
    for name, data in auth_seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
