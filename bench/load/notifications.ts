// Payment notifications as WeChat sends them, one per pre-created order, each with its own transaction_id, so every
// one is a valid, unique payment: v2 XML signed with the merchant's APIv2 key (no sign_type), or v3 JSON.
import { buildV3Notification, signV2Notification } from '@wxpay-kit/wechat/testing';

export type PreparedOrder = { outTradeNo: string; totalFee: number; openid: string };
export type Merchant = { appid: string; mchid: string; apiKey: string };

export function v2Notification(order: PreparedOrder, merchant: Merchant, index: number, signType: 'MD5' | 'HMAC-SHA256' = 'MD5'): string {
  const fields = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: merchant.appid,
    mch_id: merchant.mchid,
    nonce_str: `bench${String(index).padStart(27, '0')}`,
    result_code: 'SUCCESS',
    openid: order.openid,
    is_subscribe: 'N',
    trade_type: 'JSAPI',
    bank_type: 'CMC',
    total_fee: String(order.totalFee),
    fee_type: 'CNY',
    cash_fee: String(order.totalFee),
    transaction_id: `42000000002026112${String(index).padStart(11, '0')}`,
    out_trade_no: order.outTradeNo,
    time_end: '20261126183512',
  };
  return signV2Notification(fields, merchant.apiKey, signType);
}

export type V3Material = { apiV3Key: string; platformKeyPem: string; serial: string };
export type PreparedRequest = { body: string; headers: Record<string, string> };

/**
 * A v3 payment notification as WeChat sends it for the sandbox's demo merchant (public-key mode): the transaction
 * encrypted with the APIv3 key, the envelope signed with the WeChat Pay key. Signed now: the server refuses
 * timestamps more than 5 minutes old, so these are built just before they are sent.
 */
export function v3Notification(order: PreparedOrder, merchant: Merchant, v3: V3Material, index: number): PreparedRequest {
  const transactionId = `42000000002026112${String(index).padStart(11, '0')}`;
  const { headers, body } = buildV3Notification({
    eventType: 'TRANSACTION.SUCCESS',
    plaintext: {
      appid: merchant.appid, mchid: merchant.mchid, out_trade_no: order.outTradeNo, transaction_id: transactionId,
      trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '',
      success_time: '2026-11-26T18:35:12+08:00', payer: { openid: order.openid },
      amount: { total: order.totalFee, payer_total: order.totalFee, currency: 'CNY', payer_currency: 'CNY' },
    },
    apiV3Key: v3.apiV3Key,
    platformKey: v3.platformKeyPem,
    serial: v3.serial,
    id: `EV-bench-${index}`,
  });
  return { body, headers: { ...headers } };
}
