"""Self-test of the mock Cognito IdP (standard library unittest).

Other tests trust the mock to be Cognito: a wrong password must fail
because the SRP claim does not verify, tokens must be real RS256 JWTs,
errors must carry Cognito's codes. This checks that, three ways:

- the server-side SRP reproduces the reference SDK's known-answer
  vectors (tests/vectors/srp_vectors.json) and accepts their claims;
- JWT signatures verify with a verifier written here and with the
  openssl CLI, both independent of the mock's signing code;
- a started server does whole logins over TLS, with the client half of
  SRP written here from the vectors' definitions, and replays the SDK's
  byte-exact transcripts.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
VECTORS_DIR = os.path.join(HERE, "..", "vectors")

from mockidp import jwt as jwtlib  # noqa: E402
from mockidp import ops_auth, srp  # noqa: E402

PYTHON = sys.executable
IDP_TARGET = "AWSCognitoIdentityProviderService."


def load_vectors():
    with open(os.path.join(VECTORS_DIR, "srp_vectors.json"), encoding="utf-8") as f:
        return json.load(f)


VECTORS = load_vectors()
USER_CASES = [c for c in VECTORS["cases"] if c["name"].startswith(("case1", "case2", "case3", "case4"))]


def epoch_of(iso):
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


# -- an independent client half of Cognito's SRP ---------------------------------
# Written from the vectors' notes, not from mockidp/srp.py, so that a bug
# shared by both halves would have to be in the vectors too.

N = int(VECTORS["constants"]["N_hex"], 16)


def c_padhex(n):
    h = "%x" % n
    h = "0" + h if len(h) % 2 else h
    if int(h[0], 16) >= 8:
        h = "00" + h
    return bytes.fromhex(h)


def c_hash_int(data):
    return int(hashlib.sha256(data).hexdigest(), 16)


C_K = c_hash_int(c_padhex(N) + c_padhex(2))


class SrpClient:
    def __init__(self, pool_id, a=None):
        self.pool_name = pool_id.split("_", 1)[1]
        self.a = a if a is not None else secrets.randbits(1024)
        self.big_a = pow(2, self.a, N)

    @property
    def srp_a(self):
        return "%x" % self.big_a

    def claim(self, params, password, timestamp):
        user_id = params["USER_ID_FOR_SRP"]
        big_b = int(params["SRP_B"], 16)
        salt = int(params["SALT"], 16)
        u = c_hash_int(c_padhex(self.big_a) + c_padhex(big_b))
        inner = hashlib.sha256((self.pool_name + user_id + ":" + password).encode()).digest()
        x = c_hash_int(c_padhex(salt) + inner)
        base = (big_b - C_K * pow(2, x, N)) % N
        s = pow(base, self.a + u * x, N)
        prk = hmac.new(c_padhex(u), c_padhex(s), hashlib.sha256).digest()
        key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
        msg = (self.pool_name.encode() + user_id.encode()
               + base64.b64decode(params["SECRET_BLOCK"]) + timestamp.encode())
        return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def timestamp_at(epoch):
    t = datetime.fromtimestamp(int(epoch), timezone.utc)
    return t.strftime("%a %b ") + str(t.day) + t.strftime(" %H:%M:%S UTC %Y")


def timestamp_now(offset=0):
    return timestamp_at(time.time() + offset)


# -- an independent RS256 verifier ---------------------------------------------------

def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def rs256_verify(token, jwks):
    """(header, claims) if token verifies against jwks, else None. RFC
    8017 EMSA-PKCS1-v1_5 checked byte by byte."""
    h, p, s = token.split(".")
    header = json.loads(b64url_decode(h))
    jwk = next((k for k in jwks["keys"] if k["kid"] == header.get("kid")), None)
    if header.get("alg") != "RS256" or jwk is None or jwk["kty"] != "RSA":
        return None
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    k = (n.bit_length() + 7) // 8
    sig = b64url_decode(s)
    if len(sig) != k:
        return None
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    digest = hashlib.sha256((h + "." + p).encode()).digest()
    t = bytes.fromhex("3031300d060960864801650304020105000420") + digest
    if em != b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t:
        return None
    return header, json.loads(b64url_decode(p))


# -- a mock process ------------------------------------------------------------------

class MockProcess:
    def __init__(self, directory, *args):
        self.directory = directory
        started = time.monotonic()
        self.log = open(os.path.join(directory, "mock.log"), "ab")
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(HERE, "mock_idp.py"), "--dir", directory, "--quiet",
             "--parent-pid", str(os.getpid()), *args],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        self.startup = time.monotonic() - started
        if not line.startswith("READY "):
            raise RuntimeError("mock did not start: %r, log: %s" % (
                line, open(os.path.join(directory, "mock.log")).read()))
        self.port = int(line.split()[1])
        with open(os.path.join(directory, "port")) as f:
            assert int(f.read()) == self.port
        self.ca = os.path.join(directory, "ca.pem")
        self.ssl = ssl.create_default_context(cafile=self.ca)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.log.close()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            log = f.read()
        # A traceback in the log is a bug in the mock even if the client
        # saw a clean 500.
        assert "Traceback" not in log, log

    def connect(self, host="127.0.0.1"):
        return http.client.HTTPSConnection(host, self.port, context=self.ssl, timeout=20)

    def call(self, op, body, conn=None, raw=None, headers=None):
        """(status, headers, parsed body or None) of one API request."""
        own = conn is None
        conn = conn or self.connect()
        try:
            hdrs = {"X-Amz-Target": IDP_TARGET + op, "Content-Type": "application/x-amz-json-1.1"}
            hdrs.update(headers or {})
            conn.request("POST", "/", body=raw if raw is not None else json.dumps(body), headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
            return resp.status, resp, parsed
        finally:
            if own:
                conn.close()

    def ctl(self, method, path, body=None):
        conn = self.connect()
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None)
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"{}")
            if resp.status != 200:
                raise AssertionError("%s %s -> %d %s" % (method, path, resp.status, data))
            return data
        finally:
            conn.close()

    def jwks(self, pool_id):
        conn = self.connect()
        try:
            conn.request("GET", "/%s/.well-known/jwks.json" % pool_id)
            resp = conn.getresponse()
            assert resp.status == 200
            return json.loads(resp.read())
        finally:
            conn.close()


# -- pure SRP -------------------------------------------------------------------------

class SrpVectorTest(unittest.TestCase):
    def test_k(self):
        self.assertEqual(format(srp.K, "x"), VECTORS["constants"]["k_hex"])
        self.assertEqual(srp.N, N)

    def test_pad_hex(self):
        for ex in VECTORS["padhex_examples"]:
            if ex["int"] >= 0:
                self.assertEqual(srp.pad_hex(ex["int"]).hex(), ex["sdk_padHex"], ex)

    def test_server_side_reproduces_vectors(self):
        for case in USER_CASES:
            with self.subTest(case=case["name"]):
                i, e = case["inputs"], case["expected"]
                salt = int(i["challenge_SALT"], 16)
                v = srp.compute_verifier(i["pool_name"], i["user_id_for_srp"], i["password"], salt)
                self.assertEqual(srp.pad_hex(v).hex(), e["server_verifier_padhex"])
                x = srp.compute_x(i["pool_name"], i["user_id_for_srp"], i["password"], salt)
                self.assertEqual(format(x, "x"), e["x_hex"])
                exchange = srp.ServerSrp(i["pool_name"], i["user_id_for_srp"], salt, v,
                                         int(e["SRP_A_sent"], 16), b=int(i["server_b_hex"], 16))
                self.assertEqual(exchange.big_b, int(i["challenge_SRP_B"], 16))
                self.assertEqual(srp.pad_hex(exchange.big_b).hex(), e["padhex_B"])
                self.assertEqual(srp.pad_hex(exchange.u).hex(), e["u_padhex"])
                self.assertEqual(srp.pad_hex(exchange.premaster()).hex(), e["S_padhex"])
                self.assertEqual(exchange.key().hex(), e["hkdf_key_hex"])
                cr = e["PASSWORD_VERIFIER_ChallengeResponses"]
                block = base64.b64decode(cr["PASSWORD_CLAIM_SECRET_BLOCK"])
                self.assertEqual(
                    srp.claim_message(i["pool_name"], i["user_id_for_srp"], block, cr["TIMESTAMP"]).hex(),
                    e["signature_message_hex"])
                self.assertTrue(exchange.check_claim(block, cr["TIMESTAMP"], cr["PASSWORD_CLAIM_SIGNATURE"]))
                # The claim is bound to the timestamp, the block and the password.
                other = srp.format_timestamp(epoch_of(i["now_utc"]) + 1)
                self.assertFalse(exchange.check_claim(block, other, cr["PASSWORD_CLAIM_SIGNATURE"]))
                self.assertFalse(exchange.check_claim(block[:-1], cr["TIMESTAMP"], cr["PASSWORD_CLAIM_SIGNATURE"]))
                wrong_v = srp.compute_verifier(i["pool_name"], i["user_id_for_srp"], i["password"] + "x", salt)
                wrong = srp.ServerSrp(i["pool_name"], i["user_id_for_srp"], salt, wrong_v,
                                      int(e["SRP_A_sent"], 16), b=int(i["server_b_hex"], 16))
                self.assertFalse(wrong.check_claim(block, cr["TIMESTAMP"], cr["PASSWORD_CLAIM_SIGNATURE"]))
                self.assertFalse(exchange.check_claim(block, cr["TIMESTAMP"], "not base64!"))

    def test_independent_client_matches_vectors(self):
        """The test's own client half agrees with the vectors, so the
        end-to-end tests below are not the mock agreeing with itself."""
        for case in USER_CASES:
            with self.subTest(case=case["name"]):
                i, e = case["inputs"], case["expected"]
                client = SrpClient(i["user_pool_id"], a=int(i["a_hex_128_bytes"], 16))
                self.assertEqual(client.srp_a, e["SRP_A_sent"])
                params = {"USER_ID_FOR_SRP": i["user_id_for_srp"], "SRP_B": i["challenge_SRP_B"],
                          "SALT": i["challenge_SALT"],
                          "SECRET_BLOCK": e["PASSWORD_VERIFIER_ChallengeResponses"]["PASSWORD_CLAIM_SECRET_BLOCK"]}
                self.assertEqual(client.claim(params, i["password"], e["TIMESTAMP"]),
                                 e["PASSWORD_CLAIM_SIGNATURE"])

    def test_a_zero_mod_n_rejected(self):
        for big_a in (0, N, 2 * N):
            with self.assertRaises(srp.SrpError):
                srp.ServerSrp("pool", "alice", 1, 4, big_a)

    def test_timestamps(self):
        for ex in VECTORS["timestamp_examples"]:
            t = epoch_of(ex["utc"])
            self.assertEqual(srp.format_timestamp(t), ex["TIMESTAMP"])
            self.assertEqual(srp.parse_timestamp(ex["TIMESTAMP"]), t)
        for bad in ("Sun Nov 01 10:00:00 UTC 2026",   # zero-padded day
                    "Mon Nov 1 10:00:00 UTC 2026",    # wrong weekday
                    "Sun Nov  1 10:00:00 UTC 2026",   # ctime-style padding
                    "Sun Nov 1 10:00:00 GMT 2026",
                    "Sun, Nov 1 10:00:00 UTC 2026",
                    "Sun Nov 1 10:00 UTC 2026",
                    "Sun Nov 1 24:00:00 UTC 2026",
                    "Mon Feb 30 10:00:00 UTC 2026",
                    "sun nov 1 10:00:00 UTC 2026",
                    "2026-11-01T10:00:00Z", "", None):
            self.assertIsNone(srp.parse_timestamp(bad), bad)

    def test_secret_hash_examples(self):
        for ex in VECTORS["secret_hash_examples"]:
            self.assertEqual(ops_auth.secret_hash(ex["client_secret"], ex["username"], ex["client_id"]),
                             ex["SECRET_HASH"])


# -- JWT --------------------------------------------------------------------------------

class JwtTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mockjwt.")
        cls.key_path = os.path.join(cls.tmp, "k.pem")
        cls.key = jwtlib.RsaKey.load_or_create(cls.key_path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_independent_verifier(self):
        token = jwtlib.encode({"sub": "x", "name": "Zoë"}, self.key)
        header, claims = rs256_verify(token, jwtlib.jwks([self.key]))
        self.assertEqual(header, {"kid": self.key.kid, "alg": "RS256"})
        self.assertEqual(claims["name"], "Zoë")
        h, p, s = token.split(".")
        tampered = h + "." + jwtlib.b64url(b'{"sub":"y","name":"Zo\xc3\xab"}') + "." + s
        self.assertIsNone(rs256_verify(tampered, jwtlib.jwks([self.key])))
        with self.assertRaises(jwtlib.JwtError):
            jwtlib.decode(tampered, [self.key])
        self.assertEqual(jwtlib.decode(token, [self.key])[1]["sub"], "x")

    def test_openssl_verifies(self):
        token = jwtlib.encode({"sub": "openssl"}, self.key)
        h, p, s = token.split(".")
        pub = os.path.join(self.tmp, "pub.pem")
        data = os.path.join(self.tmp, "data")
        sig = os.path.join(self.tmp, "sig")
        subprocess.run(["openssl", "pkey", "-in", self.key_path, "-pubout", "-out", pub], check=True)
        with open(data, "wb") as f:
            f.write((h + "." + p).encode())
        with open(sig, "wb") as f:
            f.write(b64url_decode(s))
        out = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, data],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("Verified OK", out.stdout)

    def test_jwk_matches_openssl_modulus(self):
        out = subprocess.run(["openssl", "rsa", "-in", self.key_path, "-noout", "-modulus"],
                             capture_output=True, text=True, check=True).stdout
        n_hex = out.strip().split("=", 1)[1]
        self.assertEqual(int.from_bytes(b64url_decode(self.key.jwk()["n"]), "big"), int(n_hex, 16))
        self.assertEqual(len(self.key.kid), 44)


# -- a running server ---------------------------------------------------------------------

class ServerTest(unittest.TestCase):
    POOL = "us-east-1_MockPool1"
    CLIENT = "mockclient0123456789abcdef"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mockidp.")
        cls.mock = MockProcess(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.mock.ctl("POST", "/_mock/reset")
        self.mock.ctl("POST", "/_mock/users", {
            "username": "alice", "password": "Passw0rd!", "groups": ["admins", "ops"],
            "attributes": {"email": "alice@example.com", "name": "Alice", "custom:dept": "eng"}})

    # helpers

    def initiate(self, username, conn=None, client=None, extra=None):
        client = client or SrpClient(self.POOL)
        params = {"USERNAME": username, "SRP_A": client.srp_a}
        params.update(extra or {})
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_SRP_AUTH", "ClientId": self.CLIENT, "AuthParameters": params,
            "ClientMetadata": {}}, conn=conn)
        return client, status, resp, body

    def respond(self, challenge_params, signature, timestamp, conn=None, session=None, extra=None,
                username=None):
        responses = {"USERNAME": username or challenge_params["USER_ID_FOR_SRP"],
                     "PASSWORD_CLAIM_SECRET_BLOCK": challenge_params["SECRET_BLOCK"],
                     "TIMESTAMP": timestamp, "PASSWORD_CLAIM_SIGNATURE": signature}
        responses.update(extra or {})
        body = {"ChallengeName": "PASSWORD_VERIFIER", "ClientId": self.CLIENT,
                "ChallengeResponses": responses}
        if session:
            body["Session"] = session
        return self.mock.call("RespondToAuthChallenge", body, conn=conn)

    def login(self, username, password, conn=None, timestamp=None, respond_extra=None):
        client, status, _, body = self.initiate(username, conn=conn)
        self.assertEqual(status, 200, body)
        params = body["ChallengeParameters"]
        ts = timestamp or timestamp_now()
        return body, self.respond(params, client.claim(params, password, ts), ts, conn=conn,
                                  session=body.get("Session"), extra=respond_extra)

    def assert_error(self, result, status, code, message=None):
        got_status, resp, body = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(body["__type"], code)
        self.assertEqual(resp.getheader("x-amzn-ErrorType"), code + ":")
        if message is not None:
            self.assertEqual(body["message"], message)

    # tests

    def test_tls_names(self):
        for host in ("127.0.0.1", "localhost"):
            conn = self.mock.connect(host)
            conn.request("GET", "/_mock/config")
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
        # A client that does not trust the test CA must fail the handshake.
        conn = http.client.HTTPSConnection("127.0.0.1", self.mock.port,
                                           context=ssl.create_default_context(), timeout=5)
        with self.assertRaises(ssl.SSLError):
            conn.request("GET", "/_mock/config")
        conn.close()

    def test_srp_login_and_tokens(self):
        challenge, (status, _, body) = self.login("alice", "Passw0rd!")
        params = challenge["ChallengeParameters"]
        self.assertEqual(challenge["ChallengeName"], "PASSWORD_VERIFIER")
        self.assertEqual(list(params), ["SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"])
        self.assertEqual(params["USER_ID_FOR_SRP"], "alice")
        self.assertEqual(len(params["SECRET_BLOCK"]), 1368)
        self.assertIn("Session", challenge)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["ChallengeParameters"], {})
        result = body["AuthenticationResult"]
        self.assertEqual(result["ExpiresIn"], 3600)
        self.assertEqual(result["TokenType"], "Bearer")
        self.assertEqual(len(result["RefreshToken"].split(".")), 5)

        jwks = self.mock.jwks(self.POOL)
        self.assertEqual(len(jwks["keys"]), 2)
        id_header, idt = rs256_verify(result["IdToken"], jwks)
        acc_header, acc = rs256_verify(result["AccessToken"], jwks)
        self.assertEqual(list(id_header), ["kid", "alg"])
        self.assertNotEqual(id_header["kid"], acc_header["kid"])
        iss = "https://cognito-idp.us-east-1.amazonaws.com/" + self.POOL
        user = self.mock.ctl("GET", "/_mock/users/alice")
        for claims in (idt, acc):
            self.assertEqual(claims["iss"], iss)
            self.assertEqual(claims["sub"], user["sub"])
            self.assertEqual(claims["cognito:groups"], ["admins", "ops"])
            self.assertEqual(claims["exp"] - claims["iat"], 3600)
            self.assertLessEqual(abs(claims["iat"] - time.time()), 5)
            self.assertEqual(claims["auth_time"], claims["iat"])
        self.assertEqual(idt["origin_jti"], acc["origin_jti"])
        self.assertEqual(idt["event_id"], acc["event_id"])
        self.assertNotEqual(idt["jti"], acc["jti"])
        self.assertEqual(idt["token_use"], "id")
        self.assertEqual(idt["aud"], self.CLIENT)
        self.assertEqual(idt["cognito:username"], "alice")
        self.assertIs(idt["email_verified"], True)
        self.assertEqual((idt["email"], idt["name"], idt["custom:dept"]), ("alice@example.com", "Alice", "eng"))
        self.assertEqual(acc["token_use"], "access")
        self.assertEqual(acc["client_id"], self.CLIENT)
        self.assertEqual(acc["scope"], "aws.cognito.signin.user.admin")
        self.assertEqual(acc["username"], "alice")
        self.assertNotIn("aud", acc)

    def test_login_is_two_requests_on_one_connection(self):
        self.mock.ctl("GET", "/_mock/stats")   # control traffic is not counted
        self.mock.ctl("POST", "/_mock/stats/reset")
        conn = self.mock.connect()
        conn.request("GET", "/_mock/config")   # ...even on the login's own connection
        conn.getresponse().read()
        _, (status, _, _) = self.login("alice", "Passw0rd!", conn=conn)
        conn.close()
        self.assertEqual(status, 200)
        stats = self.mock.ctl("GET", "/_mock/stats")
        self.assertEqual((stats["connections"], stats["requests"]), (1, 2), stats)
        self.assertEqual(stats["ops"], {"InitiateAuth": 1, "RespondToAuthChallenge": 1})
        self.mock.jwks(self.POOL)
        stats = self.mock.ctl("GET", "/_mock/stats")
        self.assertEqual((stats["connections"], stats["requests"], stats["ops"]["jwks"]), (2, 3, 1))

    def test_wrong_password(self):
        _, result = self.login("alice", "Passw0rd?")
        self.assert_error(result, 400, "NotAuthorizedException", "Incorrect username or password.")

    def test_unknown_user(self):
        _, status, resp, body = self.initiate("nobody")
        self.assert_error((status, resp, body), 400, "UserNotFoundException", "User does not exist.")

    def test_unknown_user_hidden(self):
        self.mock.ctl("POST", "/_mock/pool", {"prevent_user_existence_errors": True})
        challenge, result = self.login("nobody", "whatever")
        self.assertEqual(challenge["ChallengeParameters"]["USER_ID_FOR_SRP"], "nobody")
        self.assert_error(result, 400, "NotAuthorizedException", "Incorrect username or password.")
        # The fake salt is stable per name, as a real user's is.
        again, _ = self.login("nobody", "whatever")
        self.assertEqual(again["ChallengeParameters"]["SALT"], challenge["ChallengeParameters"]["SALT"])
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"USERNAME": "nobody", "PASSWORD": "x"}})
        self.assert_error((status, resp, body), 400, "NotAuthorizedException")

    def test_user_states(self):
        self.mock.ctl("POST", "/_mock/users", {"username": "dis", "password": "Passw0rd!", "enabled": False})
        self.mock.ctl("POST", "/_mock/users", {"username": "unc", "password": "Passw0rd!", "status": "UNCONFIRMED"})
        self.mock.ctl("POST", "/_mock/users", {"username": "rst", "password": "Passw0rd!", "status": "RESET_REQUIRED"})
        _, status, resp, body = self.initiate("dis")
        self.assert_error((status, resp, body), 400, "NotAuthorizedException", "User is disabled.")
        _, status, resp, body = self.initiate("rst")
        self.assert_error((status, resp, body), 400, "PasswordResetRequiredException")
        _, result = self.login("unc", "Passw0rd?")
        self.assert_error(result, 400, "NotAuthorizedException")
        _, result = self.login("unc", "Passw0rd!")
        self.assert_error(result, 400, "UserNotConfirmedException", "User is not confirmed.")

    def test_timestamp_rules(self):
        now = epoch_of("2026-11-01T10:00:00Z")       # a Sunday, a one-digit day
        self.mock.ctl("POST", "/_mock/clock", {"now": now})
        self.assertEqual(timestamp_at(now), "Sun Nov 1 10:00:00 UTC 2026")
        refused = ["Sun Nov 01 10:00:00 UTC 2026",   # zero-padded day
                   "Mon Nov 1 10:00:00 UTC 2026",    # wrong weekday
                   "Sun Nov  1 10:00:00 UTC 2026",
                   timestamp_at(now + 600), timestamp_at(now - 600)]
        for ts in refused:
            with self.subTest(timestamp=ts):
                # The signature is right for the string sent: only the
                # string itself can be the reason for the refusal.
                client, status, _, body = self.initiate("alice")
                params = body["ChallengeParameters"]
                result = self.respond(params, client.claim(params, "Passw0rd!", ts), ts,
                                      session=body["Session"])
                self.assert_error(result, 400, "NotAuthorizedException", "Incorrect username or password.")
        for ts in (timestamp_at(now), timestamp_at(now - 120), timestamp_at(now + 120)):
            with self.subTest(timestamp=ts):
                _, (status, _, body) = self.login("alice", "Passw0rd!", timestamp=ts)
                self.assertEqual(status, 200, body)

    def test_secret_block_is_single_use(self):
        client, _, _, body = self.initiate("alice")
        params = body["ChallengeParameters"]
        ts = timestamp_now()
        sig = client.claim(params, "Passw0rd!", ts)
        self.assertEqual(self.respond(params, sig, ts)[0], 200)
        self.assert_error(self.respond(params, sig, ts), 400, "NotAuthorizedException")
        # A wrong claim burns the block too.
        client, _, _, body = self.initiate("alice")
        params = body["ChallengeParameters"]
        self.assertEqual(self.respond(params, client.claim(params, "nope", ts), ts)[0], 400)
        self.assertEqual(self.respond(params, client.claim(params, "Passw0rd!", ts), ts)[0], 400)

    def test_session_optional_but_checked(self):
        client, _, _, body = self.initiate("alice")
        params = body["ChallengeParameters"]
        ts = timestamp_now()
        result = self.respond(params, client.claim(params, "Passw0rd!", ts), ts, session="AYABebogus")
        self.assert_error(result, 400, "NotAuthorizedException", "Invalid session for the user.")
        self.mock.ctl("POST", "/_mock/pool", {"password_verifier_session": False})
        client, _, _, body = self.initiate("alice")
        self.assertNotIn("Session", body)
        params = body["ChallengeParameters"]
        self.assertEqual(self.respond(params, client.claim(params, "Passw0rd!", ts), ts)[0], 200)

    def test_session_expiry(self):
        client, _, _, body = self.initiate("alice")
        params = body["ChallengeParameters"]
        self.mock.ctl("POST", "/_mock/clock", {"offset": 400})
        ts = timestamp_now(400)
        result = self.respond(params, client.claim(params, "Passw0rd!", ts), ts, session=body["Session"])
        self.assert_error(result, 400, "NotAuthorizedException",
                          "Invalid session for the user, session is expired.")

    def test_bad_srp_a(self):
        client = SrpClient(self.POOL)
        client.big_a = N
        _, status, resp, body = self.initiate("alice", client=client)
        self.assert_error((status, resp, body), 400, "InvalidParameterException")
        client.big_a = 0
        _, status, resp, body = self.initiate("alice", client=client)
        self.assert_error((status, resp, body), 400, "InvalidParameterException")

    def test_alias_login_uses_real_username(self):
        uid = "3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6"
        self.mock.ctl("POST", "/_mock/users", {"username": uid, "password": "pä$$wörd€ 1",
                                               "attributes": {"email": "bob@example.com"},
                                               "aliases": ["bobby"]})
        for typed in ("bob@example.com", "BOB@Example.com", "bobby", uid):
            challenge, (status, _, body) = self.login(typed, "pä$$wörd€ 1")
            self.assertEqual(challenge["ChallengeParameters"]["USER_ID_FOR_SRP"], uid)
            self.assertEqual(challenge["ChallengeParameters"]["USERNAME"], uid)
            self.assertEqual(status, 200, body)
            claims = rs256_verify(body["AuthenticationResult"]["IdToken"], self.mock.jwks(self.POOL))[1]
            self.assertEqual(claims["cognito:username"], uid)
        # Answering for another user than the one the session is for fails.
        client, _, _, body = self.initiate("bob@example.com")
        params = body["ChallengeParameters"]
        ts = timestamp_now()
        result = self.respond(params, client.claim(params, "pä$$wörd€ 1", ts), ts, username="alice")
        self.assert_error(result, 400, "NotAuthorizedException")

    def test_case_sensitivity_setting(self):
        _, (status, _, _) = self.login("ALICE", "Passw0rd!")
        self.assertEqual(status, 200)
        self.mock.ctl("POST", "/_mock/pool", {"username_case_sensitive": True})
        self.setUp()
        self.mock.ctl("POST", "/_mock/pool", {"username_case_sensitive": True})
        self.mock.ctl("POST", "/_mock/users", {"username": "alice", "password": "Passw0rd!"})
        _, status, resp, body = self.initiate("ALICE")
        self.assert_error((status, resp, body), 400, "UserNotFoundException")

    def test_user_password_auth_and_refresh(self):
        status, _, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"USERNAME": "alice@example.com", "PASSWORD": "Passw0rd!"}})
        self.assertEqual(status, 200, body)
        refresh = body["AuthenticationResult"]["RefreshToken"]
        status, resp, err = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": "wrong"}})
        self.assert_error((status, resp, err), 400, "NotAuthorizedException")
        status, _, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"REFRESH_TOKEN": refresh, "DEVICE_KEY": None}})
        self.assertEqual(status, 200, body)
        self.assertNotIn("RefreshToken", body["AuthenticationResult"])
        status, resp, err = self.mock.call("InitiateAuth", {
            "AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"REFRESH_TOKEN": refresh + "x"}})
        self.assert_error((status, resp, err), 400, "NotAuthorizedException", "Invalid Refresh Token")
        self.mock.ctl("POST", "/_mock/pool", {"explicit_auth_flows": ["USER_SRP_AUTH"]})
        status, resp, err = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Passw0rd!"}})
        self.assert_error((status, resp, err), 400, "InvalidParameterException")

    def test_request_validation(self):
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_SRP_AUTH", "ClientId": self.CLIENT, "AuthParameters": {"USERNAME": "alice"}})
        self.assert_error((status, resp, body), 400, "InvalidParameterException",
                          "Missing required parameter SRP_A")
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "NOPE", "ClientId": self.CLIENT, "AuthParameters": {}})
        self.assert_error((status, resp, body), 400, "InvalidParameterException")
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_SRP_AUTH", "ClientId": "otherclient", "AuthParameters": {}})
        self.assert_error((status, resp, body), 400, "ResourceNotFoundException")
        status, resp, body = self.mock.call("NoSuchOperation", {})
        self.assert_error((status, resp, body), 400, "UnknownOperationException")
        status, resp, body = self.mock.call("InitiateAuth", None, raw="{not json")
        self.assert_error((status, resp, body), 400, "SerializationException")
        status, resp, body = self.mock.call("RespondToAuthChallenge", {
            "ChallengeName": "SMS_MFA", "ClientId": self.CLIENT,
            "ChallengeResponses": {"USERNAME": "alice", "SMS_MFA_CODE": "1"}, "Session": "AYABeX"})
        self.assertEqual(status, 400, body)
        self.mock.ctl("POST", "/_mock/pool", {"error_namespace": "com.amazonaws.cognito"})
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_SRP_AUTH", "ClientId": self.CLIENT, "AuthParameters": {"USERNAME": "alice"}})
        self.assertEqual(body["__type"], "com.amazonaws.cognito#InvalidParameterException")
        self.assertEqual(resp.getheader("x-amzn-ErrorType"), "InvalidParameterException:")

    def test_control_api(self):
        user = self.mock.ctl("GET", "/_mock/users/alice")
        self.assertNotIn("password", user)
        self.assertTrue(user["salt"] and user["verifier"])
        self.assertEqual(user["attributes"]["sub"], user["sub"])
        self.assertEqual(user["username"], "alice")
        with self.assertRaises(AssertionError):
            self.mock.ctl("GET", "/_mock/users/nobody")
        with self.assertRaises(AssertionError):
            self.mock.ctl("POST", "/_mock/pool", {"no_such_setting": 1})
        with self.assertRaises(AssertionError):
            self.mock.ctl("POST", "/_mock/users", {"password": "x"})
        # Unknown USER fields are kept for later parts to read.
        self.mock.ctl("POST", "/_mock/users", {"username": "carol", "password": "p", "mfa": {"sms": True}})
        self.assertEqual(self.mock.ctl("GET", "/_mock/users/carol")["mfa"], {"sms": True})
        self.mock.ctl("POST", "/_mock/reset")
        with self.assertRaises(AssertionError):
            self.mock.ctl("GET", "/_mock/users/alice")
        cfg = self.mock.ctl("GET", "/_mock/config")
        self.assertEqual(cfg["port"], self.mock.port)
        self.assertEqual(cfg["user_pool_id"], self.POOL)

    def test_faults(self):
        ok = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": self.CLIENT,
              "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Passw0rd!"}}
        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "status", "status": 503, "count": 1})
        status, _, body = self.mock.call("InitiateAuth", ok)
        self.assertEqual(status, 503)
        self.assertEqual(self.mock.call("InitiateAuth", ok)[0], 200)   # count 1: only once

        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "throttle"})
        self.assert_error(self.mock.call("InitiateAuth", ok), 400, "TooManyRequestsException")

        self.mock.ctl("POST", "/_mock/faults", {"op": "*", "kind": "garbage"})
        status, _, body = self.mock.call("InitiateAuth", ok)
        self.assertEqual((status, body), (200, None))

        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "reset"})
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError, OSError)):
            self.mock.call("InitiateAuth", ok)

        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "close"})
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError, OSError)):
            self.mock.call("InitiateAuth", ok)

        # "partial": bytes arrive before the connection dies, so a client
        # cannot mistake it for a stale keep-alive connection and resend.
        for kind in ("close", "reset", "truncate"):
            self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": kind, "partial": True})
            conn = self.mock.connect()
            conn.request("POST", "/", body=json.dumps(ok), headers={
                "X-Amz-Target": IDP_TARGET + "InitiateAuth", "Content-Type": "application/x-amz-json-1.1"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            with self.assertRaises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
                resp.read()
            conn.close()

        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "stall", "seconds": 0.5})
        started = time.monotonic()
        self.assertEqual(self.mock.call("InitiateAuth", ok)[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.5)

        # A stalled request holds only its own connection.
        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "stall", "seconds": 3})
        slow = self.mock.connect()
        slow.request("POST", "/", body=json.dumps(ok), headers={
            "X-Amz-Target": IDP_TARGET + "InitiateAuth", "Content-Type": "application/x-amz-json-1.1"})
        time.sleep(0.2)
        started = time.monotonic()
        self.assertEqual(self.mock.call("InitiateAuth", ok)[0], 200)
        self.assertLess(time.monotonic() - started, 2)
        slow.close()

        self.mock.ctl("POST", "/_mock/faults", {"op": "jwks", "kind": "status", "status": 500, "after": 1})
        self.mock.jwks(self.POOL)
        conn = self.mock.connect()
        conn.request("GET", "/%s/.well-known/jwks.json" % self.POOL)
        self.assertEqual(conn.getresponse().status, 500)
        conn.close()

        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "oversized", "bytes": 3 << 20})
        conn = self.mock.connect()
        conn.request("POST", "/", body=json.dumps(ok), headers={
            "X-Amz-Target": IDP_TARGET + "InitiateAuth", "Content-Type": "application/x-amz-json-1.1"})
        resp = conn.getresponse()
        self.assertEqual(int(resp.getheader("Content-Length")), 3 << 20)
        self.assertEqual(len(resp.read()), 3 << 20)
        conn.close()

        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "status", "status": 500, "count": -1})
        self.assertEqual(self.mock.call("InitiateAuth", ok)[0], 500)
        self.assertEqual(self.mock.call("InitiateAuth", ok)[0], 500)
        self.assertEqual(len(self.mock.ctl("GET", "/_mock/faults")["faults"]), 1)
        self.mock.ctl("DELETE", "/_mock/faults")
        self.assertEqual(self.mock.call("InitiateAuth", ok)[0], 200)
        with self.assertRaises(AssertionError):
            self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "nope"})

    def test_idle_client_does_not_block_accept(self):
        idle = socket.create_connection(("127.0.0.1", self.mock.port))
        try:
            started = time.monotonic()
            conn = self.mock.connect()
            conn.request("GET", "/_mock/config")
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
            self.assertLess(time.monotonic() - started, 2)
        finally:
            idle.close()

    def test_restart_in_same_dir_is_fast(self):
        again = MockProcess(self.tmp)
        try:
            self.assertLess(again.startup, 2.0, "second start took %.2fs" % again.startup)
            self.assertNotEqual(again.port, self.mock.port)
        finally:
            again.stop()
            # The first server's port file must point at it again.
            with open(os.path.join(self.tmp, "port"), "w") as f:
                f.write("%d\n" % self.mock.port)


class ChallengeTest(ServerTest):
    """The challenges after the password (ops_mfa, ops_challenges) and the
    account operations (ops_account), driven by a client written here."""

    # ServerTest's tests run once, in ServerTest itself.
    def run(self, result=None):
        if not self._testMethodName.startswith("test_ch_"):
            return result
        return super().run(result)

    def put(self, **user):
        user.setdefault("password", "Passw0rd!")
        return self.mock.ctl("POST", "/_mock/users", user)

    def respond_to(self, prev, name, answers, username="alice"):
        responses = {"USERNAME": username}
        responses.update(answers)
        return self.mock.call("RespondToAuthChallenge", {
            "ChallengeName": name, "ClientId": self.CLIENT, "ChallengeResponses": responses,
            "Session": prev["Session"]})

    def first_challenge(self, username="alice", password="Passw0rd!"):
        _, (status, _, body) = self.login(username, password)
        self.assertEqual(status, 200, body)
        return body

    def latest_code(self, username, kind):
        return self.mock.ctl("GET", "/_mock/codes/" + username)["latest"][kind]

    def test_ch_sms_mfa(self):
        self.put(username="alice", mfa_settings=["SMS_MFA"], attributes={"phone_number": "+15555551111"})
        ch = self.first_challenge()
        self.assertEqual(ch["ChallengeName"], "SMS_MFA")
        self.assertEqual(ch["ChallengeParameters"], {"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
                                                     "CODE_DELIVERY_DESTINATION": "+*******1111"})
        code = self.latest_code("alice", "SMS_MFA")
        self.assertRegex(code, r"^[0-9]{6}$")
        wrong = "%06d" % ((int(code) + 1) % 10 ** 6)
        self.assert_error(self.respond_to(ch, "SMS_MFA", {"SMS_MFA_CODE": wrong}), 400,
                          "CodeMismatchException", "Invalid code or auth state for the user.")
        # The same Session takes another try.
        status, _, body = self.respond_to(ch, "SMS_MFA", {"SMS_MFA_CODE": code})
        self.assertEqual(status, 200, body)
        self.assertIn("AuthenticationResult", body)

    def test_ch_wrong_codes_end_the_session(self):
        self.put(username="alice", mfa_settings=["SMS_MFA"], attributes={"phone_number": "+15555551111"})
        ch = self.first_challenge()
        code = self.latest_code("alice", "SMS_MFA")
        wrong = "%06d" % ((int(code) + 1) % 10 ** 6)
        for _ in range(3):
            self.assert_error(self.respond_to(ch, "SMS_MFA", {"SMS_MFA_CODE": wrong}), 400,
                              "CodeMismatchException")
        self.assert_error(self.respond_to(ch, "SMS_MFA", {"SMS_MFA_CODE": code}), 400,
                          "NotAuthorizedException", "Invalid session for the user.")

    def test_ch_totp_and_select(self):
        from mockidp import totp
        secret = totp.new_secret()
        self.put(username="alice", mfa_settings=["SMS_MFA", "SOFTWARE_TOKEN_MFA"], totp_secret=secret,
                 attributes={"phone_number": "+15555551111"})
        ch = self.first_challenge()
        self.assertEqual(ch["ChallengeName"], "SELECT_MFA_TYPE")
        self.assertEqual(ch["ChallengeParameters"],
                         {"MFAS_CAN_CHOOSE": '["SMS_MFA","SOFTWARE_TOKEN_MFA"]'})
        status, _, ch = self.respond_to(ch, "SELECT_MFA_TYPE", {"ANSWER": "SOFTWARE_TOKEN_MFA"})
        self.assertEqual((status, ch["ChallengeName"], ch["ChallengeParameters"]),
                         (200, "SOFTWARE_TOKEN_MFA", {}))
        now = self.mock.ctl("GET", "/_mock/clock")["now"]
        self.assert_error(self.respond_to(ch, "SOFTWARE_TOKEN_MFA", {
            "SOFTWARE_TOKEN_MFA_CODE": totp.wrong_code(secret, now)}), 400, "CodeMismatchException")
        # The SDK sends the code under both names.
        status, _, body = self.respond_to(ch, "SOFTWARE_TOKEN_MFA", {
            "SMS_MFA_CODE": totp.code_at(secret, now), "SOFTWARE_TOKEN_MFA_CODE": totp.code_at(secret, now)})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.mock.ctl("GET", "/_mock/totp/alice")["code"], totp.code_at(secret, now))
        # A preferred method is used without asking.
        self.put(username="alice", mfa_settings=["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"],
                 preferred_mfa="EMAIL_OTP", totp_secret=secret,
                 attributes={"phone_number": "+15555551111", "email": "alice@example.com"})
        ch = self.first_challenge()
        self.assertEqual(ch["ChallengeName"], "EMAIL_OTP")
        self.assertEqual(ch["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"], "a***@e***")
        status, _, body = self.respond_to(ch, "EMAIL_OTP", {
            "EMAIL_OTP_CODE": self.latest_code("alice", "EMAIL_OTP")})
        self.assertEqual(status, 200, body)

    def test_ch_mfa_setup(self):
        from mockidp import totp
        self.mock.ctl("POST", "/_mock/pool", {"mfa_configuration": "ON"})
        ch = self.first_challenge()
        self.assertEqual((ch["ChallengeName"], ch["ChallengeParameters"]),
                         ("MFA_SETUP", {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}))
        self.assert_error(self.respond_to(ch, "MFA_SETUP", {}), 400, "NotAuthorizedException")
        ch = self.first_challenge()
        status, _, assoc = self.mock.call("AssociateSoftwareToken", {"Session": ch["Session"]})
        self.assertEqual(status, 200, assoc)
        self.assertEqual(set(assoc), {"SecretCode", "Session"})
        now = self.mock.ctl("GET", "/_mock/clock")["now"]
        status, resp, body = self.mock.call("VerifySoftwareToken", {
            "Session": assoc["Session"], "UserCode": totp.wrong_code(assoc["SecretCode"], now)})
        self.assert_error((status, resp, body), 400, "EnableSoftwareTokenMFAException", "Code mismatch")
        status, _, ver = self.mock.call("VerifySoftwareToken", {
            "Session": assoc["Session"], "UserCode": totp.code_at(assoc["SecretCode"], now),
            "FriendlyDeviceName": "my phone"})
        self.assertEqual((status, ver["Status"]), (200, "SUCCESS"), ver)
        status, _, body = self.respond_to(ver, "MFA_SETUP", {})
        self.assertEqual(status, 200, body)
        self.assertIn("AuthenticationResult", body)
        # Enrolled: the next sign-in asks for the app's code.
        self.assertEqual(self.first_challenge()["ChallengeName"], "SOFTWARE_TOKEN_MFA")
        # The access-token variant verifies an app without enabling it.
        token = body["AuthenticationResult"]["AccessToken"]
        status, _, assoc = self.mock.call("AssociateSoftwareToken", {"AccessToken": token})
        self.assertEqual((status, list(assoc)), (200, ["SecretCode"]))
        status, _, ver = self.mock.call("VerifySoftwareToken", {
            "AccessToken": token, "UserCode": totp.code_at(assoc["SecretCode"], now)})
        self.assertEqual((status, ver), (200, {"Status": "SUCCESS"}))

    def test_ch_new_password_required(self):
        self.mock.ctl("POST", "/_mock/pool", {"required_attributes": ["name", "custom:dept"]})
        self.put(username="alice", status="FORCE_CHANGE_PASSWORD", attributes={"email": "alice@example.com"})
        ch = self.first_challenge()
        self.assertEqual(ch["ChallengeName"], "NEW_PASSWORD_REQUIRED")
        params = ch["ChallengeParameters"]
        self.assertEqual(params["requiredAttributes"], '["userAttributes.name","userAttributes.custom:dept"]')
        self.assertEqual(json.loads(params["userAttributes"]),
                         {"email": "alice@example.com", "email_verified": "true"})
        answers = {"NEW_PASSWORD": "n3wpassw0rd!", "userAttributes.name": "Alice",
                   "userAttributes.custom:dept": "ops"}
        self.assert_error(self.respond_to(ch, "NEW_PASSWORD_REQUIRED", answers), 400,
                          "InvalidPasswordException",
                          "Password did not conform with policy: Password must have uppercase characters")
        answers["NEW_PASSWORD"] = "N3wPassw0rd!"
        del answers["userAttributes.name"]
        self.assert_error(self.respond_to(ch, "NEW_PASSWORD_REQUIRED", answers), 400,
                          "InvalidParameterException", "Invalid attributes given, name is missing")
        answers["userAttributes.name"] = "Alice"
        status, _, body = self.respond_to(ch, "NEW_PASSWORD_REQUIRED", answers)
        self.assertEqual(status, 200, body)
        user = self.mock.ctl("GET", "/_mock/users/alice")
        self.assertEqual((user["status"], user["attributes"]["custom:dept"]), ("CONFIRMED", "ops"))
        _, (status, _, body) = self.login("alice", "N3wPassw0rd!")
        self.assertIn("AuthenticationResult", body)

    def test_ch_custom_auth(self):
        self.put(username="alice", custom_challenges=[
            {"params": {"question": "colour?"}, "answer": "blue", "tries": 2},
            {"params": {"prompt": "PIN"}, "answer": "1234"}])
        client = SrpClient(self.POOL)
        status, _, ch = self.mock.call("InitiateAuth", {
            "AuthFlow": "CUSTOM_AUTH", "ClientId": self.CLIENT,
            "AuthParameters": {"USERNAME": "alice", "SRP_A": client.srp_a, "CHALLENGE_NAME": "SRP_A"}})
        self.assertEqual((status, ch["ChallengeName"]), (200, "PASSWORD_VERIFIER"))
        ts = timestamp_now()
        params = ch["ChallengeParameters"]
        status, _, ch = self.respond(params, client.claim(params, "Passw0rd!", ts), ts,
                                     session=ch.get("Session"))
        self.assertEqual((status, ch["ChallengeName"], ch["ChallengeParameters"]),
                         (200, "CUSTOM_CHALLENGE", {"question": "colour?"}), ch)
        status, _, ch = self.respond_to(ch, "CUSTOM_CHALLENGE", {"ANSWER": "red"})
        self.assertEqual((status, ch["ChallengeParameters"]), (200, {"question": "colour?"}))
        status, _, ch = self.respond_to(ch, "CUSTOM_CHALLENGE", {"ANSWER": "blue"})
        self.assertEqual((status, ch["ChallengeParameters"]), (200, {"prompt": "PIN"}))
        self.assert_error(self.respond_to(ch, "CUSTOM_CHALLENGE", {"ANSWER": "0000"}), 400,
                          "NotAuthorizedException")
        # Without SRP_A the custom challenges come at once.
        status, _, ch = self.mock.call("InitiateAuth", {
            "AuthFlow": "CUSTOM_AUTH", "ClientId": self.CLIENT, "AuthParameters": {"USERNAME": "alice"}})
        self.assertEqual((status, ch["ChallengeName"]), (200, "CUSTOM_CHALLENGE"))

    def account(self, op, **body):
        body.setdefault("ClientId", self.CLIENT)
        return self.mock.call(op, body)

    def test_ch_forgot_password(self):
        self.put(username="alice", status="RESET_REQUIRED", attributes={"email": "alice@example.com"})
        status, _, body = self.account("ForgotPassword", Username="alice")
        self.assertEqual((status, body), (200, {"CodeDeliveryDetails": {
            "AttributeName": "email", "DeliveryMedium": "EMAIL", "Destination": "a***@e***"}}))
        code = self.latest_code("alice", "ForgotPassword")
        self.assert_error(self.account("ConfirmForgotPassword", Username="alice", ConfirmationCode="x" + code,
                                       Password="Reset1234!"), 400, "CodeMismatchException")
        self.assert_error(self.account("ConfirmForgotPassword", Username="alice", ConfirmationCode=code,
                                       Password="reset"), 400, "InvalidPasswordException",
                          "Password did not conform with policy: Password not long enough")
        status, _, body = self.account("ConfirmForgotPassword", Username="alice", ConfirmationCode=code,
                                       Password="Reset1234!")
        self.assertEqual((status, body), (200, {}))
        # A code is good once.
        self.assert_error(self.account("ConfirmForgotPassword", Username="alice", ConfirmationCode=code,
                                       Password="Reset1234!"), 400, "CodeMismatchException")
        _, (status, _, body) = self.login("alice", "Reset1234!")
        self.assertIn("AuthenticationResult", body)
        self.assert_error(self.account("ForgotPassword", Username="nobody"), 400, "UserNotFoundException")

    def test_ch_confirm_sign_up(self):
        self.put(username="alice", status="UNCONFIRMED", attributes={"email": "alice@example.com"})
        _, result = self.login("alice", "Passw0rd!")
        self.assert_error(result, 400, "UserNotConfirmedException")
        status, _, body = self.account("ResendConfirmationCode", Username="alice")
        self.assertEqual((status, body["CodeDeliveryDetails"]["DeliveryMedium"]), (200, "EMAIL"))
        code = self.latest_code("alice", "ConfirmSignUp")
        self.assert_error(self.account("ConfirmSignUp", Username="alice", ConfirmationCode="1" + code),
                          400, "CodeMismatchException")
        self.assertEqual(self.account("ConfirmSignUp", Username="alice", ConfirmationCode=code)[0], 200)
        self.assert_error(self.account("ConfirmSignUp", Username="alice", ConfirmationCode=code), 400,
                          "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
        self.assert_error(self.account("ResendConfirmationCode", Username="alice"), 400,
                          "InvalidParameterException", "User is already confirmed.")

    def test_ch_change_password_and_get_user(self):
        self.put(username="alice", attributes={"email": "alice@example.com"}, mfa_settings=["EMAIL_OTP"])
        ch = self.first_challenge()
        _, _, body = self.respond_to(ch, "EMAIL_OTP", {"EMAIL_OTP_CODE": self.latest_code("alice", "EMAIL_OTP")})
        token = body["AuthenticationResult"]["AccessToken"]
        status, _, user = self.mock.call("GetUser", {"AccessToken": token})
        self.assertEqual((status, user["Username"], user["UserMFASettingList"]), (200, "alice", ["EMAIL_OTP"]))
        self.assertIn({"Name": "email", "Value": "alice@example.com"}, user["UserAttributes"])
        self.assert_error(self.mock.call("ChangePassword", {
            "AccessToken": token, "PreviousPassword": "wrong", "ProposedPassword": "N3wPassw0rd!"}),
            400, "NotAuthorizedException", "Incorrect username or password.")
        self.assert_error(self.mock.call("ChangePassword", {
            "AccessToken": token, "PreviousPassword": "Passw0rd!", "ProposedPassword": "NEWPASSW0RD!"}),
            400, "InvalidPasswordException",
            "Password did not conform with policy: Password must have lowercase characters")
        self.assertEqual(self.mock.call("ChangePassword", {
            "AccessToken": token, "PreviousPassword": "Passw0rd!", "ProposedPassword": "N3wPassw0rd!"})[0],
            200)
        self.assert_error(self.mock.call("GetUser", {"AccessToken": token + "x"}), 400,
                          "NotAuthorizedException")

    def test_ch_token_faults(self):
        jwks = self.mock.jwks(self.POOL)
        for fault in ("bad_signature", "alg_none", "unknown_kid", "wrong_aud", "wrong_issuer",
                      "wrong_token_use", "expired", "hs256_public_key", "iat_future"):
            with self.subTest(fault=fault):
                self.mock.ctl("POST", "/_mock/pool", {"token_fault": fault})
                _, (status, _, body) = self.login("alice", "Passw0rd!")
                self.assertEqual(status, 200, body)
                result = body["AuthenticationResult"]
                self.assertIsNotNone(rs256_verify(result["AccessToken"], jwks))
                checked = rs256_verify(result["IdToken"], jwks)
                if fault in ("bad_signature", "alg_none", "unknown_kid", "hs256_public_key"):
                    self.assertIsNone(checked)
                    if fault == "hs256_public_key":
                        self.assert_hs256_forgery(result["IdToken"])
                    continue
                claims = checked[1]
                bad = {"wrong_aud": claims["aud"] != self.CLIENT,
                       "wrong_issuer": not claims["iss"].endswith(self.POOL),
                       "wrong_token_use": claims["token_use"] != "id",
                       "expired": claims["exp"] < time.time() - 600,
                       "iat_future": claims["iat"] > time.time() + 600}
                self.assertTrue(bad[fault], claims)

    def assert_hs256_forgery(self, token):
        """An HMAC keyed with the ID key's public PEM, as openssl writes it."""
        h, p, sig = token.split(".")
        self.assertEqual(json.loads(b64url_decode(h))["alg"], "HS256")
        key = os.path.join(self.tmp, "jwks-key.pem")
        pem = subprocess.run(["openssl", "rsa", "-in", key, "-pubout"], check=True,
                             capture_output=True).stdout
        mac = hmac.new(pem, (h + "." + p).encode(), hashlib.sha256).digest()
        self.assertEqual(b64url_decode(sig), mac)

    def test_ch_token_fault_kind(self):
        """A forged sign-in can answer any request, for the request's user."""
        self.put(username="tom", mfa_settings=["SOFTWARE_TOKEN_MFA"], totp_secret="JBSWY3DPEHPK3PXP")
        jwks = self.mock.jwks(self.POOL)
        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "token",
                                                "spoil": "wrong_aud"})
        _, status, _, body = self.initiate("tom")
        self.assertEqual(status, 200, body)
        claims = rs256_verify(body["AuthenticationResult"]["IdToken"], jwks)[1]
        self.assertEqual((claims["cognito:username"], claims["aud"]), ("tom", "other" + self.CLIENT))
        self.assertIsNotNone(rs256_verify(body["AuthenticationResult"]["AccessToken"], jwks))
        with self.assertRaises(AssertionError):
            self.mock.ctl("POST", "/_mock/faults", {"op": "*", "kind": "token", "spoil": "nope"})

    def test_ch_response_filters(self):
        """Faults that spoil the answer the client was about to get."""
        self.put(username="tom", mfa_settings=["SOFTWARE_TOKEN_MFA"], totp_secret="JBSWY3DPEHPK3PXP")

        def tom_answer(kind, **opts):
            self.mock.ctl("POST", "/_mock/faults", dict(op="RespondToAuthChallenge", kind=kind, **opts))
            _, (status, resp, body) = self.login("tom", "Passw0rd!")
            return status, resp, body

        status, _, body = tom_answer("missing_fields")
        self.assertEqual(status, 200)
        self.assertNotIn("ChallengeName", body)
        self.assertIn("Session", body)
        status, _, body = tom_answer("wrong_types")
        self.assertEqual((body["ChallengeName"], body["ChallengeParameters"]), (7, [{}]))
        status, _, body = tom_answer("unknown_challenge", name="NOPE_MFA")
        self.assertEqual(body["ChallengeName"], "NOPE_MFA")
        status, resp, body = tom_answer("huge_strings", bytes=300000)
        self.assertGreater(len(body["Session"]), 100000)
        self.assertLess(int(resp.getheader("Content-Length")), 1 << 20)
        status, _, body = tom_answer("truncated_json")
        self.assertEqual((status, body), (200, None))
        # Tokens keep their place beside an unknown challenge.
        self.put(username="alice")
        self.mock.ctl("POST", "/_mock/faults", {"op": "RespondToAuthChallenge",
                                                "kind": "unknown_challenge"})
        _, (status, _, body) = self.login("alice", "Passw0rd!")
        self.assertIn("AuthenticationResult", body)
        self.assertEqual(body["ChallengeName"], "QUANTUM_ENTANGLEMENT_MFA")
        # The head and half the body, then silence.
        self.mock.ctl("POST", "/_mock/faults", {"op": "jwks", "kind": "stall_body", "seconds": 1})
        conn = self.mock.connect()
        conn.request("GET", "/%s/.well-known/jwks.json" % self.POOL)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        started = time.monotonic()
        with self.assertRaises((http.client.IncompleteRead, ConnectionError, ssl.SSLError)):
            resp.read()
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        conn.close()

    def test_ch_jwks_faults(self):
        good = self.mock.jwks(self.POOL)
        kids = [k["kid"] for k in good["keys"]]
        for kind, check in (
                ("jwks_without_kid", lambda d: [k["kid"] for k in d["keys"]] == kids[1:]),
                ("jwks_other_key", lambda d: [k["n"] for k in d["keys"]]
                 == [good["keys"][1]["n"], good["keys"][0]["n"]]
                 and [k["kid"] for k in d["keys"]] == kids),
                ("jwks_no_kids", lambda d: len(d["keys"]) == 2 and all("kid" not in k for k in d["keys"]))):
            with self.subTest(kind=kind):
                self.mock.ctl("POST", "/_mock/faults", {"op": "jwks", "kind": kind})
                self.assertTrue(check(self.mock.jwks(self.POOL)))
                self.assertEqual(self.mock.jwks(self.POOL), good)

    def test_ch_tls_faults(self):
        """Each bad certificate fails a verifying client's handshake, at
        the next connection or after the request it was aimed at."""
        reasons = {"wrong_name": "match", "wrong_ca": "unable to get local issuer",
                   "expired": "expired", "self_signed": "self-signed"}
        for variant, reason in reasons.items():
            with self.subTest(cert=variant):
                self.mock.ctl("POST", "/_mock/faults", {"op": "connect", "kind": "tls", "cert": variant})
                conn = self.mock.connect()
                with self.assertRaises(ssl.SSLCertVerificationError) as caught:
                    conn.request("GET", "/_mock/config")
                self.assertIn(reason, str(caught.exception))
                conn.close()
                self.assertEqual(self.mock.jwks(self.POOL)["keys"][0]["kty"], "RSA")
        conn = self.mock.connect()
        self.assertEqual(self.initiate("alice", conn=conn)[1], 200)
        self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "tls", "cert": "wrong_ca"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.initiate("alice", conn=conn)
        conn.close()
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.initiate("alice")
        self.assertEqual(self.initiate("alice")[1], 200)
        stats = self.mock.ctl("GET", "/_mock/stats")
        self.assertGreaterEqual(stats["handshake_failures"], 5)
        self.assertEqual((stats["tls_fault_handshakes"], stats["tls_fault_requests"]), (5, 0))
        with self.assertRaises(AssertionError):
            self.mock.ctl("POST", "/_mock/faults", {"op": "connect", "kind": "tls", "cert": "nope"})
        with self.assertRaises(AssertionError):
            self.mock.ctl("POST", "/_mock/faults", {"op": "connect", "kind": "status"})

    def test_ch_fault_targets_and_log(self):
        """A fault aimed at one user, a rate, the hit log, the request log."""
        self.put(username="bob")
        self.mock.ctl("POST", "/_mock/faults", {"op": "*", "kind": "throttle", "user": "BOB", "count": -1})
        self.assertEqual(self.initiate("alice")[1], 200)
        self.assertEqual(self.initiate("bob")[1], 400)
        _, (status, _, body) = self.login("alice", "Passw0rd!")
        self.assertEqual(status, 200, body)
        hits = self.mock.ctl("GET", "/_mock/faults/log")["hits"]
        self.assertEqual([(h["op"], h["user"]) for h in hits][:1], [("InitiateAuth", "bob")])
        self.mock.ctl("DELETE", "/_mock/faults")
        self.assertEqual(self.mock.ctl("GET", "/_mock/faults/log")["hits"], [])
        # A seeded rate: the same requests are hit on every run.
        runs = []
        for _ in range(2):
            self.mock.ctl("DELETE", "/_mock/faults")
            self.mock.ctl("POST", "/_mock/faults", {"op": "InitiateAuth", "kind": "throttle",
                                                    "rate": 0.3, "seed": 7, "count": -1})
            runs.append([self.initiate("alice")[1] for _ in range(30)])
        self.assertEqual(runs[0], runs[1])
        self.assertTrue(3 <= runs[0].count(400) <= 18, runs[0])
        self.assertEqual(len(self.mock.ctl("GET", "/_mock/faults/log")["hits"]), runs[0].count(400))
        # Raw bodies as received, strictly parsed.
        self.mock.ctl("DELETE", "/_mock/requests")
        self.mock.call("InitiateAuth", None, raw=b'{"A":1,"A":2}')
        self.mock.call("InitiateAuth", None, raw=b'\xff{}')
        self.mock.call("InitiateAuth", None, raw=json.dumps({"AuthFlow": "x\"y"}).encode())
        reqs = self.mock.ctl("GET", "/_mock/requests")["requests"]
        self.assertEqual(len(reqs), 3)
        self.assertIn("duplicate", reqs[0]["json_error"])
        self.assertFalse(reqs[1]["utf8"])
        self.assertEqual(reqs[2]["json"], {"AuthFlow": 'x"y'})
        self.assertEqual(reqs[2]["target"], IDP_TARGET + "InitiateAuth")


class SecretHashTest(unittest.TestCase):
    POOL = "eu-west-1_Secret01"
    CLIENT = "secretclient0123456789abc"
    SECRET = "examplesecret0123456789abcdefghijklmnopqrstuvwxyz"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mockidp.")
        cls.mock = MockProcess(cls.tmp, "--pool-id", cls.POOL, "--client-id", cls.CLIENT,
                               "--client-secret", cls.SECRET)
        cls.mock.ctl("POST", "/_mock/users", {"username": "3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6",
                                              "password": "Passw0rd!",
                                              "attributes": {"email": "bob@example.com"}})

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()
        shutil.rmtree(cls.tmp)

    def hash(self, name):
        return ops_auth.secret_hash(self.SECRET, name, self.CLIENT)

    def attempt(self, initiate_hash, respond_hash):
        client = SrpClient(self.POOL)
        params = {"USERNAME": "bob@example.com", "SRP_A": client.srp_a}
        if initiate_hash:
            params["SECRET_HASH"] = initiate_hash
        status, resp, body = self.mock.call("InitiateAuth", {
            "AuthFlow": "USER_SRP_AUTH", "ClientId": self.CLIENT, "AuthParameters": params})
        if status != 200:
            return status, resp, body
        cp = body["ChallengeParameters"]
        ts = timestamp_now()
        responses = {"USERNAME": cp["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": cp["SECRET_BLOCK"],
                     "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": client.claim(cp, "Passw0rd!", ts)}
        if respond_hash:
            responses["SECRET_HASH"] = respond_hash
        return self.mock.call("RespondToAuthChallenge", {
            "ChallengeName": "PASSWORD_VERIFIER", "ClientId": self.CLIENT,
            "ChallengeResponses": responses, "Session": body["Session"]})

    def test_secret_hash(self):
        uid = "3f8e2a6c-1b4d-4e7f-9a0b-c1d2e3f4a5b6"
        status, _, body = self.attempt(self.hash("bob@example.com"), self.hash(uid))
        self.assertEqual(status, 200, body)
        claims = json.loads(b64url_decode(body["AuthenticationResult"]["IdToken"].split(".")[1]))
        self.assertEqual(claims["iss"], "https://cognito-idp.eu-west-1.amazonaws.com/" + self.POOL)
        status, _, body = self.attempt(None, self.hash(uid))
        self.assertEqual((status, body["__type"]), (400, "NotAuthorizedException"))
        self.assertIn("SECRET_HASH was not received", body["message"])
        status, _, body = self.attempt(self.hash(uid + "x"), None)
        self.assertEqual(body["message"], "Unable to verify secret hash for client " + self.CLIENT)
        # RespondToAuthChallenge wants USER_ID_FOR_SRP, not the typed alias.
        status, _, body = self.attempt(self.hash("bob@example.com"), self.hash("bob@example.com"))
        self.assertEqual((status, body["__type"]), (400, "NotAuthorizedException"))
        status, _, body = self.attempt(self.hash("bob@example.com"), None)
        self.assertEqual((status, body["__type"]), (400, "NotAuthorizedException"))


class TranscriptReplayTest(unittest.TestCase):
    """The SDK's byte-exact requests from srp_vectors.json, sent to a mock
    whose b, SECRET_BLOCK, Session and clock are pinned to the vector's:
    the mock must answer the vector's SRP_B and accept the SDK's claim."""

    def replay(self, case):
        i = case["inputs"]
        tmp = tempfile.mkdtemp(prefix="mockidp.")
        mock = MockProcess(tmp, "--pool-id", i["user_pool_id"], "--client-id", i["client_id"])
        try:
            mock.ctl("POST", "/_mock/users", {"username": i["user_id_for_srp"], "password": i["password"],
                                              "salt": i["challenge_SALT"],
                                              "attributes": {"email": i["username_entered"]}
                                              if "@" in i["username_entered"] else {}})
            transcript = case["sdk_transcript"]
            first = json.loads(transcript[0]["response_json"])
            mock.ctl("POST", "/_mock/srp/pin", {"b": i["server_b_hex"],
                                                "secret_block": i["challenge_SECRET_BLOCK"],
                                                "session": first.get("Session")})
            mock.ctl("POST", "/_mock/clock", {"now": epoch_of(i["now_utc"])})
            conn = mock.connect()
            status, _, body = mock.call("InitiateAuth", None, conn=conn, raw=transcript[0]["request_json"])
            self.assertEqual(status, 200, body)
            want = first["ChallengeParameters"]
            got = body["ChallengeParameters"]
            self.assertEqual(got["SALT"], want["SALT"])
            self.assertEqual(got["SECRET_BLOCK"], want["SECRET_BLOCK"])
            self.assertEqual(int(got["SRP_B"], 16), int(want["SRP_B"], 16))
            self.assertEqual(got["USER_ID_FOR_SRP"], want["USER_ID_FOR_SRP"])
            self.assertEqual(body.get("Session"), first.get("Session"))
            status, _, body = mock.call("RespondToAuthChallenge", None, conn=conn,
                                        raw=transcript[1]["request_json"])
            self.assertEqual(status, 200, body)
            claims = json.loads(b64url_decode(body["AuthenticationResult"]["IdToken"].split(".")[1]))
            self.assertEqual(claims["cognito:username"], i["user_id_for_srp"])
            self.assertEqual(claims["iat"], epoch_of(i["now_utc"]))
            conn.close()
        finally:
            mock.stop()
            shutil.rmtree(tmp)

    def test_replay(self):
        for case in USER_CASES:
            with self.subTest(case=case["name"]):
                self.replay(case)

    def test_sdk_transcript_shapes(self):
        """Non-SRP steps of sdk_transcripts.json the mock implements: the
        SDK's exact request bytes get an answer of the same shape."""
        with open(os.path.join(VECTORS_DIR, "sdk_transcripts.json"), encoding="utf-8") as f:
            transcripts = json.load(f)
        tmp = tempfile.mkdtemp(prefix="mockidp.")
        mock = MockProcess(tmp, "--pool-id", "us-east-1_aB12cDe34", "--client-id", "1example23456789abcdefghij")
        try:
            mock.ctl("POST", "/_mock/users", {"username": "alice", "password": "Passw0rd!",
                                              "attributes": {"email": "alice@example.com"}})
            wire = transcripts["USER_PASSWORD_AUTH -> tokens, then session operations"]["wire"]
            status, _, body = mock.call("InitiateAuth", None, raw=wire[0]["request"])
            want = json.loads(wire[0]["response"])
            self.assertEqual(status, 200, body)
            self.assertEqual(set(body), set(want))
            self.assertEqual(set(body["AuthenticationResult"]), set(want["AuthenticationResult"]))
            refresh = next(w for w in wire if '"REFRESH_TOKEN_AUTH"' in w["request"])
            raw = refresh["request"].replace('"rt-1"', json.dumps(body["AuthenticationResult"]["RefreshToken"]))
            status, _, body = mock.call("InitiateAuth", None, raw=raw)
            want = json.loads(refresh["response"])
            self.assertEqual(status, 200, body)
            self.assertEqual(set(body["AuthenticationResult"]), set(want["AuthenticationResult"]))

            wire = transcripts["USER_SRP_AUTH error (service error passed through as err.code)"]["wire"]
            mock.ctl("POST", "/_mock/reset")
            status, resp, body = mock.call("InitiateAuth", None, raw=wire[0]["request"])
            self.assertEqual(status, 400)
            self.assertEqual(body, {"__type": wire[0]["error"]["code"], "message": wire[0]["error"]["message"]})
        finally:
            mock.stop()
            shutil.rmtree(tmp)


if __name__ == "__main__":
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    # The plain closing line the CI harness reads.
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if result.wasSuccessful() else 1)
