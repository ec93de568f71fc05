// Renders one run as BENCHMARKS.md: machine and command first, then every figure, then the targets met and missed.
import { formatOps } from './lib/stats.js';
import type { RunResults } from './lib/types.js';
import type { LoadResult } from './load/cannon.js';
import { IMPLEMENTATIONS } from './micro/cases.js';
import type { CaseResult, ImplResult } from './micro/harness.js';

function cell(r: ImplResult | undefined): string {
  if (r === undefined) return 'n/a';
  switch (r.status) {
    case 'timed': return formatOps(r.opsPerSec);
    case 'checked': return 'ok (not timed)';
    case 'differs': return 'output differs';
    case 'failed': return 'fails';
  }
}

function ops(r: ImplResult | undefined): number | undefined {
  return r?.status === 'timed' ? r.opsPerSec : undefined;
}

const OTHERS = ['tenpay', 'wechatpay-axios-plugin', 'wechatpay-node-v3'] as const;

export function fastestOther(c: CaseResult): { name: string; ops: number } | undefined {
  let best: { name: string; ops: number } | undefined;
  for (const name of OTHERS) {
    const v = ops(c.results[name]);
    if (v !== undefined && (best === undefined || v > best.ops)) best = { name, ops: v };
  }
  return best;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`;
}

function mib(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? 'n/a' : `${Math.round(bytes / 2 ** 20)} MiB`;
}

function loadRow(r: LoadResult): string {
  const flags = r.non2xx + r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : '';
  return `| ${r.label} | ${r.requests} | ${Math.round(r.rps)} | ${r.p50Ms} | ${r.p99Ms} | ${mib(r.peakRssBytes)}${flags} |`;
}

const LOAD_HEADER = '| scenario | requests | req/s | p50 ms | p99 ms | server peak RSS |\n|---|---:|---:|---:|---:|---:|';

export function renderReport(run: RunResults): string {
  const m = run.machine;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push('Produced by `npm run bench` (bench/run.ts); bench/README.md explains each figure. A benchmark reports: no test');
  out.push('times anything, and these numbers belong to this machine on this day.');
  out.push('');
  out.push(`- **Command:** \`${run.command}\` (${run.mode} run)`);
  out.push(`- **Date:** ${m.date}`);
  out.push(`- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}`);
  out.push(`- **Node:** ${m.node}`);
  out.push(`- **Code measured:** ${m.code}`);
  out.push(`- **Load average at start:** ${m.load}`);
  out.push(`- **Pinning:** ${run.pinned}`);
  out.push('');

  out.push('## Targets');
  out.push('');
  out.push('| target | status | measured |');
  out.push('|---|---|---|');
  for (const t of run.targets) out.push(`| ${t.name} | **${t.status}** | ${t.detail} |`);
  out.push('');

  out.push('## Micro: single-threaded operations per second');
  out.push('');
  out.push('Median of several tinybench rounds (implementations interleaved, each task a batch of calls). Every');
  out.push("implementation's output was checked equal to the bare one (same parsed fields, same signature, a valid");
  out.push('paySign, the same decrypted object) before it was timed. "n/a": the SDK has no such operation.');
  out.push('');
  out.push(`| operation | ${IMPLEMENTATIONS.join(' | ')} | wxpay-kit / bare | wxpay-kit / fastest other |`);
  out.push(`|---|${IMPLEMENTATIONS.map(() => '---:').join('|')}|---:|---:|`);
  for (const c of run.micro) {
    const ours = ops(c.results['wxpay-kit']);
    const bare = ops(c.results['bare node:crypto']);
    const best = fastestOther(c);
    const cells = IMPLEMENTATIONS.map((name) => cell(c.results[name]));
    out.push(`| ${c.op} | ${cells.join(' | ')} | ${ratio(ours, bare)} | ${best === undefined ? 'n/a' : `${ratio(ours, best.ops)} (${best.name})`} |`);
  }
  out.push('');
  if (run.probes.length > 0) {
    out.push('### Notification verifiers: correctness beside speed');
    out.push('');
    out.push('WeChat sends payment notifications with no `sign_type`; an HMAC-SHA256 order gets an HMAC-signed one.');
    out.push('');
    out.push('| implementation | accepts MD5-signed | accepts HMAC-SHA256-signed, no sign_type | refuses a one-character change |');
    out.push('|---|---|---|---|');
    for (const p of run.probes) {
      out.push(`| ${p.name} | ${p.acceptsMd5 ? 'yes' : '**no**'} | ${p.acceptsHmacWithoutSignType ? 'yes' : '**no**'} | ${p.refusesTampered ? 'yes' : '**no**'} |`);
    }
    out.push('');
  }

  out.push('## Load: the real server over HTTP on loopback');
  out.push('');
  if (run.load.length === 0) out.push('Not run.');
  for (const section of run.load) {
    out.push(`### ${section.database}, API ${section.apiVersion} (${section.storage})`);
    out.push('');
    if (section.skipped !== undefined) {
      out.push(`Not measured: ${section.skipped}`);
      out.push('');
      continue;
    }
    if (section.floor !== undefined) {
      const f = section.floor;
      out.push(`Storage floor on this machine: one durable commit ${f.commitMs.toFixed(2)} ms (median of ${f.samples}${section.database === 'SQLite' ? ', WAL, synchronous=FULL' : ''})${f.roundTripMs === undefined ? '' : `; one round trip (select 1) ${f.roundTripMs.toFixed(2)} ms`}.`);
      out.push('');
    }
    out.push(LOAD_HEADER);
    for (const r of section.results) out.push(loadRow(r));
    if (section.sandboxUnifiedOrder !== undefined) out.push(loadRow(section.sandboxUnifiedOrder));
    out.push('');
    if (section.orderCreateOwn !== undefined) {
      const o = section.orderCreateOwn;
      out.push(`Order creation measured inside the server (${o.count} requests): own time p50 ${o.p50.toFixed(2)} ms, p99 ${o.p99.toFixed(2)} ms;`);
      out.push(`waiting for the sandbox's prepay (${section.apiVersion === 'v2' ? 'unifiedorder' : 'v3 jsapi'}) p50 ${o.upstreamP50.toFixed(2)} ms, p99 ${o.upstreamP99.toFixed(2)} ms.`);
      out.push('');
    }
    for (const check of section.checks) out.push(`- ${check}`);
    if (section.checks.length > 0) out.push('');
  }

  out.push('## The seed tutorial\'s approach beside ours (valid unique notifications)');
  out.push('');
  if (run.seed.length === 0) out.push('Not run.');
  else {
    out.push('| storage | handler | requests | req/s | p50 ms | p99 ms | peak RSS | orders paid | ours / seed |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const s of run.seed) {
      out.push(`| ${s.storage} | seed-style (Koa, xml-js, one sign type, one UPDATE) | ${s.seed.requests} | ${Math.round(s.seed.rps)} | ${s.seed.p50Ms} | ${s.seed.p99Ms} | ${mib(s.seed.peakRssBytes)} | ${s.seedPaid}/${s.expected} | |`);
      out.push(`| ${s.storage} | wxpay-kit server (all checks, audit row, outbox row) | ${s.ours.requests} | ${Math.round(s.ours.rps)} | ${s.ours.p50Ms} | ${s.ours.p99Ms} | ${mib(s.ours.peakRssBytes)} | ${s.oursPaid}/${s.expected} | ${ratio(s.ours.rps, s.seed.rps)} |`);
      if (s.limit !== undefined) {
        out.push(`| ${s.storage} | bare limit of our work (node:http, our writes on our schema, group commit; no safety) | ${s.limit.requests} | ${Math.round(s.limit.rps)} | ${s.limit.p50Ms} | ${s.limit.p99Ms} | ${mib(s.limit.peakRssBytes)} | ${s.limitPaid ?? '?'}/${s.expected} | ${(s.limitRatio ?? Number.NaN).toFixed(2)}× |`);
      }
    }
    if (run.seed.some((s) => s.limit !== undefined)) {
      out.push('');
      out.push('The bare limit (bench/limit/same-work-server.mjs) does what our server writes for a valid notification, on a copy of our server\'s database (same schema, indexes and rows), with nothing of our structure: node:http, a minimal flat-XML scan, the signature, the amount and merchant checks, then the attempt, the order, the outbox event, the notification event and the raw log row in a group commit with the same durability. No Node handler doing this work goes much faster on this machine: a ratio target above its ratio is out of reach for this work here, whatever our code does. Its row is the round with the median ratio of its own.');
    }
    const multi = run.seed.filter((s) => (s.rounds?.length ?? 0) > 1);
    if (multi.length > 0) {
      out.push('');
      out.push('Each storage ran these rounds, ours then the seed\'s (then the bare limit\'s), alternated, each round on unpaid orders of its own; the table shows the round with the median ratio. Req/s, ours / seed (bare limit):');
      out.push('');
      for (const s of multi) {
        const rounds = (s.rounds ?? []).map((r, i) => `round ${i + 1}: ${Math.round(r.ours)} / ${Math.round(r.seed)} (${ratio(r.ours, r.seed)})${r.limit === undefined ? '' : `, bare limit ${Math.round(r.limit)} (${ratio(r.limit, r.seed)})`}`);
        out.push(`- ${s.storage.split(':')[0]}: ${rounds.join('; ')}`);
      }
    }
  }
  out.push('');

  out.push('## Memory over a sustained run');
  out.push('');
  if (run.memory === undefined) out.push('Not run.');
  else {
    const mem = run.memory;
    const list = (xs: number[]) => xs.map((v) => v.toFixed(0)).join(' ');
    out.push(`${mem.workload}: ${mem.requests} requests in ${mem.seconds} s after a ${mem.warmupSeconds}-second warm-up (orders, then the same mix); the server's RSS`);
    out.push('(from /proc) and V8 heap in use sampled every second, and the live heap measured after a forced full GC at even points.');
    out.push('');
    out.push(`- RSS: least-squares trend ${mem.slopeMiBPerMin.toFixed(2)} MiB/min (r² ${mem.r2.toFixed(2)}); first ${mem.samplesMiB[0]?.toFixed(0)} MiB, last ${mem.samplesMiB[mem.samplesMiB.length - 1]?.toFixed(0)} MiB, max ${Math.max(...mem.samplesMiB).toFixed(0)} MiB.`);
    out.push(`- Live heap after full GC: ${mem.liveHeap.map((p) => `${p.MiB.toFixed(1)} MiB at ${p.atSecond} s`).join(', ')}; trend ${mem.liveSlopeMiBPerMin.toFixed(2)} ± ${mem.liveSlopeStdErrMiBPerMin.toFixed(2)} MiB/min (flat: growth under 5%, or a trend within two standard errors of zero).`);
    out.push('');
    out.push(`RSS (MiB) per second: ${list(mem.samplesMiB)}`);
    out.push('');
    out.push(`Heap (MiB) per second: ${list(mem.heapMiB)}`);
    if (mem.growth !== undefined) {
      out.push('');
      out.push('What the retained heap gained from start to end (heap snapshots after a full GC, self size):');
      out.push('');
      out.push('| what | objects | bytes |');
      out.push('|---|---:|---:|');
      for (const g of mem.growth) out.push(`| ${g.what.replace(/\|/g, '\\|')} | ${g.countDelta >= 0 ? '+' : ''}${g.countDelta} | ${g.bytesDelta >= 0 ? '+' : ''}${g.bytesDelta} |`);
    }
  }
  out.push('');

  if (run.profiles.length > 0) {
    out.push('## What bounds the missed targets (CPU profiles, self time)');
    out.push('');
    out.push('Self time of the measured work only, by package and by function: a micro operation in a loop under node --cpu-prof');
    out.push('(start-up left out), or the server, warmed up as for the measured runs, profiled over that scenario alone. `run`');
    out.push('and `get` (native) are better-sqlite3 running a statement: SQLite itself, COMMIT included. Native work with no');
    out.push('frame of its own is counted to the JavaScript function that called it.');
    out.push('');
    for (const p of run.profiles) {
      out.push(`**${p.what}** (${Math.round(p.summary.sampledMs)} ms sampled)`);
      out.push('');
      out.push('| package | self % |');
      out.push('|---|---:|');
      for (const k of p.summary.packages) out.push(`| ${k.name} | ${k.selfPct.toFixed(1)} |`);
      out.push('');
      out.push('| function | where | self % |');
      out.push('|---|---|---:|');
      for (const h of p.summary.functions) out.push(`| ${h.fn} | ${h.where} | ${h.selfPct.toFixed(1)} |`);
      out.push('');
    }
  }

  out.push('## Notes');
  out.push('');
  for (const n of run.notes) out.push(`- ${n}`);
  out.push('');
  return out.join('\n');
}
