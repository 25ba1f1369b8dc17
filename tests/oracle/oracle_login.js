#!/usr/bin/env node
// The reference SDK (amazon-cognito-identity-js, pinned in package.json)
// logs in to the mock IdP with CognitoUser.authenticateUser: the
// USER_SRP_AUTH flow a browser app would run. If the SDK and pam_cognito
// both succeed against the same server-side SRP, our SRP is the real one.
//
//   node oracle_login.js ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD
//
// Exit 0 printing the ID token's cognito:username on onSuccess; exit 1
// printing err.code on onFailure; exit 2 printing "challenge:<callback>"
// when the pool asks for more than a password (MFA and friends), which
// this oracle does not answer. The test CA comes in through
// NODE_EXTRA_CA_CERTS.
//
// With ORACLE_VERIFY_TOKENS=1 it also fetches the pool's JWKS from the
// endpoint and checks both tokens' RS256 signatures with node:crypto (an
// implementation independent of the mock's) plus iss, aud/client_id and
// token_use; a failed check exits 3.
'use strict';

const { getJson } = require('./oracle_http');
const crypto = require('crypto');
const {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
} = require('amazon-cognito-identity-js');

function usage() {
  process.stderr.write('usage: oracle_login.js ENDPOINT POOL_ID CLIENT_ID USERNAME PASSWORD\n');
  process.exit(64);
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

function checkToken(token, jwks, expect) {
  const [h, p, s] = token.split('.');
  const header = b64urlJson(h);
  const claims = b64urlJson(p);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (header.alg !== 'RS256' || !jwk) throw new Error(`${expect.use}: no key for kid ${header.kid}`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error(`${expect.use}: bad signature`);
  if (claims.token_use !== expect.use) throw new Error(`${expect.use}: token_use ${claims.token_use}`);
  if (claims.iss !== expect.iss) throw new Error(`${expect.use}: iss ${claims.iss}`);
  const audience = expect.use === 'id' ? claims.aud : claims.client_id;
  if (audience !== expect.clientId) throw new Error(`${expect.use}: audience ${audience}`);
  if (!(claims.exp > Date.now() / 1000)) throw new Error(`${expect.use}: expired`);
  return header.kid;
}

async function verifyTokens(session, endpoint, poolId, clientId) {
  const region = poolId.split('_')[0];
  const iss = `https://cognito-idp.${region}.amazonaws.com/${poolId}`;
  const base = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
  const jwks = await getJson(`${base}${poolId}/.well-known/jwks.json`);
  const idKid = checkToken(session.getIdToken().getJwtToken(), jwks, { use: 'id', iss, clientId });
  const accessKid = checkToken(session.getAccessToken().getJwtToken(), jwks,
    { use: 'access', iss, clientId });
  if (idKid === accessKid) throw new Error('ID and access tokens share a key; Cognito uses two');
}

function main() {
  const args = process.argv.slice(2);
  if (args.length !== 5) usage();
  const [endpoint, poolId, clientId, username, password] = args;

  const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint });
  const user = new CognitoUser({ Username: username, Pool: pool });
  const details = new AuthenticationDetails({ Username: username, Password: password });

  const challenge = (name) => () => {
    process.stdout.write(`challenge:${name}\n`);
    process.exit(2);
  };

  user.authenticateUser(details, {
    onSuccess(session) {
      const name = session.getIdToken().decodePayload()['cognito:username'];
      const done = () => {
        process.stdout.write(`${name}\n`);
        process.exit(0);
      };
      if (process.env.ORACLE_VERIFY_TOKENS !== '1') return done();
      return verifyTokens(session, endpoint, poolId, clientId).then(done, (err) => {
        process.stdout.write(`token-check:${err.message}\n`);
        process.exit(3);
      });
    },
    onFailure(err) {
      process.stdout.write(`${(err && (err.code || err.name)) || String(err)}\n`);
      process.exit(1);
    },
    mfaRequired: challenge('mfaRequired'),
    totpRequired: challenge('totpRequired'),
    selectMFAType: challenge('selectMFAType'),
    mfaSetup: challenge('mfaSetup'),
    newPasswordRequired: challenge('newPasswordRequired'),
    customChallenge: challenge('customChallenge'),
  });
}

main();
