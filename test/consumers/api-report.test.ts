/**
 * The public surface is deliberate: every entry point's exports, as the built declarations show them, must equal the
 * checked-in report (packages/<pkg>/api-report/*.api.md). A change fails here until it is reviewed and recorded with
 * `npm run api:update`. Also: no internal helper leaks out of the entry points.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/packages.js';

test('the built API of every entry point equals the checked-in API report', () => {
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'api-report.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /API reports match the build/);
});

test('protocol internals are not exported from @wxpay-kit/wechat entry points', () => {
  const INTERNALS = ['readHeader', 'canonicalUrl', 'rsaSha256Verify', 'rsaSha256Sign', 'normaliseSerial', 'buildV3Message', 'loadCertificate', 'loadRsaPrivateKey', 'loadRsaPublicKey', 'parsePlatformCertificate', 'v3ApiError', 'encryptAeadAes256Gcm'];
  for (const entry of ['index', 'v2', 'v3', 'login', 'testing', 'miniprogram']) {
    const report = readFileSync(join(REPO_ROOT, 'packages', 'wechat', 'api-report', `${entry}.api.md`), 'utf8');
    for (const name of INTERNALS) assert.ok(!report.includes(`| \`${name}\` |`), `${name} is exported from ${entry}`);
  }
});
