/**
 * What a user gets: the packages as `npm pack` makes them, installed into throw-away projects outside the repository
 * (os.tmpdir()), where nothing of the repository (its node_modules, its tsconfig, the @wxpay-kit/source condition)
 * can help them resolve.
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PACKAGE_DIRS = ['wechat', 'sandbox', 'server', 'miniprogram'] as const;
export type PackageDir = (typeof PACKAGE_DIRS)[number];
/** The repository's own TypeScript, run on the consumer projects. */
export const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * The environment of a user's shell: none of `npm test`'s npm_* variables (they would steer npm in the throw-away
 * project) and no NODE_OPTIONS (a test runner's loader or condition must not help the consumer).
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('npm_') || k === 'NODE_OPTIONS' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function run(command: string, args: readonly string[], options: SpawnSyncOptions & { cwd: string }): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: userEnv(), timeout: 120_000, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${result.status ?? result.signal}:\n${String(result.stdout)}\n${String(result.stderr)}`);
  }
  return String(result.stdout);
}

export type PackedFile = { path: string; size: number };
export type Packed = { name: string; filename: string; tarball: string; files: PackedFile[]; size: number; unpackedSize: number };

function workspaceArgs(dirs: readonly PackageDir[] = PACKAGE_DIRS): string[] {
  return dirs.flatMap((dir) => ['-w', `packages/${dir}`]);
}

/** `npm pack` of the packages (one npm run), into `dest`. */
export function packAll(dest: string, dirs: readonly PackageDir[] = PACKAGE_DIRS): Record<PackageDir, Packed> {
  const out = run('npm', ['pack', '--json', '--pack-destination', dest, ...workspaceArgs(dirs)], { cwd: REPO_ROOT });
  const list = JSON.parse(out) as Omit<Packed, 'tarball'>[];
  const packed = {} as Record<PackageDir, Packed>;
  for (const dir of dirs) {
    const p = list.find((x) => x.name === `@wxpay-kit/${dir}`);
    if (p === undefined) throw new Error(`npm pack made no @wxpay-kit/${dir}`);
    packed[dir] = { ...p, tarball: join(dest, p.filename) };
  }
  return packed;
}

/** `npm pack --dry-run` of every package: the files each would publish. */
export function dryRunFiles(): Record<string, string[]> {
  const out = run('npm', ['pack', '--dry-run', '--json', ...workspaceArgs()], { cwd: REPO_ROOT });
  const list = JSON.parse(out) as { name: string; files: PackedFile[] }[];
  return Object.fromEntries(list.map((p) => [p.name, p.files.map((f) => f.path).sort()]));
}

/** A new empty project in os.tmpdir(). */
export function tempProject(prefix: string, pkg: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `wxpay-consumer-${prefix}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${prefix}`, version: '0.0.0', private: true, ...pkg }, null, 2));
  return dir;
}

/**
 * `npm install` of tarballs (and registry packages) into a project, from the warm npm cache where it can. Install
 * scripts are skipped: the one native dependency, better-sqlite3, gets the binary the repository's install already
 * built (same version), instead of a rebuild from source in every test run.
 */
export function install(dir: string, specs: readonly string[]): void {
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs], { cwd: dir, timeout: 180_000 });
  provideSqliteBinary(dir);
}

function provideSqliteBinary(dir: string): void {
  const target = join(dir, 'node_modules', 'better-sqlite3');
  let version: string;
  try {
    version = (JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return; // not installed here
  }
  const source = join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  const repoVersion = (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version;
  if (version !== repoVersion) throw new Error(`the consumer got better-sqlite3 ${version}, the repository has ${repoVersion}: cannot reuse its binary`);
  mkdirSync(join(target, 'build', 'Release'), { recursive: true });
  copyFileSync(join(source, 'build', 'Release', 'better_sqlite3.node'), join(target, 'build', 'Release', 'better_sqlite3.node'));
}
