'use strict';
// Test fixtures: dynalite, a bridge on a free port, the mock IdP (started
// by tests/bridge/bridge.sh: MOCK_ENDPOINT, MOCK_CLIENT_ID, MOCK_CLIENT_SECRET,
// NODE_EXTRA_CA_CERTS=its CA), and a tiny cookie-keeping "browser".

const path = require('node:path');
const dynalite = require('dynalite');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { Bridge } = require('../lib/app');
const { fromEnv } = require('../lib/config');
const local = require('../local');

const MOCK = (process.env.MOCK_ENDPOINT || '').replace(/\/+$/, '');
const CLIENT_ID = process.env.MOCK_CLIENT_ID || 'mockclient0123456789abcdef';
const CLIENT_SECRET = process.env.MOCK_CLIENT_SECRET || '';

async function startDynalite() {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const db = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return { server, endpoint, db };
}

// A clock the tests move: bridge.now() = real time + offset.
function clock() {
  const c = { offset: 0 };
  c.now = () => Date.now() / 1000 + c.offset;
  return c;
}

// A bridge over HTTP on 127.0.0.1 with its own table. env: extra settings.
async function startBridge(dyn, env = {}, tls = null) {
  const c = clock();
  const config = fromEnv({
    TABLE_NAME: 'bridge_' + Math.random().toString(36).slice(2),
    COGNITO_DOMAIN: MOCK,
    CLIENT_ID,
    CLIENT_SECRET,
    COOKIE_SECURE: '0',
    POLL_INTERVAL: '0.3',
    IP_LIMIT: '100',
    ...env,
  });
  config.dynamodb = dyn.db;
  const bridge = new Bridge(config, c.now);
  const server = await local.start({ bridge, create: true, tls });
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  if (tls) bridge.config.publicUrl = base; /* its links say https, cookies stay test cookies */
  return { server, bridge, base, clock: c, config };
}

async function mockCtl(method, p, body) {
  const res = await fetch(`${MOCK}/_mock/${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const obj = await res.json();
  if (res.status !== 200) throw new Error(`mock ${p}: ${JSON.stringify(obj)}`);
  return obj;
}

async function postForm(url, fields, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

// A browser: cookies per origin, redirects followed by hand (so a test
// can stop before one), forms read from the HTML.
class Browser {
  constructor() {
    this.jars = new Map();
  }

  jar(url) {
    const origin = new URL(url).origin;
    if (!this.jars.has(origin)) this.jars.set(origin, new Map());
    return this.jars.get(origin);
  }

  async request(url, { method = 'GET', form } = {}) {
    const jar = this.jar(url);
    const headers = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    const text = await res.text();
    const location = res.headers.get('location');
    return { status: res.status, text, location: location && new URL(location, url).href, url };
  }

  // Follows redirects until a page that is not one, or until stop(url) says so.
  async go(url, opts = {}, stop = () => false) {
    let res = await this.request(url, opts);
    for (let i = 0; i < 10 && res.location && !stop(res.location); i++) res = await this.request(res.location);
    return res;
  }
}

// The first form of a page: {action (absolute), method, fields}.
function formOf(page) {
  const m = page.text.match(/<form([^>]*)>([\s\S]*?)<\/form>/);
  if (!m) throw new Error('no form in ' + page.text.slice(0, 300));
  const attr = (s, n) => {
    const r = s.match(new RegExp(`${n}="([^"]*)"`));
    return r ? r[1].replace(/&amp;/g, '&').replace(/&#(\d+);/g, (_, d) => String.fromCharCode(d)) : null;
  };
  const fields = {};
  for (const input of m[2].match(/<input[^>]*>/g) || []) {
    const name = attr(input, 'name');
    if (name) fields[name] = attr(input, 'value') || '';
  }
  return { action: new URL(attr(m[1], 'action'), page.url).href, method: (attr(m[1], 'method') || 'get').toUpperCase(), fields };
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { MOCK, CLIENT_ID, CLIENT_SECRET, startDynalite, startBridge, mockCtl, postForm, Browser, formOf, claims, sleep, root: path.join(__dirname, '..') };
