export { createClient } from './client.js';
export type { ClientOptions, PayOptions, PayProgress, PayStage, WxPayClient } from './client.js';
export type { ConfirmOptions } from './confirm.js';
export { ClientApiError, ClientError, ClientLoginError, ClientNetworkError, ClientProtocolError } from './errors.js';
export { ORDER_STATUSES, PAID_STATUSES } from './types.js';
export type { CartItem, CreatedOrder, Order, OrderItem, OrderStatus, PayOutcome, PayOutcomeKind, Product } from './types.js';
export type {
  PayParams,
  WxApi,
  WxCallbackResult,
  WxGetRandomValuesOption,
  WxHttpMethod,
  WxLoginOption,
  WxRequestOption,
  WxRequestPaymentOption,
  WxRequestSuccess,
} from './wx-api.js';
