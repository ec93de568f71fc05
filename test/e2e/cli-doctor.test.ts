/**
 * `wxpay-kit doctor` as an operator runs it: the built binary (packages/server/dist/cli.js) as a process, configured
 * by its environment, checking real credentials against a real sandbox on a free port and a real SQLite database.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, DEMO_MERCHANT } from '@wxpay-kit/sandbox';
import { SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM, generateRsaKeyPair } from '@wxpay-kit/wechat/testing';
import { openStore } from '../../packages/server/src/store/open.js';
import { requirePostgres, testSchema } from '../../packages/server/test/helpers/postgres.js';

type Run = { code: number; stdout: string; stderr: string };
type Check = { name: string; ok: boolean; detail: string; fix?: string };

function runCli(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const bin = join(process.cwd(), 'packages/server/dist/cli.js');
  return new Promise((resolve) => {
    // cwd: a directory without a .env, so only this environment configures the run.
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const GOOD = {
  WECHAT_APPID: 'wx8888888888888888',
  WECHAT_SECRET: 'sandbox0demo0app0secret000000001',
  WXPAY_MCHID: '1900000001',
  WXPAY_KEY: 'sandbox0demo0apiv2key00000000001',
  SESSION_SECRET: 'doctor-test-session-secret-0123456789',
};

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await createSandbox();
  t.after(() => sandbox.close());
  const url = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const databaseUrl = `sqlite:${join(dir, 'wxpay-kit.db')}`;
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'wxpay-kit.db') });
  await store.close();
  return { dir, url, base: { DATABASE_URL: databaseUrl, WXPAY_API_BASE: url, WECHAT_API_BASE: url } };
}

function checksOf(run: Run): Check[] {
  return (JSON.parse(run.stdout) as { checks: Check[] }).checks;
}

test('doctor with good v2 credentials against the sandbox: every check passes, exit 0', async (t) => {
  const { dir, url, base } = await setup(t);
  const env = { ...base, ...GOOD, WXPAY_MODE: 'live', PUBLIC_URL: url };
  const json = await runCli(['doctor', '--json'], env, dir);
  assert.equal(json.code, 0, json.stdout + json.stderr);
  const checks = checksOf(json);
  assert.deepEqual(checks.map((c) => c.name), ['clock', 'app secret (code2Session)', 'API v2 key (signed orderquery)', 'notify URL reachable', 'database']);
  assert.ok(checks.every((c) => c.ok), JSON.stringify(checks));

  const human = await runCli(['doctor'], env, dir);
  assert.equal(human.code, 0, human.stdout + human.stderr);
  assert.equal(human.stdout.split('\n').filter((l) => l.startsWith('✓ ')).length, 5);
  assert.match(human.stdout, /all checks passed/);
  for (const secret of [GOOD.WECHAT_SECRET, GOOD.WXPAY_KEY, GOOD.SESSION_SECRET]) assert.ok(!(json.stdout + human.stdout).includes(secret));
});

test('doctor with a wrong app secret and a wrong API v2 key: exit 1, the failing checks named with the fix, no secret printed', async (t) => {
  const { dir, base } = await setup(t);
  const wrong = { WECHAT_SECRET: 'wrong0app0secret0000000000000009', WXPAY_KEY: 'wrong0apiv2key000000000000000009' };
  const env = { ...base, ...GOOD, ...wrong, WXPAY_MODE: 'live' };
  const human = await runCli(['doctor'], env, dir);
  assert.equal(human.code, 1, human.stdout + human.stderr);
  assert.match(human.stdout, /✗ app secret \(code2Session\): WeChat refused the app secret \(40125/);
  assert.match(human.stdout, /fix: set WECHAT_SECRET to the AppSecret/);
  assert.match(human.stdout, /✗ API v2 key \(signed orderquery\)/);
  assert.match(human.stdout, /fix: set WXPAY_KEY to the APIv2 key/);
  assert.match(human.stdout, /✓ database/);
  assert.match(human.stdout, /2 check\(s\) failed/);
  const json = await runCli(['doctor', '--json'], env, dir);
  assert.equal(json.code, 1);
  const failed = checksOf(json).filter((c) => !c.ok);
  assert.deepEqual(failed.map((c) => c.name), ['app secret (code2Session)', 'API v2 key (signed orderquery)']);
  assert.ok(failed.every((c) => c.fix !== undefined && c.fix.length > 0));
  for (const secret of [...Object.values(wrong), GOOD.WECHAT_SECRET, GOOD.WXPAY_KEY, GOOD.SESSION_SECRET]) {
    assert.ok(!(human.stdout + human.stderr + json.stdout + json.stderr).includes(secret), 'no secret in the output');
  }
});

test('doctor in sandbox mode (v3) against a running sandbox; an unreachable notify URL and a missing database fail', async (t) => {
  const { dir, base } = await setup(t);
  const good = await runCli(['doctor', '--json'], { ...base, WXPAY_MODE: 'sandbox', WXPAY_API_VERSION: 'v3' }, dir);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const checks = checksOf(good);
  assert.ok(checks.some((c) => c.name === 'API v3 keys (order query)' && c.ok), JSON.stringify(checks));

  const bad = await runCli(['doctor', '--json'], { ...base, WXPAY_MODE: 'sandbox', PUBLIC_URL: 'http://127.0.0.1:9', DATABASE_URL: `sqlite:${join(dir, 'missing.db')}` }, dir);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const failed = checksOf(bad).filter((c) => !c.ok).map((c) => c.name);
  assert.deepEqual(failed, ['notify URL reachable', 'database']);
});

test('doctor, live API v3: the public key must verify WeChat Pay\'s signed answer, platform certificates must download and decrypt with the APIv3 key', async (t) => {
  const { dir, url, base } = await setup(t);
  const demo = ((await (await fetch(`${url}/sandbox/merchants`)).json()) as { merchants: { merchantPrivateKey: string; merchantCertSerial: string; apiV3Key: string }[] }).merchants[0];
  assert.ok(demo !== undefined);
  const keyPath = join(dir, 'apiclient_key.pem');
  writeFileSync(keyPath, demo.merchantPrivateKey);
  const publicKeyPath = join(dir, 'pub_key.pem');
  writeFileSync(publicKeyPath, SANDBOX_PUBLIC_KEY_PEM);
  const v3 = {
    ...base, WXPAY_MODE: 'live', WXPAY_API_VERSION: 'v3', WECHAT_APPID: GOOD.WECHAT_APPID, WECHAT_SECRET: GOOD.WECHAT_SECRET, WXPAY_MCHID: GOOD.WXPAY_MCHID,
    SESSION_SECRET: GOOD.SESSION_SECRET, WXPAY_APIV3_KEY: demo.apiV3Key, WXPAY_PRIVATE_KEY_PATH: keyPath, WXPAY_CERT_SERIAL: demo.merchantCertSerial,
    WXPAY_PUBLIC_KEY_PATH: publicKeyPath, WXPAY_PUBLIC_KEY_ID: SANDBOX_PUBLIC_KEY_ID,
  };
  const good = await runCli(['doctor', '--json'], v3, dir);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  const publicKey = checksOf(good).find((c) => c.name === 'API v3 public key');
  assert.equal(publicKey?.ok, true, JSON.stringify(checksOf(good)));
  assert.match(publicKey?.detail ?? '', new RegExp(`verified with ${SANDBOX_PUBLIC_KEY_ID}`));

  // Another key under the right id: WeChat's answer does not verify.
  const otherKey = join(dir, 'other_pub_key.pem');
  writeFileSync(otherKey, generateRsaKeyPair().publicKeyPem);
  const wrongKey = await runCli(['doctor', '--json'], { ...v3, WXPAY_PUBLIC_KEY_PATH: otherKey }, dir);
  assert.equal(wrongKey.code, 1, wrongKey.stdout + wrongKey.stderr);
  const refused = checksOf(wrongKey).filter((c) => !c.ok);
  assert.deepEqual(refused.map((c) => c.name), ['API v3 public key']);
  assert.match(refused[0]?.fix ?? '', /WXPAY_PUBLIC_KEY_PATH/);

  // Platform certificates asked of a public-key merchant: WeChat has none for it.
  const noCerts = await runCli(['doctor', '--json'], { ...v3, WXPAY_PLATFORM_CERTIFICATES: 'true' }, dir);
  assert.equal(noCerts.code, 1);
  const certs = checksOf(noCerts).find((c) => c.name === 'API v3 platform certificates');
  assert.equal(certs?.ok, false);
  assert.match(certs?.detail ?? '', /RESOURCE_NOT_EXISTS/);
});

test('doctor, live API v3 in platform-certificate mode: a wrong APIv3 key cannot decrypt the certificates', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await createSandbox({ merchants: [{ ...DEMO_MERCHANT, v3KeyMode: 'certificate' }] });
  t.after(() => sandbox.close());
  const url = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const demo = ((await (await fetch(`${url}/sandbox/merchants`)).json()) as { merchants: { merchantPrivateKey: string; merchantCertSerial: string; apiV3Key: string }[] }).merchants[0];
  assert.ok(demo !== undefined);
  const keyPath = join(dir, 'apiclient_key.pem');
  writeFileSync(keyPath, demo.merchantPrivateKey);
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'wxpay-kit.db') });
  await store.close();
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'wxpay-kit.db')}`, WXPAY_API_BASE: url, WECHAT_API_BASE: url, WXPAY_MODE: 'live', WXPAY_API_VERSION: 'v3',
    WECHAT_APPID: GOOD.WECHAT_APPID, WECHAT_SECRET: GOOD.WECHAT_SECRET, WXPAY_MCHID: GOOD.WXPAY_MCHID, SESSION_SECRET: GOOD.SESSION_SECRET,
    WXPAY_APIV3_KEY: demo.apiV3Key, WXPAY_PRIVATE_KEY_PATH: keyPath, WXPAY_CERT_SERIAL: demo.merchantCertSerial,
  };
  const good = await runCli(['doctor', '--json'], env, dir);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(checksOf(good).find((c) => c.name === 'API v3 platform certificates')?.detail ?? '', /decrypted with WXPAY_APIV3_KEY and signature-checked/);
  const wrongKey = 'wrong0apiv3key000000000000000009';
  const bad = await runCli(['doctor'], { ...env, WXPAY_APIV3_KEY: wrongKey }, dir);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /✗ API v3 platform certificates: the certificates could not be decrypted: WXPAY_APIV3_KEY/);
  assert.match(bad.stdout, /✓ API v3 keys \(order query\)/, 'the request signature does not involve the APIv3 key');
  assert.ok(!bad.stdout.includes(wrongKey) && !bad.stderr.includes(wrongKey));
});

test('doctor on PostgreSQL: a migrated schema passes, a schema the server never migrated fails with the fix', async (t) => {
  const pgUrl = await requirePostgres(t);
  if (pgUrl === undefined) return;
  const { dir, base } = await setup(t);
  const schema = await testSchema(t, pgUrl, 'doctor');
  const store = await openStore({ kind: 'postgres', url: pgUrl, schema, poolMax: 1 });
  await store.close();
  const env = { ...base, WXPAY_MODE: 'sandbox', DATABASE_URL: `${pgUrl}?schema=${schema}` };
  const good = await runCli(['doctor', '--json'], env, dir);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(checksOf(good).find((c) => c.name === 'database')?.detail ?? '', new RegExp(`PostgreSQL schema ${schema} reachable and migrated`));

  const fresh = await testSchema(t, pgUrl, 'doctor');
  const bad = await runCli(['doctor', '--json'], { ...env, DATABASE_URL: `${pgUrl}?schema=${fresh}` }, dir);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const database = checksOf(bad).find((c) => c.name === 'database');
  assert.equal(database?.ok, false);
  assert.match(database?.detail ?? '', /migration\(s\) not applied \(0001-initial/);
  assert.match(database?.fix ?? '', /start the server once/);
});

test('usage and configuration errors have their own exit codes (2, 78)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-doctor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const unknown = await runCli(['frobnicate'], {}, dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  assert.match(unknown.stderr, /Usage: wxpay-kit/);
  const config = await runCli(['doctor'], { WXPAY_MODE: 'live', WXPAY_KEY: 'short-and-secret' }, dir);
  assert.equal(config.code, 78, config.stdout + config.stderr);
  assert.match(config.stderr, /configuration error: WECHAT_APPID/);
  assert.ok(!config.stderr.includes('short-and-secret'));
});
