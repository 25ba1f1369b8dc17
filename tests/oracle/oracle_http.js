// What the oracle scripts share: a JSON GET over the mock's TLS (the test
// CA comes in through NODE_EXTRA_CA_CERTS).
'use strict';

const https = require('https');

function getJson(url) {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
        try { return resolve(JSON.parse(data)); } catch (e) { return reject(e); }
      });
    }).on('error', reject);
  });
}

module.exports = { getJson };
