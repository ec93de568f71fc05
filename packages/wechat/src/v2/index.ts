// Public surface of this part; each module adds its exports here.
export { signV2, verifyV2Sign, isV2SignType, V2_SIGN_TYPES, type V2SignType } from './sign.js';
export { parseXml, buildXml, DEFAULT_XML_MAX_BYTES, type ParseXmlOptions, type BuildXmlOptions } from './xml.js';
export { buildV2PayParams, type V2PayParams, type V2PayParamsInput } from './pay-params.js';
export type { NonceSource } from './nonce.js';
export {
  parseV2PaymentNotification,
  verifyV2PaymentFields,
  checkV2PaymentFields,
  v2NotificationReply,
  DEFAULT_NOTIFICATION_MAX_BYTES,
  type ParseV2NotificationOptions,
  type V2PaymentNotification,
  type V2PaymentCheck,
  type V2NotificationVerdict,
} from './notify.js';
export {
  parseV2RefundNotification,
  decryptV2RefundReqInfo,
  createV2NotificationVerifier,
  type V2NotificationVerifier,
  type V2NotificationVerifierOptions,
  type V2RefundNotification,
  type V2RefundStatus,
  type ParseV2RefundNotificationOptions,
} from './refund-notify.js';
export {
  createV2Client,
  WXPAY_API_BASE,
  type V2Client,
  type V2ClientOptions,
  type V2ClientCert,
  type V2RetryPolicy,
  type V2UnifiedOrderRequest,
  type V2UnifiedOrderResult,
  type V2OrderRef,
  type V2TradeState,
  type V2OrderQueryResult,
  type V2CloseOrderResult,
  type V2RefundRequest,
  type V2RefundResult,
  type V2RefundQueryRef,
  type V2RefundQueryItem,
  type V2RefundQueryResult,
  type V2RefundStatusOfQuery,
  type V2DownloadBillRequest,
  type V2PartnerFields,
  type V2PayParamsOptions,
  type V2SignedPayParams,
  type V2CallOptions,
} from './client.js';
export type { V2Fetch, V2FetchInit, V2FetchResponse } from './transport.js';
export { parseV2Bill, yuanToFen, type V2Bill, type V2BillRow, type V2BillSummary } from './bill.js';
export { formatChinaTime, parseChinaTime } from './validate.js';
