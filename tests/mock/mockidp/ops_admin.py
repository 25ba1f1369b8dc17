"""The admin APIs `cognitoctl sync` reads a pool with: ListUsers,
ListGroups, ListUsersInGroup, AdminGetUser; and DescribeUserPoolClient,
which `cognitoctl check-config` reads the app client's setup with (its
ExplicitAuthFlows are the pool setting `explicit_auth_flows`, its
WriteAttributes every attribute but the setting `unwritable_attributes`). Every request must carry a
valid AWS Signature V4 for a key the mock knows (sigv4.py checks it for
real); answers and errors have Cognito's shapes.

The mock starts with one key pair (DEFAULT_ACCESS_KEY / DEFAULT_SECRET_KEY);
`POST /_mock/admin/credentials` adds others (with a session token, say).
`POST /_mock/users/bulk` makes many users in one request (a pagination test
needs more than a thousand; users without a password cost no SRP work), and
a USER's `user_create_date` (epoch seconds) sets its UserCreateDate.

Cognito's limits hold here too: at most 60 per page, and ListUsers plus
ListUsersInGroup share one UserList token bucket of 30 requests per second
(the account's quota) that answers 400 TooManyRequestsException when empty.
`POST /_mock/limits {"userlist_rps": N}` sets its rate (0: no limit) and
`GET /_mock/limits` tells the rate and how many requests were throttled.
"""

import base64
import json
import threading
import time

from . import sigv4
from .ops_selfservice import STANDARD
from .server import ApiError, control, operation

SERVICE = "cognito-idp"
DEFAULT_ACCESS_KEY = "AKIAMOCKADMIN0000001"
DEFAULT_SECRET_KEY = "mock/Admin+Secret/Key0123456789abcdefghij"
MAX_LIMIT = 60
USERLIST_RPS = 30

_LOCK = threading.RLock()


def _state(idp):
    """Per-server admin state, made on first use (keeps server.py untouched)."""
    with _LOCK:
        st = getattr(idp, "_admin_state", None)
        if st is None:
            st = {"credentials": {DEFAULT_ACCESS_KEY: {"secret_access_key": DEFAULT_SECRET_KEY,
                                                       "session_token": None}},
                  "group_created": {},
                  "bucket": {"rate": USERLIST_RPS, "tokens": float(USERLIST_RPS),
                             "t": time.monotonic(), "throttled": 0, "served": 0}}
            idp._admin_state = st
        return st


def _check(ctx, body):
    """The signature, then the pool id: AWS authenticates before anything else."""
    creds = _state(ctx.idp)["credentials"]
    try:
        sigv4.verify(ctx.method, ctx.path, list(ctx.headers.items()), ctx.raw_body, creds,
                     ctx.pool.region, SERVICE, ctx.now())
    except sigv4.SigError as exc:
        raise ApiError(exc.code, exc.message) from None
    pool_id = body.get("UserPoolId")
    if pool_id is None:
        raise ApiError("InvalidParameterException", "1 validation error detected: Value null at "
                       "'userPoolId' failed to satisfy constraint: Member must not be null")
    if pool_id != ctx.pool.pool_id:
        raise ApiError("ResourceNotFoundException", "User pool %s does not exist." % pool_id)


def _userlist_quota(ctx):
    """One token of the shared UserList bucket (ListUsers, ListUsersInGroup)."""
    with _LOCK:
        b = _state(ctx.idp)["bucket"]
        if b["rate"] <= 0:
            b["served"] += 1
            return
        now = time.monotonic()
        b["tokens"] = min(float(b["rate"]), b["tokens"] + (now - b["t"]) * b["rate"])
        b["t"] = now
        if b["tokens"] < 1.0:
            b["throttled"] += 1
            raise ApiError("TooManyRequestsException", "Too many requests")
        b["tokens"] -= 1.0
        b["served"] += 1


def _limit(body):
    limit = body.get("Limit", MAX_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= MAX_LIMIT:
        raise ApiError("InvalidParameterException",
                       "1 validation error detected: Value '%s' at 'limit' failed to satisfy "
                       "constraint: Member must have value less than or equal to 60" % limit)
    return limit or MAX_LIMIT


def _token(kind, offset):
    raw = json.dumps({"k": kind, "o": offset}).encode()
    return base64.b64encode(raw).decode()


def _offset(kind, token):
    if token is None:
        return 0
    try:
        data = json.loads(base64.b64decode(token.encode(), validate=True))
        if data["k"] == kind and isinstance(data["o"], int) and data["o"] >= 0:
            return data["o"]
    except (ValueError, KeyError, TypeError):
        pass
    raise ApiError("InvalidParameterException", "Invalid pagination token.")


def _page(kind, items, body, token_key):
    start = _offset(kind, body.get(token_key))
    limit = _limit(body)
    out = {"page": items[start:start + limit]}
    if start + limit < len(items):
        out[token_key] = _token(kind, start + limit)
    return out


def _created(user):
    value = user.extra.get("user_create_date")
    return float(value) if isinstance(value, (int, float)) else user.created


def _user_json(user, attributes_to_get=None, attr_key="Attributes"):
    attrs = [{"Name": k, "Value": v} for k, v in user.attributes.items()
             if attributes_to_get is None or k in attributes_to_get]
    return {"Username": user.username, attr_key: attrs, "UserCreateDate": _created(user),
            "UserLastModifiedDate": user.modified, "Enabled": user.enabled,
            "UserStatus": user.status}


def _users(ctx):
    """Every user, in a stable order (creation, then name) across pages."""
    with ctx.pool.lock:
        return sorted(ctx.pool.users(), key=lambda u: (_created(u), u.username))


_FILTER_FIELDS = {"username", "email", "phone_number", "name", "given_name", "family_name",
                  "preferred_username", "cognito:user_status", "status", "sub"}


def _filter(expr):
    """Cognito's Filter: `attr = "value"` or `attr ^= "prefix"`."""
    if not expr:
        return lambda user: True
    for op in ("^=", "="):
        name, sep, value = expr.partition(op)
        if sep:
            break
    name, value = name.strip(), value.strip()
    if not sep or name not in _FILTER_FIELDS or len(value) < 2 or value[0] != '"' or value[-1] != '"':
        raise ApiError("InvalidParameterException", "Error while parsing filter.")
    value = value[1:-1]

    def field(user):
        if name == "username":
            return user.username
        if name == "cognito:user_status":
            return user.status
        if name == "status":
            return "Enabled" if user.enabled else "Disabled"
        return user.attributes.get(name)

    def match(user):
        have = field(user)
        return have is not None and (have.startswith(value) if op == "^=" else have == value)
    return match


@operation("ListUsers")
def list_users(ctx, body):
    _check(ctx, body)
    _userlist_quota(ctx)
    wanted = body.get("AttributesToGet")
    if wanted is not None and not (isinstance(wanted, list) and all(isinstance(a, str) for a in wanted)):
        raise ApiError("InvalidParameterException", "AttributesToGet must be a list of names")
    match = _filter(body.get("Filter"))
    with ctx.pool.lock:
        users = [_user_json(u, wanted) for u in _users(ctx) if match(u)]
    page = _page("users", users, body, "PaginationToken")
    out = {"Users": page.pop("page")}
    out.update(page)
    return out


def _groups(ctx):
    created = _state(ctx.idp)["group_created"]
    with _LOCK:
        for g in ctx.pool.groups():
            created.setdefault(g["name"], time.time())
        snapshot = dict(created)
    groups = []
    for g in ctx.pool.groups():
        item = {"GroupName": g["name"], "UserPoolId": ctx.pool.pool_id,
                "Description": g.get("description") or "",
                "LastModifiedDate": snapshot[g["name"]], "CreationDate": snapshot[g["name"]]}
        if g.get("precedence") is not None:
            item["Precedence"] = g["precedence"]
        if g.get("role_arn"):
            item["RoleArn"] = g["role_arn"]
        groups.append(item)
    return sorted(groups, key=lambda g: (g["CreationDate"], g["GroupName"]))


@operation("ListGroups")
def list_groups(ctx, body):
    _check(ctx, body)
    page = _page("groups", _groups(ctx), body, "NextToken")
    out = {"Groups": page.pop("page")}
    out.update(page)
    return out


@operation("ListUsersInGroup")
def list_users_in_group(ctx, body):
    _check(ctx, body)
    name = body.get("GroupName")
    if not isinstance(name, str) or not name:
        raise ApiError("InvalidParameterException", "Missing required parameter GroupName")
    if ctx.pool.group(name) is None:
        raise ApiError("ResourceNotFoundException", "Group not found.")
    _userlist_quota(ctx)
    with ctx.pool.lock:
        users = [_user_json(u) for u in _users(ctx) if name in u.groups]
    page = _page("members:" + name, users, body, "NextToken")
    out = {"Users": page.pop("page")}
    out.update(page)
    return out


@operation("AdminGetUser")
def admin_get_user(ctx, body):
    _check(ctx, body)
    user = ctx.pool.get_user(body.get("Username") or "")
    if user is None:
        raise ApiError("UserNotFoundException", "User does not exist.")
    with ctx.pool.lock:
        return _user_json(user, attr_key="UserAttributes")


# Standard attributes an app client may be allowed to write (Cognito's list).
STANDARD_WRITABLE = (
    "address", "birthdate", "email", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "picture", "preferred_username",
    "profile", "updated_at", "website", "zoneinfo",
)


@operation("DescribeUserPoolClient")
def describe_user_pool_client(ctx, body):
    _check(ctx, body)
    client_id = body.get("ClientId")
    if client_id != ctx.pool.client_id:
        raise ApiError("ResourceNotFoundException", "User pool client %s does not exist." % client_id)
    unwritable = set(ctx.pool.setting("unwritable_attributes"))
    with ctx.pool.lock:
        custom = {n for u in ctx.pool.users() for n in u.attributes if n.startswith("custom:")}
    custom |= {n for n in unwritable if n.startswith("custom:")}
    writable = [n for n in list(STANDARD_WRITABLE) + sorted(custom) if n not in unwritable]
    client = {
        "UserPoolId": ctx.pool.pool_id,
        "ClientName": "mock_idp",
        "ClientId": client_id,
        # Today's names; older clients show the legacy ones (USER_PASSWORD_AUTH, ...).
        "ExplicitAuthFlows": ["ALLOW_" + f for f in ctx.pool.setting("explicit_auth_flows")],
        "WriteAttributes": writable,
        "ReadAttributes": writable + ["email_verified", "phone_number_verified"],
        "EnableTokenRevocation": ctx.pool.setting("token_revocation"),
    }
    if ctx.pool.client_secret:
        client["ClientSecret"] = ctx.pool.client_secret
    return {"UserPoolClient": client}


# -- control ---------------------------------------------------------------------

@control("GET", r"/_mock/admin/credentials")
def _ctl_credentials(idp, m, body):
    creds = _state(idp)["credentials"]
    return 200, {"credentials": [{"access_key_id": k, "secret_access_key": v["secret_access_key"],
                                  "session_token": v["session_token"]} for k, v in creds.items()]}


@control("POST", r"/_mock/admin/credentials")
def _ctl_add_credentials(idp, m, body):
    key, secret = body.get("access_key_id"), body.get("secret_access_key")
    if not isinstance(key, str) or not isinstance(secret, str) or not key or not secret:
        raise ValueError("access_key_id and secret_access_key are required")
    token = body.get("session_token")
    with _LOCK:
        _state(idp)["credentials"][key] = {"secret_access_key": secret, "session_token": token}
    return 200, {"access_key_id": key}


@control("GET", r"/_mock/limits")
def _ctl_get_limits(idp, m, body):
    with _LOCK:
        b = _state(idp)["bucket"]
        return 200, {"userlist_rps": b["rate"], "throttled": b["throttled"],
                     "served": b["served"]}


@control("POST", r"/_mock/limits")
def _ctl_limits(idp, m, body):
    """{"userlist_rps": N}: the shared UserList bucket's rate (0: off); the
    bucket starts full and the counters from zero."""
    rate = body.get("userlist_rps")
    if not isinstance(rate, int) or isinstance(rate, bool) or rate < 0:
        raise ValueError("userlist_rps must be a non-negative integer")
    with _LOCK:
        _state(idp)["bucket"] = {"rate": rate, "tokens": float(rate), "t": time.monotonic(),
                                 "throttled": 0, "served": 0}
    return 200, {"userlist_rps": rate}


@control("POST", r"/_mock/admin/groups")
def _ctl_admin_group(idp, m, body):
    """A group with a CreationDate: {"name", "created", "description", ...}."""
    created = body.pop("created", None)
    group = idp.pool.put_group(body)
    with _LOCK:
        _state(idp)["group_created"][group["name"]] = (
            float(created) if isinstance(created, (int, float)) else time.time())
    return 200, group


@control("POST", r"/_mock/users/bulk")
def _ctl_bulk_users(idp, m, body):
    """{"users": [USER, ...]} or {"generate": {"count": N, "prefix": "user",
    "start": 0, "groups": [...], "attributes": {...}, "created_start": E,
    "created_step": 1}}: many users in one request."""
    users = body.get("users") or []
    gen = body.get("generate")
    if gen is not None:
        if not isinstance(gen, dict) or not isinstance(gen.get("count"), int):
            raise ValueError("generate.count must be an integer")
        prefix = gen.get("prefix", "user")
        start = int(gen.get("start", 0))
        created = float(gen.get("created_start", time.time()))
        step = float(gen.get("created_step", 1))
        for i in range(start, start + gen["count"]):
            user = {"username": "%s%d" % (prefix, i), "groups": list(gen.get("groups") or []),
                    "attributes": {k: str(v).replace("{i}", str(i))
                                   for k, v in (gen.get("attributes") or {}).items()},
                    "user_create_date": created + (i - start) * step}
            users.append(user)
    if not isinstance(users, list):
        raise ValueError("users must be a list")
    for u in users:
        idp.pool.put_user(u)
    return 200, {"created": len(users)}
