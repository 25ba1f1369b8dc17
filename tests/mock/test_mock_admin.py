"""Self-test of the mock's admin APIs and its SigV4 check (unittest).

`cognitoctl sync` is tested against the mock; this is why the mock's
signature check may be trusted: it reproduces AWS's published SigV4
test-suite values, accepts what it signs, and refuses every kind of bad
request the way AWS does. Then a started mock pages through users,
groups and members.
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mockidp import ops_admin, sigv4  # noqa: E402
from test_mock import MockProcess  # noqa: E402

# AWS's SigV4 test suite: key, secret, scope, and for each case the request
# and the published Signature.
SUITE_KEY = "AKIDEXAMPLE"
SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_DATE = "20150830T123600Z"
SUITE_NOW = 1440938160  # 2015-08-30T12:36:00Z
SUITE_TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFq"
               "wAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE"
               "8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rK"
               "wT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJab"
               "IQwj2ICCR/oLxBA==")
HOST = [("Host", "example.amazonaws.com"), ("X-Amz-Date", SUITE_DATE)]
SUITE = [
    ("get-vanilla", "GET", "/", HOST, b"",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("post-vanilla", "POST", "/", HOST, b"",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", HOST, b"",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("get-utf8", "GET", "/\u1234", HOST, b"",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ("get-header-value-trim", "GET", "/",
     HOST + [("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')], b"",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("get-slashes", "GET", "//example//", HOST, b"",
     "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
    ("post-sts-header-before", "POST", "/", HOST + [("X-Amz-Security-Token", SUITE_TOKEN)], b"",
     "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
]
SUITE_CREDS = {SUITE_KEY: {"secret_access_key": SUITE_SECRET, "session_token": None}}


def signature_of(authorization):
    return authorization.rsplit("Signature=", 1)[1]


class SuiteVectors(unittest.TestCase):
    def test_sign_reproduces_aws_vectors(self):
        for name, method, path, headers, body, want in SUITE:
            with self.subTest(name):
                auth = sigv4.sign(method, path, headers, body, SUITE_KEY, SUITE_SECRET,
                                  "us-east-1", "service", SUITE_DATE)
                self.assertEqual(signature_of(auth), want)

    def test_verify_accepts_the_vectors(self):
        for name, method, path, headers, body, want in SUITE:
            with self.subTest(name):
                auth = sigv4.sign(method, path, headers, body, SUITE_KEY, SUITE_SECRET,
                                  "us-east-1", "service", SUITE_DATE)
                creds = SUITE_CREDS
                if any(n == "X-Amz-Security-Token" for n, _ in headers):
                    creds = {SUITE_KEY: {"secret_access_key": SUITE_SECRET,
                                         "session_token": SUITE_TOKEN}}
                sigv4.verify(method, path, headers + [("Authorization", auth)], body, creds,
                             "us-east-1", "service", SUITE_NOW)

    def test_signing_key_of_aws_docs(self):
        # The derivation example of AWS's SigV4 documentation (IAM, 2012-02-15).
        key = sigv4.signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                "us-east-1", "iam")
        self.assertEqual(key.hex(),
                         "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")

    def refused(self, code, headers, body=b"", now=SUITE_NOW, creds=SUITE_CREDS):
        with self.assertRaises(sigv4.SigError) as ctx:
            sigv4.verify("POST", "/", headers, body, creds, "us-east-1", "service", now)
        self.assertEqual(ctx.exception.code, code)

    def test_verify_refuses(self):
        good = sigv4.sign("POST", "/", HOST, b"{}", SUITE_KEY, SUITE_SECRET, "us-east-1",
                          "service", SUITE_DATE)
        signed = HOST + [("Authorization", good)]
        sigv4.verify("POST", "/", signed, b"{}", SUITE_CREDS, "us-east-1", "service", SUITE_NOW)
        self.refused("MissingAuthenticationTokenException", HOST, b"{}")
        self.refused("InvalidSignatureException", signed, b"{ }")  # body changed
        self.refused("InvalidSignatureException", signed, b"{}", now=SUITE_NOW + 901)
        wrong = sigv4.sign("POST", "/", HOST, b"{}", SUITE_KEY, SUITE_SECRET + "x", "us-east-1",
                           "service", SUITE_DATE)
        self.refused("InvalidSignatureException", HOST + [("Authorization", wrong)], b"{}")
        other = sigv4.sign("POST", "/", HOST, b"{}", "AKIDOTHER0000000", SUITE_SECRET,
                           "us-east-1", "service", SUITE_DATE)
        self.refused("UnrecognizedClientException", HOST + [("Authorization", other)], b"{}")
        self.refused("IncompleteSignatureException", HOST + [("Authorization", "AWS4 nonsense")])
        tokened = {SUITE_KEY: {"secret_access_key": SUITE_SECRET, "session_token": "tok"}}
        self.refused("UnrecognizedClientException", signed, b"{}", creds=tokened)


class AdminApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mock-admin-")
        cls.mock = MockProcess(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()
        shutil.rmtree(cls.tmp)

    def setUp(self):
        self.mock.ctl("POST", "/_mock/reset")

    def call(self, op, body, key=ops_admin.DEFAULT_ACCESS_KEY, secret=ops_admin.DEFAULT_SECRET_KEY,
             sign=True):
        import time
        raw = json.dumps(body).encode()
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = [("Host", "127.0.0.1:%d" % self.mock.port), ("X-Amz-Date", date),
                   ("X-Amz-Target", "AWSCognitoIdentityProviderService." + op),
                   ("Content-Type", "application/x-amz-json-1.1")]
        if sign:
            headers.append(("Authorization", sigv4.sign("POST", "/", headers, raw, key, secret,
                                                        "us-east-1", "cognito-idp", date)))
        conn = self.mock.connect()
        try:
            conn.request("POST", "/", body=raw, headers=dict(headers))
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    def test_pages_through_users_groups_and_members(self):
        self.mock.ctl("POST", "/_mock/users/bulk", {"generate": {
            "count": 130, "prefix": "u", "groups": ["staff"], "created_start": 1000,
            "attributes": {"email": "u{i}@example.com", "custom:uid": "{i}"}}})
        self.mock.ctl("POST", "/_mock/admin/groups", {"name": "ops", "created": 5})
        pool = self.mock.ctl("GET", "/_mock/config")["user_pool_id"]
        seen, token, pages = [], None, 0
        while True:
            body = {"UserPoolId": pool, "Limit": 60, "AttributesToGet": ["email"]}
            if token:
                body["PaginationToken"] = token
            status, out = self.call("ListUsers", body)
            self.assertEqual(status, 200, out)
            pages += 1
            seen += out["Users"]
            token = out.get("PaginationToken")
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual([u["Username"] for u in seen], ["u%d" % i for i in range(130)])
        self.assertEqual(seen[7]["Attributes"], [{"Name": "email", "Value": "u7@example.com"}])
        self.assertEqual(seen[7]["UserCreateDate"], 1007)
        self.assertTrue(seen[7]["Enabled"])
        self.assertEqual(seen[7]["UserStatus"], "CONFIRMED")

        status, out = self.call("ListGroups", {"UserPoolId": pool, "Limit": 1})
        self.assertEqual([g["GroupName"] for g in out["Groups"]], ["ops"])
        self.assertEqual(out["Groups"][0]["CreationDate"], 5)
        status, out2 = self.call("ListGroups", {"UserPoolId": pool, "NextToken": out["NextToken"]})
        self.assertEqual([g["GroupName"] for g in out2["Groups"]], ["staff"])
        self.assertNotIn("NextToken", out2)

        status, out = self.call("ListUsersInGroup", {"UserPoolId": pool, "GroupName": "staff"})
        self.assertEqual(len(out["Users"]), 60)
        self.assertIn("NextToken", out)
        status, out = self.call("ListUsersInGroup", {"UserPoolId": pool, "GroupName": "nope"})
        self.assertEqual((status, out["__type"]), (400, "ResourceNotFoundException"))

        status, out = self.call("ListUsers", {"UserPoolId": pool, "Filter": 'username = "u42"'})
        self.assertEqual([u["Username"] for u in out["Users"]], ["u42"])
        status, out = self.call("AdminGetUser", {"UserPoolId": pool, "Username": "u42"})
        self.assertEqual(status, 200)
        self.assertIn({"Name": "custom:uid", "Value": "42"}, out["UserAttributes"])

    def test_describe_user_pool_client(self):
        cfg = self.mock.ctl("GET", "/_mock/config")
        pool, client = cfg["user_pool_id"], cfg["client_id"]
        self.mock.ctl("POST", "/_mock/pool", {"explicit_auth_flows": ["USER_SRP_AUTH"],
                                              "unwritable_attributes": ["custom:uid"]})
        self.mock.ctl("POST", "/_mock/users", {"username": "x", "password": "Passw0rd!",
                                               "attributes": {"custom:ssh": "k", "custom:uid": "7"}})
        status, out = self.call("DescribeUserPoolClient", {"UserPoolId": pool, "ClientId": client})
        self.assertEqual(status, 200, out)
        c = out["UserPoolClient"]
        self.assertEqual(c["ExplicitAuthFlows"], ["ALLOW_USER_SRP_AUTH"])
        self.assertIn("preferred_username", c["WriteAttributes"])
        self.assertIn("custom:ssh", c["WriteAttributes"])
        self.assertNotIn("custom:uid", c["WriteAttributes"])
        status, out = self.call("DescribeUserPoolClient", {"UserPoolId": pool, "ClientId": "nope"})
        self.assertEqual((status, out["__type"]), (400, "ResourceNotFoundException"))
        status, out = self.call("DescribeUserPoolClient", {"UserPoolId": pool, "ClientId": client},
                                sign=False)
        self.assertEqual((status, out["__type"]), (400, "MissingAuthenticationTokenException"))

    def test_refusals(self):
        pool = self.mock.ctl("GET", "/_mock/config")["user_pool_id"]
        status, out = self.call("ListUsers", {"UserPoolId": pool}, sign=False)
        self.assertEqual((status, out["__type"]), (400, "MissingAuthenticationTokenException"))
        status, out = self.call("ListUsers", {"UserPoolId": pool}, secret="wrong-secret")
        self.assertEqual((status, out["__type"]), (400, "InvalidSignatureException"))
        status, out = self.call("ListUsers", {"UserPoolId": pool}, key="AKIAUNKNOWN000000000")
        self.assertEqual((status, out["__type"]), (400, "UnrecognizedClientException"))
        status, out = self.call("ListUsers", {"UserPoolId": "us-east-1_Other"})
        self.assertEqual((status, out["__type"]), (400, "ResourceNotFoundException"))
        status, out = self.call("ListUsers", {"UserPoolId": pool, "Limit": 61})
        self.assertEqual((status, out["__type"]), (400, "InvalidParameterException"))
        status, out = self.call("ListUsers", {"UserPoolId": pool, "PaginationToken": "garbage"})
        self.assertEqual((status, out["__type"]), (400, "InvalidParameterException"))
        self.mock.ctl("POST", "/_mock/admin/credentials",
                      {"access_key_id": "AKIASECOND000000000", "secret_access_key": "s2"})
        status, out = self.call("ListUsers", {"UserPoolId": pool}, key="AKIASECOND000000000",
                                secret="s2")
        self.assertEqual(status, 200, out)


if __name__ == "__main__":
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if result.wasSuccessful() else 1)
