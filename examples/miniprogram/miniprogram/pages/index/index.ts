// Product list, quantities, and the user's order history.
import type { Order, OrderStatus } from '@wxpay-kit/miniprogram';
import { cart, messageOf, shop, yuan } from '../../shop';

const STATUS_TEXT: Record<OrderStatus, string> = {
  CREATED: 'Unpaid',
  PAYING: 'Awaiting payment',
  PAID: 'Paid',
  REFUNDING: 'Refunding',
  PARTIALLY_REFUNDED: 'Partly refunded',
  REFUNDED: 'Refunded',
  CLOSED: 'Closed',
};

interface ProductRow { sku: string; name: string; priceText: string; quantity: number }
interface OrderRow { orderId: string; outTradeNo: string; amountText: string; statusText: string }

Page({
  data: {
    loading: true,
    error: '',
    products: [] as ProductRow[],
    orders: [] as OrderRow[],
    count: 0,
    totalText: yuan(0),
  },

  onShow() {
    void this.load();
  },

  onPullDownRefresh() {
    void this.load().then(() => wx.stopPullDownRefresh());
  },

  async load() {
    try {
      cart.products = await shop.products();
      const orders: Order[] = await shop.orders();
      this.setData({
        loading: false,
        error: '',
        orders: orders.map((o) => ({
          orderId: o.orderId,
          outTradeNo: o.outTradeNo,
          amountText: yuan(o.amount),
          statusText: STATUS_TEXT[o.status],
        })),
      });
      this.refreshCart();
    } catch (err) {
      this.setData({ loading: false, error: `Could not reach the shop: ${messageOf(err)}` });
    }
  },

  refreshCart() {
    let count = 0;
    let total = 0;
    const products = cart.products.map((p) => {
      const quantity = cart.quantities[p.sku] ?? 0;
      count += quantity;
      total += quantity * p.price; // display only: the server prices the order
      return { sku: p.sku, name: p.name, priceText: yuan(p.price), quantity };
    });
    this.setData({ products, count, totalText: yuan(total) });
  },

  onStep(e: WechatMiniprogram.TouchEvent) {
    const sku = String(e.currentTarget.dataset['sku']);
    const delta = Number(e.currentTarget.dataset['delta']);
    cart.quantities[sku] = Math.max(0, Math.min(99, (cart.quantities[sku] ?? 0) + delta));
    this.refreshCart();
  },

  onCheckout() {
    if (cart.items().length > 0) void wx.navigateTo({ url: '/pages/checkout/checkout' });
  },
});
