/**
 * The server as it runs in production: compiled JavaScript under plain node. `npm start` reaches /healthz with no
 * TypeScript loader or bundler in the process (every loaded module is recorded by an --import hook); and a project
 * that installs only the server and wechat tarballs — no @wxpay-kit/sandbox — runs WXPAY_MODE=live, while sandbox mode
 * there stops with an error naming the package to install.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { install, packAll, REPO_ROOT, tempProject, userEnv } from './helpers/packages.js';

const HOOK = pathToFileURL(join(REPO_ROOT, 'test', 'consumers', 'fixtures', 'record-modules.mjs')).href;
const cleanup: string[] = [];
after(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wxpay-${prefix}-`));
  cleanup.push(dir);
  return dir;
}

/** Resolves with the URL the banner names once the server listens; rejects with the output if it exits first. */
function listening(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output()}`)), 60_000);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output());
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before listening:\n${output()}`));
    });
  });
}

function collect(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return () => out;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

type Record = { argv: string[]; execArgv: string[]; esm: string[]; cjs: string[] };

test('npm start runs compiled JavaScript: /healthz answers, and no TypeScript loader or bundler is in the process', async (t) => {
  const data = temp('start-data');
  const records = temp('start-modules');
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    env: userEnv({ PORT: '0', DATABASE_URL: `sqlite:${join(data, 'wxpay-kit.db')}`, LOG_LEVEL: 'warn', NODE_OPTIONS: `--import ${HOOK}`, WXPAY_RECORD_MODULES_DIR: records }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const output = collect(child);
  const url = (await listening(child, output)).replace('[::1]', '127.0.0.1');
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 200);
  // SIGTERM to the whole group (npm and the node it started): the server shuts down gracefully and the hook writes.
  const exited = once(child, 'exit');
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  for (let i = 0; i < 50 && readdirSync(records).length < 2; i++) await new Promise((r) => setTimeout(r, 100));

  const all = readdirSync(records).map((f) => JSON.parse(readFileSync(join(records, f), 'utf8')) as Record);
  const server = all.find((r) => r.argv[1]?.endsWith(join('packages', 'server', 'dist', 'server.js')));
  assert.ok(server !== undefined, `no record of the server process among ${all.map((r) => r.argv.join(' ')).join('; ')}\n${output()}`);
  // Only V8 heap sizing (npm start sets the semi-space and old-space sizes: ADR 0011); no loader of any kind.
  const loaderFlags = server.execArgv.filter((flag) => !/^--max-(semi|old)-space-size=\d+$/.test(flag));
  assert.deepEqual(loaderFlags, [], 'node started with no loader flags (no --import tsx, no --loader, no --require)');
  const loaded = [...server.esm, ...server.cjs];
  assert.ok(loaded.some((u) => u.includes('/packages/server/dist/server.js')), 'recorded the entry');
  assert.ok(loaded.some((u) => u.includes('/packages/wechat/dist/')), 'the SDK is loaded from its build');
  assert.ok(loaded.some((u) => u.includes('/packages/sandbox/dist/')), 'the sandbox (sandbox mode) is loaded from its build');
  assert.deepEqual(loaded.filter((u) => /\.[cm]?tsx?$/.test(u)), [], 'no TypeScript module');
  assert.deepEqual(loaded.filter((u) => /[\\/](tsx|esbuild|@esbuild)[\\/]/.test(u)), [], 'no tsx, no esbuild');
});

test('WXPAY_MODE=live runs from the server and wechat tarballs alone; sandbox mode there names the missing package', async (t) => {
  const tarballs = temp('live-tarballs');
  const packed = packAll(tarballs, ['wechat', 'server']);
  const project = tempProject('live');
  cleanup.push(project);
  install(project, [packed.wechat.tarball, packed.server.tarball]);
  assert.ok(!existsSync(join(project, 'node_modules', '@wxpay-kit', 'sandbox')), 'the optional peer is not installed');
  assert.ok(!existsSync(join(project, 'node_modules', 'esbuild')), 'no bundler among the runtime dependencies');
  assert.ok(!existsSync(join(project, 'node_modules', 'tsx')), 'no TypeScript loader among the runtime dependencies');

  const bin = join(project, 'node_modules', '.bin', 'wxpay-kit-server');
  const data = temp('live-data');
  const live = {
    PORT: '0', LOG_LEVEL: 'warn', JOBS: 'false', DATABASE_URL: `sqlite:${join(data, 'live.db')}`,
    WXPAY_MODE: 'live', WXPAY_API_VERSION: 'v2', PUBLIC_URL: 'https://shop.example.com',
    WECHAT_APPID: 'wx1234567890abcdef', WECHAT_SECRET: 'made-up-app-secret', WXPAY_MCHID: '1900000009',
    WXPAY_KEY: 'm'.repeat(32), SESSION_SECRET: 's'.repeat(64),
  };
  const child = spawn(bin, [], { cwd: project, env: userEnv(live), stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const output = collect(child);
  const url = (await listening(child, output)).replace('[::1]', '127.0.0.1');
  assert.match(output(), /live mode/);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  await stop(child);

  const sandbox = spawn(bin, [], { cwd: project, env: userEnv({ ...live, WXPAY_MODE: 'sandbox' }), stdio: ['ignore', 'pipe', 'pipe'] });
  const sandboxOutput = collect(sandbox);
  const [code] = (await once(sandbox, 'exit')) as [number | null];
  assert.equal(code, 78, sandboxOutput());
  assert.match(sandboxOutput(), /WXPAY_MODE: sandbox mode needs the package @wxpay-kit\/sandbox/);
});
