#!/usr/bin/env python3
"""Structural checks of bridge/template.yaml (written as JSON, which is
YAML too, so the standard library reads it): every Ref/GetAtt/Sub names
something defined, the table has its key and TTL, the role may do no more
than the bridge needs, the Lambda gets every setting bridge/lib/config.js
requires, and the app client allows exactly the code flow with openid
profile and the bridge's /callback. Prints "ok - ..." lines; exits 1 on
the first failure."""

import json
import re
import sys

path, config_js = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    t = json.load(f)
res = t["Resources"]
params = t.get("Parameters", {})
passed = 0


def ok(desc, cond):
    global passed
    if not cond:
        print("not ok - " + desc)
        sys.exit(1)
    passed += 1
    print("ok - " + desc)


def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


names = set(res) | set(params)
refs = set()
for node in walk(t):
    if "Ref" in node:
        refs.add(node["Ref"])
    if "Fn::GetAtt" in node:
        refs.add(node["Fn::GetAtt"][0])
    if "Fn::Sub" in node and isinstance(node["Fn::Sub"], str):
        refs.update(n for n in re.findall(r"\$\{([^}.]+)[^}]*\}", node["Fn::Sub"]) if not n.startswith("AWS::"))
ok("every Ref, GetAtt and Sub names a resource or parameter", refs - {"AWS::Region", "AWS::StackName"} <= names)

types = {r["Type"] for r in res.values()}
for needed in ("AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::IAM::Role",
               "AWS::Cognito::UserPoolClient", "AWS::ApiGatewayV2::Api", "AWS::Lambda::Permission"):
    ok("template creates a " + needed, needed in types)

table = next(r["Properties"] for r in res.values() if r["Type"] == "AWS::DynamoDB::Table")
ok("table key is pk (string)", table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
   and table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}])
ok("table TTL on attribute ttl", table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True})

role = next(r["Properties"] for r in res.values() if r["Type"] == "AWS::IAM::Role")
ok("role has no managed policies", "ManagedPolicyArns" not in role)
stmts = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
actions = sorted(a for s in stmts for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
ok("role allows exactly the item operations and log writes", actions == sorted([
    "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
    "logs:CreateLogStream", "logs:PutLogEvents"]))
ok("no statement has a wildcard resource or action",
   all(s["Resource"] != "*" and "*" not in json.dumps(s["Action"]) for s in stmts))

fn = next(r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::Function")
ok("Lambda runs index.handler on Node.js", fn["Handler"] == "index.handler" and fn["Runtime"].startswith("nodejs"))
with open(config_js, encoding="utf-8") as f:
    required = re.search(r"\[([^\]]*)\]\.filter\(\(k\) => !env\[k\]\)", f.read()).group(1)
required = re.findall(r"'([A-Z_]+)'", required)
env = fn["Environment"]["Variables"]
ok("Lambda gets every setting config.js requires (%s)" % ", ".join(required), all(k in env for k in required))
ok("Lambda gets the client secret and its public URL", "CLIENT_SECRET" in env and "PUBLIC_URL" in env)

client = next(r["Properties"] for r in res.values() if r["Type"] == "AWS::Cognito::UserPoolClient")
ok("app client: code flow only, openid profile", client["AllowedOAuthFlows"] == ["code"]
   and client["AllowedOAuthScopes"] == ["openid", "profile"] and client["AllowedOAuthFlowsUserPoolClient"] is True)
ok("app client: callback is the bridge's /callback",
   any(c.get("Fn::Sub", "").endswith("/callback") for c in client["CallbackURLs"]))
ok("app client has a secret and token revocation", client["GenerateSecret"] is True and client["EnableTokenRevocation"] is True)

routes = sorted(r["Properties"]["RouteKey"] for r in res.values() if r["Type"] == "AWS::ApiGatewayV2::Route")
ok("API routes are the bridge's five", routes == sorted([
    "POST /device_authorization", "POST /token", "GET /device", "POST /device", "GET /callback"]))
print("%d passed, 0 failed" % passed)
