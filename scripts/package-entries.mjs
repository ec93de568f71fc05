// Reads a package's entry points from its package.json (the one place they are declared); used by the build and the
// API report.
export const SOURCE_CONDITION = '@wxpay-kit/source';
export const PACKAGES = ['wechat', 'sandbox', 'server', 'miniprogram'];

function entryName(distPath, key) {
  const m = /^\.\/dist\/(.+)\.js$/.exec(distPath ?? '');
  if (m === null) throw new Error(`${key} must name ./dist/<name>.js, got ${distPath}`);
  return m[1];
}

/**
 * `library`: { outputName: sourcePath } for every `exports` entry that names its TypeScript source under the
 * `@wxpay-kit/source` condition (output name from its `import` path); `bins`: ./dist/<name>.js from ./src/<name>.ts.
 * `subpaths`: { exportKey: outputName } for the library entries.
 */
export function entriesOf(pkg) {
  const library = {};
  const subpaths = {};
  for (const [key, value] of Object.entries(pkg.exports ?? {})) {
    if (typeof value !== 'object' || value === null || !(SOURCE_CONDITION in value)) continue;
    const name = entryName(value.import?.default, `exports["${key}"].import.default`);
    library[name] = value[SOURCE_CONDITION];
    subpaths[key] = name;
  }
  const bins = {};
  for (const [name, distPath] of Object.entries(pkg.bin ?? {})) {
    const out = entryName(distPath, `bin.${name}`);
    bins[out] = `./src/${out}.ts`;
  }
  return { library, bins, subpaths };
}
