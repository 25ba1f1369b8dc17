"""CloudTrail for the mock pool: the incremental export's source of what
changed (issue 14's stretch).

The pool's user and group writes (pool.put_user, delete_user, put_group,
which the control API and bulk creation go through) are recorded as
CloudTrail management events of cognito-idp.amazonaws.com, shaped like the
real records (docs.aws.amazon.com, "Example Amazon Cognito events"):
requestParameters carries userPoolId and the username, which Cognito masks
as HIDDEN_DUE_TO_SECURITY_REASONS in most user events; additionalEventData
carries the user's sub. The mock masks the username on user creation,
update and deletion (the sub names the user) and leaves it in clear on group
membership changes (no sub), so a client has to handle both.

LookupEvents is served on the same server (X-Amz-Target
com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents, SigV4
service "cloudtrail", the admin APIs' keys): LookupAttributes EventSource,
StartTime <= EventTime < EndTime, newest first, MaxResults <= 50, NextToken,
and a 2 requests-per-second bucket answering ThrottlingException, as the
real API's quota.

AdminListGroupsForUser (a user's groups) lives here too: the incremental
export reads it for each user it reads again.

Control:
  GET  /_mock/cloudtrail          {"events": N, "lookups": N, "throttled": N}
  POST /_mock/cloudtrail/clear    forget the events (as if they were older than the test)
  POST /_mock/cloudtrail/events   {"name": ..., "record": {...}, "time": E}: one raw event
"""

import collections
import json
import threading
import time

from . import ops_admin, sigv4
from .pool import Pool
from .server import ApiError, control, operation

SERVICE = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
SOURCE = "cognito-idp.amazonaws.com"
MASK = "HIDDEN_DUE_TO_SECURITY_REASONS"
LOOKUP_RPS = 2
MAX_RESULTS = 50
# The mock's retention (CloudTrail keeps 90 days): the oldest events go first.
MAX_EVENTS = 500000

_LOCK = threading.RLock()


def _trail(pool):
    with _LOCK:
        t = getattr(pool, "_cloudtrail", None)
        if t is None:
            t = {"events": collections.deque(maxlen=MAX_EVENTS), "seq": 0, "lookups": 0, "throttled": 0,
                 "bucket": {"tokens": float(LOOKUP_RPS), "t": time.monotonic()}}
            pool._cloudtrail = t
        return t


def record(pool, name, params=None, extra=None, when=None, raw=None):
    """Appends one event; raw replaces the whole record (tests of odd ones).
    Kept compact (a tuple; the record is built when LookupEvents serves it):
    a bulk set-up of many users must not cost kilobytes each."""
    when = pool.clock.now() if when is None else when
    with _LOCK:
        t = _trail(pool)
        t["seq"] += 1
        t["events"].append((when, name, params, extra, raw, t["seq"]))


def _full_record(pool, ev):
    when, name, params, extra, raw, seq = ev
    if raw is not None:
        return raw
    event_id = "%08x-0000-4000-8000-%012x" % (int(when), seq)
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": "123456789012",
                         "userName": "mock-admin"},
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
        "eventSource": SOURCE,
        "eventName": name,
        "awsRegion": pool.region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "mock_idp",
        "requestParameters": dict({"userPoolId": pool.pool_id}, **(params or {})),
        "responseElements": None,
        "additionalEventData": extra or {},
        "requestID": event_id,
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
    }


# -- the pool's writes, recorded -------------------------------------------------
# Wrapping Pool's methods keeps pool.py unaware of CloudTrail.

_put_user, _delete_user, _put_group = Pool.put_user, Pool.delete_user, Pool.put_group


def _put_user_recorded(self, obj):
    name = obj.get("username") if isinstance(obj, dict) else None
    old = self.get_user(name) if isinstance(name, str) and name else None
    with self.lock:
        before = (set(old.groups), dict(old.attributes), old.status, old.enabled) if old else None
    out = _put_user(self, obj)
    sub = out["sub"]
    if before is None:
        record(self, "AdminCreateUser", {"username": MASK, "userAttributes": MASK},
               {"sub": sub})
        added, removed = set(out["groups"]), set()
    else:
        if (before[1], before[2], before[3]) != (out["attributes"], out["status"], out["enabled"]):
            record(self, "AdminUpdateUserAttributes",
                   {"username": MASK, "userAttributes": MASK}, {"sub": sub})
        added, removed = set(out["groups"]) - before[0], before[0] - set(out["groups"])
    for g in sorted(added):
        record(self, "AdminAddUserToGroup", {"username": out["username"], "groupName": g})
    for g in sorted(removed):
        record(self, "AdminRemoveUserFromGroup", {"username": out["username"], "groupName": g})
    return out


def _delete_user_recorded(self, username):
    old = self.get_user(username)
    sub = old.sub if old is not None else None
    gone = _delete_user(self, username)
    if gone:
        record(self, "AdminDeleteUser", {"username": MASK}, {"sub": sub})
    return gone


def _put_group_recorded(self, obj):
    known = isinstance(obj, dict) and self.group(obj.get("name") or "") is not None
    out = _put_group(self, obj)
    record(self, "UpdateGroup" if known else "CreateGroup", {"groupName": out["name"]})
    return out


Pool.put_user, Pool.delete_user, Pool.put_group = (
    _put_user_recorded, _delete_user_recorded, _put_group_recorded)


# -- LookupEvents ------------------------------------------------------------------

def _verify(ctx):
    creds = ops_admin._state(ctx.idp)["credentials"]
    try:
        sigv4.verify(ctx.method, ctx.path, list(ctx.headers.items()), ctx.raw_body, creds,
                     ctx.pool.region, "cloudtrail", ctx.now())
    except sigv4.SigError as exc:
        raise ApiError(exc.code, exc.message) from None


def _quota(trail):
    with _LOCK:
        b = trail["bucket"]
        now = time.monotonic()
        b["tokens"] = min(float(LOOKUP_RPS), b["tokens"] + (now - b["t"]) * LOOKUP_RPS)
        b["t"] = now
        if b["tokens"] < 1.0:
            trail["throttled"] += 1
            raise ApiError("ThrottlingException", "Rate exceeded")
        b["tokens"] -= 1.0
        trail["lookups"] += 1


def _number(body, key, default):
    v = body.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ApiError("InvalidTimeRangeException" if key.endswith("Time") else
                       "InvalidParameterException", "%s must be a number" % key)
    return v


@operation("LookupEvents", service=SERVICE)
def lookup_events(ctx, body):
    _verify(ctx)
    trail = _trail(ctx.pool)
    _quota(trail)
    attrs = body.get("LookupAttributes") or []
    if not isinstance(attrs, list) or len(attrs) > 1:
        raise ApiError("InvalidLookupAttributesException", "at most one lookup attribute")
    source = None
    for a in attrs:
        if not isinstance(a, dict) or a.get("AttributeKey") not in ("EventSource", "EventName"):
            raise ApiError("InvalidLookupAttributesException", "unsupported lookup attribute")
        source = (a["AttributeKey"], a.get("AttributeValue"))
    start = _number(body, "StartTime", 0)
    end = _number(body, "EndTime", ctx.now())
    if start > end:
        raise ApiError("InvalidTimeRangeException", "StartTime is after EndTime")
    limit = body.get("MaxResults", MAX_RESULTS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise ApiError("InvalidMaxResultsException", "MaxResults must be 1 to 50")
    with _LOCK:
        events = [e for e in trail["events"] if start <= e[0] < end and
                  (source is None or
                   (source[0] == "EventSource" and source[1] == SOURCE) or
                   (source[0] == "EventName" and source[1] == e[1]))]
    events.sort(key=lambda e: (-e[0], -e[5]))
    token = body.get("NextToken")
    offset = 0
    if token is not None:
        try:
            offset = int(token.split(":", 1)[1])
            assert token.startswith("ct:") and 0 <= offset <= len(events)
        except (AttributeError, ValueError, IndexError, AssertionError):
            raise ApiError("InvalidNextTokenException", "Invalid NextToken") from None
    page = [(e, _full_record(ctx.pool, e)) for e in events[offset:offset + limit]]
    out = {"Events": [{"EventId": rec.get("eventID") or str(e[5]), "EventName": e[1],
                       "ReadOnly": "false", "EventTime": e[0], "EventSource": SOURCE,
                       "Username": "mock-admin", "Resources": [],
                       "CloudTrailEvent": json.dumps(rec)} for e, rec in page]}
    if offset + limit < len(events):
        out["NextToken"] = "ct:%d" % (offset + limit)
    return out


# -- a user's groups ---------------------------------------------------------------

@operation("AdminListGroupsForUser")
def admin_list_groups_for_user(ctx, body):
    ops_admin._check(ctx, body)
    user = ctx.pool.get_user(body.get("Username") or "")
    if user is None:
        raise ApiError("UserNotFoundException", "User does not exist.")
    with ctx.pool.lock:
        names = sorted(user.groups)
    groups = [g for g in ops_admin._groups(ctx) if g["GroupName"] in names]
    page = ops_admin._page("groups-of:" + user.username, groups, body, "NextToken")
    out = {"Groups": page.pop("page")}
    out.update(page)
    return out


# -- control -----------------------------------------------------------------------

@control("GET", r"/_mock/cloudtrail")
def _ctl_trail(idp, m, body):
    t = _trail(idp.pool)
    with _LOCK:
        return 200, {"events": len(t["events"]), "lookups": t["lookups"],
                     "throttled": t["throttled"]}


@control("POST", r"/_mock/cloudtrail/clear")
def _ctl_clear(idp, m, body):
    with _LOCK:
        _trail(idp.pool)["events"].clear()
    return 200, {}


@control("POST", r"/_mock/cloudtrail/events")
def _ctl_event(idp, m, body):
    if not isinstance(body.get("name"), str) or not isinstance(body.get("record"), dict):
        raise ValueError("name and record are required")
    record(idp.pool, body["name"], when=body.get("time"), raw=body["record"])
    return 200, {}
