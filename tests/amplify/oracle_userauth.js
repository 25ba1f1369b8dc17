// Amplify JS v6 (AWS's own client) signs in to the mock with USER_AUTH:
//   node oracle_userauth.js ENDPOINT POOL_ID CLIENT_ID email USER
//     preferredChallenge EMAIL_OTP, the code read from the mock's outbox;
//   node oracle_userauth.js ENDPOINT POOL_ID CLIENT_ID select-srp USER PASSWORD
//     no preference: SELECT_CHALLENGE, then PASSWORD_SRP and the password.
// Prints the steps Amplify reported and the signed-in user; exit 0 only
// when Amplify holds tokens for USER. The test CA comes in through
// NODE_EXTRA_CA_CERTS.
'use strict';

const https = require('https');
const { Amplify } = require('aws-amplify');
const auth = require('aws-amplify/auth');

const [endpoint, poolId, clientId, mode, user, password] = process.argv.slice(2);

function getJson(url) {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
        try { return resolve(JSON.parse(data)); } catch (e) { return reject(e); }
      });
    }).on('error', reject);
  });
}

async function main() {
  Amplify.configure({
    Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: endpoint } },
  });
  const steps = [];
  let out;
  if (mode === 'email') {
    out = await auth.signIn({
      username: user,
      options: { authFlowType: 'USER_AUTH', preferredChallenge: 'EMAIL_OTP' },
    });
    steps.push(out.nextStep.signInStep);
    const otp = await getJson(`${endpoint.replace(/\/$/, '')}/_mock/otp/${encodeURIComponent(user)}`);
    out = await auth.confirmSignIn({ challengeResponse: otp.code });
  } else if (mode === 'select-srp') {
    out = await auth.signIn({ username: user, options: { authFlowType: 'USER_AUTH' } });
    steps.push(out.nextStep.signInStep);
    steps.push((out.nextStep.availableChallenges || []).join(','));
    out = await auth.confirmSignIn({ challengeResponse: 'PASSWORD_SRP' });
    steps.push(out.nextStep.signInStep);
    out = await auth.confirmSignIn({ challengeResponse: password });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  steps.push(out.nextStep.signInStep);
  const session = await auth.fetchAuthSession();
  const name = session.tokens && session.tokens.idToken
    ? session.tokens.idToken.payload['cognito:username'] : '';
  process.stdout.write(`${steps.join(' ')} ${name}\n`);
  return out.isSignedIn && name === user ? 0 : 1;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stdout.write(`error ${e.name || 'Error'}\n`);
  // Cognito's refusals are results; anything else is a fault worth its stack.
  if (!/Exception$/.test(e.name || '')) process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
