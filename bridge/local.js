#!/usr/bin/env node
'use strict';
// The bridge's handlers over plain HTTP (node:http), for tests and for
// trying it out without AWS. The same environment as the Lambda (see
// README.md), plus:
//   PORT           TCP port on 127.0.0.1 (default 0: any free port)
//   CREATE_TABLE=1 create TABLE_NAME first (for DynamoDB Local / dynalite)
// Prints "READY <port>" on stdout once listening.

const http = require('node:http');
const https = require('node:https');
const { Bridge } = require('./lib/app');
const { fromEnv } = require('./lib/config');
const { requestOf } = require('./index');

const MAX_BODY = 64 * 1024;

// An http.IncomingMessage -> a payload-2.0 event, as a Function URL sends it.
function eventOf(req, body) {
  const url = new URL(req.url, 'http://localhost');
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (k !== 'cookie') headers[k] = Array.isArray(v) ? v.join(',') : v;
  return {
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    cookies: req.headers.cookie ? req.headers.cookie.split(/;\s*/) : undefined,
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: req.method, path: url.pathname, sourceIp: req.socket.remoteAddress } },
  };
}

function send(res, out) {
  const headers = { ...(out.headers || {}) };
  if (out.cookies && out.cookies.length) headers['set-cookie'] = out.cookies;
  res.writeHead(out.statusCode, headers);
  res.end(out.body || '');
}

async function createTable(bridge) {
  const { CreateTableCommand, UpdateTimeToLiveCommand } = require('@aws-sdk/client-dynamodb');
  const db = bridge.store.db;
  try {
    await db.send(new CreateTableCommand({
      TableName: bridge.config.tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  } catch (err) {
    if (err.name !== 'ResourceInUseException') throw err;
  }
  try {
    await db.send(new UpdateTimeToLiveCommand({
      TableName: bridge.config.tableName,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    }));
  } catch {
    // dynalite has no TTL; expiry is checked on every read anyway.
  }
}

// Starts a server for `bridge` (or one made from the environment);
// resolves to the http.Server once it listens. With tls ({key, cert}) it
// serves HTTPS, as a device that only speaks https (pam_cognito) needs.
async function start({ bridge, port = 0, create = false, tls = null } = {}) {
  bridge = bridge || new Bridge(fromEnv());
  if (create) await createTable(bridge);
  const handler = (req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', async () => {
      if (res.writableEnded) return;
      const out = await bridge.handle(requestOf(eventOf(req, Buffer.concat(chunks).toString('utf8'))));
      send(res, out);
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.bridge = bridge;
  return server;
}

if (require.main === module) {
  start({ port: Number(process.env.PORT || 0), create: process.env.CREATE_TABLE === '1' })
    .then((server) => console.log(`READY ${server.address().port}`))
    .catch((err) => {
      console.error('bridge/local.js: %s', err.message);
      process.exit(1);
    });
}

module.exports = { start, createTable, eventOf };
