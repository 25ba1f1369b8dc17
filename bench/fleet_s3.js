// s3rver for bench/fleet --measured: TLS on 127.0.0.1, one bucket, the key
// pairs named in S3_KEYS ("KEY:SECRET KEY:SECRET ...") accepted, and every
// request counted: one line "ACCESS_KEY METHOD PATH STATUS" per answer in
// LOG (anonymous requests as "-"), so GETs are told apart by host (each
// host signs with its own key). Prints "READY <port>" once listening.
'use strict';
const fs = require('fs');
const path = require('path');
const moddir = path.join(__dirname, '..', 'tests', 's3', 'node_modules');
const S3rver = require(path.join(moddir, 's3rver'));
const Account = require(path.join(moddir, 's3rver', 'lib', 'models', 'account'));

const [dir, bucket, key, cert, log] = process.argv.slice(2);
for (const pair of (process.env.S3_KEYS || '').split(/\s+/).filter(Boolean)) {
  const i = pair.indexOf(':');
  Account.DUMMY_ACCOUNT.createKeyPair(pair.slice(0, i), pair.slice(i + 1));
}
const out = fs.createWriteStream(log, { flags: 'a' });
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  key: fs.readFileSync(key),
  cert: fs.readFileSync(cert),
  configureBuckets: [{ name: bucket, configs: [] }],
});
server
  .run()
  .then(({ port }) => {
    server.httpServer.on('request', (req, res) => {
      const m = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization || '');
      res.on('finish', () => {
        out.write(`${m ? m[1] : '-'} ${req.method} ${req.url} ${res.statusCode}\n`);
      });
    });
    console.log('READY ' + port);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
process.on('SIGTERM', () => out.end(() => process.exit(0)));
