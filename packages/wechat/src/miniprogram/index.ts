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
export { createMiniProgramClient, type MiniProgramClient } from './client.js';
export { MiniProgramApiError, type MiniProgramClientOptions } from './api.js';
export {
  LOGISTICS_TYPE_CODES,
  DELIVERY_MODE_CODES,
  ORDER_STATE,
  SHIPPING_ERRCODES,
  formatUploadTime,
  type ShippingApi,
  type ShippingOrderKey,
  type ShippingPaymentRef,
  type LogisticsType,
  type DeliveryMode,
  type ShippingContact,
  type ShippingPackage,
  type PaymentShipping,
  type UploadShippingInfoRequest,
  type UploadCombinedShippingInfoRequest,
  type ShippedPackage,
  type OrderShipping,
  type ShippingOrder,
  type GetOrderListRequest,
  type OrderListPage,
  type SpecialOrderReport,
  type DeliveryCompany,
} from './shipping.js';
export {
  SubscribeMessageError,
  checkSubscribeMessageData,
  type SubscribeMessageApi,
  type SubscribeMessageRequest,
  type SubscribeSendFailure,
} from './subscribe.js';
export {
  decryptUserData,
  decryptPhoneNumber,
  type DecryptUserDataInput,
  type PhoneNumberApi,
  type PhoneNumberInfo,
  type Watermark,
} from './phone.js';
