import { WxPayValidationError } from '../errors.js';

/**
 * Per-call options, the optional last argument of every client method that talks to WeChat (stripe-node's
 * RequestOptions shape). Each overrides the client's default for this one call.
 */
export type WxPayRequestOptions = {
  /** Per try, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Cancels the call: an in-flight request is aborted and no retry starts. */
  signal?: AbortSignal | undefined;
  /** Retries after the first try (0 = none), of failures that are safe to resend. */
  retries?: number | undefined;
};

/** The per-call values after checking, with the client defaults filled in. */
export type ResolvedCallOptions = { timeoutMs: number; attempts: number; signal: AbortSignal | undefined };

export const MAX_ATTEMPTS = 10;

export function resolveCallOptions(
  callOptions: WxPayRequestOptions | undefined,
  defaults: { timeoutMs: number; attempts: number },
): ResolvedCallOptions {
  const timeoutMs = callOptions?.timeoutMs ?? defaults.timeoutMs;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new WxPayValidationError('timeoutMs', 'must be a positive integer');
  const retries = callOptions?.retries;
  if (retries !== undefined && (!Number.isSafeInteger(retries) || retries < 0 || retries > MAX_ATTEMPTS - 1)) {
    throw new WxPayValidationError('retries', `must be an integer from 0 to ${MAX_ATTEMPTS - 1}`);
  }
  const signal = callOptions?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new WxPayValidationError('signal', 'must be an AbortSignal');
  return { timeoutMs, attempts: retries === undefined ? defaults.attempts : retries + 1, signal };
}
