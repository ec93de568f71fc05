// @wxpay-kit/sandbox: an offline WeChat for login, Pay v2, the cashier and notifications.
export { createSandbox, type Sandbox, type SandboxOptions, type ListenOptions } from './app.js';
export { VirtualClock, type ClockOptions } from './clock.js';
export { DEMO_MERCHANT } from './merchants.js';
export { RETRY_DELAYS_S, DELIVERY_TIMEOUT_MS, type NotificationProtocol, type BuiltNotification } from './notifier.js';
export { PREPAY_TTL_MS, REFUND_SETTLE_MS } from './orders.js';
export type { FaultBody } from './faults.js';
export type { TradeManagementOptions } from './trade.js';
export type { SandboxContext, PaySignVerifier, PaySignCheck } from './context.js';
export type {
  SandboxMerchant,
  SandboxOrder,
  SandboxRefund,
  NotificationJob,
  DeliveryAttempt,
  TradeState,
  RefundStatus,
  V3KeyMode,
  TradeRecord,
  ShippedPackageRecord,
  MessagePushConfig,
} from './state/types.js';
