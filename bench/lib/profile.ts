// Reads a V8 .cpuprofile (from `node --cpu-prof`) and lists where the time went: self time per function and per
// package, heaviest first, so the report can say what bounds an operation that misses its target.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };

export type Hotspot = { fn: string; where: string; selfPct: number };
export type ProfileSummary = { functions: Hotspot[]; packages: { name: string; selfPct: number }[]; sampledMs: number };

// Start-up work (module loading, the loader thread hand-off, fixture key generation) is not the operation's cost.
const STARTUP = /^node:internal\/(modules|bootstrap|deps\/cjs-module-lexer|crypto\/keygen)|tsx\/dist|esbuild/;
const IGNORED = new Set(['(idle)', '(program)', '(root)']);

function where(node: ProfileNode, root: string): string {
  const { url, lineNumber } = node.callFrame;
  if (url === '') return '(native)';
  let path = url.replace(/^file:\/\//, '');
  if (path.startsWith(root)) path = relative(root, path);
  // tsx-transpiled files report line 1; a line is only useful for plain JavaScript.
  return lineNumber > 0 ? `${path}:${lineNumber + 1}` : path;
}

/** A package-level bucket: node_modules/<pkg>, packages/<pkg>/src/<area>, bench/..., node:internal, native, GC. */
function bucket(node: ProfileNode, root: string): string {
  const { url, functionName } = node.callFrame;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (url === '') return 'native (C++: crypto, SQLite, I/O)';
  if (url.startsWith('node:')) return 'node internals (http, streams, crypto wrappers)';
  const path = relative(root, url.replace(/^file:\/\//, ''));
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nm?.[1] !== undefined) return nm[1];
  const pkg = /^packages\/([^/]+)\/src\/([^/.]+)/.exec(path);
  if (pkg !== null) return `@wxpay-kit/${pkg[1]} ${pkg[2]}`;
  return path.split('/').slice(0, 2).join('/');
}

/**
 * Self time per function and per package. With `skipMs`, samples taken in the first skipMs of the profile (start-up,
 * set-up) are left out, so the percentages describe the measured work only.
 */
export function summarizeProfile(path: string, root: string, top = 10, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = 0;
  let counted = 0;
  for (let i = 0; i < samples.length; i++) {
    t += (deltas[i] ?? 0) / 1000;
    if (t < skipMs) continue;
    const id = samples[i] ?? -1;
    hits.set(id, (hits.get(id) ?? 0) + 1);
    counted++;
  }
  const fns = new Map<string, Hotspot>();
  const pkgs = new Map<string, number>();
  let total = 0;
  for (const [id, n] of hits) {
    const node = byId.get(id);
    if (node === undefined || IGNORED.has(node.callFrame.functionName) || STARTUP.test(node.callFrame.url)) continue;
    total += n;
  }
  for (const [id, n] of hits) {
    const node = byId.get(id);
    if (node === undefined || IGNORED.has(node.callFrame.functionName) || STARTUP.test(node.callFrame.url)) continue;
    const pct = (100 * n) / Math.max(total, 1);
    const fn = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
    const w = where(node, root);
    const key = `${fn}@${w}`;
    const entry = fns.get(key) ?? { fn, where: w, selfPct: 0 };
    entry.selfPct += pct;
    fns.set(key, entry);
    const b = bucket(node, root);
    pkgs.set(b, (pkgs.get(b) ?? 0) + pct);
  }
  const interval = counted > 0 ? t / samples.length : 0;
  return {
    functions: [...fns.values()].sort((a, b) => b.selfPct - a.selfPct).slice(0, top),
    packages: [...pkgs.entries()].map(([name, selfPct]) => ({ name, selfPct })).sort((a, b) => b.selfPct - a.selfPct).slice(0, top),
    sampledMs: total * interval,
  };
}

/** The main thread's profile: tsx's loader thread writes its own, much smaller one beside it. */
export function mainProfile(dir: string): string | undefined {
  let best: { path: string; size: number } | undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cpuprofile')) continue;
    const path = join(dir, f);
    const size = statSync(path).size;
    if (best === undefined || size > best.size) best = { path, size };
  }
  return best?.path;
}
