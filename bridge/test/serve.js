#!/usr/bin/env node
'use strict';
// For shell tests (tests/bridge/bridge_lib.sh, the PAM and sshd tests): a
// dynalite in this process, the bridge on 127.0.0.1 in front of the mock
// IdP, and the bridge's callback registered on the mock's client.
// Environment: MOCK_ENDPOINT, MOCK_CLIENT_ID, MOCK_CLIENT_SECRET (the
// mock's), NODE_EXTRA_CA_CERTS (its CA), and any bridge setting
// (POLL_INTERVAL, DEVICE_CODE_TTL, IP_LIMIT, ...), TLS_CERT and TLS_KEY for
// HTTPS. Prints "READY <port>".

const fs = require('node:fs');
const h = require('./helpers');

const BRIDGE_KEYS = ['DEVICE_CODE_TTL', 'POLL_INTERVAL', 'STATE_TTL', 'IP_LIMIT', 'IP_WINDOW', 'IDENTITY_PROVIDER', 'SCOPES', 'DEVICE_CLIENT_IDS'];

async function main() {
  const dyn = await h.startDynalite();
  const env = { POLL_INTERVAL: process.env.POLL_INTERVAL || '1', IP_LIMIT: process.env.IP_LIMIT || '100' };
  for (const k of BRIDGE_KEYS) if (process.env[k]) env[k] = process.env[k];
  // TLS_CERT and TLS_KEY (PEM files, e.g. the mock's): serve HTTPS.
  const tls = process.env.TLS_CERT && process.env.TLS_KEY
    ? { cert: fs.readFileSync(process.env.TLS_CERT), key: fs.readFileSync(process.env.TLS_KEY) }
    : null;
  const b = await h.startBridge(dyn, env, tls);
  const ui = await h.mockCtl('GET', 'hostedui');
  await h.mockCtl('POST', 'hostedui', { callback_urls: [...ui.settings.callback_urls, b.base + '/callback'] });
  console.log(`READY ${b.server.address().port}`);
}

main().catch((err) => {
  console.error('bridge/test/serve.js: %s', err.stack || err);
  process.exit(1);
});
