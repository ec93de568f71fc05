import { z } from 'zod';
import { randomBytes } from 'node:crypto';

/**
 * Fault injection: what a merchant backend must survive. A fault is scoped to every merchant, one merchant (mchid) or
 * one order (outTradeNo) and affects notifications (`notify`) and/or API answers (`api`). Faults live in memory only:
 * they are test set-up, not WeChat's state.
 */

const notifyFaultSchema = z
  .object({
    /** Drop the next N delivery attempts in scope (nothing is sent; the retry schedule carries on). */
    drop: z.number().int().min(0).max(1000).optional(),
    /** Send N extra copies of the first delivered attempt of each notification. */
    duplicates: z.number().int().min(0).max(20).optional(),
    /** Send the copies at the same moment instead of one after another. */
    concurrent: z.boolean().optional(),
    /** Hold each new notification back for this long (virtual ms) before its first attempt. */
    delayMs: z.number().int().min(0).max(7 * 24 * 3600 * 1000).optional(),
    /** Sign (or, for refunds, encrypt) with a wrong key: a forged notification. */
    badSignature: z.boolean().optional(),
    /** Report an amount that differs by this many fen, correctly signed: an authentic notification that disagrees. */
    amountDelta: z.number().int().min(-1_000_000_000).max(1_000_000_000).optional(),
    /** v3: Wechatpay-Timestamp 10 minutes in the past, correctly signed (a replay of an old message). */
    expiredTimestamp: z.boolean().optional(),
    /** v3: Wechatpay-Serial names a key the merchant cannot know, correctly signed with the real key. */
    unknownSerial: z.boolean().optional(),
    /**
     * v3: WeChat's signature probe. The first attempt of each new notification carries a `WECHATPAY/SIGNTEST/…`
     * Wechatpay-Signature (WeChat sends these to check that merchants verify); a merchant must refuse it, and the
     * retries on the usual schedule are genuinely signed.
     */
    signTest: z.boolean().optional(),
  })
  .strict();

const apiFaultSchema = z
  .object({
    /** The WeChat path, exactly as requested (`/pay/unifiedorder`, `/sns/jscode2session`, `/v3/pay/transactions/jsapi`). */
    path: z.string().startsWith('/').max(200),
    /** 5xx: HTTP 503. timeout: no answer at all. SYSTEMERROR: WeChat's "busy, retry" business answer. */
    kind: z.enum(['5xx', 'timeout', 'SYSTEMERROR']),
    /** How many matching requests are hit (default 1). */
    times: z.number().int().min(1).max(1000).optional(),
    /** Process the request anyway and only replace the answer (the merchant cannot tell whether it landed). */
    apply: z.boolean().optional(),
    /** For `timeout`: how long (real ms) to hold the connection before dropping it (default 30 000). */
    holdMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();

export const faultBodySchema = z
  .object({
    mchid: z.string().min(1).max(32).optional(),
    outTradeNo: z.string().min(1).max(64).optional(),
    notify: notifyFaultSchema.optional(),
    api: apiFaultSchema.optional(),
  })
  .strict()
  .refine((b) => b.notify !== undefined || b.api !== undefined, { message: 'give notify and/or api' });

export type FaultBody = z.infer<typeof faultBodySchema>;
export type NotifyFault = z.infer<typeof notifyFaultSchema>;
export type ApiFault = z.infer<typeof apiFaultSchema>;

export type Fault = FaultBody & {
  id: string;
  /** Remaining drops / API hits (counters that the fault consumes). */
  remainingDrops: number;
  remainingApiHits: number;
};

export type FaultScope = { mchid?: string | undefined; outTradeNo?: string | undefined };

/** The notification effects fixed when a notification is created. */
export type NotificationFaultEffects = {
  delayMs: number;
  duplicates: number;
  concurrent: boolean;
  badSignature: boolean;
  amountDelta: number;
  expiredTimestamp: boolean;
  unknownSerial: boolean;
  signTest: boolean;
};

export class FaultRegistry {
  private faults: Fault[] = [];

  add(body: FaultBody): Fault {
    const fault: Fault = {
      ...body,
      id: randomBytes(6).toString('hex'),
      remainingDrops: body.notify?.drop ?? 0,
      remainingApiHits: body.api === undefined ? 0 : (body.api.times ?? 1),
    };
    this.faults.push(fault);
    return fault;
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /** Faults that apply to this scope, most specific (order) first, then merchant, then global. */
  private matching(scope: FaultScope): Fault[] {
    const specificity = (f: Fault): number => (f.outTradeNo !== undefined ? 0 : f.mchid !== undefined ? 1 : 2);
    return this.faults
      .filter(
        (f) =>
          (f.mchid === undefined || f.mchid === scope.mchid) &&
          (f.outTradeNo === undefined || f.outTradeNo === scope.outTradeNo),
      )
      .sort((a, b) => specificity(a) - specificity(b));
  }

  /** Effects for a new notification; for each effect the most specific fault that sets it wins. */
  notificationEffects(scope: FaultScope): NotificationFaultEffects {
    const effects: NotificationFaultEffects = {
      delayMs: 0,
      duplicates: 0,
      concurrent: false,
      badSignature: false,
      amountDelta: 0,
      expiredTimestamp: false,
      unknownSerial: false,
      signTest: false,
    };
    // Walk least specific first so more specific faults overwrite.
    for (const f of this.matching(scope).reverse()) {
      const n = f.notify;
      if (n === undefined) continue;
      if (n.delayMs !== undefined) effects.delayMs = n.delayMs;
      if (n.duplicates !== undefined) effects.duplicates = n.duplicates;
      if (n.concurrent !== undefined) effects.concurrent = n.concurrent;
      if (n.badSignature !== undefined) effects.badSignature = n.badSignature;
      if (n.amountDelta !== undefined) effects.amountDelta = n.amountDelta;
      if (n.expiredTimestamp !== undefined) effects.expiredTimestamp = n.expiredTimestamp;
      if (n.unknownSerial !== undefined) effects.unknownSerial = n.unknownSerial;
      if (n.signTest !== undefined) effects.signTest = n.signTest;
    }
    return effects;
  }

  /** Whether the next delivery attempt in this scope is dropped; consumes one drop. */
  takeDrop(scope: FaultScope): boolean {
    const fault = this.matching(scope).find((f) => f.remainingDrops > 0);
    if (fault === undefined) return false;
    fault.remainingDrops -= 1;
    return true;
  }

  /** The API fault that hits this request, if any; consumes one hit. */
  takeApiFault(path: string, scope: FaultScope): ApiFault | undefined {
    const fault = this.matching(scope).find((f) => f.api !== undefined && f.api.path === path && f.remainingApiHits > 0);
    if (fault === undefined || fault.api === undefined) return undefined;
    fault.remainingApiHits -= 1;
    return fault.api;
  }
}
