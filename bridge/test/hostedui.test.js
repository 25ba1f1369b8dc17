'use strict';
// The mock IdP's hosted UI (tests/mock/mockidp/hostedui.py) answers as
// Cognito's does: the bridge's tests are only as good as this stand-in.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./helpers');

const CALLBACK = 'https://app.example.com/cb';
const verifier = crypto.randomBytes(32).toString('base64url');
const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
const basic = h.CLIENT_SECRET ? { authorization: 'Basic ' + Buffer.from(`${h.CLIENT_ID}:${h.CLIENT_SECRET}`).toString('base64') } : {};

function authorizeUrl(extra = {}) {
  const q = new URLSearchParams({ response_type: 'code', client_id: h.CLIENT_ID, redirect_uri: CALLBACK, state: 'st4te', scope: 'openid profile', code_challenge: challenge, code_challenge_method: 'S256', ...extra });
  return `${h.MOCK}/oauth2/authorize?${q}`;
}

// Signs dave in through the form; returns {browser, code}.
async function codeFor(extra = {}, username = 'dave', password = 'Passw0rd!') {
  const browser = new h.Browser();
  const page = await browser.go(authorizeUrl(extra));
  assert.equal(page.status, 200, page.text);
  const form = h.formOf(page);
  const res = await browser.request(form.action, { method: 'POST', form: { ...form.fields, username, password } });
  assert.equal(res.status, 302, res.text);
  const to = new URL(res.location);
  assert.equal(to.origin + to.pathname, CALLBACK);
  assert.equal(to.searchParams.get('state'), 'st4te');
  return { browser, code: to.searchParams.get('code') };
}

function exchange(code, fields = {}, headers = basic) {
  return h.postForm(`${h.MOCK}/oauth2/token`, { grant_type: 'authorization_code', client_id: h.CLIENT_ID, code, redirect_uri: CALLBACK, code_verifier: verifier, ...fields }, headers);
}

test.before(async () => {
  await h.mockCtl('POST', 'hostedui', { callback_urls: [CALLBACK], logout_urls: ['https://app.example.com/bye'], identity_providers: ['COGNITO', 'Google'] });
  await h.mockCtl('POST', 'users', { username: 'dave', password: 'Passw0rd!' });
  await h.mockCtl('POST', 'users', { username: 'google_1234567890', status: 'EXTERNAL_PROVIDER', identity_provider: 'Google', attributes: { email: 'erin@example.com' } });
});

test('authorize refuses what Cognito refuses', async () => {
  const b = new h.Browser();
  const mismatch = await b.request(authorizeUrl({ redirect_uri: 'https://evil.example.com/cb' }));
  assert.equal(mismatch.status, 400);
  assert.match(mismatch.text, /redirect_mismatch/);
  const client = await b.request(authorizeUrl({ client_id: 'nosuchclient' }));
  assert.equal(client.status, 400);
  for (const [extra, error] of [
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'openid phone' }, 'invalid_scope'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ identity_provider: 'Facebook' }, 'invalid_request'],
  ]) {
    const res = await b.request(authorizeUrl(extra));
    assert.equal(res.status, 302, JSON.stringify(extra));
    const q = new URL(res.location).searchParams;
    assert.deepEqual([q.get('error'), q.get('state')], [error, 'st4te'], JSON.stringify(extra));
  }
});

test('sign-in form: CSRF cookie, wrong password, then a session that signs in again without the form', async () => {
  const browser = new h.Browser();
  const page = await browser.go(authorizeUrl());
  const form = h.formOf(page);
  const nocsrf = await h.postForm(form.action, { ...form.fields, username: 'dave', password: 'Passw0rd!' });
  assert.equal(nocsrf.status, 403);
  const wrong = await browser.request(form.action, { method: 'POST', form: { ...form.fields, username: 'dave', password: 'nope' } });
  assert.equal(wrong.status, 200);
  assert.match(wrong.text, /Incorrect username or password/);
  const again = h.formOf(wrong);
  const ok = await browser.request(again.action, { method: 'POST', form: { ...again.fields, username: 'dave', password: 'Passw0rd!' } });
  assert.equal(ok.status, 302);
  const sso = await browser.request(authorizeUrl());
  assert.equal(sso.status, 302, 'a hosted-UI session signs in without the form');
  assert.ok(new URL(sso.location).searchParams.get('code'));
  const out = await browser.request(`${h.MOCK}/logout?client_id=${h.CLIENT_ID}&logout_uri=${encodeURIComponent('https://app.example.com/bye')}`);
  assert.deepEqual([out.status, out.location], [302, 'https://app.example.com/bye']);
  assert.equal((await browser.request(authorizeUrl())).status, 200, 'after /logout the form is shown again');
});

test('token endpoint: PKCE, single use, client authentication, error shapes', async () => {
  const { code } = await codeFor();
  const wrongVerifier = await exchange(code, { code_verifier: crypto.randomBytes(32).toString('base64url') });
  assert.deepEqual([wrongVerifier.status, wrongVerifier.body], [400, { error: 'invalid_grant' }]);
  const spent = await exchange(code);
  assert.deepEqual([spent.status, spent.body.error], [400, 'invalid_grant'], 'a code is spent by its first attempt');

  const { code: code2 } = await codeFor();
  if (h.CLIENT_SECRET) {
    const noauth = await exchange(code2, {}, {});
    assert.deepEqual([noauth.status, noauth.body.error], [401, 'invalid_client']);
    const badauth = await exchange(code2, {}, { authorization: 'Basic ' + Buffer.from(`${h.CLIENT_ID}:wrong`).toString('base64') });
    assert.deepEqual([badauth.status, badauth.body.error], [401, 'invalid_client']);
  }
  const { code: code3 } = await codeFor();
  const good = await exchange(code3);
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.deepEqual(Object.keys(good.body), ['id_token', 'access_token', 'refresh_token', 'expires_in', 'token_type']);
  const idc = h.claims(good.body.id_token);
  assert.equal(idc['cognito:username'], 'dave');
  assert.ok(idc.at_hash);

  const json = await fetch(`${h.MOCK}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...basic }, body: '{}' });
  assert.deepEqual([json.status, (await json.json()).error], [400, 'invalid_request']);
  const grant = await h.postForm(`${h.MOCK}/oauth2/token`, { grant_type: 'password', client_id: h.CLIENT_ID }, basic);
  assert.deepEqual([grant.status, grant.body.error], [400, 'unsupported_grant_type']);
  const revokeAccess = await h.postForm(`${h.MOCK}/oauth2/revoke`, { token: good.body.access_token, client_id: h.CLIENT_ID }, basic);
  assert.deepEqual([revokeAccess.status, revokeAccess.body.error], [400, 'unsupported_token_type']);
});

test('identity_provider: the form stands in for the external IdP and signs a federated user in', async () => {
  const { code } = await codeFor({ identity_provider: 'Google' }, 'google_1234567890', '');
  const res = await exchange(code);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const idc = h.claims(res.body.id_token);
  assert.equal(idc['cognito:username'], 'google_1234567890');
  assert.equal(idc.identities[0].providerName, 'Google');
  // A pool user cannot use the Google form, nor the federated user the password form.
  const browser = new h.Browser();
  const form = h.formOf(await browser.go(authorizeUrl({ identity_provider: 'Google' })));
  const refused = await browser.request(form.action, { method: 'POST', form: { ...form.fields, username: 'dave' } });
  assert.equal(refused.status, 200);
  assert.match(refused.text, /Incorrect/);
});
