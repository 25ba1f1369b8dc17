"""The user pool: users, groups, pool settings and sign-in sessions.

One lock guards everything, since the HTTP server runs one thread per
connection and tests poke the control API while logins are under way.
The state is small, so the lock is held for whole lookups and updates;
callers get copies or objects they then only read.

Passwords are turned into a salt and an SRP verifier as soon as they
arrive and are never kept, as in Cognito: the mock cannot "compare the
password", it can only run SRP (or recompute the verifier for
USER_PASSWORD_AUTH).
"""

import copy
import secrets
import threading
import time
import uuid

from . import srp

# Every pool setting with its default. The control API refuses unknown
# names so a misspelt setting in a test fails loudly instead of silently
# testing the default. A later part adds its settings here.
DEFAULT_SETTINGS = {
    # Cognito's PreventUserExistenceErrors: unknown users look like a wrong
    # password (and USER_SRP_AUTH still gets a PASSWORD_VERIFIER challenge).
    "prevent_user_existence_errors": False,
    # New Cognito pools match usernames (and aliases) case-insensitively.
    "username_case_sensitive": False,
    # Attributes whose value signs a user in like the username does.
    "alias_attributes": ["email", "preferred_username"],
    # The app client's ExplicitAuthFlows.
    "explicit_auth_flows": [
        "USER_SRP_AUTH", "USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH",
        "CUSTOM_AUTH", "ADMIN_USER_PASSWORD_AUTH",
    ],
    # USER_AUTH (ops_userauth.py): the pool's AllowedFirstAuthFactors, and
    # the app client's RefreshTokenRotation (Feature, RetryGracePeriodSeconds).
    "allowed_first_auth_factors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"],
    "refresh_token_rotation": False,
    "refresh_token_grace": 0,
    # How long a Session / SECRET_BLOCK is good for (Cognito: 3 minutes).
    "session_ttl": 180,
    # How far TIMESTAMP in a PASSWORD_VERIFIER answer may be from now.
    "timestamp_skew": 300,
    # Whether the PASSWORD_VERIFIER challenge carries a Session; clients
    # must cope with both (the SDK forwards whatever it got).
    "password_verifier_session": True,
    # Lifetimes of ID/access tokens and of refresh tokens, in seconds.
    "token_ttl": 3600,
    "refresh_token_ttl": 30 * 86400,
    # When set, "__type" is "<namespace>#<Code>" as other AWS services
    # send it; Cognito itself sends the bare code.
    "error_namespace": "",
    # Cognito's MfaConfiguration: OFF, OPTIONAL (users who set MFA up get
    # it) or ON (users without MFA get MFA_SETUP at sign-in).
    "mfa_configuration": "OPTIONAL",
    # What MFA_SETUP offers (MFAS_CAN_SETUP).
    "mfa_can_setup": ["SOFTWARE_TOKEN_MFA"],
    # Wrong MFA codes one Session takes; the last one ends the Session.
    "mfa_code_attempts": 3,
    # The pool's password policy, checked wherever a new password is set.
    "password_policy": {"min_length": 8, "require_uppercase": True, "require_lowercase": True,
                        "require_numbers": True, "require_symbols": True},
    # Attributes a user must give with NEW_PASSWORD_REQUIRED when unset.
    "required_attributes": [],
    # Spoils the ID token of every sign-in (see badtokens.py): tests of a
    # client's token checks.
    "token_fault": "",
    # The app client's EnableTokenRevocation (RevokeToken works only with it).
    "token_revocation": True,
    # Cognito's device tracking (ops_devices.py): OFF; ALWAYS (every
    # confirmed device is remembered); USER_OPT_IN (remembered only after
    # UpdateDeviceStatus "remembered").
    "device_tracking": "OFF",
    # Whether a remembered device that proved itself skips MFA (what
    # remembering a device is for).
    "remembered_device_skips_mfa": True,
    # The identity pool (ops_identity.py): its id ("" = "<region>:" + a
    # fixed UUID) and how long the AWS credentials it hands out last.
    "identity_pool_id": "",
    "identity_credentials_ttl": 3600,
    # Attributes the app client may not write (its WriteAttributes lack
    # them): SignUp and UpdateUserAttributes refuse them
    # (ops_selfservice.py). Immutable ones (sub, ...) are never writable.
    "unwritable_attributes": [],
}

# Settings whose value must be one of a few strings; a module that adds
# such a setting adds its choices here.
SETTING_CHOICES = {
    "mfa_configuration": ("OFF", "OPTIONAL", "ON"),
    "device_tracking": ("OFF", "ALWAYS", "USER_OPT_IN"),
}

USER_STATUSES = (
    "CONFIRMED", "UNCONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED",
    "ARCHIVED", "COMPROMISED", "UNKNOWN", "EXTERNAL_PROVIDER",
)

# Fields of a USER object the pool understands; any other field is kept
# verbatim in `extra` so a later part (MFA settings, devices, ...) can
# read its own fields without changing this module.
_USER_FIELDS = {
    "username", "password", "salt", "verifier", "attributes", "groups",
    "status", "enabled", "sub", "aliases", "next_challenges",
}


class PoolError(ValueError):
    """A control-API request that cannot be carried out (bad USER)."""


class Clock:
    """Wall clock with an offset or a pinned time, so tests can replay a
    vector's TIMESTAMP or age tokens without sleeping."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pinned = None
        self._offset = 0.0

    def now(self):
        with self._lock:
            if self._pinned is not None:
                return self._pinned
            return time.time() + self._offset

    def set(self, now=None, offset=None):
        with self._lock:
            self._pinned = float(now) if now is not None else None
            self._offset = float(offset) if offset is not None else 0.0

    def describe(self):
        with self._lock:
            return {"now": self._pinned if self._pinned is not None
                    else time.time() + self._offset,
                    "pinned": self._pinned is not None, "offset": self._offset}


class User:
    """A pool user as stored. Mutated only under the pool lock."""

    def __init__(self, username, sub, attributes, groups, status, enabled,
                 salt, verifier, aliases, next_challenges, extra):
        self.username = username
        self.sub = sub
        self.attributes = attributes
        self.groups = groups
        self.status = status
        self.enabled = enabled
        self.salt = salt            # int, or None for a user without a password
        self.salt_wire = None       # the SALT string sent, when given explicitly
        self.verifier = verifier    # int, or None
        self.aliases = aliases
        self.next_challenges = next_challenges
        self.extra = extra
        self.created = self.modified = time.time()

    def to_json(self):
        out = {
            "username": self.username,
            "sub": self.sub,
            "attributes": dict(self.attributes),
            "groups": list(self.groups),
            "status": self.status,
            "enabled": self.enabled,
            "salt": self.salt_hex(),
            "verifier": format(self.verifier, "x") if self.verifier is not None else None,
            "aliases": list(self.aliases),
            "next_challenges": list(self.next_challenges),
            "created": self.created,
            "modified": self.modified,
        }
        for k, v in self.extra.items():
            out.setdefault(k, copy.deepcopy(v))
        return out

    def salt_hex(self):
        if self.salt is None:
            return None
        return self.salt_wire if self.salt_wire is not None else srp.salt_to_wire(self.salt)


class AuthSession:
    """One sign-in between InitiateAuth and its tokens: who, which
    challenge is expected next, and what the remaining steps are."""

    def __init__(self, token, username, client_id, expected, created, ttl):
        self.token = token
        self.username = username        # the user's real username, or None (fake)
        self.client_id = client_id
        self.expected = expected        # ChallengeName the next answer must name
        self.created = created
        self.expires = created + ttl
        self.pending = []               # challenge names still to issue
        self.state = {}                 # per-challenge data (SRP, codes, ...)
        self.auth_time = None


def _new_session_token():
    # Real sessions are ~900 opaque characters; a client with a small
    # fixed buffer should find out here, not in production.
    return "AYABe" + secrets.token_urlsafe(480)


class Pool:
    def __init__(self, pool_id, client_id, client_secret=None, region=None):
        self.pool_id = pool_id
        self.pool_name = srp.pool_name_of(pool_id)
        self.region = region or pool_id.split("_", 1)[0]
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = Clock()
        self.lock = threading.RLock()
        self._users = {}
        self._groups = {}
        self._settings = copy.deepcopy(DEFAULT_SETTINGS)
        self._base_settings = copy.deepcopy(DEFAULT_SETTINGS)
        self._sessions = {}
        self._refresh_tokens = {}
        self._srp_pins = []
        self._outbox = []
        # State of the parts that add services (devices, identities), by
        # name; emptied by reset() with the rest. Use under self.lock.
        self.ext = {}

    # -- settings ---------------------------------------------------------

    def settings(self):
        with self.lock:
            return copy.deepcopy(self._settings)

    def setting(self, name):
        with self.lock:
            return copy.deepcopy(self._settings[name])

    def update_settings(self, changes):
        if not isinstance(changes, dict):
            raise PoolError("settings must be a JSON object")
        unknown = sorted(set(changes) - set(DEFAULT_SETTINGS))
        if unknown:
            raise PoolError("unknown pool setting(s): " + ", ".join(unknown))
        for name, value in changes.items():
            want = type(DEFAULT_SETTINGS[name])
            if want is int and isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                raise PoolError("pool setting %s must be %s" % (name, want.__name__))
            choices = SETTING_CHOICES.get(name)
            if choices is not None and value not in choices:
                raise PoolError("pool setting %s must be one of %s" % (
                    name, ", ".join(c or "\"\"" for c in choices)))
        with self.lock:
            self._settings.update(copy.deepcopy(changes))
            return copy.deepcopy(self._settings)

    # -- users ------------------------------------------------------------

    def _key(self, name):
        if self._settings["username_case_sensitive"]:
            return name
        return name.casefold()

    def put_user(self, obj):
        """Creates or replaces a user from a USER object; returns its JSON."""
        if not isinstance(obj, dict):
            raise PoolError("USER must be a JSON object")
        username = obj.get("username")
        if not isinstance(username, str) or not username:
            raise PoolError("USER.username must be a non-empty string")
        attributes = obj.get("attributes") or {}
        if not isinstance(attributes, dict) or not all(
                isinstance(k, str) and isinstance(v, (str, bool, int)) for k, v in attributes.items()):
            raise PoolError("USER.attributes must map names to strings")
        attributes = {k: (("true" if v else "false") if isinstance(v, bool) else str(v))
                      for k, v in attributes.items()}
        groups = obj.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise PoolError("USER.groups must be a list of names")
        status = obj.get("status", "CONFIRMED")
        if status not in USER_STATUSES:
            raise PoolError("USER.status must be one of " + ", ".join(USER_STATUSES))
        enabled = obj.get("enabled", True)
        if not isinstance(enabled, bool):
            raise PoolError("USER.enabled must be true or false")
        aliases = obj.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise PoolError("USER.aliases must be a list of strings")
        next_challenges = obj.get("next_challenges") or []
        if not isinstance(next_challenges, list) or not all(
                isinstance(c, str) for c in next_challenges):
            raise PoolError("USER.next_challenges must be a list of challenge names")
        sub = obj.get("sub") or attributes.get("sub") or str(uuid.uuid4())
        attributes["sub"] = sub
        if "email" in attributes:
            # A signed-up user has confirmed their email; say so unless told.
            attributes.setdefault("email_verified", "true")

        salt_wire = obj.get("salt")
        salt = verifier = None
        if salt_wire is not None:
            try:
                salt = srp.parse_hex_int(salt_wire, "salt")
            except srp.SrpError as exc:
                raise PoolError("USER.salt must be hex") from exc
        password = obj.get("password")
        if password is not None:
            if not isinstance(password, str):
                raise PoolError("USER.password must be a string")
            if salt is None:
                salt = srp.new_salt()
            verifier = srp.compute_verifier(self.pool_name, username, password, salt)
        elif obj.get("verifier") is not None:
            if salt is None:
                raise PoolError("USER.verifier needs USER.salt")
            try:
                verifier = srp.parse_hex_int(obj["verifier"], "verifier")
            except srp.SrpError as exc:
                raise PoolError("USER.verifier must be hex") from exc

        extra = {k: copy.deepcopy(v) for k, v in obj.items() if k not in _USER_FIELDS}
        user = User(username, sub, attributes, list(groups), status, enabled,
                    salt, verifier, list(aliases), list(next_challenges), extra)
        if salt_wire is not None:
            user.salt_wire = salt_wire
        with self.lock:
            old = self._users.get(self._key(username))
            if old is not None:
                user.created = old.created
            self._users[self._key(username)] = user
            for g in groups:
                self._groups.setdefault(g, {"name": g, "description": "",
                                            "precedence": None, "role_arn": None})
            return user.to_json()

    def delete_user(self, username):
        with self.lock:
            return self._users.pop(self._key(username), None) is not None

    def get_user(self, username):
        """The user whose username is exactly this (modulo case)."""
        with self.lock:
            return self._users.get(self._key(username))

    def find_user(self, typed):
        """The user a typed sign-in name means: the username itself, an
        explicit alias, or the value of an alias attribute (email,
        preferred_username). USER_ID_FOR_SRP is always the username."""
        if not isinstance(typed, str) or not typed:
            return None
        with self.lock:
            user = self._users.get(self._key(typed))
            if user is not None:
                return user
            want = self._key(typed)
            alias_attrs = self._settings["alias_attributes"]
            for user in self._users.values():
                names = list(user.aliases)
                names += [user.attributes[a] for a in alias_attrs if a in user.attributes]
                if any(self._key(n) == want for n in names):
                    return user
            return None

    def users(self):
        with self.lock:
            return list(self._users.values())

    def set_user_fields(self, username, **fields):
        """Updates a stored user in place (status, enabled, ...)."""
        with self.lock:
            user = self._users.get(self._key(username))
            if user is None:
                return None
            for k, v in fields.items():
                setattr(user, k, v)
            user.modified = time.time()
            return user

    def set_password(self, username, password):
        with self.lock:
            user = self._users.get(self._key(username))
            if user is None:
                return False
            user.salt = srp.new_salt()
            user.salt_wire = None
            user.verifier = srp.compute_verifier(self.pool_name, user.username, password, user.salt)
            user.modified = time.time()
            return True

    def check_password(self, user, password):
        """USER_PASSWORD_AUTH: recompute the verifier from the stored salt."""
        if user.verifier is None or user.salt is None:
            return False
        v = srp.compute_verifier(self.pool_name, user.username, password, user.salt)
        return secrets.compare_digest(format(v, "x"), format(user.verifier, "x"))

    # -- groups -----------------------------------------------------------

    def put_group(self, obj):
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not obj["name"]:
            raise PoolError("GROUP.name must be a non-empty string")
        group = {"name": obj["name"], "description": obj.get("description", ""),
                 "precedence": obj.get("precedence"), "role_arn": obj.get("role_arn")}
        with self.lock:
            self._groups[group["name"]] = group
            return dict(group)

    def groups(self):
        with self.lock:
            return [dict(g) for g in self._groups.values()]

    def group(self, name):
        with self.lock:
            g = self._groups.get(name)
            return dict(g) if g else None

    # -- sign-in sessions -------------------------------------------------

    def new_session(self, username, client_id, expected, token=None):
        """A fresh AuthSession expecting the answer to `expected`."""
        now = self.clock.now()
        with self.lock:
            self._expire(now)
            sess = AuthSession(token or _new_session_token(), username, client_id,
                               expected, now, self._settings["session_ttl"])
            self._sessions[sess.token] = sess
            return sess

    def rekey_session(self, sess, expected, token=None):
        """Moves a session to a new token for its next challenge, as
        Cognito hands out a new Session string with every challenge."""
        now = self.clock.now()
        with self.lock:
            self._sessions.pop(sess.token, None)
            sess.token = token or _new_session_token()
            sess.expected = expected
            sess.expires = now + self._settings["session_ttl"]
            self._sessions[sess.token] = sess
            return sess

    def session(self, token):
        """(session, None), or (None, reason) with reason "invalid" or
        "expired"."""
        now = self.clock.now()
        with self.lock:
            sess = self._sessions.get(token) if isinstance(token, str) else None
            if sess is None:
                return None, "invalid"
            if now > sess.expires:
                del self._sessions[token]
                return None, "expired"
            return sess, None

    def drop_session(self, sess):
        """Removes sess; False when it was already gone, which lets a
        single-use step refuse the second of two racing answers."""
        with self.lock:
            return self._sessions.pop(sess.token, None) is not None

    def find_session(self, predicate):
        """The live session matching predicate (e.g. by SECRET_BLOCK)."""
        now = self.clock.now()
        with self.lock:
            for sess in self._sessions.values():
                if predicate(sess):
                    return (sess, None) if now <= sess.expires else (None, "expired")
            return None, "invalid"

    def _expire(self, now):
        for token in [t for t, s in self._sessions.items() if now > s.expires + 60]:
            del self._sessions[token]

    # -- refresh tokens ---------------------------------------------------

    def add_refresh_token(self, token, username, client_id, origin_jti=None, device_key=None):
        """Records a refresh token: whose, for which client, from which
        sign-in (origin_jti, shared by every token that sign-in and its
        refreshes issue) and for which device, if any."""
        now = self.clock.now()
        with self.lock:
            self._refresh_tokens[token] = {
                "username": username, "client_id": client_id, "issued": now,
                "expires": now + self._settings["refresh_token_ttl"], "revoked": False,
                "origin_jti": origin_jti, "device_key": device_key,
            }

    def refresh_token(self, token):
        with self.lock:
            rec = self._refresh_tokens.get(token) if isinstance(token, str) else None
            return dict(rec) if rec else None

    def bind_refresh_token(self, token, device_key):
        with self.lock:
            if token in self._refresh_tokens:
                self._refresh_tokens[token]["device_key"] = device_key

    def revoke_refresh_tokens(self, username=None, token=None, device_key=None):
        """Revokes one token, every token of a user, or every token of a
        device; returns how many were live."""
        n = 0
        with self.lock:
            for t, rec in self._refresh_tokens.items():
                if (t == token or (username is not None and rec["username"] == username) or
                        (device_key is not None and rec["device_key"] == device_key)):
                    n += 0 if rec["revoked"] else 1
                    rec["revoked"] = True
        return n

    def revoked_origins(self):
        """origin_jti of every revoked refresh token: the access tokens of
        those sign-ins are revoked with them."""
        with self.lock:
            return {rec["origin_jti"] for rec in self._refresh_tokens.values()
                    if rec["revoked"] and rec["origin_jti"]}

    def refresh_tokens(self):
        """The records (not the tokens), for the control API."""
        with self.lock:
            return [dict(rec) for rec in self._refresh_tokens.values()]

    # -- messages Cognito would send (SMS, email) --------------------------

    def send_code(self, username, kind, medium, destination, code):
        """Records a code "sent" to a user, as Cognito would text or mail
        it; tests read it back through the control API."""
        with self.lock:
            self._outbox.append({"username": username, "kind": kind, "medium": medium,
                                 "destination": destination, "code": code,
                                 "time": self.clock.now(), "used": False})

    def sent_codes(self, username):
        with self.lock:
            key = self._key(username)
            return [dict(m) for m in self._outbox if self._key(m["username"]) == key]

    def check_code(self, username, kind, code, ttl):
        """A code of `kind` sent to username: "ok" (it is then used up),
        "expired", or "mismatch". Only the latest code of a kind counts,
        as with Cognito when a code is sent again."""
        now = self.clock.now()
        key = self._key(username)
        with self.lock:
            latest = None
            for m in self._outbox:
                if self._key(m["username"]) == key and m["kind"] == kind:
                    latest = m
            if latest is None or latest["used"] or not secrets.compare_digest(
                    latest["code"].encode(), code.encode()):
                return "mismatch"
            if now > latest["time"] + ttl:
                return "expired"
            latest["used"] = True
            return "ok"

    # -- test pins --------------------------------------------------------

    def pin_srp(self, pin):
        """Queues fixed b / SECRET_BLOCK / Session for the next
        USER_SRP_AUTH, so a known-answer vector replays byte for byte."""
        with self.lock:
            self._srp_pins.append(dict(pin))

    def take_srp_pin(self):
        with self.lock:
            return self._srp_pins.pop(0) if self._srp_pins else None

    # -- whole pool -------------------------------------------------------

    def reset(self):
        """Back to the state at start-up minus the seed's users: no users,
        groups, sessions, tokens or pins; settings as the seed left them;
        the real clock. Lets one server serve many independent tests."""
        self.clock.set()
        with self.lock:
            self._settings = copy.deepcopy(self._base_settings)
            self._users.clear()
            self._groups.clear()
            self._sessions.clear()
            self._refresh_tokens.clear()
            self._srp_pins.clear()
            self._outbox.clear()
            self.ext.clear()

    def load_seed(self, seed):
        if not isinstance(seed, dict):
            raise PoolError("seed must be a JSON object")
        if seed.get("pool"):
            self.update_settings(seed["pool"])
            with self.lock:
                self._base_settings = copy.deepcopy(self._settings)
        for g in seed.get("groups") or []:
            self.put_group(g if isinstance(g, dict) else {"name": g})
        for u in seed.get("users") or []:
            self.put_user(u)
