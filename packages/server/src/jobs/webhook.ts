/**
 * Fulfilment events to the merchant's own HTTP endpoint (WEBHOOK_URL). Delivery is at least once (the outbox retries
 * with backoff until a 2xx), so a receiver must de-duplicate by the event id it is given.
 *
 * The body is signed with HMAC-SHA256 under WEBHOOK_SECRET, Stripe-style, so the merchant can tell our calls from
 * anyone else's and refuse replays:
 *   X-Wxpay-Kit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * To verify: recompute over the RAW body bytes (before any JSON parsing), compare in constant time, and refuse a t
 * more than a few minutes from your clock. verifyWebhookSignature below does exactly that.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { FulfilmentEvent } from './jobs.js';

export const WEBHOOK_SIGNATURE_HEADER = 'x-wxpay-kit-signature';
export const WEBHOOK_EVENT_ID_HEADER = 'x-wxpay-kit-event-id';

/** livemode: false for every event of a sandbox-mode server (no money moved): refuse those in production. */
export type WebhookBody = { id: string; topic: string; livemode: boolean; orderId: string; createdAt: number; attempt: number; payload: Record<string, unknown> };

function hmacHex(secret: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The header value for `body` signed at `timestampSeconds`. */
export function signWebhook(body: string | Uint8Array, secret: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

/**
 * True when `header` is a valid signature of the raw `body` under `secret`, made within `toleranceSeconds` (default
 * 300) of `nowSeconds`. Several v1= values are accepted (one per secret during a rotation).
 */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  header: string | undefined,
  secret: string,
  options: { nowSeconds: number; toleranceSeconds?: number },
): boolean {
  if (header === undefined) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(options.nowSeconds - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  return candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
}

export type WebhookFetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; body?: { cancel(): Promise<void> } | null }>;

export type WebhookOptions = {
  url: string;
  secret: string;
  clock: Clock;
  /** Give up on one delivery after this long (it is retried later). Keep it well under the outbox lease. */
  timeoutMs?: number;
  fetch?: WebhookFetch;
};

/** A fulfilment hook that POSTs each event, signed; any answer but a 2xx (or no answer) throws, so it is retried. */
export function createWebhookHook(options: WebhookOptions): (event: FulfilmentEvent, signal?: AbortSignal) => Promise<void> {
  const doFetch: WebhookFetch = options.fetch ?? ((url, init) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (event, signal) => {
    const body = JSON.stringify({
      id: event.id,
      topic: event.topic,
      livemode: event.livemode,
      orderId: event.orderId,
      createdAt: event.createdAt,
      attempt: event.attempts,
      payload: event.payload,
    } satisfies WebhookBody);
    const signature = signWebhook(body, options.secret, Math.floor(options.clock.now() / 1000));
    const response = await doFetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WEBHOOK_SIGNATURE_HEADER]: signature,
        [WEBHOOK_EVENT_ID_HEADER]: event.id,
        'x-wxpay-kit-topic': event.topic,
        'x-wxpay-kit-livemode': String(event.livemode),
      },
      body,
      signal: signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    // The answer's body is not ours to read or log (it may echo anything); release the connection.
    await response.body?.cancel().catch(() => {});
    if (response.status < 200 || response.status > 299) throw new Error(`webhook answered HTTP ${response.status}`);
  };
}

/** Runs each hook in turn; one failing fails the delivery (all are retried: every hook must be idempotent). */
export function composeHooks(
  ...hooks: ((event: FulfilmentEvent, signal?: AbortSignal) => Promise<void> | void)[]
): (event: FulfilmentEvent, signal?: AbortSignal) => Promise<void> {
  return async (event, signal) => {
    for (const hook of hooks) await hook(event, signal);
  };
}
