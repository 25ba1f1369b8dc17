'use strict';
// The bridge's settings, from the environment (see bridge/README.md).

function number(env, name, dflt) {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number`);
  return n;
}

function fromEnv(env = process.env) {
  const missing = ['TABLE_NAME', 'COGNITO_DOMAIN', 'CLIENT_ID'].filter((k) => !env[k]);
  if (missing.length) throw new Error('bridge: missing ' + missing.join(', '));
  const domain = env.COGNITO_DOMAIN.replace(/\/+$/, '');
  if (!/^https:\/\//.test(domain) && env.ALLOW_HTTP_COGNITO !== '1') {
    throw new Error('COGNITO_DOMAIN must be an https:// URL');
  }
  return {
    tableName: env.TABLE_NAME,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION || undefined,
    cognitoDomain: domain,
    clientId: env.CLIENT_ID,
    clientSecret: env.CLIENT_SECRET || '',
    // The client ids devices may name (default: CLIENT_ID).
    deviceClientIds: (env.DEVICE_CLIENT_IDS || env.CLIENT_ID).split(',').map((s) => s.trim()).filter(Boolean),
    publicUrl: (env.PUBLIC_URL || '').replace(/\/+$/, ''),
    identityProvider: env.IDENTITY_PROVIDER || '',
    scopes: (env.SCOPES || 'openid profile').split(/\s+/).filter(Boolean),
    deviceCodeTtl: number(env, 'DEVICE_CODE_TTL', 600),
    interval: number(env, 'POLL_INTERVAL', 5),
    stateTtl: number(env, 'STATE_TTL', 600),
    ipLimit: number(env, 'IP_LIMIT', 10),
    ipWindow: number(env, 'IP_WINDOW', 60),
    cookieSecure: env.COOKIE_SECURE !== '0',
    tokenTimeoutMs: number(env, 'TOKEN_TIMEOUT_MS', 5000),
  };
}

module.exports = { fromEnv };
