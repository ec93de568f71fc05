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
/** Finished notifications kept for inspection. */
const MAX_JOBS_KEPT = 5000;

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
  // Lookups the hot paths need (cashier by prepay_id, queries by transaction_id, refunds of an order) without scanning
  // every order. Rebuilt from the data at start; entries are verified on read, so a stale one (a renewed prepay_id)
  // is harmless.
  private readonly byPrepayId = new Map<string, string>();
  private readonly byTransactionId = new Map<string, string>();
  private readonly appsOfOpenid = new Map<string, Set<string>>();
  private readonly refundsByOrder = new Map<string, SandboxRefund[]>();
  private readonly byRefundId = new Map<string, string>();

  constructor(
    readonly data: StateData,
    private readonly persistence: StatePersistence | undefined,
    private readonly now: () => number,
  ) {
    for (const [k, openid] of Object.entries(data.users)) this.indexUser(k.slice(0, k.indexOf('\n')), openid);
    for (const order of Object.values(data.orders)) this.indexOrder(order);
    for (const refund of Object.values(data.refunds)) this.indexRefund(refund);
  }

  private indexUser(appid: string, openid: string): void {
    const apps = this.appsOfOpenid.get(openid) ?? new Set<string>();
    apps.add(appid);
    this.appsOfOpenid.set(openid, apps);
  }

  private indexOrder(order: SandboxOrder): void {
    const k = key(order.mchid, order.outTradeNo);
    this.byPrepayId.set(order.prepayId, k);
    if (order.transactionId !== undefined) this.byTransactionId.set(key(order.mchid, order.transactionId), k);
  }

  private indexRefund(refund: SandboxRefund): void {
    const orderKey = key(refund.mchid, refund.outTradeNo);
    const list = this.refundsByOrder.get(orderKey) ?? [];
    if (!list.includes(refund)) list.push(refund);
    list.sort((a, b) => a.createdAt - b.createdAt || a.refundId.localeCompare(b.refundId));
    this.refundsByOrder.set(orderKey, list);
    this.byRefundId.set(key(refund.mchid, refund.refundId), key(refund.mchid, refund.outRefundNo));
  }

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

  /** A merchant added through the control API: listed after the configured ones and kept across restarts. */
  addMerchant(merchant: SandboxMerchant): void {
    this.data.merchants.push(merchant);
    this.data.addedMerchants = [...(this.data.addedMerchants ?? []), merchant];
    this.commit();
  }

  // --- users -----------------------------------------------------------------------------------------------------

  userOpenid(appid: string, user: string): string | undefined {
    return this.data.users[key(appid, user)];
  }

  setUserOpenid(appid: string, user: string, openid: string): void {
    this.data.users[key(appid, user)] = openid;
    this.indexUser(appid, openid);
  }

  /** Whether this openid belongs to a user of this appid (openids are per mini program). */
  isKnownOpenid(appid: string, openid: string): boolean {
    return this.appsOfOpenid.get(openid)?.has(appid) ?? false;
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

  /** Store a new order, or re-index one whose prepay_id or transaction_id changed. */
  putOrder(order: SandboxOrder): void {
    this.data.orders[key(order.mchid, order.outTradeNo)] = order;
    this.indexOrder(order);
  }

  orderByPrepayId(prepayId: string): SandboxOrder | undefined {
    const k = this.byPrepayId.get(prepayId);
    const order = k === undefined ? undefined : this.data.orders[k];
    return order?.prepayId === prepayId ? order : undefined;
  }

  orderByTransactionId(mchid: string, transactionId: string): SandboxOrder | undefined {
    const k = this.byTransactionId.get(key(mchid, transactionId));
    const order = k === undefined ? undefined : this.data.orders[k];
    return order?.transactionId === transactionId ? order : undefined;
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
    this.indexRefund(refund);
  }

  refundById(mchid: string, refundId: string): SandboxRefund | undefined {
    const k = this.byRefundId.get(key(mchid, refundId));
    return k === undefined ? undefined : this.data.refunds[k];
  }

  /** The refunds of one order, oldest first (refundquery numbers them 0, 1, …). */
  refundsOf(mchid: string, outTradeNo: string): SandboxRefund[] {
    return [...(this.refundsByOrder.get(key(mchid, outTradeNo)) ?? [])];
  }

  refunds(): SandboxRefund[] {
    return Object.values(this.data.refunds);
  }

  // --- notifications ---------------------------------------------------------------------------------------------

  putJob(job: NotificationJob): void {
    this.data.jobs[job.id] = job;
    const ids = Object.keys(this.data.jobs);
    if (ids.length > MAX_JOBS_KEPT) {
      // Forget the oldest finished notifications (insertion order); pending ones are WeChat's debt and stay.
      let excess = ids.length - MAX_JOBS_KEPT;
      for (const id of ids) {
        if (excess === 0) break;
        if (this.data.jobs[id]?.status !== 'pending') {
          delete this.data.jobs[id];
          excess -= 1;
        }
      }
    }
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
