"""NEW_PASSWORD_REQUIRED, and the CUSTOM_AUTH flow with its
CUSTOM_CHALLENGEs.

NEW_PASSWORD_REQUIRED is what a FORCE_CHANGE_PASSWORD user (made by an
administrator) gets after the password: a new password that meets the
pool's policy, and every attribute of pool setting `required_attributes`
the user lacks. A password the policy refuses leaves the Session alive,
so the client can ask again.

CUSTOM_AUTH is Cognito's Lambda-driven flow. The mock stands in for the
Lambdas with the USER field `custom_challenges`: a list of
{"params": {ChallengeParameters}, "answer": "...", "tries": n}, asked in
order; a wrong answer is asked again while tries (default 1) last, then
the sign-in fails. With AuthParameters CHALLENGE_NAME=SRP_A (what the
SDK sends for authenticationFlowType CUSTOM_AUTH) the password is proven
by SRP first; without it the custom challenges come at once.
"""

import json

from . import policy
from .ops_auth import (WRONG_PASSWORD, ChallengeStep, _user_srp_auth, advance, auth_flow,
                       challenge, check_secret_hash, check_user_may_start, planner, require,
                       user_not_found)
from .server import ApiError


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@challenge("NEW_PASSWORD_REQUIRED")
class NewPasswordRequired(ChallengeStep):
    def issue(self, ctx, sess, user):
        with ctx.pool.lock:
            attrs = dict(user.attributes)
        required = [a for a in ctx.pool.setting("required_attributes") if not attrs.get(a)]
        sess.state["required_attributes"] = required
        attrs.pop("sub", None)
        return {
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": _compact(["userAttributes." + a for a in required]),
            "userAttributes": _compact(attrs),
        }

    def answer(self, ctx, sess, user, responses):
        new_password = require(responses, "NEW_PASSWORD")
        policy.check(ctx, new_password)
        for name in sess.state["required_attributes"]:
            if not responses.get("userAttributes." + name):
                raise ApiError("InvalidParameterException",
                               "Invalid attributes given, %s is missing" % name)
        given = {k[len("userAttributes."):]: v for k, v in responses.items()
                 if k.startswith("userAttributes.") and v}
        ctx.pool.set_password(user.username, new_password)
        with ctx.pool.lock:
            user.attributes.update(given)
            user.status = "CONFIRMED"


# -- CUSTOM_AUTH ----------------------------------------------------------------------

def custom_challenges(ctx, user):
    with ctx.pool.lock:
        return list(user.extra.get("custom_challenges") or [])


@auth_flow("CUSTOM_AUTH")
def _custom_auth(ctx, client_id, params):
    if params.get("CHALLENGE_NAME") == "SRP_A":
        out = _user_srp_auth(ctx, client_id, params)
        block = out["ChallengeParameters"]["SECRET_BLOCK"]
        sess, _ = ctx.pool.find_session(lambda s: s.state.get("secret_block") == block)
        if sess is not None:
            sess.state["flow"] = "CUSTOM_AUTH"
        return out
    typed = require(params, "USERNAME")
    check_secret_hash(ctx, params.get("SECRET_HASH"), typed)
    user = ctx.pool.find_user(typed)
    if user is None:
        raise user_not_found(ctx)
    check_user_may_start(user)
    steps = custom_challenges(ctx, user)
    if not steps:
        raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
    sess = ctx.pool.new_session(user.username, client_id, "CUSTOM_CHALLENGE")
    sess.state.update({"flow": "CUSTOM_AUTH", "user_id": user.username})
    sess.auth_time = ctx.now()
    sess.pending = ["CUSTOM_CHALLENGE"] * len(steps)
    return advance(ctx, sess, user)


@planner
def _plan_custom(ctx, sess, user, plan):
    if sess.state.get("flow") != "CUSTOM_AUTH":
        return plan
    return plan + ["CUSTOM_CHALLENGE"] * len(custom_challenges(ctx, user))


@challenge("CUSTOM_CHALLENGE")
class CustomChallenge(ChallengeStep):
    def issue(self, ctx, sess, user):
        steps = custom_challenges(ctx, user)
        index = sess.state.get("custom_index", 0)
        if index >= len(steps):
            return None
        return {k: str(v) for k, v in (steps[index].get("params") or {}).items()}

    def answer(self, ctx, sess, user, responses):
        given = require(responses, "ANSWER")
        index = sess.state.get("custom_index", 0)
        step = custom_challenges(ctx, user)[index]
        if given == str(step.get("answer")):
            sess.state.update({"custom_index": index + 1, "custom_tries": 0})
            return
        tries = sess.state.get("custom_tries", 0) + 1
        sess.state["custom_tries"] = tries
        if tries < int(step.get("tries", 1)):
            # What a DefineAuthChallenge Lambda does to let the user retry.
            sess.pending.insert(0, "CUSTOM_CHALLENGE")
            return
        ctx.pool.drop_session(sess)
        raise ApiError("NotAuthorizedException", WRONG_PASSWORD)
