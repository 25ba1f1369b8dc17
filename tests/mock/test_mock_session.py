"""Self-test of the mock's after-the-password parts: the identity pool
(ops_identity), token revocation (ops_tokens) and device tracking with
device SRP (ops_devices).

The device half of SRP is checked two ways: the mock's server side
reproduces the reference SDK's case5 device vector (srp_vectors.json), and
a device client written here from the vectors' definitions registers a
device and signs in with it over TLS.
"""

import base64
import hashlib
import hmac
import os
import secrets
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mockidp import srp  # noqa: E402
# As a module, so that unittest does not find test_mock's own tests here.
import test_mock as tm  # noqa: E402

N, C_K, VECTORS = tm.N, tm.C_K, tm.VECTORS
c_hash_int, c_padhex = tm.c_hash_int, tm.c_padhex

IDENTITY_TARGET = "AWSCognitoIdentityService."
CASE5 = next(c for c in VECTORS["cases"] if c["name"].startswith("case5"))
REGISTRATION = next(c for c in VECTORS["cases"] if c["name"].startswith("case1"))["device_registration"]


class DeviceClient:
    """The device's half of SRP, from the vectors' notes: the group key is
    the pool name, the device key the user, the random password the
    password."""

    def __init__(self, group_key, device_key, password, a=None):
        self.group_key, self.device_key, self.password = group_key, device_key, password
        self.a = a if a is not None else secrets.randbits(1024)
        self.big_a = pow(2, self.a, N)

    @staticmethod
    def verifier_config(group_key, device_key, password, salt_bytes):
        inner = hashlib.sha256((group_key + device_key + ":" + password).encode()).digest()
        salt = int.from_bytes(salt_bytes, "big")
        v = pow(2, c_hash_int(c_padhex(salt) + inner), N)
        return {"Salt": base64.b64encode(c_padhex(salt)).decode(),
                "PasswordVerifier": base64.b64encode(c_padhex(v)).decode()}

    def claim(self, params, timestamp):
        big_b = int(params["SRP_B"], 16)
        salt = int(params["SALT"], 16)
        u = c_hash_int(c_padhex(self.big_a) + c_padhex(big_b))
        inner = hashlib.sha256((self.group_key + self.device_key + ":" + self.password).encode()).digest()
        x = c_hash_int(c_padhex(salt) + inner)
        s = pow((big_b - C_K * pow(2, x, N)) % N, self.a + u * x, N)
        prk = hmac.new(c_padhex(u), c_padhex(s), hashlib.sha256).digest()
        key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
        msg = (self.group_key.encode() + self.device_key.encode()
               + base64.b64decode(params["SECRET_BLOCK"]) + timestamp.encode())
        return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


class DeviceVectorTest(unittest.TestCase):
    def test_registration_verifier(self):
        reg = REGISTRATION
        meta = reg["NewDeviceMetadata"]
        cfg = DeviceClient.verifier_config(meta["DeviceGroupKey"], meta["DeviceKey"],
                                           reg["randomPassword_base64"],
                                           bytes.fromhex(reg["random_16_bytes_salt_hex"]))
        self.assertEqual(cfg, reg["ConfirmDevice_request"]["DeviceSecretVerifierConfig"])

    def test_server_side_reproduces_case5_device(self):
        dev = CASE5["device_srp"]
        reg = REGISTRATION
        v = int.from_bytes(base64.b64decode(
            reg["ConfirmDevice_request"]["DeviceSecretVerifierConfig"]["PasswordVerifier"]), "big")
        salt = int(dev["challenge_SALT"], 16)
        a = int(dev["device_a_hex_128_bytes"], 16)
        exchange = srp.ServerSrp(dev["device_group_key"], dev["device_key"], salt, v, pow(2, a, N),
                                 int(dev["device_server_b_hex"], 16))
        self.assertEqual(exchange.srp_b_wire, dev["challenge_SRP_B"].lstrip("0"))
        stamp = tm.timestamp_at(tm.epoch_of(CASE5["inputs"]["now_utc"]))
        want = dev["expected"]["DEVICE_PASSWORD_VERIFIER_ChallengeResponses"]
        self.assertEqual(stamp, want["TIMESTAMP"])
        block = base64.b64decode(dev["challenge_SECRET_BLOCK"])
        self.assertTrue(exchange.check_claim(block, stamp, want["PASSWORD_CLAIM_SIGNATURE"]))
        self.assertFalse(exchange.check_claim(block, stamp, base64.b64encode(b"x" * 32).decode()))


class SessionServerTest(tm.ServerTest):
    """Identity pool, revocation and devices over TLS."""

    # Only this class's tests (ServerTest's run in test_mock.py).
    def run(self, result=None):
        if not self._testMethodName.startswith("test_s_"):
            return result
        return super().run(result)

    def identity(self, op, body):
        return self.mock.call(op, body, headers={"X-Amz-Target": IDENTITY_TARGET + op})

    def tokens(self, username="alice", password="Passw0rd!", device_key=None):
        extra = {"DEVICE_KEY": device_key} if device_key else None
        _, (status, _, body) = self.login(username, password, respond_extra=extra)
        self.assertEqual(status, 200, body)
        return body

    def logins(self, id_token):
        return {"cognito-idp.us-east-1.amazonaws.com/" + self.POOL: id_token}

    def refresh(self, token, device_key=None):
        params = {"REFRESH_TOKEN": token}
        if device_key:
            params["DEVICE_KEY"] = device_key
        return self.mock.call("InitiateAuth", {"AuthFlow": "REFRESH_TOKEN_AUTH",
                                               "ClientId": self.CLIENT, "AuthParameters": params})

    # -- identity pool

    def test_s_identity_credentials(self):
        result = self.tokens()["AuthenticationResult"]
        pool_id = self.mock.ctl("GET", "/_mock/identity")["identity_pool_id"]
        self.assertRegex(pool_id, r"^us-east-1:[0-9a-f-]{36}$")
        status, _, body = self.identity("GetId", {"IdentityPoolId": pool_id,
                                                  "Logins": self.logins(result["IdToken"])})
        self.assertEqual(status, 200, body)
        identity = body["IdentityId"]
        self.assertRegex(identity, r"^us-east-1:[0-9a-f-]{36}$")
        # Stable per user.
        again = self.identity("GetId", {"IdentityPoolId": pool_id,
                                        "Logins": self.logins(result["IdToken"])})[2]
        self.assertEqual(again["IdentityId"], identity)
        status, _, body = self.identity("GetCredentialsForIdentity", {
            "IdentityId": identity, "Logins": self.logins(result["IdToken"])})
        self.assertEqual(status, 200, body)
        creds = body["Credentials"]
        self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z0-9]{16}$")
        self.assertEqual(len(creds["SecretKey"]), 40)
        self.assertIsInstance(creds["Expiration"], float)
        self.assertAlmostEqual(creds["Expiration"], time.time() + 3600, delta=10)
        issued = self.mock.ctl("GET", "/_mock/identity")["issued"]
        self.assertEqual([i["access_key_id"] for i in issued], [creds["AccessKeyId"]])

    def test_s_identity_refusals(self):
        result = self.tokens()["AuthenticationResult"]
        pool_id = self.mock.ctl("GET", "/_mock/identity")["identity_pool_id"]
        cases = [
            ({"IdentityPoolId": "us-east-1:00000000-0000-0000-0000-000000000000",
              "Logins": self.logins(result["IdToken"])}, "ResourceNotFoundException"),
            # The access token is not an ID token; no Logins is unauthenticated.
            ({"IdentityPoolId": pool_id, "Logins": self.logins(result["AccessToken"])},
             "NotAuthorizedException"),
            ({"IdentityPoolId": pool_id}, "NotAuthorizedException"),
            ({"IdentityPoolId": pool_id, "Logins": {"accounts.google.com": result["IdToken"]}},
             "NotAuthorizedException"),
        ]
        for body, code in cases:
            status, resp, err = self.identity("GetId", body)
            self.assert_error((status, resp, err), 400, code)
        # An expired token is refused with the identity service's words.
        self.mock.ctl("POST", "/_mock/clock", {"offset": 7200})
        status, resp, err = self.identity("GetId", {"IdentityPoolId": pool_id,
                                                    "Logins": self.logins(result["IdToken"])})
        self.assert_error((status, resp, err), 400, "NotAuthorizedException")
        self.assertIn("Token expired", err["message"])
        self.mock.ctl("POST", "/_mock/clock", {})
        status, resp, err = self.identity("GetCredentialsForIdentity", {
            "IdentityId": "us-east-1:00000000-0000-0000-0000-000000000000",
            "Logins": self.logins(result["IdToken"])})
        self.assert_error((status, resp, err), 400, "ResourceNotFoundException")

    # -- revocation

    def test_s_revoke_token(self):
        result = self.tokens()["AuthenticationResult"]
        status, _, body = self.refresh(result["RefreshToken"])
        self.assertEqual(status, 200, body)
        status, _, body = self.mock.call("RevokeToken", {"Token": result["RefreshToken"],
                                                         "ClientId": self.CLIENT})
        self.assertEqual((status, body), (200, {}))
        self.assert_error(self.refresh(result["RefreshToken"]), 400, "NotAuthorizedException",
                          "Refresh Token has been revoked")
        # The sign-in's access token is gone with it.
        self.assert_error(self.mock.call("GetUser", {"AccessToken": result["AccessToken"]}), 400,
                          "NotAuthorizedException", "Access Token has been revoked")
        tokens = self.mock.ctl("GET", "/_mock/tokens")
        self.assertEqual((tokens["issued"], tokens["revoked"]), (1, 1))
        self.assertNotIn(result["RefreshToken"], str(tokens))
        self.assert_error(self.mock.call("RevokeToken", {"Token": "nope", "ClientId": self.CLIENT}),
                          400, "UnsupportedTokenTypeException")

    def test_s_global_sign_out(self):
        first = self.tokens()["AuthenticationResult"]
        second = self.tokens()["AuthenticationResult"]
        status, _, body = self.mock.call("GlobalSignOut", {"AccessToken": second["AccessToken"]})
        self.assertEqual((status, body), (200, {}))
        for result in (first, second):
            self.assert_error(self.refresh(result["RefreshToken"]), 400, "NotAuthorizedException",
                              "Refresh Token has been revoked")
            self.assert_error(self.mock.call("GetUser", {"AccessToken": result["AccessToken"]}),
                              400, "NotAuthorizedException")
        # A later sign-in is not affected.
        later = self.tokens()["AuthenticationResult"]
        self.assertEqual(self.refresh(later["RefreshToken"])[0], 200)

    # -- devices

    def register(self, tracking="USER_OPT_IN"):
        """A sign-in that confirms its new device: (client, metadata, tokens)."""
        self.mock.ctl("POST", "/_mock/pool", {"device_tracking": tracking})
        result = self.tokens()["AuthenticationResult"]
        meta = result["NewDeviceMetadata"]
        self.assertRegex(meta["DeviceKey"], r"^us-east-1_[0-9a-f-]{36}$")
        self.assertRegex(meta["DeviceGroupKey"], r"^-[A-Za-z0-9]{9}$")
        password = base64.b64encode(secrets.token_bytes(40)).decode()
        cfg = DeviceClient.verifier_config(meta["DeviceGroupKey"], meta["DeviceKey"], password,
                                           secrets.token_bytes(16))
        status, _, body = self.mock.call("ConfirmDevice", {
            "AccessToken": result["AccessToken"], "DeviceKey": meta["DeviceKey"],
            "DeviceSecretVerifierConfig": cfg, "DeviceName": "host1"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"UserConfirmationNecessary": tracking == "USER_OPT_IN"})
        return (lambda: DeviceClient(meta["DeviceGroupKey"], meta["DeviceKey"], password)), meta, result

    def device_login(self, make_client, meta):
        """Password, then the device's SRP; returns the last answer."""
        _, (status, _, body) = self.login("alice", "Passw0rd!",
                                          respond_extra={"DEVICE_KEY": meta["DeviceKey"]})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["ChallengeName"], body["ChallengeParameters"]), ("DEVICE_SRP_AUTH", {}))
        client = make_client()
        status, _, body = self.mock.call("RespondToAuthChallenge", {
            "ChallengeName": "DEVICE_SRP_AUTH", "ClientId": self.CLIENT, "Session": body["Session"],
            "ChallengeResponses": {"USERNAME": "alice", "DEVICE_KEY": meta["DeviceKey"],
                                   "SRP_A": "%x" % client.big_a}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["ChallengeName"], "DEVICE_PASSWORD_VERIFIER")
        params = body["ChallengeParameters"]
        self.assertEqual(sorted(params), ["DEVICE_KEY", "SALT", "SECRET_BLOCK", "SRP_B", "USERNAME"])
        ts = tm.timestamp_now()
        return self.mock.call("RespondToAuthChallenge", {
            "ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ClientId": self.CLIENT,
            "Session": body["Session"],
            "ChallengeResponses": {"USERNAME": "alice", "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
                                   "TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": client.claim(params, ts),
                                   "DEVICE_KEY": meta["DeviceKey"]}})

    def test_s_no_tracking_no_metadata(self):
        self.assertNotIn("NewDeviceMetadata", self.tokens()["AuthenticationResult"])

    def test_s_remembered_device_skips_mfa(self):
        self.mock.ctl("POST", "/_mock/users", {
            "username": "alice", "password": "Passw0rd!", "mfa_settings": ["SMS_MFA"],
            "attributes": {"phone_number": "+15555551111"}})
        self.mock.ctl("POST", "/_mock/pool", {"device_tracking": "USER_OPT_IN"})
        # With MFA first: the device comes from an MFA sign-in.
        _, (status, _, ch) = self.login("alice", "Passw0rd!")
        self.assertEqual(ch["ChallengeName"], "SMS_MFA")
        code = self.mock.ctl("GET", "/_mock/codes/alice")["latest"]["SMS_MFA"]
        status, _, body = self.mock.call("RespondToAuthChallenge", {
            "ChallengeName": "SMS_MFA", "ClientId": self.CLIENT, "Session": ch["Session"],
            "ChallengeResponses": {"USERNAME": "alice", "SMS_MFA_CODE": code}})
        result = body["AuthenticationResult"]
        meta = result["NewDeviceMetadata"]
        password = "device-password-1"
        cfg = DeviceClient.verifier_config(meta["DeviceGroupKey"], meta["DeviceKey"], password, b"\x80" * 16)
        self.assertEqual(self.mock.call("ConfirmDevice", {
            "AccessToken": result["AccessToken"], "DeviceKey": meta["DeviceKey"],
            "DeviceSecretVerifierConfig": cfg})[2], {"UserConfirmationNecessary": True})
        make = lambda: DeviceClient(meta["DeviceGroupKey"], meta["DeviceKey"], password)  # noqa: E731
        # Tracked but not remembered: the device proves itself, MFA still follows.
        status, _, body = self.device_login(make, meta)
        self.assertEqual((status, body.get("ChallengeName")), (200, "SMS_MFA"), body)
        status, _, _ = self.mock.call("UpdateDeviceStatus", {
            "AccessToken": result["AccessToken"], "DeviceKey": meta["DeviceKey"],
            "DeviceRememberedStatus": "remembered"})
        self.assertEqual(status, 200)
        status, _, body = self.device_login(make, meta)
        self.assertEqual(status, 200, body)
        self.assertIn("AuthenticationResult", body)
        self.assertNotIn("NewDeviceMetadata", body["AuthenticationResult"])
        # Its refresh token is the device's.
        rt = body["AuthenticationResult"]["RefreshToken"]
        self.assert_error(self.refresh(rt), 400, "NotAuthorizedException")
        self.assertEqual(self.refresh(rt, meta["DeviceKey"])[0], 200)
        dev = self.mock.ctl("GET", "/_mock/devices/alice")["devices"][0]
        self.assertEqual((dev["remembered"], dev["authentications"]), (True, 2))
        # A wrong device password is refused.
        wrong = lambda: DeviceClient(meta["DeviceGroupKey"], meta["DeviceKey"], "not-it")  # noqa: E731
        self.assert_error(self.device_login(wrong, meta), 400, "NotAuthorizedException")

    def test_s_device_api(self):
        make, meta, result = self.register("ALWAYS")
        access = result["AccessToken"]
        status, _, body = self.device_login(make, meta)
        self.assertIn("AuthenticationResult", body)
        status, _, body = self.mock.call("GetDevice", {"AccessToken": access, "DeviceKey": meta["DeviceKey"]})
        self.assertEqual(status, 200, body)
        attrs = {a["Name"]: a["Value"] for a in body["Device"]["DeviceAttributes"]}
        self.assertEqual((attrs["device_name"], attrs["dev:device_remembered_status"]), ("host1", "remembered"))
        # Two more devices, listed a page at a time.
        self.register("ALWAYS")
        other = self.register("ALWAYS")[2]["AccessToken"]
        status, _, page = self.mock.call("ListDevices", {"AccessToken": access, "Limit": 2})
        self.assertEqual((status, len(page["Devices"])), (200, 2), page)
        status, _, rest = self.mock.call("ListDevices", {"AccessToken": access, "Limit": 2,
                                                         "PaginationToken": page["PaginationToken"]})
        self.assertEqual((len(rest["Devices"]), "PaginationToken" in rest), (1, False))
        self.assertEqual(page["Devices"][0]["DeviceKey"], meta["DeviceKey"])
        # Forgotten: a sign-in with its key is refused after the password,
        # and its refresh tokens die with it.
        self.assertEqual(self.mock.call("ForgetDevice", {"AccessToken": access,
                                                         "DeviceKey": meta["DeviceKey"]})[0], 200)
        client, _, _, ch = self.initiate("alice")
        params, ts = ch["ChallengeParameters"], tm.timestamp_now()
        signature = client.claim(params, "Passw0rd!", ts)
        self.assert_error(self.respond(params, signature, ts, session=ch["Session"],
                                       extra={"DEVICE_KEY": meta["DeviceKey"]}),
                          400, "ResourceNotFoundException", "Device does not exist.")
        # ...before the claim is spent: the SDK answers again without the key.
        status, _, body = self.respond(params, signature, ts, session=ch["Session"])
        self.assertEqual(status, 200, body)
        self.assertIn("AuthenticationResult", body)
        self.assert_error(self.refresh(result["RefreshToken"], meta["DeviceKey"]), 400,
                          "NotAuthorizedException")
        self.assert_error(self.mock.call("GetUser", {"AccessToken": access}), 400,
                          "NotAuthorizedException", "Access Token has been revoked")
        self.assert_error(self.mock.call("GetDevice", {"AccessToken": other,
                                                       "DeviceKey": meta["DeviceKey"]}), 400,
                          "ResourceNotFoundException")


if __name__ == "__main__":
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if result.wasSuccessful() else 1)
