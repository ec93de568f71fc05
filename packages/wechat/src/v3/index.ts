// Public surface of WeChat Pay API v3: re-exports only (named, so nothing collides with v2 or login).
export { decryptV3Resource, type V3EncryptedResource } from './aead.js';
export {
  createV3Signer,
  type V3Signer,
  type V3SignerOptions,
  type V3AuthorizationInput,
  type V3Clock,
  type V3NonceSource,
} from './auth.js';
export {
  PublicKeyVerifier,
  PlatformCertificateVerifier,
  CombinedVerifier,
  verifyV3Response,
  verifyV3Notification,
  type Verifier,
  type PlatformCertificate,
  type V3HeadersLike,
  type V3SignatureInfo,
  type V3VerifyOptions,
} from './verifier.js';
export {
  PlatformCertificateManager,
  V3_CERTIFICATES_PATH,
  type PlatformCertificateManagerOptions,
} from './certificates.js';
export type { V3RawResponse, V3ErrorBody } from './http.js';
export {
  parseV3Transaction,
  parseV3Refund,
  parseV3PartnerTransaction,
  type V3PartnerTransaction,
  type V3TradeFields,
  type V3Transaction,
  type V3TradeState,
  type V3Refund,
  type V3RefundStatus,
} from './wire.js';
export { parseRfc3339, formatRfc3339Beijing } from './time.js';
export {
  parseV3Notification,
  createV3NotificationHandler,
  v3NotifySuccess,
  v3NotifyFailure,
  v3NotifyReplyForError,
  type V3NotificationEvent,
  type V3NotifiedTransaction,
  type V3PartnerNotifiedTransaction,
  type V3PartnerRefund,
  type V3NotificationHandler,
  type V3NotificationOptions,
  type V3RefundEventType,
  type V3NotifyReply,
} from './notify.js';
export { buildV3PayParams, type V3PayParams, type BuildV3PayParamsInput } from './pay-params.js';
export { parseBill as parseV3Bill, type V3Bill } from './bill.js';
export { type V3FetchLike, type V3RetryOptions } from './transport.js';
export {
  createV3Client,
  V3_DEFAULT_BASE_URL,
  type V3Client,
  type V3ClientOptions,
  type V3JsapiPrepayRequest,
  type V3RefundRequest,
  type V3BillDownload,
} from './client.js';
export {
  createV3PartnerClient,
  type V3PartnerClient,
  type V3PartnerClientOptions,
  type V3PartnerJsapiPrepayRequest,
  type V3PartnerPrepayResult,
  type V3PartnerRefundRequest,
  type V3SignedPayParams,
  type V3SubMerchantRef,
} from './partner.js';
