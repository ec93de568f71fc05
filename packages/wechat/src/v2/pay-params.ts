import { WxPayValidationError } from '../errors.js';
import { randomNonce } from './nonce.js';
import { isV2SignType, signV2, type V2SignType } from './sign.js';

export type V2PayParamsInput = {
  /** The mini program's appid: signed, though wx.requestPayment does not take it. */
  appid: string;
  /** prepay_id from unifiedorder (valid 2 hours). */
  prepayId: string;
  apiKey: string;
  /** Should be the algorithm the order was placed with. */
  signType: V2SignType;
  /** Default: 32 random hex characters. */
  nonceStr?: string;
  /** Unix seconds; default: now. Pass it from your clock to make the result reproducible. */
  timeStamp?: string | number;
};

/** Exactly the object wx.requestPayment takes for an API v2 order. */
export type V2PayParams = {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: V2SignType;
  paySign: string;
};

/**
 * wx.requestPayment parameters for v2: paySign is the v2 signature over exactly the camelCase keys appId, nonceStr,
 * package, signType and timeStamp (timeStamp a string of seconds).
 */
export function buildV2PayParams(input: V2PayParamsInput): V2PayParams {
  if (!input.appid) throw new WxPayValidationError('appid', 'required');
  if (!input.prepayId) throw new WxPayValidationError('prepayId', 'required');
  if (!isV2SignType(input.signType)) throw new WxPayValidationError('signType', 'must be MD5 or HMAC-SHA256');
  const timeStamp = String(input.timeStamp ?? Math.floor(Date.now() / 1000));
  if (!/^[0-9]{1,12}$/.test(timeStamp)) throw new WxPayValidationError('timeStamp', 'must be Unix seconds');
  const nonceStr = input.nonceStr ?? randomNonce();
  if (nonceStr.length === 0 || nonceStr.length > 32) throw new WxPayValidationError('nonceStr', 'must be 1-32 characters');
  const pkg = `prepay_id=${input.prepayId}`;
  const paySign = signV2(
    { appId: input.appid, nonceStr, package: pkg, signType: input.signType, timeStamp },
    input.apiKey,
    input.signType,
  );
  return { timeStamp, nonceStr, package: pkg, signType: input.signType, paySign };
}
