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

test('live credentials with WXPAY_MODE unset: refused (no silent sandbox), naming the variables and never their values', () => {
  const rows: [Record<string, string>, string[]][] = [
    [{ WXPAY_MCHID: '1234567890', WXPAY_KEY: 'Q'.repeat(32) }, ['WXPAY_MCHID', 'WXPAY_KEY']],
    [{ WECHAT_SECRET: 'app-secret-value-9f8e7d' }, ['WECHAT_SECRET']],
    [{ WECHAT_APPID: 'wx1234', WXPAY_APIV3_KEY: 'V'.repeat(32), WXPAY_PRIVATE_KEY_PATH: '/etc/wxpay/apiclient_key.pem' }, ['WECHAT_APPID', 'WXPAY_APIV3_KEY', 'WXPAY_PRIVATE_KEY_PATH']],
    [{ WXPAY_CLIENT_P12_PATH: '/etc/wxpay/apiclient_cert.p12', WXPAY_MODE: '  ' }, ['WXPAY_CLIENT_P12_PATH']],
  ];
  for (const [env, names] of rows) {
    assert.throws(() => loadConfig(env), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.variable, 'WXPAY_MODE');
      assert.ok(error.message.includes(names.join(', ')), error.message);
      assert.match(error.message, /WXPAY_MODE=live/);
      for (const [name, value] of Object.entries(env)) {
        if (name !== 'WXPAY_MODE') assert.ok(!error.message.includes(value), `the value of ${name} leaked`);
      }
      return true;
    });
  }
  // An explicit choice is respected: WXPAY_MODE=sandbox still runs the sandbox (and ignores them); live uses them.
  assert.equal(loadConfig({ WXPAY_MODE: 'sandbox', WXPAY_MCHID: '1234567890' }).mode, 'sandbox');
  assert.equal(loadConfig(LIVE_V2).mode, 'live');
  // Variables that are not credentials do not trigger it.
  assert.equal(loadConfig({ WXPAY_API_VERSION: 'v3', PORT: '8080', WXPAY_API_BASE: 'http://127.0.0.1:4000' }).mode, 'sandbox');
});

test('SANDBOX_EXPOSE: off by default, true or false, and refused in live mode', () => {
  assert.equal(loadConfig({}).sandboxExpose, false);
  assert.equal(loadConfig({ SANDBOX_EXPOSE: 'true' }).sandboxExpose, true);
  fails({ SANDBOX_EXPOSE: 'yes' }, 'SANDBOX_EXPOSE');
  fails({ ...LIVE_V2, SANDBOX_EXPOSE: 'true' }, 'SANDBOX_EXPOSE', /sandbox mode/);
});

test('TRUST_PROXY: a hop count or proxy addresses/CIDRs; true (trust every hop) is refused', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1);
  assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1,fd00::/8, loopback' }).trustProxy, ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8', 'loopback']);
  fails({ TRUST_PROXY: 'true' }, 'TRUST_PROXY', /X-Forwarded-For/);
  fails({ TRUST_PROXY: '11' }, 'TRUST_PROXY');
  fails({ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY');
  fails({ TRUST_PROXY: 'nginx.internal' }, 'TRUST_PROXY');
  fails({ TRUST_PROXY: ',' }, 'TRUST_PROXY');
});

test('abuse limits: ORDERS_PER_MINUTE, OPEN_ORDERS_MAX, ORDER_MISSES_PER_MINUTE', () => {
  const c = loadConfig({});
  assert.deepEqual([c.ordersPerMinute, c.openOrdersMax, c.orderMissesPerMinute], [20, 20, 30]);
  const d = loadConfig({ ORDERS_PER_MINUTE: '5', OPEN_ORDERS_MAX: '3', ORDER_MISSES_PER_MINUTE: '7' });
  assert.deepEqual([d.ordersPerMinute, d.openOrdersMax, d.orderMissesPerMinute], [5, 3, 7]);
  fails({ ORDERS_PER_MINUTE: '0' }, 'ORDERS_PER_MINUTE');
  fails({ OPEN_ORDERS_MAX: 'many' }, 'OPEN_ORDERS_MAX');
  fails({ ORDER_MISSES_PER_MINUTE: '-1' }, 'ORDER_MISSES_PER_MINUTE');
});
