// `npm run bench`: every measurement of issue 8 side by side in one run, written to BENCHMARKS.md.
//   --quick   short runs while developing (numbers are rough; the report says so)
//   --smoke   run every case once, check all outputs agree, time nothing, write nothing (exit 1 on a mismatch)
//   --micro-only / --load-only   one half
//   --out FILE  where to write the report (default: BENCHMARKS.md at the repository root)
//   --memory-only [--memory-seconds N]   only the sustained memory run (for investigating a slope)
//   --heap-snapshots   the memory run writes heap snapshots and reports what the live heap gained (inflates its RSS)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.js';
import { mainProfile, summarizeProfile } from './lib/profile.js';
import type { ProfileSummary } from './lib/profile.js';
import type { Probe, RunResults } from './lib/types.js';
import { makeCases, makeProbes } from './micro/cases.js';
import { makeFixtures } from './micro/fixtures.js';
import { runMicro } from './micro/harness.js';
import { fastestOther, renderReport } from './report.js';
import { runLoadSuite } from './load/suite.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const quick = args.includes('--quick');
const mode: RunResults['mode'] = smoke ? 'smoke' : quick ? 'quick' : 'full';
const outIndex = args.indexOf('--out');
const outFile = outIndex >= 0 ? args[outIndex + 1] : smoke ? undefined : join(ROOT, 'BENCHMARKS.md');
const doMicro = !args.includes('--load-only');
const doLoad = !args.includes('--micro-only');

const log = (line: string): void => { process.stderr.write(`${line}\n`); };

async function probeVerifiers(): Promise<Probe[]> {
  const fx = makeFixtures();
  const tampered = fx.notifyMd5.replace('<total_fee><![CDATA[888]]>', '<total_fee><![CDATA[889]]>');
  if (tampered === fx.notifyMd5) throw new Error('probe fixture: tampering changed nothing');
  const out: Probe[] = [];
  for (const p of makeProbes(fx)) {
    out.push({
      name: p.name,
      acceptsMd5: await p.verify(fx.notifyMd5),
      acceptsHmacWithoutSignType: await p.verify(fx.notifyHmac),
      refusesTampered: !(await p.verify(tampered)),
    });
  }
  return out;
}

/** Profile one micro operation of wxpay-kit with node --cpu-prof; returns the hottest functions and packages. */
function profileMicro(caseIndex: number): ProfileSummary | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-bench-prof-'));
  try {
    const script = join(ROOT, 'bench/micro/profile-op.ts');
    const result = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', script, String(caseIndex), 'wxpay-kit', quick ? '1' : '3'], {
      cwd: ROOT, encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`profiling failed: ${result.stderr.slice(-500)}`);
    const file = mainProfile(dir);
    const { loopStartMs } = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { loopStartMs?: number };
    return file === undefined ? undefined : summarizeProfile(file, ROOT, 10, loopStartMs ?? 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const run: RunResults = {
    machine,
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    mode,
    pinned: 'none',
    micro: [],
    probes: [],
    profiles: [],
    load: [],
    seed: [],
    targets: [],
    notes: [],
  };
  log(`wxpay-kit benchmarks (${mode}) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  const failures: string[] = [];

  if (doMicro) {
    log('micro: checking outputs, then timing');
    const fx = makeFixtures();
    const cases = makeCases(fx);
    run.micro = await runMicro(cases, {
      rounds: quick ? 3 : 9, timeMs: quick ? 150 : 250, warmupMs: quick ? 50 : 50, smoke, log,
    });
    for (const c of run.micro) {
      for (const [name, r] of Object.entries(c.results)) {
        if (r.status === 'differs' || r.status === 'failed') failures.push(`${c.op} / ${name}: ${r.status} (${r.detail})`);
      }
    }
    run.probes = await probeVerifiers();
    for (const p of run.probes) {
      if ((p.name === 'wxpay-kit' || p.name === 'bare node:crypto') && !(p.acceptsMd5 && p.acceptsHmacWithoutSignType && p.refusesTampered)) {
        failures.push(`notification probe: ${p.name} ${JSON.stringify(p)}`);
      }
    }
    if (!smoke) {
      for (const [index, c] of run.micro.entries()) {
        const ours = c.results['wxpay-kit'];
        const bare = c.results['bare node:crypto'];
        if (ours?.status !== 'timed' || bare?.status !== 'timed') {
          run.targets.push({ name: `${c.op}: wxpay-kit ≥ 0.8× bare`, status: 'not measured', detail: ours === undefined ? 'no wxpay-kit implementation' : ours.status });
          continue;
        }
        const r = ours.opsPerSec / bare.opsPerSec;
        const met = r >= 0.8;
        run.targets.push({ name: `${c.op}: wxpay-kit ≥ 0.8× bare`, status: met ? 'met' : 'missed', detail: `${r.toFixed(2)}×` });
        if (!met) {
          log(`  profiling ${c.op}`);
          const summary = profileMicro(index);
          if (summary !== undefined) run.profiles.push({ what: `${c.op} — wxpay-kit at ${r.toFixed(2)}× bare`, summary });
        }
      }
      // Issue 8's claim about the bare limit: on this machine it alone is ≥ 4× the fastest other SDK on v2
      // notification parsing and ≥ 4× wechatpay-node-v3 on v3 notifications. Checked, with wxpay-kit's ratio beside it.
      const v2n = run.micro.find((c) => c.op.startsWith('v2 payment notification'));
      const best = v2n === undefined ? undefined : fastestOther(v2n);
      const bare2 = v2n?.results['bare node:crypto'];
      const ours2 = v2n?.results['wxpay-kit'];
      if (best !== undefined && bare2?.status === 'timed') {
        const r = bare2.opsPerSec / best.ops;
        const oursR = ours2?.status === 'timed' ? `; wxpay-kit ${(ours2.opsPerSec / best.ops).toFixed(2)}×` : '';
        run.targets.push({ name: 'claim: on v2 notification parse + verify, bare ≥ 4× the fastest other SDK', status: r >= 4 ? 'met' : 'missed', detail: `bare ${r.toFixed(2)}× ${best.name}${oursR}` });
      }
      const v3n = run.micro.find((c) => c.op.startsWith('v3 notification'));
      const nodeV3 = v3n?.results['wechatpay-node-v3'];
      const bare3 = v3n?.results['bare node:crypto'];
      const ours3 = v3n?.results['wxpay-kit'];
      if (nodeV3?.status === 'timed' && bare3?.status === 'timed') {
        const r = bare3.opsPerSec / nodeV3.opsPerSec;
        const oursR = ours3?.status === 'timed' ? `; wxpay-kit ${(ours3.opsPerSec / nodeV3.opsPerSec).toFixed(2)}×` : '';
        run.targets.push({ name: 'claim: on v3 notification verify + decrypt, bare ≥ 4× wechatpay-node-v3', status: r >= 4 ? 'met' : 'missed', detail: `bare ${r.toFixed(2)}×${oursR}` });
      }
    }
  }

  if (doLoad) {
    const secondsIndex = args.indexOf('--memory-seconds');
    const onlyIndex = args.indexOf('--only');
    const load = await runLoadSuite({
      root: ROOT, mode, log, memoryOnly: args.includes('--memory-only'), heapSnapshots: args.includes('--heap-snapshots'),
      ...(onlyIndex >= 0 ? { only: (args[onlyIndex + 1] ?? '').split(',') } : {}),
      ...(secondsIndex >= 0 ? { memorySeconds: Number(args[secondsIndex + 1]) } : {}),
    });
    run.load = load.sections;
    run.seed = load.seed;
    if (load.memory !== undefined) run.memory = load.memory;
    run.pinned = load.pinned;
    run.targets.push(...load.targets);
    run.profiles.push(...load.profiles);
    run.notes.push(...load.notes);
    failures.push(...load.failures);
  }

  run.notes.push(
    'Bare = the same work on node:crypto with keys parsed once and a minimal flat-XML scanner (bench/micro/bare.ts): the practical limit on Node, not a safe implementation.',
    'Other SDKs are called through the functions their own request/notification paths use (bench/micro/others.ts); wechatpay-axios-plugin offers pay-params only as primitives, composed as its README shows; wechatpay-node-v3 has no v2 operations; tenpay has no v3.',
    'The machine is shared with other work during the run (see the load average above), so absolute numbers are noisy; ratios measured in the same run are the meaningful figures. Pinning keeps our processes apart from each other, not from other work on the same cores.',
    'Where wxpay-kit is faster than bare, the bare implementation is not the limit for that operation (its flat-XML scanner is minimal, not optimal).',
  );
  if (quick) run.notes.push('This was a --quick run: few rounds and short load runs; numbers are rough.');

  if (failures.length > 0) {
    for (const f of failures) log(`MISMATCH ${f}`);
  }
  if (outFile !== undefined) {
    writeFileSync(outFile, renderReport(run));
    log(`wrote ${outFile}`);
  }
  if (smoke) log(failures.length === 0 ? 'smoke: every case ran once and all outputs agree' : `smoke: ${failures.length} mismatch(es)`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
