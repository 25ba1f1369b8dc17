'use strict';
// One device login with a real browser: headless Chromium, driven over
// the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3 to the
// browser, fd 4 from it, NUL-terminated JSON; no WebSocket client
// needed), opens verification_uri_complete, confirms, fills the mock's
// sign-in form and ends on the bridge's success page, while the device
// side polls /token and receives the tokens.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('./helpers');
const { DEVICE_GRANT } = require('../lib/app');

const CHROMIUM = process.env.CHROMIUM || 'chromium';

class Cdp {
  constructor(child) {
    this.child = child;
    this.next = 1;
    this.waiting = new Map();
    let buf = '';
    child.stdio[4].on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        const w = msg.id && this.waiting.get(msg.id);
        if (w) {
          this.waiting.delete(msg.id);
          if (msg.error) w.reject(new Error(`${w.method}: ${msg.error.message}`));
          else w.resolve(msg.result);
        }
      }
    });
  }

  send(method, params = {}, sessionId) {
    const id = this.next++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, method });
      this.child.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }
}

// Waits until `expr` (evaluated in the page) is truthy; returns its value.
async function waitFor(cdp, session, expr, what, ms = 8000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const r = await cdp.send('Runtime.evaluate', { expression: expr, returnByValue: true }, session);
      last = r.result && r.result.value;
      if (last) return last;
    } catch {
      // the page is navigating; ask again
    }
    await h.sleep(50);
  }
  const where = await cdp.send('Runtime.evaluate', { expression: 'location.href + " " + document.body.innerText.slice(0, 300)', returnByValue: true }, session).catch(() => null);
  throw new Error(`timed out waiting for ${what}; page: ${where && where.result.value}`);
}

test('headless Chromium signs a device in while the device polls', { timeout: 30000 }, async (t) => {
  const dyn = await h.startDynalite();
  const b = await h.startBridge(dyn);
  await h.mockCtl('POST', 'hostedui', { callback_urls: [b.base + '/callback'] });
  await h.mockCtl('POST', 'users', { username: 'carol', password: 'Ch0c0late!', attributes: { email: 'carol@example.com' } });
  const profile = fs.mkdtempSync(path.join(process.env.TEST_DIR || os.tmpdir(), 'chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
      '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio',
      // The mock's certificate is signed by a CA made for the test.
      '--ignore-certificate-errors', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank',
    ],
    // Its own process group: Chromium's renderer, utility and crashpad
    // processes outlive a SIGKILL of the browser alone and go on writing
    // in the profile.
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.after(async () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
    b.server.close();
    dyn.server.close();
    // The profile is inside TEST_DIR, which the harness removes anyway: a
    // straggler still writing there is no failure of the sign-in.
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (e) {
      t.diagnostic(`profile left for the harness: ${e.code}`);
    }
  });
  const cdp = new Cdp(child);
  await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('spawn', resolve);
  });

  const da = (await h.postForm(b.base + '/device_authorization', { client_id: h.CLIENT_ID, host: 'build07.example.com' })).body;
  assert.ok(da.verification_uri_complete, JSON.stringify(da));

  // The device polls at the interval until it has tokens.
  const polling = (async () => {
    const seen = new Set();
    for (let i = 0; i < 100; i++) {
      await h.sleep(350);
      const res = await h.postForm(b.base + '/token', { grant_type: DEVICE_GRANT, device_code: da.device_code, client_id: h.CLIENT_ID });
      if (res.status === 200) return { tokens: res.body, seen };
      seen.add(res.body.error);
      if (res.body.error !== 'authorization_pending') throw new Error('poll: ' + JSON.stringify(res.body));
    }
    throw new Error('no tokens');
  })();

  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' }).catch((err) => {
    throw new Error(`${err.message}; chromium said: ${stderr.slice(-500)}`);
  });
  const { sessionId: s } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  await cdp.send('Page.enable', {}, s);
  await cdp.send('Page.navigate', { url: da.verification_uri_complete }, s);
  const host = await waitFor(cdp, s, 'document.getElementById("approve") && document.getElementById("host").textContent', 'the confirm page');
  assert.equal(host, 'build07.example.com');
  const shown = await waitFor(cdp, s, 'document.getElementById("code").textContent', 'the code');
  assert.equal(shown, da.user_code);
  await cdp.send('Runtime.evaluate', { expression: 'document.getElementById("approve").click()' }, s);
  await waitFor(cdp, s, 'location.href.startsWith(' + JSON.stringify(h.MOCK + '/oauth2/authorize') + ') && document.getElementById("password")', "the mock's sign-in form");
  await cdp.send(
    'Runtime.evaluate',
    { expression: 'document.getElementById("username").value = "carol"; document.getElementById("password").value = "Ch0c0late!"; document.getElementById("signin").click()' },
    s,
  );
  const done = await waitFor(cdp, s, 'document.getElementById("success") && document.getElementById("success").textContent', 'the success page');
  assert.match(done, /Signed in as carol/);
  assert.ok((await waitFor(cdp, s, 'location.pathname')).endsWith('/callback'));

  const { tokens, seen } = await polling;
  assert.deepEqual([...seen], ['authorization_pending']);
  assert.equal(h.claims(tokens.id_token)['cognito:username'], 'carol');
  assert.equal(h.claims(tokens.id_token).aud, h.CLIENT_ID);
});
