#!/usr/bin/env node
'use strict';
// A scripted person with a browser, for shell tests: opens a
// verification_uri_complete, approves (or denies), signs in at the mock's
// hosted UI, and prints the last page's outcome: "success", "denied", or
// "error <status> <text>" (exit 1).
//   approve.js URL USERNAME PASSWORD [approve|deny]
// Environment: NODE_EXTRA_CA_CERTS (the mock's CA).

const h = require('./helpers');

async function main() {
  const [url, username, password, action = 'approve'] = process.argv.slice(2);
  if (!url || !username) throw new Error('usage: approve.js URL USERNAME PASSWORD [approve|deny]');
  const browser = new h.Browser();
  const page = await browser.go(url);
  if (page.status !== 200) return fail(page);
  const confirm = h.formOf(page);
  const next = await browser.go(confirm.action, { method: 'POST', form: { ...confirm.fields, action } });
  if (action === 'deny') return /id="denied"/.test(next.text) ? console.log('denied') : fail(next);
  if (next.status !== 200) return fail(next);
  const signin = h.formOf(next);
  const done = await browser.go(signin.action, { method: 'POST', form: { ...signin.fields, username, password: password || '' } });
  return /id="success"/.test(done.text) ? console.log('success') : fail(done);
}

function fail(page) {
  const text = page.text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').slice(0, 200);
  console.log(`error ${page.status} ${text}`);
  process.exitCode = 1;
}

main().catch((err) => {
  console.log(`error 0 ${err.message}`);
  process.exitCode = 1;
});
