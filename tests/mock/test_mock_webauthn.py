"""Self-test of the mock's WebAuthn relying party (mockidp/webauthn.py):
its pure-Python P-256 ECDSA verification accepts a signature made by the
openssl CLI and refuses tampered ones; its CBOR decoder reads RFC 8949's
examples. Run by tests/mock/mock_selftest.sh."""

import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mockidp import webauthn  # noqa: E402


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout


class Es256Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        key = os.path.join(cls.dir.name, "k.pem")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
        der = openssl("ec", "-in", key, "-pubout", "-outform", "DER")
        point = der[-65:]
        assert point[0] == 4
        cls.pub = (int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big"))
        cls.msg = b"authenticatorData" + hashlib.sha256(b"clientDataJSON").digest()
        msg_path = os.path.join(cls.dir.name, "m")
        with open(msg_path, "wb") as f:
            f.write(cls.msg)
        cls.sig = openssl("dgst", "-sha256", "-sign", key, msg_path)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_openssl_signature_verifies(self):
        self.assertTrue(webauthn.on_curve(self.pub))
        self.assertTrue(webauthn.es256_verify(self.pub, self.msg, self.sig))

    def test_tampered_message_fails(self):
        self.assertFalse(webauthn.es256_verify(self.pub, self.msg + b"x", self.sig))

    def test_tampered_signature_fails(self):
        bad = bytearray(self.sig)
        bad[-1] ^= 1
        self.assertFalse(webauthn.es256_verify(self.pub, self.msg, bytes(bad)))
        self.assertFalse(webauthn.es256_verify(self.pub, self.msg, b"\x30\x00"))

    def test_other_key_fails(self):
        other = webauthn._mul(12345, webauthn._G)
        self.assertFalse(webauthn.es256_verify(other, self.msg, self.sig))

    def test_point_off_curve_refused(self):
        x, y = self.pub
        self.assertFalse(webauthn.es256_verify((x, y + 1), self.msg, self.sig))


class CborTest(unittest.TestCase):
    def test_rfc8949_examples(self):
        cases = [("00", 0), ("17", 23), ("1818", 24), ("190100", 256), ("20", -1),
                 ("3863", -100), ("4401020304", b"\x01\x02\x03\x04"), ("6161", "a"),
                 ("83010203", [1, 2, 3]), ("a201020304", {1: 2, 3: 4}), ("f5", True)]
        for hexa, want in cases:
            self.assertEqual(webauthn.cbor_decode(bytes.fromhex(hexa)), (want, len(hexa) // 2))

    def test_malformed_refused(self):
        for hexa in ("5f", "44010203", "9f", "a1", "fb"):
            with self.assertRaises(ValueError):
                webauthn.cbor_decode(bytes.fromhex(hexa))


if __name__ == "__main__":
    unittest.main(verbosity=1)
