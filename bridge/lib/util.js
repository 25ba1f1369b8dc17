'use strict';
// Small helpers of the bridge: random codes, hashes, form and cookie
// parsing, and the shape of an HTTP answer (a Function URL response).

const crypto = require('node:crypto');

// User codes: no vowels (no words), no lookalikes (0/O, 1/I/L, 2/Z, 5/S, U/V).
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

function randomToken(bytes = 32) {
  return b64url(crypto.randomBytes(bytes));
}

function sha256(text) {
  return crypto.createHash('sha256').update(text).digest('base64url');
}

function hmac(key, text) {
  return crypto.createHmac('sha256', key).update(text).digest('base64url');
}

// Constant-time comparison of two strings of any length.
function sameString(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}

// 8 letters of USER_CODE_ALPHABET, uniformly (rejection sampling).
function newUserCode() {
  let out = '';
  while (out.length < USER_CODE_LENGTH) {
    for (const byte of crypto.randomBytes(16)) {
      if (byte < 240 && out.length < USER_CODE_LENGTH) out += USER_CODE_ALPHABET[byte % 20];
    }
  }
  return out;
}

// What a person typed -> the stored form (8 letters), or null.
function normalizeUserCode(text) {
  if (typeof text !== 'string') return null;
  const code = text.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}

function displayUserCode(code) {
  return code.slice(0, 4) + '-' + code.slice(4);
}

function parseForm(text) {
  const out = {};
  for (const [k, v] of new URLSearchParams(text || '')) if (!(k in out)) out[k] = v;
  return out;
}

function parseCookies(list) {
  const out = {};
  for (const header of list || []) {
    for (const part of header.split(';')) {
      const i = part.indexOf('=');
      if (i <= 0) continue;
      const name = part.slice(0, i).trim();
      if (!(name in out)) out[name] = part.slice(i + 1).trim();
    }
  }
  return out;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function json(status, obj, extra = {}) {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...extra },
    body: JSON.stringify(obj),
  };
}

function oauthError(status, error, description, extra = {}) {
  const obj = { error };
  if (description) obj.error_description = description;
  return json(status, obj, extra);
}

function html(status, body, cookies = []) {
  return {
    statusCode: status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS },
    cookies,
    body,
  };
}

function redirect(location, cookies = []) {
  return { statusCode: 302, headers: { location, ...SECURITY_HEADERS }, cookies, body: '' };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

module.exports = {
  USER_CODE_ALPHABET,
  b64url,
  randomToken,
  sha256,
  hmac,
  sameString,
  newUserCode,
  normalizeUserCode,
  displayUserCode,
  parseForm,
  parseCookies,
  json,
  oauthError,
  html,
  redirect,
  escapeHtml,
};
