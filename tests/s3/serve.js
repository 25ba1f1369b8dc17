// s3rver for tests/cli/cognitoctl_export.sh: TLS on 127.0.0.1, one bucket, and
// the access key given in the environment (S3_KEY, S3_SECRET) accepted
// besides s3rver's own; prints "READY <port>" once listening.
'use strict';
const fs = require('fs');
const S3rver = require('s3rver');
const Account = require('s3rver/lib/models/account');

const [dir, bucket, key, cert] = process.argv.slice(2);
Account.DUMMY_ACCOUNT.createKeyPair(process.env.S3_KEY, process.env.S3_SECRET);
new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  key: fs.readFileSync(key),
  cert: fs.readFileSync(cert),
  configureBuckets: [{ name: bucket, configs: [] }],
})
  .run()
  .then(({ port }) => console.log('READY ' + port))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
