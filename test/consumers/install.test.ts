/**
 * The packages as users get them: `npm pack` every package, check what each tarball holds, lint it (publint, attw),
 * install the tarballs into a throw-away project in os.tmpdir() and use them from plain ESM and CommonJS JavaScript
 * and from TypeScript (strict, exactOptionalPropertyTypes, skipLibCheck: false; moduleResolution node16 and bundler).
 * `npm test` builds dist/ first, so this checks the fresh build.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dryRunFiles, install, PACKAGE_DIRS, packAll, REPO_ROOT, run, tempProject, TSC } from './helpers/packages.js';
import type { PackageDir, Packed } from './helpers/packages.js';

const FIXTURES = join(REPO_ROOT, 'test', 'consumers', 'fixtures');
const BIN = join(REPO_ROOT, 'node_modules', '.bin');
let tarballDir: string;
let packed: Record<PackageDir, Packed>;
let project: string;

before(() => {
  tarballDir = mkdtempSync(join(tmpdir(), 'wxpay-tarballs-'));
  packed = packAll(tarballDir);
  project = tempProject('all', { type: 'module' });
  // @types/node: our declarations name node's types (Buffer, KeyObject), as any Node library's do.
  install(project, [...PACKAGE_DIRS.map((dir) => packed[dir].tarball), '@types/node@^20.19.0']);
});

after(() => {
  rmSync(tarballDir, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

/**
 * A published file: dist/ output, the README, the LICENSE or package.json — never sources, tests or keys. The server's
 * operator console is built output too: its page, stylesheet and the licences of what its bundle contains (Chart.js).
 */
function isPublishable(path: string): boolean {
  if (['package.json', 'README.md', 'LICENSE'].includes(path)) return true;
  if (/^dist\/console\/(index\.html|console\.css|console\.js\.LEGAL\.txt)$/.test(path)) return true;
  return path.startsWith('dist/') && /\.(c?js|d\.c?ts|c?js\.map)$/.test(path);
}

test('npm pack --dry-run lists only dist/, README.md, LICENSE and package.json for every package', () => {
  const listed = dryRunFiles();
  for (const dir of PACKAGE_DIRS) {
    const files = listed[`@wxpay-kit/${dir}`];
    assert.ok(files !== undefined, dir);
    assert.deepEqual(files.filter((f) => !isPublishable(f)), [], `${dir} would publish more than its build`);
    for (const required of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      assert.ok(files.includes(required), `${dir} lacks ${required}`);
    }
    assert.ok(!files.some((f) => /\.(key|pem|p12)$|(^|\/)test\//.test(f)), `${dir} would publish a key or a test`);
    // The tarball that was made holds exactly what the dry run listed.
    assert.deepEqual(packed[dir].files.map((f) => f.path).sort(), files, dir);
  }
});

test('publint and attw find nothing wrong in any tarball (ESM, CommonJS and types resolve under node16 and bundler)', () => {
  for (const dir of PACKAGE_DIRS) {
    run(join(BIN, 'publint'), ['run', packed[dir].tarball, '--strict', '--level', 'warning'], { cwd: tarballDir });
    run(join(BIN, 'attw'), [packed[dir].tarball, '--profile', 'node16', '--no-emoji', '--no-color', '--format', 'ascii'], { cwd: tarballDir });
  }
});

test('plain JavaScript: ESM import and CommonJS require of every package and subpath work and interoperate', () => {
  for (const file of ['esm.mjs', 'cjs.cjs', 'check.mjs']) cpSync(join(FIXTURES, file), join(project, file));
  assert.match(run(process.execPath, ['esm.mjs'], { cwd: project }), /ok esm/);
  assert.match(run(process.execPath, ['cjs.cjs'], { cwd: project }), /ok cjs/);
});

const STRICT = { strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false, target: 'ES2022', types: ['node'] };

for (const resolution of ['node16', 'bundler'] as const) {
  test(`TypeScript (moduleResolution ${resolution}, strict, exactOptionalPropertyTypes, skipLibCheck false): type-checks and runs`, () => {
    const src = join(project, `src-${resolution}`);
    mkdirSync(src, { recursive: true });
    cpSync(join(FIXTURES, 'wechat', 'round-trip.ts'), join(src, 'round-trip.ts'));
    const files = ['round-trip.ts'];
    // node16 also compiles a CommonJS file (.cts), which resolves the `require` condition and the .d.cts declarations.
    if (resolution === 'node16') {
      cpSync(join(FIXTURES, 'wechat', 'round-trip.cts'), join(src, 'round-trip.cts'));
      files.push('round-trip.cts');
    }
    const module = resolution === 'node16' ? 'node16' : 'esnext';
    const outDir = `out-${resolution}`;
    writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify({
      compilerOptions: { ...STRICT, module, moduleResolution: resolution, outDir, rootDir: `src-${resolution}` },
      files: files.map((f) => `src-${resolution}/${f}`),
    }));
    run(process.execPath, [TSC, '-p', `tsconfig.${resolution}.json`], { cwd: project });
    assert.match(run(process.execPath, [join(outDir, 'round-trip.js')], { cwd: project }), /^ok v2 T1 v3 T2$/m);
    if (resolution === 'node16') assert.match(run(process.execPath, [join(outDir, 'round-trip.cjs')], { cwd: project }), /ok cjs-ts/);
  });
}
