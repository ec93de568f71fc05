// Payment notifications as WeChat sends them (v2 XML, signed with the merchant's APIv2 key, no sign_type), one per
// pre-created order, each with its own transaction_id, so every one is a valid, unique payment.
import { signV2Notification } from '@wxpay-kit/wechat/testing';

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
