/** ShippingGateway over the SDK's mini-program client: our Shipment → WeChat's upload, errors → results. */
import { WxPayError } from '@wxpay-kit/wechat';
import { MiniProgramApiError, SHIPPING_ERRCODES, createMiniProgramClient } from '@wxpay-kit/wechat/miniprogram';
import type { MiniProgramClient, MiniProgramClientOptions, ShippingOrder, ShippingOrderKey, ShippingPackage, ShippingPaymentRef } from '@wxpay-kit/wechat/miniprogram';
import type { Shipment } from '../domain/fulfilment.js';
import type { PaymentKey, ShippingCallFailure, ShippingGateway, UploadShipmentInput, WechatTradeOrder } from '../ports/shipping-gateway.js';

const LOGISTICS = { express: 'express', same_city: 'same_city', virtual: 'virtual', pickup: 'self_pickup' } as const;
const ITEM_DESC_MAX = 120;

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 3).join('')}...`;
}

/** An error as a result: retriable per the SDK (WeChat's "retry" errcodes incl. 10060001, a request that never left). */
function failure(error: unknown): ShippingCallFailure {
  if (error instanceof MiniProgramApiError) return { ok: false, retry: error.retriable, code: String(error.errcode), message: error.message };
  if (error instanceof WxPayError) return { ok: false, retry: error.retriable, code: error.code ?? error.name, message: error.message };
  throw error;
}

function orderKey(p: PaymentKey): ShippingOrderKey {
  return p.transactionId === undefined ? { mchid: p.mchid, outTradeNo: p.outTradeNo } : { transactionId: p.transactionId };
}

function paymentRef(p: PaymentKey): ShippingPaymentRef {
  return p.transactionId === undefined ? { merchantId: p.mchid, merchantTradeNo: p.outTradeNo } : { transactionId: p.transactionId };
}

function packagesOf(shipment: Shipment, itemDesc: string): ShippingPackage[] {
  const fallback = cut(itemDesc === '' ? 'goods' : itemDesc, ITEM_DESC_MAX);
  if (shipment.logisticsType !== 'express') return [{ itemDesc: fallback }];
  return shipment.packages.map((p) => ({
    expressCompany: p.expressCompany,
    trackingNo: p.trackingNo,
    itemDesc: cut(p.itemDesc ?? fallback, ITEM_DESC_MAX),
    ...(p.contact === undefined ? {} : { contact: { receiverContact: p.contact } }),
  }));
}

const toTradeOrder = (o: ShippingOrder): WechatTradeOrder => ({ outTradeNo: o.merchantTradeNo, transactionId: o.transactionId, orderState: o.orderState });

export function createShippingGateway(options: MiniProgramClientOptions): ShippingGateway {
  const client: MiniProgramClient = createMiniProgramClient(options);
  return {
    async upload(input: UploadShipmentInput) {
      const packages = packagesOf(input.shipment, input.itemDesc);
      const split = packages.length > 1;
      try {
        await client.shipping.uploadShippingInfo({
          orderKey: orderKey(input.payment),
          payerOpenid: input.payerOpenid,
          logisticsType: LOGISTICS[input.shipment.logisticsType],
          deliveryMode: split ? 'split' : 'unified',
          ...(split ? { isAllDelivered: input.shipment.allDelivered } : {}),
          packages,
        });
        return { ok: true };
      } catch (error) {
        // The same content again (our earlier upload landed, its answer was lost): WeChat already has it.
        if (error instanceof MiniProgramApiError && error.errcode === SHIPPING_ERRCODES.NOTHING_CHANGED) return { ok: true };
        return failure(error);
      }
    },
    async getOrder(payment) {
      try {
        return { ok: true, order: toTradeOrder(await client.shipping.getOrder(paymentRef(payment))) };
      } catch (error) {
        return failure(error);
      }
    },
    async *listOrders(range) {
      const beginTime = Math.floor(range.beginMs / 1000);
      const endTime = Math.ceil(range.endMs / 1000) - 1;
      for await (const order of client.shipping.listOrders({ payTimeRange: { beginTime, endTime } })) yield toTradeOrder(order);
    },
  };
}
