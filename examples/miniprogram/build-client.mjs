#!/usr/bin/env node
// Bundles @wxpay-kit/miniprogram (TypeScript sources) into the one CommonJS file the mini-program
// runtime loads for `require('@wxpay-kit/miniprogram')`: miniprogram/miniprogram_npm/@wxpay-kit/miniprogram/index.js.
// This replaces DevTools' "Build npm", which copies packages as they are and cannot compile TS.
//   node examples/miniprogram/build-client.mjs            (from the repository root)
//   node build-client.mjs --outdir <dir>                   (anywhere else; used by the tests)
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--outdir');
const outdir = i > 0 && process.argv[i + 1] ? process.argv[i + 1] : join(here, 'miniprogram', 'miniprogram_npm', '@wxpay-kit', 'miniprogram');

await build({
  entryPoints: [join(here, '..', '..', 'packages', 'miniprogram', 'src', 'index.ts')],
  outfile: join(outdir, 'index.js'),
  bundle: true,
  format: 'cjs',
  platform: 'neutral',
  // The base library's JS engine on older phones: keep syntax conservative.
  target: 'es2017',
  legalComments: 'none',
  logLevel: 'warning',
});
console.log(`wrote ${join(outdir, 'index.js')}`);
