export { createClient } from './client.js';
export type { ClientOptions, PayOptions, PayProgress, PayStage, WxPayClient } from './client.js';
export type { ConfirmOptions } from './confirm.js';
export { ClientApiError, ClientError, ClientLoginError, ClientNetworkError, ClientProtocolError } from './errors.js';
export { CONFIRM_COMPONENT_APPID } from './receipt.js';
export { ORDER_STATUSES, PAID_STATUSES, SHIPPING_STATUSES } from './types.js';
export type {
  CartItem,
  CreatedOrder,
  Order,
  OrderItem,
  OrderShipping,
  OrderStatus,
  PayOutcome,
  PayOutcomeKind,
  Product,
  ReceiptOutcome,
  ReceiptOutcomeKind,
  ShippedPackage,
  ShippingStatus,
  SubscribeChoice,
  SubscribeResult,
} from './types.js';
export type {
  PayParams,
  WxApi,
  WxCallbackResult,
  WxGetRandomValuesOption,
  WxHttpMethod,
  WxAppShowResult,
  WxLoginOption,
  WxOpenBusinessViewOption,
  WxOpenBusinessViewSuccess,
  WxRequestOption,
  WxRequestPaymentOption,
  WxRequestSubscribeMessageOption,
  WxRequestSuccess,
} from './wx-api.js';
