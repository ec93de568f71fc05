// Runs the micro cases: check every implementation's output against the bare one, then time them with tinybench.
// Each timed task runs a batch of calls (so timer overhead does not dominate microsecond operations); each case is
// measured in several rounds with the implementations interleaved, and the report takes the median round.
import { deepStrictEqual } from 'node:assert/strict';
import { Bench } from 'tinybench';
import { median } from '../lib/stats.js';
import type { ImplName, MicroCase } from './cases.js';

export type MicroOptions = { rounds: number; timeMs: number; warmupMs: number; smoke: boolean; log: (line: string) => void };

export type ImplResult =
  | { status: 'timed'; opsPerSec: number; rounds: number[] }
  | { status: 'checked' }
  | { status: 'differs'; detail: string }
  | { status: 'failed'; detail: string };

export type CaseResult = { op: string; results: Partial<Record<ImplName, ImplResult>> };

async function call(fn: () => unknown): Promise<{ value: unknown; async: boolean }> {
  const out = fn();
  if (out instanceof Promise) return { value: await out, async: true };
  return { value: out, async: false };
}

/** Calls per timed task so one task iteration takes ~0.5 ms. */
async function batchSize(fn: () => unknown, isAsync: boolean): Promise<number> {
  const probe = 200;
  const start = process.hrtime.bigint();
  for (let i = 0; i < probe; i++) {
    if (isAsync) await fn(); else fn();
  }
  const perCallNs = Number(process.hrtime.bigint() - start) / probe;
  return Math.max(1, Math.round(500_000 / Math.max(perCallNs, 1)));
}

export async function runMicro(cases: readonly MicroCase[], opts: MicroOptions): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of cases) {
    const results: CaseResult['results'] = {};
    const bareFn = c.impls['bare node:crypto'];
    if (bareFn === undefined) throw new Error(`${c.op}: no bare implementation`);
    const reference = c.normalize((await call(bareFn)).value);
    const timed: { name: ImplName; fn: () => unknown; isAsync: boolean }[] = [];
    for (const [name, fn] of Object.entries(c.impls) as [ImplName, () => unknown][]) {
      try {
        const { value, async } = await call(fn);
        deepStrictEqual(c.normalize(value), reference);
        timed.push({ name, fn, isAsync: async });
        results[name] = { status: 'checked' };
      } catch (error) {
        const detail = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
        results[name] = { status: error instanceof Error && error.name === 'AssertionError' ? 'differs' : 'failed', detail };
        opts.log(`  ${c.op} / ${name}: ${results[name]?.status} (${detail})`);
      }
    }
    if (!opts.smoke) {
      const batches = new Map<ImplName, number>();
      for (const t of timed) batches.set(t.name, await batchSize(t.fn, t.isAsync));
      const rounds = new Map<ImplName, number[]>();
      for (let round = 0; round < opts.rounds; round++) {
        const bench = new Bench({ time: opts.timeMs, warmupTime: opts.warmupMs, iterations: 10 });
        // Rotate the order each round so no implementation always runs first (JIT and GC state).
        const order = timed.map((_, i) => timed[(i + round) % timed.length]).filter((t) => t !== undefined);
        for (const t of order) {
          const k = batches.get(t.name) ?? 1;
          const fn = t.fn;
          bench.add(t.name, t.isAsync
            ? async () => { for (let i = 0; i < k; i++) await fn(); }
            : () => { for (let i = 0; i < k; i++) fn(); });
        }
        await bench.run();
        for (const task of bench.tasks) {
          const p50 = task.result?.latency.p50;
          const k = batches.get(task.name as ImplName) ?? 1;
          if (p50 === undefined || p50 <= 0) continue;
          const list = rounds.get(task.name as ImplName) ?? [];
          list.push((k * 1000) / p50);
          rounds.set(task.name as ImplName, list);
        }
      }
      for (const [name, list] of rounds) results[name] = { status: 'timed', opsPerSec: median(list), rounds: list };
    }
    out.push({ op: c.op, results });
    opts.log(`  ${c.op}: ${Object.entries(results).map(([n, r]) => `${n}=${r.status === 'timed' ? Math.round(r.opsPerSec) : r.status}`).join(', ')}`);
  }
  return out;
}
