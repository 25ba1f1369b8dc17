'use strict';
// CPU per SRP login for the reference SDK (amazon-cognito-identity-js), on
// the same case1 inputs bench_srp uses. One login is what
// CognitoUser.authenticateUser does on the client between InitiateAuth and
// RespondToAuthChallenge: a new AuthenticationHelper (fresh a and A), SRP_B
// and SALT parsed as BigIntegers, getPasswordAuthenticationKey, then the claim
// signature. CognitoUser does that last HMAC inline, so it is repeated here
// with the SDK's own @aws-crypto/sha256-js and DateHelper, not node:crypto.
//
// usage: node srp_sdk.js [-n ITERATIONS] ORACLE_DIR VECTORS_JSON

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function usage() {
  process.stderr.write('usage: node srp_sdk.js [-n ITERATIONS] ORACLE_DIR VECTORS_JSON\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let iterations = 20;
if (args[0] === '-n') {
  iterations = parseInt(args[1], 10);
  args.splice(0, 2);
}
if (!(iterations > 0) || args.length !== 2) usage();
const [oracleDir, vectorsPath] = args;

// Load the SDK's modules exactly as the SDK itself resolves them.
const sdkRoot = path.resolve(oracleDir, 'node_modules', 'amazon-cognito-identity-js');
const sdkRequire = createRequire(path.join(sdkRoot, 'package.json'));
const sdkVersion = sdkRequire('./package.json').version;
const AuthenticationHelper = sdkRequire('./lib/AuthenticationHelper').default;
const BigInteger = sdkRequire('./lib/BigInteger').default;
const DateHelper = sdkRequire('./lib/DateHelper').default;
const { Sha256 } = sdkRequire('@aws-crypto/sha256-js');

const vectors = JSON.parse(fs.readFileSync(vectorsPath, 'utf8'));
const c = vectors.cases[0];
const inp = c.inputs;

// One login. fixedA (hex) replaces the random a for the known-answer check.
function login(fixedA, timestamp) {
  const helper = new AuthenticationHelper(inp.pool_name);
  if (fixedA) {
    helper.smallAValue = new BigInteger(fixedA, 16);
    helper.largeAValue = undefined;
  }
  let srpA = null;
  helper.getLargeAValue((err, A) => {
    if (err) throw err;
    srpA = A.toString(16);
  });
  const serverB = new BigInteger(inp.challenge_SRP_B, 16);
  const salt = new BigInteger(inp.challenge_SALT, 16);
  let signature = null;
  helper.getPasswordAuthenticationKey(inp.user_id_for_srp, inp.password, serverB, salt,
    (err, hkdf) => {
      if (err) throw err;
      const dateNow = timestamp || new DateHelper().getNowString();
      const message = Buffer.concat([
        Buffer.from(inp.pool_name, 'utf8'),
        Buffer.from(inp.user_id_for_srp, 'utf8'),
        Buffer.from(inp.challenge_SECRET_BLOCK, 'base64'),
        Buffer.from(dateNow, 'utf8'),
      ]);
      const mac = new Sha256(hkdf);
      mac.update(message);
      signature = Buffer.from(mac.digestSync()).toString('base64');
    });
  // Every step above is synchronous in the SDK; a missing value means it changed.
  if (srpA === null || signature === null) throw new Error('SDK callbacks did not run synchronously');
  return { srpA, signature };
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// Time only a computation that is right.
let t0 = cpuMs();
const known = login(inp.a_hex_128_bytes, c.expected.TIMESTAMP);
const cold = cpuMs() - t0;
if (known.srpA !== c.expected.SRP_A_sent ||
    known.signature !== c.expected.PASSWORD_CLAIM_SIGNATURE) {
  process.stderr.write('srp_sdk: case1 known answer does not match\n');
  process.exit(1);
}

t0 = cpuMs();
for (let i = 0; i < iterations; i++) login(null, null);
const per = (cpuMs() - t0) / iterations;
process.stdout.write(`srp_sdk: sdk=amazon-cognito-identity-js@${sdkVersion} ` +
  `iterations=${iterations} cpu_ms_per_login=${per.toFixed(3)} ` +
  `first_login_cpu_ms=${cold.toFixed(3)}\n`);
