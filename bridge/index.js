'use strict';
// AWS Lambda entry point (Node.js 20, Function URL or API Gateway HTTP
// API payload format 2.0). See README.md.

const { Bridge } = require('./lib/app');
const { fromEnv } = require('./lib/config');

let bridge = null;

// A payload-2.0 event -> the request shape Bridge.handle takes.
function requestOf(event) {
  const http = (event.requestContext && event.requestContext.http) || {};
  const headers = {};
  for (const [k, v] of Object.entries(event.headers || {})) headers[k.toLowerCase()] = v;
  let body = event.body || '';
  if (event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf8');
  const query = {};
  for (const [k, v] of new URLSearchParams(event.rawQueryString || '')) if (!(k in query)) query[k] = v;
  const cookies = event.cookies || (headers.cookie ? [headers.cookie] : []);
  return { method: http.method || 'GET', path: event.rawPath || http.path || '/', query, headers, cookies, body, ip: http.sourceIp || '' };
}

exports.handler = async (event) => {
  if (!bridge) bridge = new Bridge(fromEnv());
  return bridge.handle(requestOf(event));
};
exports.requestOf = requestOf;
