import type { StatePersistence } from './persistence.js';
import type {
  DeliveryAttempt,
  NotificationJob,
  SandboxMerchant,
  SandboxOrder,
  SandboxRefund,
  StateData,
} from './types.js';

/** Attempts kept for inspection; older ones are dropped so a long-running sandbox does not grow without bound. */
const MAX_ATTEMPTS_KEPT = 5000;

function key(a: string, b: string): string {
  return `${a}\n${b}`;
}

export function emptyState(merchants: SandboxMerchant[], now: number): StateData {
  return {
    version: 1,
    savedAt: now,
    merchants,
    users: {},
    sessionKeys: {},
    codes: {},
    accessTokens: {},
    stableTokens: {},
    orders: {},
    refunds: {},
    jobs: {},
    attempts: [],
  };
}

/**
 * The sandbox's memory: plain records plus the lookups the routes need. Every mutation goes through a method here
 * or is followed by `commit()`, which writes the snapshot when a SQLite file was given.
 */
export class SandboxStore {
  constructor(
    readonly data: StateData,
    private readonly persistence: StatePersistence | undefined,
    private readonly now: () => number,
  ) {}

  /** Persist the current state (a no-op in memory mode). */
  commit(): void {
    if (this.persistence === undefined) return;
    this.data.savedAt = this.now();
    this.persistence.save(this.data);
  }

  close(): void {
    this.persistence?.close();
  }

  // --- merchants -------------------------------------------------------------------------------------------------

  merchants(): readonly SandboxMerchant[] {
    return this.data.merchants;
  }

  merchantByMchid(mchid: string): SandboxMerchant | undefined {
    return this.data.merchants.find((m) => m.mchid === mchid);
  }

  merchantByAppid(appid: string): SandboxMerchant | undefined {
    return this.data.merchants.find((m) => m.appid === appid);
  }

  // --- users -----------------------------------------------------------------------------------------------------

  userOpenid(appid: string, user: string): string | undefined {
    return this.data.users[key(appid, user)];
  }

  setUserOpenid(appid: string, user: string, openid: string): void {
    this.data.users[key(appid, user)] = openid;
  }

  /** Whether this openid belongs to a user of this appid (openids are per mini program). */
  isKnownOpenid(appid: string, openid: string): boolean {
    const prefix = `${appid}\n`;
    for (const [k, v] of Object.entries(this.data.users)) if (v === openid && k.startsWith(prefix)) return true;
    return false;
  }

  sessionKey(appid: string, openid: string): string | undefined {
    return this.data.sessionKeys[key(appid, openid)];
  }

  setSessionKey(appid: string, openid: string, sessionKey: string): void {
    this.data.sessionKeys[key(appid, openid)] = sessionKey;
  }

  // --- orders ----------------------------------------------------------------------------------------------------

  order(mchid: string, outTradeNo: string): SandboxOrder | undefined {
    return this.data.orders[key(mchid, outTradeNo)];
  }

  putOrder(order: SandboxOrder): void {
    this.data.orders[key(order.mchid, order.outTradeNo)] = order;
  }

  orderByPrepayId(prepayId: string): SandboxOrder | undefined {
    return Object.values(this.data.orders).find((o) => o.prepayId === prepayId);
  }

  orderByTransactionId(mchid: string, transactionId: string): SandboxOrder | undefined {
    return Object.values(this.data.orders).find((o) => o.mchid === mchid && o.transactionId === transactionId);
  }

  orders(): SandboxOrder[] {
    return Object.values(this.data.orders);
  }

  // --- refunds ---------------------------------------------------------------------------------------------------

  refund(mchid: string, outRefundNo: string): SandboxRefund | undefined {
    return this.data.refunds[key(mchid, outRefundNo)];
  }

  putRefund(refund: SandboxRefund): void {
    this.data.refunds[key(refund.mchid, refund.outRefundNo)] = refund;
  }

  refundById(mchid: string, refundId: string): SandboxRefund | undefined {
    return Object.values(this.data.refunds).find((r) => r.mchid === mchid && r.refundId === refundId);
  }

  /** The refunds of one order, oldest first (refundquery numbers them 0, 1, …). */
  refundsOf(mchid: string, outTradeNo: string): SandboxRefund[] {
    return Object.values(this.data.refunds)
      .filter((r) => r.mchid === mchid && r.outTradeNo === outTradeNo)
      .sort((a, b) => a.createdAt - b.createdAt || a.refundId.localeCompare(b.refundId));
  }

  refunds(): SandboxRefund[] {
    return Object.values(this.data.refunds);
  }

  // --- notifications ---------------------------------------------------------------------------------------------

  putJob(job: NotificationJob): void {
    this.data.jobs[job.id] = job;
  }

  job(id: string): NotificationJob | undefined {
    return this.data.jobs[id];
  }

  jobs(): NotificationJob[] {
    return Object.values(this.data.jobs);
  }

  recordAttempt(attempt: DeliveryAttempt): void {
    this.data.attempts.push(attempt);
    if (this.data.attempts.length > MAX_ATTEMPTS_KEPT) this.data.attempts.splice(0, this.data.attempts.length - MAX_ATTEMPTS_KEPT);
  }

  attempts(): readonly DeliveryAttempt[] {
    return this.data.attempts;
  }
}
