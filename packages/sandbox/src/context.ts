import type { Socket } from 'node:net';
import type { VirtualClock } from './clock.js';
import type { FaultRegistry } from './faults.js';
import type { Notifier } from './notifier.js';
import type { OrderBook } from './orders.js';
import type { SandboxStore } from './state/store.js';
import type { SandboxMerchant, SandboxOrder } from './state/types.js';
import type { TradeConfig } from './trade.js';

/** What the cashier receives: exactly wx.requestPayment's parameters plus the payer (see cashier.ts). */
export type PaySignCheck = {
  appid: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
};

/**
 * Verifies a wx.requestPayment paySign for one signType. v2 registers MD5 and HMAC-SHA256; the v3 routes register
 * RSA. Returns false for anything that does not verify.
 */
export type PaySignVerifier = (params: PaySignCheck, merchant: SandboxMerchant, order: SandboxOrder) => boolean;

/** Everything routes share. One per sandbox instance. */
export type SandboxContext = {
  store: SandboxStore;
  /** Virtual time: schedules retries, expiry, bills and settlement. */
  clock: VirtualClock;
  /** Real time (ms): every signature timestamp and every ±5-minute check, as at WeChat. */
  wallClock: () => number;
  faults: FaultRegistry;
  notifier: Notifier;
  orders: OrderBook;
  /** Trade management (发货信息管理) timings, virtual ms. */
  trade: TradeConfig;
  /** paySign verifiers by signType. */
  paySignVerifiers: Map<string, PaySignVerifier>;
  /** Connections held open by the timeout fault; destroyed on close. */
  heldSockets: Set<Socket>;
};
