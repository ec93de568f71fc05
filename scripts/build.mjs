// Builds every package to dist/ (ESM + CommonJS + .d.ts/.d.cts + source maps) and bundles the web demo.
// Runs on `npm ci` (root `prepare`), before `npm test` (`pretest`) and as `npm run build`.
//
// Nothing here lists entry points: each package's package.json is the one place they are declared.
//   - every `exports` entry names its TypeScript source under the `@wxpay-kit/source` condition and its output under
//     `import`; it is built as ESM and CommonJS with declarations for both;
//   - every `bin` (./dist/<name>.js) is built from ./src/<name>.ts, ESM only (a process, not a library).
// A new subpath (say `./koa`) therefore needs only its exports entry.
//   node scripts/build.mjs                 every package (the server with its console), then the web demo
//   node scripts/build.mjs wechat server   only these packages (by directory name)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { build } from 'tsdown';
import { entriesOf, PACKAGES, SOURCE_CONDITION } from './package-entries.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the compiled code runs: the mini-program client must stay ES2020 for the phones' JS engines. */
const TARGETS = { miniprogram: { platform: 'neutral', target: 'es2020' } };

async function buildPackage(dir) {
  const cwd = join(ROOT, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
  const { library, bins } = entriesOf(pkg);
  rmSync(join(cwd, 'dist'), { recursive: true, force: true });
  const common = {
    cwd,
    tsconfig: join(ROOT, 'tsconfig.build.json'),
    outDir: 'dist',
    clean: false,
    sourcemap: true,
    fixedExtension: false,
    platform: 'node',
    target: 'node20.18',
    dts: { resolver: 'tsc' },
    logLevel: 'warn',
    report: false,
    checks: { pluginTimings: false },
    ...TARGETS[dir],
  };
  // ESM: the library entries and the bins in one graph, so they share chunks.
  await build({ ...common, entry: { ...library, ...bins }, format: 'esm' });
  // CommonJS: the library entries. Its declarations are the ESM ones (the packages have named exports only, so they
  // are the same text) under .d.cts names: generating them twice would double the slowest part of the build.
  await build({ ...common, entry: library, format: 'cjs', dts: false });
  writeCjsDeclarations(join(cwd, 'dist'));
}

/** dist/x.d.ts → dist/x.d.cts, relative specifiers ./y.js → ./y.cjs (which resolves to ./y.d.cts). */
function writeCjsDeclarations(dist) {
  for (const name of readdirSync(dist)) {
    if (!name.endsWith('.d.ts')) continue;
    const text = readFileSync(join(dist, name), 'utf8')
      .replace(/(from\s+|import\()(["'])(\.\.?\/[^"']+)\.js\2/g, '$1$2$3.cjs$2')
      .replace(/\n?\/\/# sourceMappingURL=.*$/, '');
    writeFileSync(join(dist, name.replace(/\.d\.ts$/, '.d.cts')), `${text}\n`);
  }
}

async function buildWebDemo() {
  const demo = join(ROOT, 'examples', 'web-demo');
  await esbuild({
    entryPoints: [join(demo, 'src', 'main.ts')],
    outfile: join(demo, 'dist', 'app.js'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    sourcemap: 'linked',
    conditions: [SOURCE_CONDITION],
    logLevel: 'warning',
  });
}

/**
 * The operator console (packages/server/console) into the server package's dist/console: its page, stylesheet and
 * one script with Chart.js bundled in, so /admin needs nothing from outside the package (no CDN).
 */
async function buildConsole() {
  const src = join(ROOT, 'packages', 'server', 'console');
  const out = join(ROOT, 'packages', 'server', 'dist', 'console');
  mkdirSync(out, { recursive: true });
  await esbuild({
    entryPoints: [join(src, 'src', 'main.ts')],
    outfile: join(out, 'console.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    platform: 'browser',
    sourcemap: 'linked',
    conditions: [SOURCE_CONDITION],
    legalComments: 'linked',
    logLevel: 'warning',
  });
  copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
  copyFileSync(join(src, 'console.css'), join(out, 'console.css'));
}

const wanted = process.argv.slice(2);
const started = Date.now();
for (const dir of wanted.length > 0 ? wanted : PACKAGES) await buildPackage(dir);
// The server's dist/ was just emptied: its console goes back in.
if (wanted.length === 0 || wanted.includes('server')) await buildConsole();
if (wanted.length === 0) await buildWebDemo();
console.log(`built ${wanted.length > 0 ? wanted.join(', ') : [...PACKAGES, 'web-demo'].join(', ')} in ${Date.now() - started} ms (${relative(process.cwd(), ROOT) || '.'})`);
