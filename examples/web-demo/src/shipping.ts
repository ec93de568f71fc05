// Shipping progress and "Confirm receipt" for the demo's orders (issue 14). The server's order JSON carries
// `shipping` beside the payment status; the confirm-receipt component (wx.openBusinessView weappOrderConfirm) is
// played by the sandbox through the server's same-origin proxy, then the server re-checks with WeChat (get_order)
// before it records the receipt. Kept beside the client until @wxpay-kit/miniprogram has its own confirmReceipt.
import type { BrowserWx } from './wx-shim.js';

export type ShippingStatus = 'NOT_SHIPPED' | 'SHIPPED' | 'CONFIRMED' | 'SETTLED';
export type Shipping = {
  status: ShippingStatus;
  packages: { expressCompany: string; trackingNo: string }[];
  shippedAt?: string;
  confirmedAt?: string;
  settledAt?: string;
};

export const SHIPPING_LABEL: Record<ShippingStatus, string> = {
  NOT_SHIPPED: 'Not shipped yet',
  SHIPPED: 'Shipped',
  CONFIRMED: 'Received',
  SETTLED: 'Completed',
};

function tokenOf(wx: BrowserWx): string {
  const token = wx.getStorageSync('wxpay-kit:token');
  return typeof token === 'string' ? token : '';
}

async function json(res: Response): Promise<unknown> {
  return res.json().catch(() => ({}));
}

/** orderId → shipping, from the caller's order list. */
export async function fetchShipping(wx: BrowserWx): Promise<Map<string, Shipping>> {
  const res = await fetch('/api/orders', { headers: { authorization: `Bearer ${tokenOf(wx)}` } });
  const body = (await json(res)) as { orders?: { orderId: string; shipping?: Shipping }[] };
  const map = new Map<string, Shipping>();
  for (const o of body.orders ?? []) if (o.shipping !== undefined) map.set(o.orderId, o.shipping);
  return map;
}

/** The buyer confirms in the (sandbox) component, then the server checks with WeChat. Resolves to what to tell the user. */
export async function confirmReceipt(wx: BrowserWx, order: { orderId: string; outTradeNo: string }): Promise<{ ok: boolean; message: string }> {
  const openid = wx.getStorageSync('openid');
  const component = await fetch('/sandbox/wx/confirmReceive', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ openid: typeof openid === 'string' ? openid : '', outTradeNo: order.outTradeNo }),
  });
  const { errMsg } = (await json(component)) as { errMsg?: string };
  if (errMsg !== 'openBusinessView:ok') return { ok: false, message: `Receipt not confirmed: ${errMsg ?? `HTTP ${component.status}`}` };
  const res = await fetch(`/api/orders/${encodeURIComponent(order.orderId)}/confirm-receipt`, { method: 'POST', headers: { authorization: `Bearer ${tokenOf(wx)}` } });
  if (res.ok) return { ok: true, message: 'Thanks! The shop recorded that you received your order.' };
  const error = ((await json(res)) as { error?: { message?: string } }).error;
  return { ok: false, message: `The shop could not confirm the receipt: ${error?.message ?? `HTTP ${res.status}`}` };
}
