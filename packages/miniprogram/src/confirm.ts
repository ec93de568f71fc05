// Confirming a payment with the server. wx.requestPayment's "ok" only means the cashier closed
// happily; the order is paid when the server (told by WeChat's notification or its own query)
// says so. We poll GET /api/orders/:id with capped exponential backoff until a final status
// or the time limit.
import type { Order } from './types.js';
import { PAID_STATUSES } from './types.js';

export interface ConfirmOptions {
  /** Give up (outcome `pending`) after this long. Default 30 s. */
  timeoutMs: number;
  /** First wait after the immediate check. Default 500 ms. */
  initialDelayMs: number;
  /** The wait doubles up to this. Default 4 s. */
  maxDelayMs: number;
}

export const DEFAULT_CONFIRM: ConfirmOptions = { timeoutMs: 30_000, initialDelayMs: 500, maxDelayMs: 4_000 };

export type ConfirmResult =
  | { final: true; order: Order }
  | { final: false; order?: Order; error?: unknown };

export function isFinal(order: Order): boolean {
  return PAID_STATUSES.has(order.status) || order.status === 'CLOSED';
}

export interface PollDeps {
  fetchOrder: () => Promise<Order>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * Polls until the order is final or `timeoutMs` has passed. A failed read (offline for a moment)
 * does not end the wait: the payment may well be going through, so we keep asking.
 */
export async function pollUntilFinal(deps: PollDeps, opts: ConfirmOptions): Promise<ConfirmResult> {
  const deadline = deps.now() + opts.timeoutMs;
  let delay = Math.max(1, opts.initialDelayMs);
  let last: Order | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await deps.fetchOrder();
      lastError = undefined;
      if (isFinal(last)) return { final: true, order: last };
    } catch (err) {
      lastError = err;
    }
    const remaining = deadline - deps.now();
    if (remaining <= 0) break;
    // The last wait is cut short so one final check lands right at the deadline.
    await deps.sleep(Math.min(delay, remaining));
    delay = Math.min(delay * 2, Math.max(opts.maxDelayMs, opts.initialDelayMs));
  }
  const result: ConfirmResult = { final: false };
  if (last !== undefined) result.order = last;
  if (lastError !== undefined) result.error = lastError;
  return result;
}
