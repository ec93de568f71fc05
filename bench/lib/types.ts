// The shape of one benchmark run, filled by bench/run.ts and rendered by bench/report.ts.
import type { CaseResult } from '../micro/harness.js';
import type { ImplName } from '../micro/cases.js';
import type { LoadResult } from '../load/cannon.js';
import type { ProfileSummary } from './profile.js';
import type { Machine } from './machine.js';

export type Probe = { name: ImplName; acceptsMd5: boolean; acceptsHmacWithoutSignType: boolean; refusesTampered: boolean };

/** One load configuration: a database and an API version. */
export type LoadSection = {
  database: 'SQLite' | 'PostgreSQL';
  apiVersion: 'v2' | 'v3';
  storage: string;
  results: LoadResult[];
  /** Server-side own time of order creation (total minus the wait for WeChat/the sandbox), ms. */
  orderCreateOwn?: { p50: number; p99: number; upstreamP50: number; upstreamP99: number; count: number };
  /** Unifiedorder measured directly against the sandbox, same concurrency. */
  sandboxUnifiedOrder?: LoadResult;
  checks: string[];
  skipped?: string;
  /** What one durable commit (and, for PostgreSQL, one round trip) costs on this storage, measured beside the run. */
  floor?: { commitMs: number; roundTripMs?: number; samples: number };
  /** The bare limit of our work (bench/limit) on this storage, req/s per round, where it runs beside our rounds. */
  limitRps?: number[];
  /** Commits per order creation, and how many of them were writes outside a transaction (each its own commit). */
  orderCreateCommits?: { commits: number; autocommit: number };
  /** Valid unique notifications per second in each round, where a section measured several (full run, no seed beside). */
  uniqueRps?: number[];
  /**
   * Forged notifications (bad signature) 20 to 1 with genuine ones, at once: the genuine ones' p99 beside the same
   * genuine ones alone, both rates, and the rows the refusals added to the database (audit samples and counters).
   */
  forged?: {
    genuineAloneP99: number; genuineMixedP99: number; genuineRps: number; forgedRps: number; forgedRefused: number; forgedSent: number; rowsAdded: number; sources: number; minutes: number;
    /** The same p99s inside the server (arrival to the answer's end, ms), apart from the load generator's queueing. */
    serverAloneP99?: number; serverMixedP99?: number;
    /** The load generator's CPU over the mixed run, as a share of its one core. */
    loadGeneratorCpu?: number;
  };
};

export type SeedComparison = {
  storage: string; seed: LoadResult; ours: LoadResult; seedPaid: number; oursPaid: number; expected: number;
  /** Every round's req/s, ours and the seed's, in the order run; `seed` and `ours` are the round with the median ratio. */
  rounds?: { ours: number; seed: number; limit?: number }[];
  /**
   * The bare limit of our work (bench/limit): its round with the median ratio to the seed handler of that round, and
   * that ratio. A target above it is out of reach for this work on this machine, whatever our code does.
   */
  limit?: LoadResult;
  limitPaid?: number;
  limitRatio?: number;
  /** The bare limit's best round's ratio: a target above it was reached in no round. */
  limitBestRatio?: number;
};

export type Memory = {
  seconds: number;
  workload: string;
  requests: number;
  warmupSeconds: number;
  /** The server's peak RSS (VmHWM) at the end of the run, MiB. */
  peakRssMiB?: number;
  /** RSS per second (MiB) and its least-squares trend. */
  samplesMiB: number[];
  slopeMiBPerMin: number;
  r2: number;
  /** V8 heap in use per second (MiB), saw-toothing with garbage collection. */
  heapMiB: number[];
  /** Live heap after a forced full GC, at even points of the run: growth here is memory that is never released. */
  liveHeap: { atSecond: number; MiB: number }[];
  liveSlopeMiBPerMin: number;
  liveSlopeStdErrMiBPerMin: number;
  /** When the target is missed: what the retained heap gained between the start and the end of the run. */
  growth?: { what: string; countDelta: number; bytesDelta: number }[];
};

export type Target = { name: string; status: 'met' | 'missed' | 'not measured'; detail: string };

export type RunResults = {
  machine: Machine;
  command: string;
  mode: 'full' | 'quick' | 'smoke';
  pinned: string;
  micro: CaseResult[];
  probes: Probe[];
  profiles: { what: string; summary: ProfileSummary }[];
  load: LoadSection[];
  seed: SeedComparison[];
  memory?: Memory;
  targets: Target[];
  notes: string[];
};
