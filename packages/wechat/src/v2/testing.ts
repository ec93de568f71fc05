// Signing as WeChat does, for the sandbox and tests. Same primitives the verifiers use.
import { buildXml } from './xml.js';
import { signV2, type V2SignType } from './sign.js';
import { encryptRefundReqInfo, refundReqInfoKey } from './refund-crypto.js';

type Fields = Readonly<Record<string, string | number | undefined>>;

/**
 * A payment notification as WeChat sends it: the fields plus `sign`. WeChat adds no `sign_type`, so none is added
 * here; pass one in `fields` only to model a notification that carries it.
 */
export function signV2Notification(fields: Fields, apiKey: string, signType: V2SignType): string {
  return buildXml({ ...fields, sign: signV2(fields, apiKey, signType) });
}

/** A refund notification's req_info: AES-256-ECB with key = lower-case hex md5(apiKey), PKCS#7, base64. */
export function encryptV2RefundReqInfo(plainXml: string, apiKey: string): string {
  return encryptRefundReqInfo(plainXml, refundReqInfoKey(apiKey));
}

/**
 * An API response as WeChat sends it. A communication failure (`return_code` FAIL) carries only return_code and
 * return_msg and is not signed, exactly as WeChat does; anything else is signed with the request's algorithm.
 */
export function buildV2Response(fields: Fields, apiKey: string, signType: V2SignType): string {
  if (fields.return_code === 'FAIL') return buildXml(fields);
  return buildXml({ ...fields, sign: signV2(fields, apiKey, signType) });
}
