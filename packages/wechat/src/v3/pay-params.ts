import type { KeyObject } from 'node:crypto';
import { WxPayValidationError } from '../errors.js';
import { buildV3Message, defaultV3Nonce, rsaSha256Sign } from './auth.js';
import type { V3Clock, V3NonceSource, V3Signer } from './auth.js';
import { loadRsaPrivateKey } from './keys.js';

/** Exactly what `wx.requestPayment` takes for a v3 order. */
export type V3PayParams = {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
};

export type BuildV3PayParamsInput = {
  appid: string;
  prepayId: string;
  /** The merchant private key, or a signer made by createV3Signer (preferred: the PEM is parsed once). */
  privateKey?: string | Buffer | KeyObject | undefined;
  signer?: Pick<V3Signer, 'sign'> | undefined;
  /** Unix seconds as a string; defaults to the clock. */
  timeStamp?: string | undefined;
  nonceStr?: string | undefined;
  clock?: V3Clock | undefined;
  nonce?: V3NonceSource | undefined;
};

/**
 * paySign = base64(RSA-SHA256(merchant key, `appId\ntimeStamp\nnonceStr\npackage\n`)). appId is signed but not
 * passed to wx.requestPayment. A wrong paySign shows on the phone only as "fail cancel", so inputs are checked here.
 */
export function buildV3PayParams(input: BuildV3PayParamsInput): V3PayParams {
  if (typeof input.appid !== 'string' || input.appid.length === 0) throw new WxPayValidationError('appid', 'is required');
  if (typeof input.prepayId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(input.prepayId)) {
    throw new WxPayValidationError('prepayId', 'must be 1-64 printable characters');
  }
  const timeStamp = input.timeStamp ?? String(Math.floor((input.clock ?? Date.now)() / 1000));
  if (!/^\d{1,12}$/.test(timeStamp)) throw new WxPayValidationError('timeStamp', 'must be Unix seconds');
  const nonceStr = input.nonceStr ?? (input.nonce ?? defaultV3Nonce)();
  if (!/^[\x21-\x7e]{1,32}$/.test(nonceStr)) throw new WxPayValidationError('nonceStr', 'must be 1-32 printable characters');
  const pkg = `prepay_id=${input.prepayId}`;
  const message = buildV3Message(input.appid, timeStamp, nonceStr, pkg);
  let paySign: string;
  if (input.signer !== undefined) paySign = input.signer.sign(message);
  else if (input.privateKey !== undefined) paySign = rsaSha256Sign(message, loadRsaPrivateKey(input.privateKey));
  else throw new WxPayValidationError('privateKey', 'a privateKey or signer is required');
  return { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
}
