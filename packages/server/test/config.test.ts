import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config.js';

function fails(env: Record<string, string>, variable: string, pattern?: RegExp): void {
  assert.throws(() => loadConfig(env), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.variable, variable);
    if (pattern !== undefined) assert.match(error.message, pattern);
    return true;
  });
}

const LIVE_V2 = { WXPAY_MODE: 'live', WECHAT_APPID: 'wx1', WECHAT_SECRET: 's', WXPAY_MCHID: '1900000001', WXPAY_KEY: 'k'.repeat(32), SESSION_SECRET: 'x'.repeat(32) };

test('defaults: sandbox, v2, SQLite under ./data, port 3000, frozen', () => {
  const c = loadConfig({});
  assert.equal(c.mode, 'sandbox');
  assert.equal(c.apiVersion, 'v2');
  assert.deepEqual(c.database, { kind: 'sqlite', path: './data/wxpay-kit.db' });
  assert.equal(c.port, 3000);
  assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
  assert.equal(c.merchant, undefined);
  assert.ok(Object.isFrozen(c));
});

test('PUBLIC_URL follows PORT, trailing slashes trimmed', () => {
  assert.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://127.0.0.1:8080');
  assert.equal(loadConfig({ PUBLIC_URL: 'https://shop.example.com/' }).publicUrl, 'https://shop.example.com');
});

test('each bad variable is named', () => {
  fails({ PORT: 'eighty' }, 'PORT');
  fails({ PORT: '70000' }, 'PORT');
  fails({ WXPAY_MODE: 'prod' }, 'WXPAY_MODE');
  fails({ WXPAY_API_VERSION: 'v4' }, 'WXPAY_API_VERSION');
  fails({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL');
  fails({ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL');
  fails({ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL');
  fails({ PUBLIC_URL: 'https://x/?a=1' }, 'PUBLIC_URL');
  fails({ WECHAT_API_BASE: 'not a url' }, 'WECHAT_API_BASE');
  fails({ SESSION_SECRET: 'short' }, 'SESSION_SECRET');
  fails({ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN');
});

test('live v2 requires appid, secret, mchid and API key, naming what is missing', () => {
  assert.equal(loadConfig(LIVE_V2).merchant?.mchid, '1900000001');
  for (const name of ['WECHAT_APPID', 'WECHAT_SECRET', 'WXPAY_MCHID', 'WXPAY_KEY']) {
    const env: Record<string, string> = { ...LIVE_V2 };
    delete env[name];
    fails(env, name, new RegExp(name));
  }
  fails({ ...LIVE_V2, WXPAY_KEY: 'too-short' }, 'WXPAY_KEY');
  fails({ ...LIVE_V2, SESSION_SECRET: '' }, 'SESSION_SECRET');
  fails({ ...LIVE_V2, WXPAY_CLIENT_CERT_PATH: '/x.pem' }, 'WXPAY_CLIENT_KEY_PATH');
});

test('live mode with nothing configured names every missing variable, payment credentials first', () => {
  const expected = {
    v2: ['WECHAT_APPID', 'WECHAT_SECRET', 'WXPAY_MCHID', 'WXPAY_KEY', 'SESSION_SECRET'],
    v3: ['WECHAT_APPID', 'WECHAT_SECRET', 'WXPAY_MCHID', 'WXPAY_APIV3_KEY', 'WXPAY_PRIVATE_KEY_PATH', 'WXPAY_CERT_SERIAL', 'SESSION_SECRET'],
  };
  for (const [version, names] of Object.entries(expected)) {
    assert.throws(() => loadConfig({ WXPAY_MODE: 'live', WXPAY_API_VERSION: version }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.variable, 'WECHAT_APPID');
      assert.deepEqual(error.variables, names);
      assert.ok(error.message.includes(`requires ${names.join(', ')}`), error.message);
      return true;
    });
  }
  // Only the session secret missing: named alone. A too-short secret is still its own error once the rest is there.
  const { SESSION_SECRET: _unused, ...noSecret } = LIVE_V2;
  assert.throws(() => loadConfig(noSecret), (error: unknown) => error instanceof ConfigError && error.variables.join() === 'SESSION_SECRET');
  fails({ ...LIVE_V2, SESSION_SECRET: 'short' }, 'SESSION_SECRET', /32 characters/);
  // Missing credentials are reported before a malformed secret.
  fails({ WXPAY_MODE: 'live', SESSION_SECRET: 'short' }, 'WECHAT_APPID', /WXPAY_KEY/);
});

test('live v3 requires its own credentials', () => {
  const env = { ...LIVE_V2, WXPAY_API_VERSION: 'v3' };
  fails(env, 'WXPAY_APIV3_KEY');
  const ok = loadConfig({ ...env, WXPAY_APIV3_KEY: 'a'.repeat(32), WXPAY_PRIVATE_KEY_PATH: '/k.pem', WXPAY_CERT_SERIAL: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C' });
  assert.equal(ok.apiVersion, 'v3');
  fails({ ...env, WXPAY_APIV3_KEY: 'a'.repeat(32), WXPAY_PRIVATE_KEY_PATH: '/k.pem', WXPAY_CERT_SERIAL: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C', WXPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0114232134912410000000000000' }, 'WXPAY_PUBLIC_KEY_PATH');
});

test('postgres URLs select the postgres dialect', () => {
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/test' }).database.kind, 'postgres');
});
