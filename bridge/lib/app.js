'use strict';
// The bridge: RFC 8628 device authorization in front of a Cognito user
// pool's hosted UI (authorization code + PKCE S256).
//
//   POST /device_authorization  device_code, user_code, verification URIs
//   POST /token                 the device-code grant, polled by the device
//   GET  /device                page: type or confirm the user code
//   POST /device                approve (-> Cognito's /oauth2/authorize) or deny
//   GET  /callback              Cognito's redirect: code -> tokens for the device
//
// handle(req) takes {method, path, query, headers (lower-case), cookies
// (Cookie header values), body (string), ip} and returns a Function URL
// response {statusCode, headers, cookies, body}.

const u = require('./util');
const pages = require('./pages');
const { Store } = require('./store');

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const CSRF_COOKIE = 'bridge_csrf';
const SLOW_DOWN_STEP = 5;
// A device that waits `interval` between polls may still arrive a little
// early by our clock; this much early is not "too fast".
const POLL_SLACK = 0.5;

class Bridge {
  constructor(config, now = () => Date.now() / 1000) {
    this.config = config;
    this.store = new Store(config);
    this.now = now;
    this.csrfCookie = (config.cookieSecure ? '__Host-' : '') + CSRF_COOKIE;
  }

  baseUrl(req) {
    if (this.config.publicUrl) return this.config.publicUrl;
    const proto = this.config.cookieSecure ? 'https' : 'http';
    return `${proto}://${req.headers.host}`;
  }

  cookie(value, maxAge) {
    const secure = this.config.cookieSecure ? '; Secure' : '';
    return `${this.csrfCookie}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
  }

  async handle(req) {
    const route = `${req.method} ${req.path.replace(/\/+$/, '') || '/'}`;
    const res = await this.route(route, req);
    // The confirm form posts to us and we redirect to the hosted UI: that
    // redirect is a form action too, so the CSP names Cognito's domain.
    if (res.headers['content-security-policy']) {
      res.headers['content-security-policy'] = res.headers['content-security-policy'].replace(
        "form-action 'self'",
        `form-action 'self' ${this.config.cognitoDomain}`,
      );
    }
    return res;
  }

  async route(route, req) {
    try {
      switch (route) {
        case 'POST /device_authorization':
          return await this.deviceAuthorization(req);
        case 'POST /token':
          return await this.token(req);
        case 'GET /device':
          return await this.devicePage(req);
        case 'POST /device':
          return await this.deviceAnswer(req);
        case 'GET /callback':
          return await this.callback(req);
        default:
          return u.json(404, { error: 'not_found' });
      }
    } catch (err) {
      console.error('bridge: %s: %s', route, err && err.stack ? err.stack : err);
      return u.json(500, { error: 'server_error' });
    }
  }

  form(req) {
    const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    return type === 'application/x-www-form-urlencoded' ? u.parseForm(req.body) : null;
  }

  // -- the device's side ----------------------------------------------------

  async deviceAuthorization(req) {
    const form = this.form(req);
    if (!form) return u.oauthError(400, 'invalid_request', 'expected a form body');
    if (!this.config.deviceClientIds.includes(form.client_id)) return u.oauthError(401, 'invalid_client');
    const scopes = (form.scope || this.config.scopes.join(' ')).split(/\s+/).filter(Boolean);
    if (!scopes.length || scopes.some((s) => !this.config.scopes.includes(s))) {
      return u.oauthError(400, 'invalid_scope');
    }
    const now = Math.floor(this.now());
    const window = Math.floor(now / this.config.ipWindow);
    const ok = await this.store.count(`rl#ip#${req.ip}#${window}`, this.config.ipLimit, now + 2 * this.config.ipWindow);
    if (!ok) {
      return u.oauthError(429, 'slow_down', 'too many device authorizations from this address', {
        'retry-after': String(this.config.ipWindow),
      });
    }
    const deviceCode = u.randomToken(32);
    const dcKey = 'dc#' + u.sha256(deviceCode);
    const expires = now + this.config.deviceCodeTtl;
    let userCode = null;
    for (let i = 0; i < 5 && !userCode; i++) {
      const candidate = u.newUserCode();
      if (await this.store.create({ pk: 'uc#' + candidate, dc: dcKey, ttl: expires })) userCode = candidate;
    }
    if (!userCode) return u.oauthError(503, 'temporarily_unavailable');
    const host = typeof form.host === 'string' ? form.host.replace(/[^\x21-\x7e]/g, '').slice(0, 253) : '';
    await this.store.create({
      pk: dcKey,
      user_code: userCode,
      client_id: form.client_id,
      scope: scopes.join(' '),
      host,
      ip: req.ip,
      status: 'pending',
      interval: this.config.interval,
      next_poll: now,
      created: now,
      expires,
      ttl: expires + 3600,
    });
    const base = this.baseUrl(req);
    const shown = u.displayUserCode(userCode);
    return u.json(200, {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: `${base}/device`,
      verification_uri_complete: `${base}/device?user_code=${shown}`,
      expires_in: this.config.deviceCodeTtl,
      interval: this.config.interval,
    });
  }

  async token(req) {
    const form = this.form(req);
    if (!form) return u.oauthError(400, 'invalid_request', 'expected a form body');
    if (form.grant_type !== DEVICE_GRANT) return u.oauthError(400, 'unsupported_grant_type');
    if (!form.device_code) return u.oauthError(400, 'invalid_request', 'device_code is required');
    const key = 'dc#' + u.sha256(form.device_code);
    const rec = await this.store.get(key);
    if (!rec || rec.status === 'done') return u.oauthError(400, 'invalid_grant');
    if (form.client_id !== rec.client_id) return u.oauthError(401, 'invalid_client');
    const now = this.now();
    if (now >= rec.expires) return u.oauthError(400, 'expired_token');
    // One poll per interval: a poll before next_poll is refused and the
    // interval grows (RFC 8628 3.5); the check and the update are one
    // conditional write, so parallel polls cannot both pass.
    const polled = await this.store.update(
      key,
      { next_poll: now + rec.interval - Math.min(POLL_SLACK, rec.interval / 4) },
      { expression: 'next_poll <= :now', values: { ':now': now } },
    );
    if (!polled) {
      await this.store.update(key, { interval: rec.interval + SLOW_DOWN_STEP, next_poll: now + rec.interval + SLOW_DOWN_STEP });
      return u.oauthError(400, 'slow_down');
    }
    if (rec.status === 'pending') return u.oauthError(400, 'authorization_pending');
    if (rec.status === 'denied') {
      await this.store.take(key);
      return u.oauthError(400, 'access_denied');
    }
    // approved: the tokens leave once; a second poll finds status done.
    const handed = await this.store.update(
      key,
      { status: 'done', tokens: null },
      { expression: '#s = :approved', names: { '#s': 'status' }, values: { ':approved': 'approved' } },
    );
    if (!handed || !rec.tokens) return u.oauthError(400, 'invalid_grant');
    const t = rec.tokens;
    const out = { access_token: t.access_token, token_type: t.token_type || 'Bearer', expires_in: t.expires_in };
    if (t.id_token) out.id_token = t.id_token;
    if (t.refresh_token) out.refresh_token = t.refresh_token;
    out.scope = rec.scope;
    return u.json(200, out);
  }

  // -- the person's side --------------------------------------------------------

  // The device record a user code names, if it can still be approved.
  async pendingByUserCode(userCode) {
    const pointer = await this.store.get('uc#' + userCode);
    if (!pointer) return null;
    const rec = await this.store.get(pointer.dc);
    if (!rec || rec.status !== 'pending' || this.now() >= rec.expires) return null;
    return { key: pointer.dc, rec };
  }

  csrfFor(cookie, userCode) {
    return u.hmac(cookie, 'device-confirm|' + userCode);
  }

  async devicePage(req) {
    if (req.query.user_code === undefined) return u.html(200, pages.enterCode());
    const now = Math.floor(this.now());
    const window = Math.floor(now / this.config.ipWindow);
    // Guessing user codes costs requests: the same per-address budget, x5.
    if (!(await this.store.count(`rl#look#${req.ip}#${window}`, 5 * this.config.ipLimit, now + 2 * this.config.ipWindow))) {
      return u.html(429, pages.message('Too many attempts', 'Wait a minute and try again.'));
    }
    const userCode = u.normalizeUserCode(req.query.user_code);
    const found = userCode && (await this.pendingByUserCode(userCode));
    if (!found) return u.html(400, pages.enterCode('That code is not valid or has expired. Check the code on the device.'));
    const cookies = u.parseCookies(req.cookies);
    let cookie = cookies[this.csrfCookie];
    const set = [];
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) {
      cookie = u.randomToken(32);
      set.push(this.cookie(cookie, this.config.stateTtl));
    }
    return u.html(200, pages.confirm(found.rec, userCode, this.csrfFor(cookie, userCode)), set);
  }

  async deviceAnswer(req) {
    const form = this.form(req) || {};
    const cookie = u.parseCookies(req.cookies)[this.csrfCookie];
    const userCode = u.normalizeUserCode(form.user_code);
    if (!cookie || !userCode || !u.sameString(form.csrf, this.csrfFor(cookie, userCode))) {
      return u.html(403, pages.message('Request refused', 'This form has expired or did not come from this page. Open the link again.', 'error'));
    }
    const found = await this.pendingByUserCode(userCode);
    if (!found) return u.html(400, pages.enterCode('That code is not valid or has expired. Check the code on the device.'));
    if (form.action === 'deny') {
      await this.store.update(found.key, { status: 'denied' }, { expression: '#s = :p', names: { '#s': 'status' }, values: { ':p': 'pending' } });
      return u.html(200, pages.message('Sign-in denied', 'The device will not be signed in.', 'denied'));
    }
    if (form.action !== 'approve') return u.html(400, pages.message('Request refused', 'Choose continue or deny.', 'error'));
    const state = u.randomToken(32);
    const verifier = u.randomToken(48);
    const now = Math.floor(this.now());
    await this.store.create({
      pk: 'st#' + u.sha256(state),
      dc: found.key,
      verifier,
      browser: u.sha256(cookie),
      expires: now + this.config.stateTtl,
      ttl: now + this.config.stateTtl + 3600,
    });
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: this.baseUrl(req) + '/callback',
      state,
      scope: found.rec.scope,
      code_challenge: u.sha256(verifier),
      code_challenge_method: 'S256',
    });
    if (this.config.identityProvider) params.set('identity_provider', this.config.identityProvider);
    return u.redirect(`${this.config.cognitoDomain}/oauth2/authorize?${params}`);
  }

  async callback(req) {
    const state = req.query.state;
    if (typeof state !== 'string' || !state) return u.html(400, pages.message('Sign-in failed', 'The sign-in link is missing its state.', 'error'));
    // Single use: the state is deleted by the first request that names it.
    const st = await this.store.take('st#' + u.sha256(state));
    if (!st || this.now() >= st.expires) {
      return u.html(400, pages.message('Sign-in failed', 'This sign-in link is not valid or was used already. Start again from the device.', 'error'));
    }
    const cookie = u.parseCookies(req.cookies)[this.csrfCookie];
    if (!cookie || !u.sameString(u.sha256(cookie), st.browser)) {
      return u.html(403, pages.message('Sign-in failed', 'This sign-in was started in another browser.', 'error'));
    }
    const rec = await this.store.get(st.dc);
    if (!rec || rec.status !== 'pending' || this.now() >= rec.expires) {
      return u.html(400, pages.message('Sign-in failed', 'The device code has expired. Start again from the device.', 'error'));
    }
    if (req.query.error) {
      if (req.query.error === 'access_denied') {
        await this.store.update(st.dc, { status: 'denied' }, { expression: '#s = :p', names: { '#s': 'status' }, values: { ':p': 'pending' } });
      }
      return u.html(400, pages.message('Sign-in failed', `The sign-in service said: ${req.query.error}`, 'error'));
    }
    if (typeof req.query.code !== 'string' || !req.query.code) {
      return u.html(400, pages.message('Sign-in failed', 'The sign-in service sent no code.', 'error'));
    }
    const tokens = await this.exchange(req, req.query.code, st.verifier);
    if (!tokens.ok) return u.html(502, pages.message('Sign-in failed', `The sign-in service refused the code (${tokens.error}).`, 'error'));
    const approved = await this.store.update(
      st.dc,
      { status: 'approved', tokens: tokens.body },
      { expression: '#s = :p', names: { '#s': 'status' }, values: { ':p': 'pending' } },
    );
    if (!approved) return u.html(400, pages.message('Sign-in failed', 'The device is no longer waiting.', 'error'));
    return u.html(200, pages.success(usernameOf(tokens.body.id_token), rec.host), [this.cookie('', 0)]);
  }

  // Code -> tokens at Cognito's token endpoint (RFC 6749 4.1.3 + RFC 7636).
  async exchange(req, code, verifier) {
    const c = this.config;
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: c.clientId,
      code,
      redirect_uri: this.baseUrl(req) + '/callback',
      code_verifier: verifier,
    });
    if (c.clientSecret) {
      const enc = (s) => encodeURIComponent(s);
      headers.authorization = 'Basic ' + Buffer.from(`${enc(c.clientId)}:${enc(c.clientSecret)}`).toString('base64');
    }
    let res;
    try {
      res = await fetch(`${c.cognitoDomain}/oauth2/token`, {
        method: 'POST',
        headers,
        body: body.toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(c.tokenTimeoutMs),
      });
    } catch (err) {
      console.error('bridge: token endpoint: %s', err.cause || err);
      return { ok: false, error: 'unreachable' };
    }
    let obj = null;
    try {
      obj = await res.json();
    } catch {
      obj = null;
    }
    if (!res.ok || !obj || typeof obj.access_token !== 'string') {
      return { ok: false, error: (obj && typeof obj.error === 'string' && obj.error.replace(/[^a-z_]/g, '')) || `HTTP ${res.status}` };
    }
    const keep = {};
    for (const k of ['id_token', 'access_token', 'refresh_token', 'expires_in', 'token_type']) if (obj[k] !== undefined) keep[k] = obj[k];
    return { ok: true, body: keep };
  }
}

// The user an ID token names, for the success page only (the token came
// straight from Cognito over TLS; the device verifies it).
function usernameOf(idToken) {
  try {
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString());
    return claims['cognito:username'] || claims.email || '';
  } catch {
    return '';
  }
}

module.exports = { Bridge, DEVICE_GRANT };
