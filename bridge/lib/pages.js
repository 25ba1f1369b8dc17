'use strict';
// The bridge's HTML pages: plain HTML, no script, escaped everywhere.

const { escapeHtml: e, displayUserCode } = require('./util');

const STYLE =
  'body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}' +
  '.code{font-family:monospace;font-size:1.6em;letter-spacing:.1em}' +
  'button{font-size:1.1em;margin-right:1em}';

function page(title, body) {
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${e(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${e(title)}</h1>${body}</body></html>`
  );
}

function enterCode(message) {
  return page(
    'Sign in to a device',
    (message ? `<p id="message">${e(message)}</p>` : '') +
      '<form method="get" action="device"><label>Code shown on the device ' +
      '<input name="user_code" id="user_code" autocomplete="off" autocapitalize="characters" ' +
      'spellcheck="false" size="10"></label> <button type="submit" id="next">Next</button></form>',
  );
}

function confirm(rec, userCode, csrf) {
  const host = rec.host ? `<b id="host">${e(rec.host)}</b> (address ${e(rec.ip)})` : `address <b id="host">${e(rec.ip)}</b>`;
  return page(
    'Sign in to a device',
    `<p>The device at ${host} asks to sign in with your account ` +
      `(application <b id="client">${e(rec.client_id)}</b>, scopes ${e(rec.scope)}).</p>` +
      `<p>It shows the code <span class="code" id="code">${e(displayUserCode(userCode))}</span>. ` +
      'Continue only if the device in front of you shows the same code and you started this sign-in.</p>' +
      '<form method="post" action="device">' +
      `<input type="hidden" name="user_code" value="${e(userCode)}">` +
      `<input type="hidden" name="csrf" value="${e(csrf)}">` +
      '<button type="submit" name="action" value="approve" id="approve">Continue and sign in</button>' +
      '<button type="submit" name="action" value="deny" id="deny">Deny</button></form>',
  );
}

function message(title, text, id = 'message') {
  return page(title, `<p id="${e(id)}">${e(text)}</p>`);
}

function success(username, host) {
  return page(
    'Device signed in',
    `<p id="success">Signed in${username ? ' as <b id="user">' + e(username) + '</b>' : ''}. ` +
      `You can close this page and return to ${host ? e(host) : 'the device'}.</p>`,
  );
}

module.exports = { enterCode, confirm, message, success };
