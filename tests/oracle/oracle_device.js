#!/usr/bin/env node
// The reference SDK remembers a device at the mock and logs in with it:
// the DEVICE_SRP_AUTH path a browser app runs, against the mock's
// server-side device SRP (checked against the verifier the SDK sent).
//
//   node oracle_device.js ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD
//
// The first login answers the SMS MFA challenge with the code from the
// mock's outbox (GET ENDPOINT/_mock/codes/USERNAME); the SDK then confirms
// the device itself (ConfirmDevice with a DeviceSecretVerifierConfig it
// made) and keeps its key and password in its storage. The second login,
// a new CognitoUser on the same storage, sends DEVICE_KEY and answers
// DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER; a pool that skips MFA on
// remembered devices must then not ask for a code.
//
// Prints "confirmed DEVICE_KEY" after the first login and
// "device-login DEVICE_KEY" after the second; exits 0. A failure prints
// err.code and exits 1; a challenge the second login should not have met
// prints "challenge:NAME" and exits 2.
'use strict';

const { getJson } = require('./oracle_http');
const { AuthenticationDetails, CognitoUser, CognitoUserPool } = require('amazon-cognito-identity-js');

function usage() {
  process.stderr.write('usage: oracle_device.js ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD\n');
  process.exit(64);
}

function fail(err) {
  process.stdout.write(`${(err && (err.code || err.name || err.message)) || String(err)}\n`);
  process.exit(1);
}

// One authenticateUser; resolves with the CognitoUser on onSuccess.
function login(pool, username, password, answerMfa) {
  return new Promise((resolve) => {
    const user = new CognitoUser({ Username: username, Pool: pool });
    const details = new AuthenticationDetails({ Username: username, Password: password });
    const refuse = (name) => () => {
      process.stdout.write(`challenge:${name}\n`);
      process.exit(2);
    };
    const callbacks = {
      onSuccess() { resolve(user); },
      onFailure: fail,
      mfaRequired: answerMfa ? () => answerMfa(user, callbacks) : refuse('mfaRequired'),
      totpRequired: refuse('totpRequired'),
      selectMFAType: refuse('selectMFAType'),
      mfaSetup: refuse('mfaSetup'),
      newPasswordRequired: refuse('newPasswordRequired'),
      customChallenge: refuse('customChallenge'),
    };
    user.authenticateUser(details, callbacks);
  });
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 5) usage();
  const [endpoint, poolId, clientId, username, password] = args;
  const base = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
  const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });

  const smsCode = (user, callbacks) => {
    getJson(`${base}_mock/codes/${encodeURIComponent(username)}`).then((codes) => {
      user.sendMFACode(codes.latest.SMS_MFA, callbacks);
    }, fail);
  };
  const first = await login(pool, username, password, smsCode);
  if (!first.deviceKey) fail(new Error('no device was confirmed'));
  process.stdout.write(`confirmed ${first.deviceKey}\n`);

  const second = await login(pool, username, password, null);
  process.stdout.write(`device-login ${second.deviceKey}\n`);
  process.exit(0);
}

main().catch(fail);
