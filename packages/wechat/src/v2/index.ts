// Public surface of this part; each module adds its exports here.
export { signV2, verifyV2Sign, signTypeOfSignature, isV2SignType, V2_SIGN_TYPES, type V2SignType } from './sign.js';
export { parseXml, buildXml, DEFAULT_XML_MAX_BYTES, type ParseXmlOptions, type BuildXmlOptions } from './xml.js';
export { buildV2PayParams, type V2PayParams, type V2PayParamsInput } from './pay-params.js';
export { randomNonce, type NonceSource } from './nonce.js';
export {
  parseV2PaymentNotification,
  v2NotificationReply,
  DEFAULT_NOTIFICATION_MAX_BYTES,
  type ParseV2NotificationOptions,
  type V2PaymentNotification,
  type V2NotificationVerdict,
} from './notify.js';
export {
  parseV2RefundNotification,
  decryptV2RefundReqInfo,
  type V2RefundNotification,
  type V2RefundStatus,
  type ParseV2RefundNotificationOptions,
} from './refund-notify.js';
