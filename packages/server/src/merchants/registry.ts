/**
 * Every merchant this server serves, each with its own gateway and domain services (issue 16). The first is the
 * merchant of the environment variables (id 'default'); the rest are rows of the merchants table, loaded when first
 * named — by a notify URL, a login's appid, a session, an order or a job — so a merchant added on one instance is
 * served by every instance without a restart. Services are built once per merchant and process.
 */
import { DEFAULT_MERCHANT_ID } from '../domain/merchant-identity.js';
import type { NotificationService } from '../domain/notification-service.js';
import type { PaymentService } from '../domain/payment-service.js';
import type { RefundService } from '../domain/refund-service.js';
import type { MerchantShipping } from '../domain/shipping-service.js';
import type { SessionService } from '../auth/session-service.js';
import type { BillReconciler } from '../jobs/bill-reconciliation.js';
import type { PaymentGateway } from '../ports/gateway.js';
import type { MerchantStore } from '../ports/merchant-store.js';
import type { Merchant, MerchantSummary } from './merchant.js';
import type { MerchantVault } from './merchant-vault.js';
import type { DomainLogger } from '../domain/logger.js';

/** One merchant's services: what a request, a notification or a job for it uses. */
export type MerchantServices = {
  id: string;
  summary: MerchantSummary;
  gateway: PaymentGateway;
  payments: PaymentService;
  refunds: RefundService;
  notifications: NotificationService;
  sessions: SessionService;
  bills: BillReconciler | undefined;
  /** Its mini program's 发货信息管理 (own access token) and the merchant numbers its payments carry. */
  shipping: MerchantShipping;
};

export type MerchantRegistryOptions = {
  first: MerchantServices;
  /** Without a store (an injected non-Kysely store) the first merchant is the only one. */
  store: MerchantStore | undefined;
  vault: MerchantVault;
  build: (merchant: Merchant) => MerchantServices;
  logger: DomainLogger;
};

export class MerchantRegistry {
  private readonly loaded = new Map<string, Promise<MerchantServices | undefined>>();
  /** The merchants built so far in this process (what has refusal counts in memory). */
  private readonly built = new Map<string, MerchantServices>();

  constructor(private readonly o: MerchantRegistryOptions) {
    this.loaded.set(o.first.id, Promise.resolve(o.first));
    this.built.set(o.first.id, o.first);
  }

  /** The merchants this process has built so far, the first first. */
  loadedNow(): MerchantServices[] {
    return [...this.built.values()];
  }

  get first(): MerchantServices {
    return this.o.first;
  }

  /** The merchant of this id, loaded from the store on first use; undefined when there is none. */
  get(id: string): Promise<MerchantServices | undefined> {
    let found = this.loaded.get(id);
    if (found === undefined) {
      found = this.load(id);
      this.loaded.set(id, found);
      // A miss is not remembered: the merchant may be added by another instance a moment later.
      void found.then((m) => { if (m === undefined) this.loaded.delete(id); }, () => this.loaded.delete(id));
    }
    return found;
  }

  private async load(id: string): Promise<MerchantServices | undefined> {
    const row = await this.o.store?.getMerchant(id);
    if (row === undefined) return undefined;
    const services = this.o.build(this.o.vault.open(row));
    this.built.set(id, services);
    return services;
  }

  /** The merchant whose mini program this appid is (POST /api/login {appid}). */
  async byAppid(appid: string): Promise<MerchantServices | undefined> {
    if (appid === this.o.first.summary.appid) return this.o.first;
    const row = await this.o.store?.getMerchantByAppid(appid);
    return row === undefined ? undefined : this.get(row.id);
  }

  /** Every merchant, the first first (jobs run for each). */
  async all(): Promise<MerchantServices[]> {
    const rows = (await this.o.store?.listMerchants()) ?? [];
    const all = await Promise.allSettled(rows.map((row) => this.get(row.id)));
    const out = [this.o.first];
    all.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        if (result.value !== undefined) out.push(result.value);
      } else {
        // One merchant whose keys no longer load (SESSION_SECRET changed, a bad key) must not stop the others' jobs.
        this.o.logger.error({ merchantId: rows[i]?.id, err: result.reason instanceof Error ? result.reason.message : 'unknown', alert: true }, 'merchant could not be loaded');
      }
    });
    return out;
  }

  /** A merchant's services, not registered (POST /admin/merchants checks the credentials with them first). */
  build(merchant: Merchant): MerchantServices {
    return this.o.build(merchant);
  }

  /** Public summaries of every merchant (never a secret). */
  async summaries(): Promise<MerchantSummary[]> {
    return (await this.all()).map((m) => m.summary);
  }

  /**
   * Adds a merchant whose credentials the caller has checked. 'taken' when the id or the appid is in use (the first
   * merchant's included). Its services are built before it is stored: bad key material is refused, never saved.
   */
  async add(merchant: Merchant, built?: MerchantServices): Promise<{ ok: true; merchant: MerchantServices } | { ok: false; reason: 'taken' | 'no_store' }> {
    const store = this.o.store;
    if (store === undefined) return { ok: false, reason: 'no_store' };
    if (merchant.id === DEFAULT_MERCHANT_ID || merchant.id === this.o.first.id || merchant.appid === this.o.first.summary.appid) return { ok: false, reason: 'taken' };
    const services = built ?? this.o.build(merchant);
    if (!(await store.insertMerchant(this.o.vault.seal(merchant)))) return { ok: false, reason: 'taken' };
    this.loaded.set(merchant.id, Promise.resolve(services));
    this.built.set(merchant.id, services);
    return { ok: true, merchant: services };
  }
}
