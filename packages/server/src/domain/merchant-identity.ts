/**
 * Who a payment belongs to, as WeChat names it, and the one rule that compares it (issue 16). Direct mode: the mini
 * program's appid and the merchant's mchid. Partner (服务商) mode: the provider's sp_appid / sp_mchid, whose keys sign
 * everything, plus the sub-merchant's sub_mchid — the only field that tells two sub-merchants of one provider apart, so
 * it must match exactly (and be absent for a direct merchant). Every path that applies a payment or a refund asks
 * this, with the merchant whose URL, job or query it came through.
 */

/** The merchant of the environment variables (the one-merchant setup); rows from before merchants belong to it. */
export const DEFAULT_MERCHANT_ID = 'default';

export type MerchantIdentity = {
  appid: string;
  mchid: string;
  /** Partner mode only: the sub-merchant's mchid. */
  subMchid?: string | undefined;
};

/**
 * Whether what WeChat reported (appid may be absent: v3 refund resources carry none) names this merchant. A report
 * naming a sub-merchant never matches a direct merchant, and the reverse.
 */
export function sameMerchant(ours: MerchantIdentity, reported: { appid: string | undefined; mchid: string; subMchid?: string | undefined }): boolean {
  if (reported.mchid !== ours.mchid) return false;
  if (reported.appid !== undefined && reported.appid !== ours.appid) return false;
  return (reported.subMchid ?? '') === (ours.subMchid ?? '');
}

/** The merchant id a row names ('default' for rows without one). */
export function merchantOf(row: { merchantId?: string | undefined }): string {
  return row.merchantId ?? DEFAULT_MERCHANT_ID;
}
