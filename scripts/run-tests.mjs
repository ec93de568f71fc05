// Runs every test file through node's own test runner with tsx as the TypeScript loader.
// Node 20 cannot glob .ts test files by itself, so we collect them here.
// `--conditions=@wxpay-kit/source` makes `@wxpay-kit/*` imports resolve to the packages' TypeScript source (the first
// condition of each exports entry), so tests run on the code as written; `npm test` also builds dist/ first (pretest)
// for the tests that check what users install (test/consumers).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length > 0
  ? process.argv.slice(2)
  : ['packages/wechat/test', 'packages/sandbox/test', 'packages/server/test', 'packages/miniprogram/test', 'test/e2e', 'test/consumers', 'examples'];

function collect(path, out) {
  let st;
  try { st = statSync(path); } catch { return out; }
  if (st.isFile()) { if (path.endsWith('.test.ts')) out.push(path); return out; }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    collect(join(path, name), out);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
const result = spawnSync(process.execPath, [
  '--conditions=@wxpay-kit/source',
  '--import', 'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec',
  ...files,
], { stdio: 'inherit' });
process.exit(result.status ?? 1);
