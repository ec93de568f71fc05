import { randomBytes } from 'node:crypto';
import type { VirtualClock } from './clock.js';
import type { FaultRegistry } from './faults.js';
import { postOnce, type PostResult } from './http-post.js';
import type { SandboxStore } from './state/store.js';
import type { DeliveryAttempt, NotificationJob, NotificationKind, NotificationSubject, Protocol } from './state/types.js';

/**
 * WeChat's notifier: deliver a notification to the merchant's notify_url and retry on anything but the exact success
 * answer, on WeChat's schedule. Protocol details (the bytes, the headers, what counts as success) come from a
 * `NotificationProtocol` registered per protocol and kind, so v2 (XML) and v3 (JSON) share the schedule and faults.
 */

/** Delays after the 1st, 2nd, … failed attempt: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h (24h4m). */
export const RETRY_DELAYS_S: readonly number[] = [
  15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/** WeChat waits this long for the merchant's answer. */
export const DELIVERY_TIMEOUT_MS = 5000;

export type BuiltNotification = {
  body: string | Buffer;
  headers: Record<string, string>;
  /** What a fault changed, for the inspection log. */
  tampered?: string;
  /** Where to POST this attempt when it differs from the job's URL (message pushes sign each attempt in the query). */
  url?: string;
};

export interface NotificationProtocol {
  /** The bytes for one attempt; undefined when the subject (order/refund) no longer exists. */
  build(job: NotificationJob): BuiltNotification | undefined;
  /** Whether the merchant's answer is the protocol's success answer. */
  isSuccess(result: PostResult): boolean;
}

export type EnqueueInput = NotificationSubject;

export type Poster = typeof postOnce;

const ANSWER_LOG_CHARS = 2000;

export class Notifier {
  private readonly protocols = new Map<string, NotificationProtocol>();

  constructor(
    private readonly store: SandboxStore,
    private readonly clock: VirtualClock,
    private readonly faults: FaultRegistry,
    private readonly post: Poster = postOnce,
  ) {}

  register(protocol: Protocol, kind: NotificationKind, handler: NotificationProtocol): void {
    this.protocols.set(`${protocol}:${kind}`, handler);
  }

  /** Create a notification and schedule its first attempt (now, or after the delay fault). */
  enqueue(input: EnqueueInput): NotificationJob {
    const effects = this.faults.notificationEffects({ mchid: input.mchid, outTradeNo: input.outTradeNo });
    const now = this.clock.now();
    const job: NotificationJob = {
      id: randomBytes(8).toString('hex'),
      ...input,
      createdAt: now,
      attempts: 0,
      nextAt: now + effects.delayMs,
      status: 'pending',
      nonce: randomBytes(16).toString('hex'),
      tamper: {
        badSignature: effects.badSignature,
        amountDelta: effects.amountDelta,
        // v3-only effects; kept off v2 jobs so their stored shape is unchanged.
        ...(effects.expiredTimestamp ? { expiredTimestamp: true } : {}),
        ...(effects.unknownSerial ? { unknownSerial: true } : {}),
        ...(effects.signTest ? { signTest: true } : {}),
      },
      duplicates: effects.duplicates,
      concurrent: effects.concurrent,
    };
    this.store.putJob(job);
    this.store.commit();
    this.schedule(job);
    return job;
  }

  /** After a restart: put every pending notification back on the clock. */
  resume(): void {
    for (const job of this.store.jobs()) if (job.status === 'pending') this.schedule(job);
  }

  private schedule(job: NotificationJob): void {
    if (job.nextAt === undefined) return;
    this.clock.at(job.nextAt, () => this.attempt(job.id));
  }

  private async attempt(jobId: string): Promise<void> {
    const job = this.store.job(jobId);
    if (job === undefined || job.status !== 'pending') return;
    const handler = this.protocols.get(`${job.protocol}:${job.kind}`);
    job.attempts += 1;
    const at = this.clock.now();
    const base = {
      jobId: job.id,
      protocol: job.protocol,
      kind: job.kind,
      mchid: job.mchid,
      outTradeNo: job.outTradeNo,
      ...(job.outRefundNo === undefined ? {} : { outRefundNo: job.outRefundNo }),
      url: job.url,
      attempt: job.attempts,
      at,
    };
    let delivered = false;
    const built = handler?.build(job);
    if (handler === undefined || built === undefined) {
      this.store.recordAttempt({ ...base, copy: 0, verdict: 'error', error: 'nothing to send (unknown subject)' });
      job.status = 'abandoned';
      job.nextAt = undefined;
      this.store.commit();
      return;
    }
    if (this.faults.takeDrop({ mchid: job.mchid, outTradeNo: job.outTradeNo })) {
      this.store.recordAttempt({ ...base, copy: 0, verdict: 'dropped', ...tamperNote(built) });
    } else {
      // The duplicates fault applies to the first attempt that is actually sent.
      const copies = job.duplicates > 0 && !job.sentOnce ? 1 + job.duplicates : 1;
      job.sentOnce = true;
      const sendCopy = async (copy: number): Promise<DeliveryAttempt> => {
        try {
          const result = await this.post(built.url ?? job.url, built.body, built.headers, DELIVERY_TIMEOUT_MS);
          return {
            ...base,
            copy,
            status: result.status,
            answer: result.body.slice(0, ANSWER_LOG_CHARS),
            verdict: handler.isSuccess(result) ? 'success' : 'failure',
            ...tamperNote(built),
          };
        } catch (error) {
          return { ...base, copy, verdict: 'error', error: describe(error), ...tamperNote(built) };
        }
      };
      let results: DeliveryAttempt[];
      if (job.concurrent && copies > 1) {
        results = await Promise.all(Array.from({ length: copies }, (_, i) => sendCopy(i)));
      } else {
        results = [];
        for (let i = 0; i < copies; i++) results.push(await sendCopy(i));
      }
      for (const r of results) this.store.recordAttempt(r);
      delivered = results.some((r) => r.verdict === 'success');
    }
    if (delivered) {
      job.status = 'delivered';
      job.nextAt = undefined;
    } else {
      const delay = RETRY_DELAYS_S[job.attempts - 1];
      if (delay === undefined) {
        job.status = 'abandoned';
        job.nextAt = undefined;
      } else {
        job.nextAt = at + delay * 1000;
      }
    }
    this.store.commit();
    if (job.status === 'pending') this.schedule(job);
  }
}

function tamperNote(built: BuiltNotification): { tampered?: string } {
  return built.tampered === undefined ? {} : { tampered: built.tampered };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code}: ${error.message}`;
  }
  return 'delivery failed';
}
