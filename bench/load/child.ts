// Starts a benchmark target (our server, the seed handler) as a child process, optionally pinned to one core, waits
// for the JSON line it prints when listening, and samples its memory from /proc (VmRSS now, VmHWM = peak RSS).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type Target = {
  url: string;
  info: Record<string, unknown>;
  child: ChildProcess;
  rssBytes(): number;
  peakRssBytes(): number;
  /** Ask the child (over IPC) for a snapshot of its own counters. */
  request(message: Record<string, unknown>): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
};

export type StartOptions = {
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** CPU list for taskset, e.g. "0"; ignored where taskset is missing. */
  cpus?: string;
  nodeArgs?: string[];
  log: (line: string) => void;
};

let tasksetChecked: boolean | undefined;
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    tasksetChecked = process.platform === 'linux' && spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;
  }
  return tasksetChecked;
}

/** Pin the current process (the load generator) to the given CPUs. */
export function pinSelf(cpus: string): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m?.[1] === undefined ? Number.NaN : Number(m[1]);
  } catch {
    return Number.NaN;
  }
}

export async function startTarget(opts: StartOptions): Promise<Target> {
  const nodeArgv = [...(opts.nodeArgs ?? []), opts.script, ...(opts.args ?? [])];
  const useTaskset = opts.cpus !== undefined && hasTaskset();
  const command = useTaskset ? 'taskset' : process.execPath;
  const argv = useTaskset ? ['-c', opts.cpus ?? '0', process.execPath, ...nodeArgv] : nodeArgv;
  const child = spawn(command, argv, {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString('utf8'));
    if (stderr.length > 50) stderr.shift();
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${opts.script} exited (${code}) before listening: ${stderr.join('').slice(-2000)}`));
    child.once('exit', onExit);
    // The ready line is JSON with benchReady; anything before it (a log line) is skipped.
    const onLine = (line: string) => {
      if (!line.includes('"benchReady"')) return;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      child.off('exit', onExit);
      lines.off('line', onLine);
      resolve(parsed);
    };
    lines.on('line', onLine);
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  lines.on('line', () => undefined);
  const pid = child.pid ?? -1;
  let seq = 0;
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  child.on('message', (msg: { id?: number } & Record<string, unknown>) => {
    const resolve = msg.id === undefined ? undefined : pending.get(msg.id);
    if (resolve !== undefined && msg.id !== undefined) { pending.delete(msg.id); resolve(msg); }
  });
  return {
    url: String(first.url),
    info: first,
    child,
    // taskset execs node in place, so the pid is node's either way.
    rssBytes: () => procStatusKb(pid, 'VmRSS') * 1024,
    peakRssBytes: () => procStatusKb(pid, 'VmHWM') * 1024,
    request: (message) => new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, resolve);
      child.send({ ...message, id }, (err) => { if (err) { pending.delete(id); reject(err); } });
    }),
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) { resolve(); return; }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}
