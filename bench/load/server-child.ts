// Our server for the load benchmark, in its own (pinned) process, running the BUILT package (packages/server/dist, as
// `npm start` does: the suite compiles this file alone with esbuild and runs it with plain node, no tsx, so neither the
// TypeScript loader nor the source's module graph inflates the memory measured), assembled as server.ts does in sandbox mode with an
// external sandbox (WXPAY_MODE=sandbox, WXPAY_API_BASE = the sandbox's URL): loadConfig, startSandboxMode (which reads
// the demo merchant's credentials, v2 and v3, from the sandbox's control API), then buildApp. The sandbox runs in
// another process so this core does only the server's work. The one addition is measurement: the payment gateway is
// wrapped so that, per order creation, the time spent waiting for WeChat (the sandbox) is known, and the server's own
// time is the request's total minus that wait; and SQL statements are counted when asked. Background jobs are not scheduled.
// Prints {"benchReady":true,"url":...}; answers IPC {cmd:'own'|'count'|'latency'|'timings'|'reset'|'sql'|'mem'|'gc'|'snapshot'|'profile-start'|'profile-stop'}.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { buildApp, loadConfig } from '@wxpay-kit/server';
import type { PaymentGateway } from '@wxpay-kit/server';
import { createGateways, startSandboxMode } from '@wxpay-kit/server/sandbox-mode';

const samples: { route: string; totalMs: number; upstreamMs: number }[] = [];
// Per-request timing is on only while the suite measures order creation (IPC {cmd:'own', on}). The time waiting for
// WeChat is known per out_trade_no (every gateway call of an order creation names the attempt's) and matched to the
// request by the out_trade_no its answer carries: no AsyncLocalStorage, whose promise hooks on Node 20 cost every
// promise of the server while they are on, so the measurement inflated what it measured.
let measuring = false;
const upstreamByOutTradeNo = new Map<string, number>();

/** The out_trade_no a gateway call is about: its first argument, or that argument's outTradeNo. */
function outTradeNoOf(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (typeof first === 'string') return first;
  const named = (first as { outTradeNo?: unknown } | undefined)?.outTradeNo;
  return typeof named === 'string' ? named : undefined;
}

function timed<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(obj, args);
        const key = measuring ? outTradeNoOf(args) : undefined;
        if (!(result instanceof Promise) || key === undefined) return result;
        const start = performance.now();
        return result.finally(() => upstreamByOutTradeNo.set(key, (upstreamByOutTradeNo.get(key) ?? 0) + performance.now() - start));
      };
    },
  });
}

// Count the SQL statements the server runs, by kind, so the report can say how many statements and commits one
// request costs (BEGIN/COMMIT/SAVEPOINT are statements too). Counted per execution, on better-sqlite3's Statement,
// since the server prepares each statement text once and reuses it.
const sqlCounts = new Map<string, number>();
type Stmt = { source: string; database: { inTransaction: boolean } };
const probe = new BetterSqlite3(':memory:');
const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (this: Stmt, ...args: unknown[]) => unknown>;
probe.close();
/** The statement's first word, and whether it writes (a WITH writes when one of its parts does). */
function classify(text: string): { kind: string; writes: boolean } {
  const kind = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? '?';
  const writes = kind === 'insert' || kind === 'update' || kind === 'delete' || (kind === 'with' && /\b(insert\s+into|update\s+\S+\s+set|delete\s+from)\b/i.test(text));
  return { kind, writes };
}
// The server prepares each statement once: its class is worked out once too (the counting must not cost per call).
const classes = new Map<string, { kind: string; writes: boolean }>();
function classOf(text: string): { kind: string; writes: boolean } {
  let known = classes.get(text);
  if (known === undefined) {
    known = classify(text);
    if (classes.size < 10_000) classes.set(text, known);
  }
  return known;
}
function countStatement(statement: Stmt): void {
  const { kind, writes } = classOf(statement.source);
  sqlCounts.set(kind, (sqlCounts.get(kind) ?? 0) + 1);
  // A write outside BEGIN…COMMIT is its own transaction: one more commit (and fsync, with synchronous=FULL).
  if (writes && !statement.database.inTransaction) {
    sqlCounts.set('autocommit write', (sqlCounts.get('autocommit write') ?? 0) + 1);
  }
}
// Counting wraps every statement call, which costs the server a few per cent of its CPU (a JavaScript frame around
// each native call): it is on only while the suite asks for counts (IPC {cmd:'count', on}), on passes of their own,
// and the measured runs run the server's code as shipped.
const countedMethods = ['run', 'all', 'get', 'iterate'] as const;
const originalMethods = new Map(countedMethods.map((method) => [method, statementProto[method]]));
const countedVersions = new Map(countedMethods.flatMap((method) => {
  const original = statementProto[method];
  if (original === undefined) return [];
  return [[method, function counted(this: Stmt, ...args: unknown[]) {
    countStatement(this);
    return original.apply(this, args);
  }] as const];
}));

// The same count for PostgreSQL (Kysely's driver runs everything through pg's Client#query). A client is inside a
// transaction between its BEGIN and COMMIT/ROLLBACK.
const inTx = new WeakSet<object>();
const clientProto = pg.Client.prototype as unknown as { query: (this: object, ...args: unknown[]) => unknown };
const originalQuery = clientProto.query;
function countedQuery(this: object, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text ?? '';
  const { kind, writes } = classOf(text);
  sqlCounts.set(kind, (sqlCounts.get(kind) ?? 0) + 1);
  if (kind === 'begin' || kind === 'start') inTx.add(this);
  else if (kind === 'commit' || kind === 'rollback') inTx.delete(this);
  else if (writes && !inTx.has(this)) {
    sqlCounts.set('autocommit write', (sqlCounts.get('autocommit write') ?? 0) + 1);
  }
  return originalQuery.apply(this, args);
}

function countSql(on: boolean): void {
  for (const method of countedMethods) {
    const version = on ? countedVersions.get(method) : originalMethods.get(method);
    if (version !== undefined) statementProto[method] = version;
  }
  clientProto.query = on ? countedQuery : originalQuery;
}

const env = process.env;
const sandboxUrl = env.BENCH_SANDBOX_URL ?? '';
const runtime = await startSandboxMode(loadConfig({
  ...env,
  WXPAY_MODE: 'sandbox',
  WXPAY_API_BASE: sandboxUrl,
  WECHAT_API_BASE: sandboxUrl,
  // The notify URL is only written into the prepay; the benchmark posts notifications itself.
  PUBLIC_URL: 'http://127.0.0.1:9',
  SESSION_SECRET: randomBytes(32).toString('hex'),
  LOG_LEVEL: env.BENCH_LOG_LEVEL ?? 'warn',
  JOBS: 'false',
  // One load generator is one user holding thousands of unpaid orders: lift the per-user abuse cap too.
  OPEN_ORDERS_MAX: '1000000',
}), env);
const config = runtime.config;
if (config.merchant === undefined) throw new Error('sandbox mode gave no merchant');
const made = createGateways(config, config.merchant, { clientCert: runtime.clientCert });
const gateway: PaymentGateway = timed(made.gateway);
// One load generator is one user from one address: the per-user limits would turn the run into a 429 benchmark.
const unlimited = { max: 1_000_000_000, timeWindow: 60_000 };
const app = await buildApp(config, {
  gateway,
  login: made.login,
  sandboxUrl: runtime.sandboxUrl,
  rateLimits: { login: unlimited, orders: unlimited, orderMisses: unlimited },
  seedDemoProducts: true,
});

// The answer names the order's out_trade_no: its time waiting for WeChat is taken (once) from what the gateway kept.
const upstreamOf = new WeakMap<object, number>();
app.addHook('onSend', (request, _reply, payload, done) => {
  if (measuring && typeof payload === 'string') {
    const key = /"outTradeNo":"([^"]+)"/.exec(payload)?.[1];
    if (key !== undefined) {
      upstreamOf.set(request, upstreamByOutTradeNo.get(key) ?? 0);
      upstreamByOutTradeNo.delete(key);
    }
  }
  done(null, payload);
});
// The server's own time per request (Fastify's elapsedTime: from the request's arrival to the answer's end), kept by
// the request's x-bench-kind header while asked (IPC {cmd:'latency', on}): what the server does to a genuine
// notification's latency under a flood, apart from the load generator's own queueing.
let latencyOn = false;
const latencies = new Map<string, number[]>();
app.addHook('onResponse', (request, reply, done) => {
  if (latencyOn) {
    const kind = request.headers['x-bench-kind'];
    if (typeof kind === 'string') {
      let list = latencies.get(kind);
      if (list === undefined) latencies.set(kind, list = []);
      list.push(reply.elapsedTime);
    }
  }
  if (!measuring) { done(); return; }
  samples.push({ route: `${request.method} ${request.routeOptions.url ?? request.url}`, totalMs: reply.elapsedTime, upstreamMs: upstreamOf.get(request) ?? Number.NaN });
  done();
});

let cpuSince = process.cpuUsage();
const url = await app.listen({ port: 0, host: '127.0.0.1' });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

process.on('message', (msg: { id: number; cmd: string; route?: string; path?: string; on?: boolean }) => {
  if (msg.cmd === 'mem' || msg.cmd === 'gc') {
    // 'gc': a full collection first (the child runs with --expose-gc for the memory run), so what remains is live.
    if (msg.cmd === 'gc') (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    process.send?.({ id: msg.id, rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    return;
  }
  if (msg.cmd === 'snapshot') {
    (globalThis as { gc?: () => void }).gc?.();
    const path = writeHeapSnapshot((msg as { path?: string }).path);
    process.send?.({ id: msg.id, path });
    return;
  }
  if (msg.cmd === 'profile-start' || msg.cmd === 'profile-stop') {
    // A CPU profile of a chosen window only (warm-up and set-up left out): written to `path` at profile-stop.
    void profileWindow(msg.cmd === 'profile-start', msg.path).then(() => process.send?.({ id: msg.id, ok: true }));
    return;
  }
  if (msg.cmd === 'sql') {
    // The server's CPU time (user + system, all threads) since the last reset: what a request costs, load or not.
    const cpu = process.cpuUsage(cpuSince);
    process.send?.({ id: msg.id, counts: Object.fromEntries(sqlCounts), cpuMicros: cpu.user + cpu.system });
    return;
  }
  if (msg.cmd === 'latency') {
    // On: start afresh; off: answer p50 and p99 per kind.
    latencyOn = msg.on === true;
    const out: Record<string, { count: number; p50: number; p99: number }> = {};
    for (const [kind, list] of latencies) {
      const sorted = [...list].sort((a, b) => a - b);
      out[kind] = { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    }
    if (latencyOn) latencies.clear();
    process.send?.({ id: msg.id, latencies: out });
    return;
  }
  if (msg.cmd === 'count') {
    countSql(msg.on === true);
    process.send?.({ id: msg.id, ok: true });
    return;
  }
  if (msg.cmd === 'own') {
    measuring = (msg as { on?: boolean }).on === true;
    upstreamByOutTradeNo.clear();
    process.send?.({ id: msg.id, ok: true });
    return;
  }
  if (msg.cmd === 'reset') {
    samples.length = 0;
    sqlCounts.clear();
    cpuSince = process.cpuUsage();
    process.send?.({ id: msg.id, ok: true });
    return;
  }
  if (msg.cmd === 'timings') {
    const rows = samples.filter((s) => s.route === msg.route);
    const own = rows.map((s) => s.totalMs - s.upstreamMs).sort((a, b) => a - b);
    const up = rows.map((s) => s.upstreamMs).sort((a, b) => a - b);
    process.send?.({
      id: msg.id, count: rows.length, missing: rows.filter((s) => Number.isNaN(s.upstreamMs)).length,
      ownP50: percentile(own, 50), ownP99: percentile(own, 99), upstreamP50: percentile(up, 50), upstreamP99: percentile(up, 99),
    });
  }
});

let inspector: Session | undefined;
async function profileWindow(start: boolean, path: string | undefined): Promise<void> {
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => {
    inspector?.post(method, params ?? {}, (error, result) => (error === null ? resolve(result) : reject(error)));
  });
  if (start) {
    inspector ??= new Session();
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
    return;
  }
  const { profile } = await post('Profiler.stop') as { profile: unknown };
  inspector?.disconnect();
  if (path !== undefined) writeFileSync(path, JSON.stringify(profile));
}

process.stdout.write(`${JSON.stringify({ benchReady: true, url })}\n`);
let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void app.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
