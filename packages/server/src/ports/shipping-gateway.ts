/**
 * What fulfilment needs from WeChat's 发货信息管理 (implemented by gateway/shipping-gateway.ts over the SDK's
 * `@wxpay-kit/wechat/miniprogram`). Expected answers are results, not exceptions: the domain decides what to retry.
 */
import type { Shipment } from '../domain/fulfilment.js';

/** Which payment: the transaction id when we have it, else the merchant number and out_trade_no that placed it. */
export type PaymentKey = { transactionId: string | undefined; mchid: string; outTradeNo: string };

export type ShippingCallFailure = {
  ok: false;
  /** Worth trying again later: a payment WeChat has not indexed yet (10060001 right after payment), a busy system, the network. */
  retry: boolean;
  /** WeChat's errcode, or the SDK's error code; never a body or a secret. */
  code: string;
  message: string;
};

export type UploadShipmentInput = {
  payment: PaymentKey;
  payerOpenid: string;
  shipment: Shipment;
  /** Used for packages without an itemDesc (WeChat requires one per package, ≤120 characters). */
  itemDesc: string;
};

/** WeChat's order_state: 1 待发货, 2 已发货, 3 确认收货, 4 交易完成, 5 已退款, 6 资金待结算. */
export type WechatTradeOrder = { outTradeNo: string; transactionId: string; orderState: number };

export interface ShippingGateway {
  upload(input: UploadShipmentInput): Promise<{ ok: true } | ShippingCallFailure>;
  getOrder(payment: PaymentKey): Promise<{ ok: true; order: WechatTradeOrder } | ShippingCallFailure>;
  /** Every order paid within [beginMs, endMs), page after page. */
  listOrders(range: { beginMs: number; endMs: number }): AsyncIterable<WechatTradeOrder>;
}
