// Checkout: create the order, open WeChat's cashier, and let the client confirm with the server.
import type { PayStage } from '@wxpay-kit/miniprogram';
import { cart, messageOf, shop, yuan } from '../../shop';

const STAGE_TEXT: Record<PayStage, string> = {
  creating: 'Creating your order…',
  paying: 'Waiting for WeChat Pay…',
  confirming: 'Confirming your payment with the shop…',
};

Page({
  data: {
    lines: [] as Array<{ sku: string; name: string; quantity: number; subtotalText: string }>,
    totalText: yuan(0),
    busy: false,
    stageText: '',
    error: '',
  },

  onLoad() {
    let total = 0;
    const lines = cart.items().map((item) => {
      const product = cart.products.find((p) => p.sku === item.sku);
      const subtotal = (product?.price ?? 0) * item.quantity;
      total += subtotal;
      return { sku: item.sku, name: product?.name ?? item.sku, quantity: item.quantity, subtotalText: yuan(subtotal) };
    });
    this.setData({ lines, totalText: yuan(total) });
  },

  async onPay() {
    if (this.data.busy) return;
    this.setData({ busy: true, error: '' });
    try {
      const result = await shop.pay(cart.items(), {
        onProgress: (stage) => this.setData({ stageText: STAGE_TEXT[stage] }),
      });
      if (result.outcome === 'paid') cart.clear();
      const query = `outcome=${result.outcome}&orderId=${encodeURIComponent(result.orderId)}&reason=${encodeURIComponent(result.reason ?? '')}`;
      await wx.redirectTo({ url: `/pages/result/result?${query}` });
    } catch (err) {
      // No order could be created (network, whitelist, server error): stay here and say so.
      this.setData({ busy: false, stageText: '', error: messageOf(err) });
    }
  },
});
