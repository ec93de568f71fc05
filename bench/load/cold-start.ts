// Cold start: from spawning the server process (`npm start`, i.e. packages/server/dist/server.js, sandbox mode out of
// the box: its own in-process sandbox, a new SQLite file migrated on start) to the first 200 from GET /healthz.
// Each run gets a fresh data directory, so migrations and the demo catalogue are part of what is timed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ColdStart = { runsMs: number[]; medianMs: number } | { skipped: string };

async function once(entry: string, cpus: string | undefined): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-bench-cold-'));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'data', 'wxpay-kit.db')}`, LOG_LEVEL: 'warn' };
  const started = performance.now();
  const child = cpus === undefined
    ? spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('taskset', ['-c', cpus, process.execPath, entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening on" line in 30 s:\n${out.slice(-2000)}`)), 30_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1] !== undefined) { clearTimeout(timer); resolve(match[1]); }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited (${code}) before listening:\n${out.slice(-2000)}`)); });
    });
    // Listening is not ready: poll /healthz until it answers 200 (the time includes whatever it still waits for).
    for (;;) {
      try {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - started;
      } catch { /* not yet */ }
      if (performance.now() - started > 30_000) throw new Error('no 200 from /healthz in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => { if (child.exitCode !== null || child.signalCode !== null) resolve(undefined); else child.once('exit', resolve); });
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function coldStart(root: string, runs: number, cpus: string | undefined): Promise<ColdStart> {
  const entry = join(root, 'packages/server/dist/server.js');
  if (!existsSync(entry)) return { skipped: `${entry} is missing (run npm run build first)` };
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await once(entry, cpus));
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { runsMs, medianMs: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN };
}
