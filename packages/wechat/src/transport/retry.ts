import { randomInt } from 'node:crypto';
import { WxPayConfigError, WxPayNetworkError } from '../errors.js';
import { MAX_ATTEMPTS } from './options.js';

/**
 * Retries with full jitter (the "Exponential Backoff And Jitter" scheme): before retry n the wait is drawn uniformly
 * between a floor and min(cap, base × 2^(n−1)), so clients that failed together do not come back together, the
 * floor keeps a retry from landing at once on a server that just said it is busy, and the cap bounds the wait.
 */
export type RetryPolicy = {
  /** Total tries including the first (1 = never retry). */
  attempts: number;
  /** Base of the exponential ceiling: the first retry waits at most this long. */
  baseDelayMs: number;
  /** Shortest wait before a retry. */
  minDelayMs: number;
  /** Longest wait before a retry. */
  maxDelayMs: number;
};

export const DEFAULT_MIN_DELAY_MS = 50;
export const DEFAULT_MAX_DELAY_MS = 5_000;

/** Uniform in [0, 1); injected by tests so the waits are known. */
export type RandomSource = () => number;

/** The default jitter source (node:crypto, as the project's lint asks of all randomness). */
export const defaultRandom: RandomSource = () => randomInt(0, 2 ** 32) / 2 ** 32;
export type Sleep = (ms: number) => Promise<void>;

/** The wait before retry `retry` (1 for the first retry). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: RandomSource): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const floor = Math.min(policy.minDelayMs, ceiling);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(floor + r * (ceiling - floor));
}

export const realSleep: Sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type RetryLoopOptions = {
  policy: RetryPolicy;
  /** Whether this failure may be retried by sending the same request again. */
  retriable: (error: unknown) => boolean;
  sleep: Sleep;
  random: RandomSource;
  /** The caller's signal: no retry starts once it has fired. */
  signal?: AbortSignal | undefined;
};

/** Runs `attempt` until it succeeds, fails in a way that is not retriable, or the tries run out. */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryLoopOptions): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= options.policy.attempts || !options.retriable(error) || aborted(options.signal)) throw error;
      await options.sleep(backoffDelay(n, options.policy, options.random));
      if (aborted(options.signal)) {
        // Nothing more was sent; whether the earlier try landed is what that try's error said.
        const neverSent = error instanceof WxPayNetworkError && !error.outcomeUnknown;
        throw new WxPayNetworkError('aborted by the caller before a retry', { outcomeUnknown: !neverSent, code: 'ABORTED', retriable: false, cause: error });
      }
    }
  }
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The retry settings a client takes (v2 `retry`, v3 `retry`). */
export type RetryOptions = {
  attempts?: number | undefined;
  backoffMs?: number | undefined;
  minBackoffMs?: number | undefined;
  maxBackoffMs?: number | undefined;
};

/** A client's retry settings, checked at construction, with the defaults filled in. */
export function checkRetryPolicy(retry: RetryOptions | undefined): RetryPolicy {
  const attempts = retry?.attempts ?? 3;
  const baseDelayMs = retry?.backoffMs ?? 200;
  const maxDelayMs = retry?.maxBackoffMs ?? DEFAULT_MAX_DELAY_MS;
  const minDelayMs = retry?.minBackoffMs ?? Math.min(DEFAULT_MIN_DELAY_MS, baseDelayMs);
  if (!Number.isSafeInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) {
    throw new WxPayConfigError(`retry.attempts must be 1-${MAX_ATTEMPTS}`, { field: 'retry' });
  }
  for (const [name, value] of [['backoffMs', baseDelayMs], ['minBackoffMs', minDelayMs], ['maxBackoffMs', maxDelayMs]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new WxPayConfigError(`retry.${name} must be an integer ≥ 0`, { field: 'retry' });
  }
  if (minDelayMs > maxDelayMs) throw new WxPayConfigError('retry.minBackoffMs must not exceed retry.maxBackoffMs', { field: 'retry' });
  return { attempts, baseDelayMs, minDelayMs, maxDelayMs };
}
