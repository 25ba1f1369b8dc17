'use strict';
// One login of the reference SDK (amazon-cognito-identity-js,
// CognitoUser.authenticateUser, USER_SRP_AUTH) from a process of its own, so
// it starts without a connection as a PAM login does. The SDK takes the
// password with the call, so everything it does happens after Enter:
// prints `ms=<milliseconds from authenticateUser to onSuccess>`.
//
// usage: node latency_sdk.js ORACLE_DIR ENDPOINT POOL_ID CLIENT_ID USER PASSWORD
// (the mock's CA through NODE_EXTRA_CA_CERTS)

const path = require('path');
const { createRequire } = require('module');

const args = process.argv.slice(2);
if (args.length !== 6) {
  process.stderr.write('usage: node latency_sdk.js ORACLE_DIR ENDPOINT POOL_ID CLIENT_ID USER PASSWORD\n');
  process.exit(2);
}
const [oracleDir, endpoint, poolId, clientId, username, password] = args;
const sdkRoot = path.resolve(oracleDir, 'node_modules', 'amazon-cognito-identity-js');
const sdkRequire = createRequire(path.join(sdkRoot, 'package.json'));
const { AuthenticationDetails, CognitoUser, CognitoUserPool } = sdkRequire('./lib/index');

const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
const user = new CognitoUser({ Username: username, Pool: pool });
const details = new AuthenticationDetails({ Username: username, Password: password });
const fail = (what) => () => {
  process.stderr.write(`latency_sdk.js: ${what}\n`);
  process.exit(1);
};

const start = process.hrtime.bigint();
user.authenticateUser(details, {
  onSuccess() {
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(`ms=${ms.toFixed(1)}\n`);
    process.exit(0);
  },
  onFailure(err) {
    fail(`login failed: ${(err && (err.code || err.message)) || err}`)();
  },
  mfaRequired: fail('mfaRequired'),
  totpRequired: fail('totpRequired'),
  selectMFAType: fail('selectMFAType'),
  mfaSetup: fail('mfaSetup'),
  newPasswordRequired: fail('newPasswordRequired'),
  customChallenge: fail('customChallenge'),
});
