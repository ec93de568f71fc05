// The client must run inside the mini-program runtime, which has neither Node's nor the DOM's APIs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { runInNewContext } from 'node:vm';
import { FakeShop, virtualClock } from './fake-wx.js';
import type { createClient as CreateClient } from '../src/index.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');

function tsc(project: string): void {
  const bin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [bin, '-p', project], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
}

test('src type-checks against the mini-program typings alone (no Node, no DOM), and wx fits WxApi', () => {
  tsc(join(pkg, 'tsconfig.json'));
});

test('the example mini program type-checks against the client and the mini-program typings', () => {
  tsc(join(root, 'examples', 'miniprogram', 'tsconfig.json'));
});

test('the bundle build-client.mjs makes for miniprogram_npm pays in a bare JS context (no Node globals)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'wxpay-mp-bundle-'));
  try {
    const run = spawnSync(process.execPath, [join(root, 'examples', 'miniprogram', 'build-client.mjs'), '--outdir', out], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const source = readFileSync(join(out, 'index.js'), 'utf8');
    // What the mini-program runtime offers a module: CommonJS wrappers, timers, console. No require, process or Buffer.
    const mod: { exports: { createClient?: typeof CreateClient } } = { exports: {} };
    runInNewContext(source, { module: mod, exports: mod.exports, setTimeout, clearTimeout, console });
    const createClient = mod.exports.createClient;
    assert.equal(typeof createClient, 'function');
    const shop = new FakeShop();
    shop.onRead = (order) => {
      order.status = 'PAID';
    };
    const clock = virtualClock();
    const client = createClient!({ baseUrl: 'https://shop.test', wx: shop.wx, sleep: clock.sleep, now: clock.now });
    const result = await client.pay([{ sku: 'tea', quantity: 1 }]);
    assert.equal(result.outcome, 'paid');
    assert.equal(shop.payments.length, 1);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('src names no Node or browser globals and imports nothing outside itself', () => {
  const forbidden: Array<[RegExp, string]> = [
    [/from\s+['"](?!\.\/)[^'"]+['"]/, 'a non-relative import'],
    [/\brequire\s*\(/, 'require()'],
    [/\bprocess\./, 'process'],
    [/\bBuffer\b/, 'Buffer'],
    [/\b(window|document|localStorage|sessionStorage|navigator)\b/, 'a DOM global'],
    [/\bfetch\s*\(/, 'fetch()'],
    [/\bXMLHttpRequest\b/, 'XMLHttpRequest'],
    [/\bMath\.random\b/, 'Math.random'],
  ];
  const files = readdirSync(join(pkg, 'src')).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5);
  for (const file of files) {
    // Comments may mention these words; code may not.
    const code = readFileSync(join(pkg, 'src', file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const [pattern, what] of forbidden) assert.doesNotMatch(code, pattern, `${file} uses ${what}`);
  }
});
