// The client must run inside the mini-program runtime, which has neither Node's nor the DOM's APIs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');

test('src type-checks against the mini-program typings alone (no Node, no DOM), and wx fits WxApi', () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
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
