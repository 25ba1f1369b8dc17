#!/bin/sh
# docs/aws-setup.json, the CloudFormation template of docs/aws-setup.md, is a
# template CloudFormation can take and sets the pool up as the guide says:
# every Ref, GetAtt and condition names something the template defines; the
# app client allows SRP and refresh only, has no secret and cannot write an
# attribute the mapping trusts; the identity pool's role trusts only this
# pool's authenticated identities; and the sync's policy allows exactly the
# admin actions the code calls, the same list as the guide's policy.
# (cfn-lint is not available: the standard library checks the structure.)

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
[ "$PYTHON3" != no ] || skip "python3 not found"

"$PYTHON3" - "$top_srcdir" <<'PY'
import glob, json, re, sys

top = sys.argv[1]
failed = 0


def check(desc, ok):
    global failed
    print(("ok - " if ok else "not ok - ") + desc)
    failed += 0 if ok else 1


t = json.load(open(top + "/docs/aws-setup.json"))
check("the template's format version", t.get("AWSTemplateFormatVersion") == "2010-09-09")
res = t.get("Resources", {})
params = t.get("Parameters", {})
conds = t.get("Conditions", {})
types = {name: r.get("Type") for name, r in res.items()}
for want in ["AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
             "AWS::IAM::ManagedPolicy", "AWS::Cognito::IdentityPool", "AWS::IAM::Role",
             "AWS::Cognito::IdentityPoolRoleAttachment"]:
    check("a resource of type " + want, want in types.values())
check("every resource has a Type and Properties",
      all("Type" in r and isinstance(r.get("Properties"), dict) for r in res.values()))

# Every reference resolves.
refs, getatts, ifs = [], [], []


def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "Ref":
                refs.append(x)
            elif k == "Fn::GetAtt":
                getatts.append(x[0] if isinstance(x, list) else x.split(".")[0])
            elif k == "Fn::If":
                ifs.append(x[0])
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)


walk(t)
pseudo = {"AWS::Region", "AWS::AccountId", "AWS::NoValue", "AWS::StackName", "AWS::Partition"}
bad = [r for r in refs if r not in res and r not in params and r not in pseudo]
check("every Ref names a resource, parameter or pseudo parameter %s" % bad, not bad)
bad = [r for r in getatts if r not in res]
check("every Fn::GetAtt names a resource %s" % bad, not bad)
bad = [c for c in ifs if c not in conds]
check("every Fn::If names a condition %s" % bad, not bad)
check("the template uses each parameter", all(p in refs for p in params))


def one(typ):
    return next(r["Properties"] for r in res.values() if r["Type"] == typ)


pool = one("AWS::Cognito::UserPool")
check("the pool: no self sign-up", pool.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly") is True)
check("the pool: case-insensitive user names", pool.get("UsernameConfiguration", {}).get("CaseSensitive") is False)

client = one("AWS::Cognito::UserPoolClient")
flows = set(client.get("ExplicitAuthFlows", []))
check("the client: SRP and refresh, nothing else %s" % sorted(flows),
      flows == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"})
check("the client: no secret", client.get("GenerateSecret") is False)
check("the client: user existence hidden", client.get("PreventUserExistenceErrors") == "ENABLED")
check("the client: refresh tokens revocable", client.get("EnableTokenRevocation") is True)
writable = set(client.get("WriteAttributes", []))
trusted = {"preferred_username", "custom:uid", "custom:ssh_public_key", "sub", "cognito:username"}
check("the client cannot write an attribute the mapping trusts %s" % sorted(writable & trusted),
      not writable & trusted)
check("the client reads the SSH key attribute", "custom:ssh_public_key" in client.get("ReadAttributes", []))

role = one("AWS::IAM::Role")
st = role["AssumeRolePolicyDocument"]["Statement"][0]
cond = st.get("Condition", {})
check("the role trusts cognito-identity.amazonaws.com by web identity",
      st.get("Principal") == {"Federated": "cognito-identity.amazonaws.com"}
      and st.get("Action") == "sts:AssumeRoleWithWebIdentity")
check("the role: only this identity pool",
      cond.get("StringEquals", {}).get("cognito-identity.amazonaws.com:aud") is not None)
check("the role: only authenticated identities",
      cond.get("ForAnyValue:StringLike", {}).get("cognito-identity.amazonaws.com:amr") == "authenticated")
idp = one("AWS::Cognito::IdentityPool")
check("the identity pool: no unauthenticated identities", idp.get("AllowUnauthenticatedIdentities") is False)

# The sync's policy: exactly the admin actions the code calls.
pol = one("AWS::IAM::ManagedPolicy")["PolicyDocument"]["Statement"]
actions = set()
for s in pol:
    check("the sync policy allows, never denies or wildcards", s.get("Effect") == "Allow"
          and all("*" not in a for a in s["Action"]))
    actions |= set(s["Action"])
called = set()
for f in glob.glob(top + "/libcognito/*/*.c") + glob.glob(top + "/tools/*.c"):
    src = open(f, encoding="utf-8").read()
    called |= {"cognito-idp:" + op for op in
               re.findall(r'(?:paginate|cog_admin_call)\([^,;]*,\s*"([A-Za-z]+)"', src)}
check("the code calls admin actions (%d)" % len(called), len(called) >= 3)
check("the policy allows every admin action the code calls %s" % sorted(called - actions),
      called <= actions)
check("the policy allows nothing the code does not call but DescribeUserPoolClient %s"
      % sorted(actions - called), actions - called <= {"cognito-idp:DescribeUserPoolClient"})
guide = open(top + "/docs/aws-setup.md", encoding="utf-8").read()
m = re.search(r"```json\n(.*?)```", guide, re.S)
check("the guide shows the policy as JSON", m is not None)
if m:
    g = json.loads(m.group(1))
    check("the guide's policy allows the template's actions",
          set(g["Statement"][0]["Action"]) == actions)
print("%d failed" % failed)
sys.exit(1 if failed else 0)
PY
