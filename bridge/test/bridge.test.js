'use strict';
// The bridge against dynalite and the mock IdP's hosted UI.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./helpers');
const { DEVICE_GRANT } = require('../lib/app');

let dyn;
let b; // the main bridge
const PASSWORD = 'Passw0rd!';

test.before(async () => {
  assert.ok(h.MOCK, 'MOCK_ENDPOINT must name the running mock (tests/bridge/bridge.sh sets it)');
  dyn = await h.startDynalite();
  b = await h.startBridge(dyn);
  await h.mockCtl('POST', 'hostedui/reset', {});
  await h.mockCtl('POST', 'hostedui', { callback_urls: [b.base + '/callback'] });
  await h.mockCtl('POST', 'users', { username: 'alice', password: PASSWORD, attributes: { email: 'alice@example.com' } });
});

test.after(async () => {
  b.server.close();
  dyn.server.close();
});

async function authorize(bridge = b, fields = {}) {
  const res = await h.postForm(bridge.base + '/device_authorization', { client_id: h.CLIENT_ID, scope: 'openid profile', host: 'web01.example.com', ...fields });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

async function poll(da, bridge = b) {
  return h.postForm(bridge.base + '/token', { grant_type: DEVICE_GRANT, device_code: da.device_code, client_id: h.CLIENT_ID });
}

// Polls, honouring the interval, until an answer other than pending.
async function pollUntilDone(da, bridge = b) {
  for (let i = 0; i < 50; i++) {
    await h.sleep(350);
    const res = await poll(da, bridge);
    if (!(res.status === 400 && res.body.error === 'authorization_pending')) return res;
  }
  throw new Error('still pending');
}

// The person: opens verification_uri_complete, approves, and is sent to
// Cognito; returns the browser and the page Cognito shows.
async function approve(da, browser = new h.Browser()) {
  const page = await browser.go(da.verification_uri_complete);
  assert.equal(page.status, 200);
  assert.match(page.text, /web01\.example\.com/, 'the page says which host asked');
  assert.match(page.text, new RegExp(da.user_code));
  const form = h.formOf(page);
  const signin = await browser.go(form.action, { method: 'POST', form: { ...form.fields, action: 'approve' } }, (url) => url.includes('/callback'));
  return { browser, signin };
}

// Fills the mock's sign-in form; stops before the bridge's /callback.
async function signIn(browser, signin, username = 'alice', password = PASSWORD) {
  assert.equal(signin.status, 200, signin.text.slice(0, 300));
  const form = h.formOf(signin);
  const res = await browser.go(form.action, { method: 'POST', form: { ...form.fields, username, password } }, (url) => url.includes('/callback'));
  assert.equal(res.status, 302, res.text.slice(0, 300));
  assert.match(res.location, /\/callback\?code=/);
  return res.location;
}

test('device_authorization answers RFC 8628 fields with a short unambiguous code', async () => {
  const da = await authorize();
  assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(da.verification_uri, b.base + '/device');
  assert.equal(da.verification_uri_complete, `${b.base}/device?user_code=${da.user_code}`);
  assert.ok(da.device_code.length >= 43);
  assert.equal(da.expires_in, 600);
  const bad = await h.postForm(b.base + '/device_authorization', { client_id: 'someoneelse' });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.error, 'invalid_client');
  const scope = await h.postForm(b.base + '/device_authorization', { client_id: h.CLIENT_ID, scope: 'openid aws.cognito.signin.user.admin' });
  assert.equal(scope.body.error, 'invalid_scope');
});

test('full flow: pending, browser sign-in, tokens handed to the device once', async () => {
  const da = await authorize();
  const first = await poll(da);
  assert.deepEqual([first.status, first.body.error], [400, 'authorization_pending']);
  const { browser, signin } = await approve(da);
  const callback = await signIn(browser, signin);
  const done = await browser.go(callback);
  assert.equal(done.status, 200, done.text);
  assert.match(done.text, /id="success"/);
  assert.match(done.text, /alice/);
  const res = await pollUntilDone(da);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const idc = h.claims(res.body.id_token);
  assert.equal(idc['cognito:username'], 'alice');
  assert.equal(idc.aud, h.CLIENT_ID);
  assert.equal(idc.token_use, 'id');
  assert.equal(h.claims(res.body.access_token).scope, 'openid profile');
  assert.equal(res.body.token_type, 'Bearer');
  assert.ok(res.body.refresh_token);
  // Handed once: the next poll is refused, and the table holds no tokens.
  await h.sleep(350);
  const again = await poll(da);
  assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant']);
  const rec = await b.bridge.store.get('dc#' + crypto.createHash('sha256').update(da.device_code).digest('base64url'));
  assert.equal(rec.status, 'done');
  assert.equal(rec.tokens, undefined);
  // The refresh token works at the mock's token endpoint (client auth as configured).
  const auth = h.CLIENT_SECRET ? { authorization: 'Basic ' + Buffer.from(`${h.CLIENT_ID}:${h.CLIENT_SECRET}`).toString('base64') } : {};
  const refreshed = await h.postForm(h.MOCK + '/oauth2/token', { grant_type: 'refresh_token', client_id: h.CLIENT_ID, refresh_token: res.body.refresh_token }, auth);
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.equal(h.claims(refreshed.body.id_token).sub, idc.sub);
  const revoked = await h.postForm(h.MOCK + '/oauth2/revoke', { token: res.body.refresh_token, client_id: h.CLIENT_ID }, auth);
  assert.equal(revoked.status, 200);
  const after = await h.postForm(h.MOCK + '/oauth2/token', { grant_type: 'refresh_token', client_id: h.CLIENT_ID, refresh_token: res.body.refresh_token }, auth);
  assert.deepEqual([after.status, after.body.error], [400, 'invalid_grant']);
});

test('code reuse: a replayed callback and a replayed authorization code are refused', async () => {
  const da = await authorize();
  const { browser, signin } = await approve(da);
  const callback = await signIn(browser, signin);
  const done = await browser.go(callback);
  assert.equal(done.status, 200);
  const replay = await browser.go(callback);
  assert.equal(replay.status, 400);
  assert.match(replay.text, /used already/);
  // The code itself was spent at the token endpoint by the bridge.
  const code = new URL(callback).searchParams.get('code');
  const auth = h.CLIENT_SECRET ? { authorization: 'Basic ' + Buffer.from(`${h.CLIENT_ID}:${h.CLIENT_SECRET}`).toString('base64') } : {};
  const again = await h.postForm(h.MOCK + '/oauth2/token', { grant_type: 'authorization_code', client_id: h.CLIENT_ID, code, redirect_uri: b.base + '/callback', code_verifier: 'x'.repeat(43) }, auth);
  assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant']);
  assert.equal((await pollUntilDone(da)).status, 200);
});

test('wrong PKCE verifier: the exchange fails and the device stays pending', async () => {
  const da = await authorize();
  const { browser, signin } = await approve(da);
  const callback = await signIn(browser, signin);
  const state = new URL(callback).searchParams.get('state');
  const key = 'st#' + crypto.createHash('sha256').update(state).digest('base64url');
  assert.ok(await b.bridge.store.update(key, { verifier: crypto.randomBytes(48).toString('base64url') }));
  const res = await browser.go(callback);
  assert.equal(res.status, 502);
  assert.match(res.text, /invalid_grant/);
  const p = await poll(da);
  assert.equal(p.body.error, 'authorization_pending');
});

test('expired device code: expired_token, and the page refuses its user code', async () => {
  const da = await authorize();
  b.clock.offset = 601;
  try {
    const res = await poll(da);
    assert.deepEqual([res.status, res.body.error], [400, 'expired_token']);
    const page = await new h.Browser().go(da.verification_uri_complete);
    assert.equal(page.status, 400);
    assert.match(page.text, /not valid or has expired/);
  } finally {
    b.clock.offset = 0;
  }
});

test('CSRF: POST /device without, with a wrong, or with another browser\'s token is refused', async () => {
  const da = await authorize();
  const browser = new h.Browser();
  const page = await browser.go(da.verification_uri_complete);
  const form = h.formOf(page);
  const without = await browser.request(form.action, { method: 'POST', form: { user_code: form.fields.user_code, action: 'approve' } });
  assert.equal(without.status, 403);
  const wrong = await browser.request(form.action, { method: 'POST', form: { ...form.fields, csrf: 'A'.repeat(43), action: 'approve' } });
  assert.equal(wrong.status, 403);
  const other = new h.Browser();
  await other.go(da.verification_uri_complete);
  const stolen = await other.request(form.action, { method: 'POST', form: { ...form.fields, action: 'approve' } });
  assert.equal(stolen.status, 403);
  const nocookie = await h.postForm(form.action, { ...form.fields, action: 'approve' });
  assert.equal(nocookie.status, 403);
  assert.equal((await poll(da)).body.error, 'authorization_pending');
  const ok = await browser.request(form.action, { method: 'POST', form: { ...form.fields, action: 'approve' } });
  assert.equal(ok.status, 302);
  assert.ok(ok.location.startsWith(h.MOCK + '/oauth2/authorize?'));
  const q = new URL(ok.location).searchParams;
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.equal(q.get('redirect_uri'), b.base + '/callback');
  assert.equal(q.get('response_type'), 'code');
});

test('deny: the device gets access_denied', async () => {
  const da = await authorize();
  const browser = new h.Browser();
  const form = h.formOf(await browser.go(da.verification_uri_complete));
  const res = await browser.request(form.action, { method: 'POST', form: { ...form.fields, action: 'deny' } });
  assert.equal(res.status, 200);
  const p = await pollUntilDone(da);
  assert.deepEqual([p.status, p.body.error], [400, 'access_denied']);
});

test('rate limits: slow_down per device code, 429 per source address', async () => {
  const da = await authorize();
  assert.equal((await poll(da)).body.error, 'authorization_pending');
  const fast = await poll(da);
  assert.deepEqual([fast.status, fast.body.error], [400, 'slow_down']);
  const rec = await b.bridge.store.get('dc#' + crypto.createHash('sha256').update(da.device_code).digest('base64url'));
  assert.ok(rec.interval >= 5, 'slow_down makes the interval grow');
  // Parallel polls: at most one is not slow_down.
  const many = await Promise.all(Array.from({ length: 5 }, () => poll(da)));
  assert.ok(many.every((r) => r.body.error === 'slow_down'));
  const limited = await h.startBridge(dyn, { IP_LIMIT: '3' });
  try {
    for (let i = 0; i < 3; i++) await authorize(limited);
    const res = await h.postForm(limited.base + '/device_authorization', { client_id: h.CLIENT_ID });
    assert.deepEqual([res.status, res.body.error], [429, 'slow_down']);
    assert.equal(res.headers.get('retry-after'), '60');
    // Guessing user codes on GET /device has its own budget (5 x IP_LIMIT a minute).
    const codes = [];
    for (let i = 0; i < 16; i++) codes.push((await new h.Browser().request(`${limited.base}/device?user_code=BBBB-BBBB`)).status);
    assert.deepEqual(codes, [...Array(15).fill(400), 429]);
  } finally {
    limited.server.close();
  }
});

test('forged state: unknown, or from another browser, is refused', async () => {
  const forged = await new h.Browser().go(`${b.base}/callback?code=abc&state=${crypto.randomBytes(32).toString('base64url')}`);
  assert.equal(forged.status, 400);
  const da = await authorize();
  const { browser, signin } = await approve(da);
  const callback = await signIn(browser, signin);
  // The attacker's browser (a victim lured to the attacker's callback URL) has no matching cookie.
  const elsewhere = await new h.Browser().go(callback);
  assert.equal(elsewhere.status, 403);
  // ... and the state is spent: the right browser cannot use it now either.
  const late = await browser.go(callback);
  assert.equal(late.status, 400);
  assert.equal((await poll(da)).body.error, 'authorization_pending');
});

test('wrong client secret at Cognito: the sign-in fails, the device stays pending', { skip: !h.CLIENT_SECRET && 'the mock has no client secret' }, async () => {
  const bad = await h.startBridge(dyn, { CLIENT_SECRET: 'wrong' + h.CLIENT_SECRET });
  try {
    await h.mockCtl('POST', 'hostedui', { callback_urls: [b.base + '/callback', bad.base + '/callback'] });
    const da = await authorize(bad);
    const { browser, signin } = await approve(da);
    const callback = await signIn(browser, signin);
    const res = await browser.go(callback);
    assert.equal(res.status, 502);
    assert.match(res.text, /invalid_client/);
  } finally {
    bad.server.close();
  }
});

test('the Lambda entry point: a Function URL event (base64 body, cookies array) in, a response out', async () => {
  Object.assign(process.env, {
    TABLE_NAME: b.config.tableName,
    DYNAMODB_ENDPOINT: dyn.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    COGNITO_DOMAIN: h.MOCK,
    CLIENT_ID: h.CLIENT_ID,
    PUBLIC_URL: 'https://bridge.example.com',
  });
  const { handler } = require('../index');
  const event = (method, path, body, extra = {}) => ({
    version: '2.0',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'abc.lambda-url.us-east-1.on.aws' },
    body: body === undefined ? undefined : Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    requestContext: { http: { method, path, sourceIp: '192.0.2.7' } },
    ...extra,
  });
  const res = await handler(event('POST', '/device_authorization', `client_id=${h.CLIENT_ID}&host=lambda-host`));
  assert.equal(res.statusCode, 200, res.body);
  const da = JSON.parse(res.body);
  assert.equal(da.verification_uri, 'https://bridge.example.com/device');
  const page = await handler({ ...event('GET', '/device'), rawQueryString: `user_code=${da.user_code.toLowerCase()}` });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /lambda-host/);
  assert.match(page.body, /192\.0\.2\.7/);
  assert.match(page.cookies[0], /^__Host-bridge_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
  assert.equal((await handler(event('GET', '/nothing'))).statusCode, 404);
});

test('Cognito failing at the token endpoint: an error page, the device waits, the person can retry', async () => {
  const slow = await h.startBridge(dyn, { TOKEN_TIMEOUT_MS: '300' });
  try {
    await h.mockCtl('POST', 'hostedui', { callback_urls: [b.base + '/callback', slow.base + '/callback'] });
    const da = await authorize(slow);
    const { browser, signin } = await approve(da);
    await h.mockCtl('POST', 'faults', { op: '/oauth2/token', kind: 'status', status: 500, body: '{"error":"server_error"}' });
    const failed = await browser.go(await signIn(browser, signin));
    assert.equal(failed.status, 502);
    assert.match(failed.text, /server_error/);
    // A hung token endpoint: the bridge gives up after TOKEN_TIMEOUT_MS.
    await h.mockCtl('POST', 'faults', { op: '/oauth2/token', kind: 'stall', seconds: 1.5, then: 'close' });
    const again = await approve(da, browser);
    assert.equal(again.signin.status, 302, 'the hosted-UI session signs the browser in without the form');
    assert.match(again.signin.location, /\/callback\?code=/);
    const started = Date.now();
    const hung = await browser.go(again.signin.location);
    assert.equal(hung.status, 502);
    assert.match(hung.text, /unreachable/);
    assert.ok(Date.now() - started < 1400, 'the bridge did not wait for the stalled endpoint');
    assert.equal((await poll(da, slow)).body.error, 'authorization_pending');
    await h.sleep(1300); // let the stalled request end before the retry
    const third = await approve(da, browser);
    const done = await browser.go(third.signin.location);
    assert.equal(done.status, 200, done.text);
    assert.equal((await pollUntilDone(da, slow)).status, 200);
  } finally {
    await h.mockCtl('DELETE', 'faults');
    slow.server.close();
  }
});
