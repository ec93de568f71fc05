/**
 * What a refused notification costs us. The notification endpoints are open to anyone, so a refusal must not cost a
 * database row (a disk-filling channel) or a commit (on SQLite, every commit is an fsync that authentic
 * notifications then wait behind). Refusals are counted in memory per (minute, kind, source, reason) and flushed as one
 * counter row per key; only the first few of each key in a minute, and a few in all, are kept raw for the audit trail,
 * as samples inside that same counter row (migration 0007): a flood adds at most one row per key and minute.
 * No rate limit applies before verification: WeChat's own deliveries and retries are never throttled, whoever floods.
 */
import type { InboundNotification } from '../ports/gateway.js';
import type { RefusalCount } from '../ports/store.js';

export const MINUTE_MS = 60_000;

export type RefusalSampling = {
  /** Raw rows kept per (minute, kind, source, reason). */
  perKey: number;
  /** Raw rows kept per minute in all (many sources at once). */
  perMinute: number;
  /** Distinct keys held in memory between flushes; further sources are counted under OVERFLOW_SOURCE. */
  maxKeys: number;
};

export const DEFAULT_REFUSAL_SAMPLING: RefusalSampling = { perKey: 5, perMinute: 50, maxKeys: 2_000 };

/** A sampled body is cut to this many characters: a sample shows what was sent, it does not store floods. */
export const SAMPLE_BODY_MAX = 4_096;

export const OVERFLOW_SOURCE = '(other sources)';

const XML_TYPES = new Set(['text/xml', 'application/xml', 'text/plain']);

/**
 * The cheap check before verification: the body's declared type must fit the protocol (v2 XML, v3 JSON). A missing
 * Content-Type is left to the parser and the signature; a declared wrong one is refused unread.
 */
export function contentTypeRefusal(apiVersion: 'v2' | 'v3', headers: InboundNotification['headers']): string | undefined {
  const raw = headers['content-type'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  const ok = apiVersion === 'v2' ? XML_TYPES.has(type) : type === 'application/json';
  return ok ? undefined : 'unsupported_content_type';
}

export type RefusalKey = Omit<RefusalCount, 'count'>;
type Key = RefusalKey;

const keyOf = (k: Key) => `${k.minute}\u0000${k.kind}\u0000${k.source}\u0000${k.reason}`;

export class RefusalSampler {
  private readonly counts = new Map<string, RefusalCount>();
  private sampleMinute = -1;
  private sampledInMinute = 0;
  private readonly sampledByKey = new Map<string, number>();

  constructor(private readonly sampling: RefusalSampling = DEFAULT_REFUSAL_SAMPLING) {}

  /**
   * Counts one refusal; returns the key it was counted under (source and reason bounded, or the overflow source) when
   * it should also be kept as a sample, undefined when not.
   */
  record(refusal: Key): Key | undefined {
    const bounded = { ...refusal, source: refusal.source.slice(0, 64), reason: refusal.reason.slice(0, 80) };
    let key = keyOf(bounded);
    let entry = this.counts.get(key);
    if (entry === undefined && this.counts.size >= this.sampling.maxKeys) {
      bounded.source = OVERFLOW_SOURCE;
      key = keyOf(bounded);
      entry = this.counts.get(key);
    }
    if (entry === undefined) this.counts.set(key, { ...bounded, count: 1 });
    else entry.count++;
    if (bounded.minute !== this.sampleMinute) {
      this.sampleMinute = bounded.minute;
      this.sampledInMinute = 0;
      this.sampledByKey.clear();
    }
    const sampled = this.sampledByKey.get(key) ?? 0;
    if (sampled >= this.sampling.perKey || this.sampledInMinute >= this.sampling.perMinute) return undefined;
    this.sampledByKey.set(key, sampled + 1);
    this.sampledInMinute++;
    return bounded;
  }

  /** Minutes with counts not flushed yet, and whether any is older than `minute`. */
  hasCountsBefore(minute: number): boolean {
    for (const entry of this.counts.values()) if (entry.minute < minute) return true;
    return false;
  }

  /** Takes every count (each key once), leaving none behind. */
  drain(): RefusalCount[] {
    const rows = [...this.counts.values()];
    this.counts.clear();
    return rows;
  }

  /** Puts counts back after a failed flush, so they are written with the next one. */
  restore(rows: readonly RefusalCount[]): void {
    for (const row of rows) {
      const key = keyOf(row);
      const entry = this.counts.get(key);
      if (entry === undefined) this.counts.set(key, { ...row });
      else entry.count += row.count;
    }
  }
}
