// Public surface of @wxpay-kit/wechat/miniprogram: after-payment mini-program APIs. Re-exports only.
export {
  createMessagePushReceiver,
  type MessagePushReceiver,
  type MessagePushReceiverOptions,
  type PushMode,
  type PushFormat,
  type PushReply,
  type PushQuery,
  type PushRequest,
  type PushResponse,
  type PushVerified,
} from './push.js';
export {
  decodeEncodingAesKey,
  decryptPushMessage,
  encryptPushMessage,
  pushSignature,
  type PushAesKey,
} from './push-crypto.js';
export type {
  PushMessage,
  PushEnvelope,
  TradeManageRemindAccessApiEvent,
  TradeManageRemindShippingEvent,
  TradeManageOrderSettlementEvent,
  TradeManageOrderRef,
  SubscribeMessageEvent,
  SubscribeMessageEventItem,
  DebugDemoEvent,
  UnknownPushMessage,
} from './push-events.js';
