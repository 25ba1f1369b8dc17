// s3rver for tests/cli/cognitoctl_export.sh: TLS on 127.0.0.1, one bucket, and
// the access key given in the environment (S3_KEY, S3_SECRET) accepted
// besides s3rver's own; prints "READY <port>" once listening.
'use strict';
// For bench/fleet --measured: more key pairs in S3_KEYS ("KEY:SECRET
// KEY:SECRET ..."), and with a fifth argument LOG every answer logged there
// as "ACCESS_KEY METHOD PATH STATUS" ("-" for anonymous requests), so
// requests can be told apart by who signed them.
const fs = require('fs');
const S3rver = require('s3rver');
const Account = require('s3rver/lib/models/account');

const [dir, bucket, key, cert, log] = process.argv.slice(2);
if (process.env.S3_KEY) Account.DUMMY_ACCOUNT.createKeyPair(process.env.S3_KEY, process.env.S3_SECRET);
for (const pair of (process.env.S3_KEYS || '').split(/\s+/).filter(Boolean)) {
  const i = pair.indexOf(':');
  Account.DUMMY_ACCOUNT.createKeyPair(pair.slice(0, i), pair.slice(i + 1));
}
const out = log ? fs.createWriteStream(log, { flags: 'a' }) : null;
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
    if (out) {
      server.httpServer.on('request', (req, res) => {
        const m = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization || '');
        res.on('finish', () => out.write(`${m ? m[1] : '-'} ${req.method} ${req.url} ${res.statusCode}\n`));
      });
    }
    console.log('READY ' + port);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
if (out) process.on('SIGTERM', () => out.end(() => process.exit(0)));
