// The confirmed outcome: paid, cancelled, failed or pending (the cashier said ok but the server
// has not heard from WeChat yet).
import type { Order, PayOutcome, PayOutcomeKind } from '@wxpay-kit/miniprogram';
import { PAID_STATUSES } from '@wxpay-kit/miniprogram';
import { messageOf, shop, yuan } from '../../shop';

const VIEW: Record<PayOutcomeKind, { icon: string; title: string; detail: string }> = {
  paid: { icon: 'success', title: 'Paid', detail: 'The shop has confirmed your payment. Thank you!' },
  cancelled: { icon: 'cancel', title: 'Payment cancelled', detail: 'Your order is kept; you can pay it now or later.' },
  failed: { icon: 'warn', title: 'Payment failed', detail: '' },
  pending: { icon: 'waiting', title: 'Confirming…', detail: 'WeChat Pay has taken your payment request; the shop has not confirmed it yet.' },
};

function isOutcome(value: string | undefined): value is PayOutcomeKind {
  return value === 'paid' || value === 'cancelled' || value === 'failed' || value === 'pending';
}

Page({
  data: { outcome: 'pending' as PayOutcomeKind, orderId: '', icon: 'waiting', title: '', detail: '', amountText: '', canRetry: false, busy: false },

  onLoad(query: Record<string, string | undefined>) {
    const outcome = isOutcome(query['outcome']) ? query['outcome'] : 'pending';
    const orderId = decodeURIComponent(query['orderId'] ?? '');
    this.show({ outcome, orderId, reason: decodeURIComponent(query['reason'] ?? '') });
    if (orderId !== '') void shop.order(orderId).then((o) => this.showAmount(o), () => undefined);
  },

  show(result: PayOutcome) {
    const view = VIEW[result.outcome];
    const detail = result.outcome === 'failed' ? (result.reason === 'order_closed' ? 'The order was closed.' : result.reason || 'Please try again.') : view.detail;
    this.setData({
      outcome: result.outcome,
      orderId: result.orderId,
      icon: view.icon,
      title: view.title,
      detail,
      canRetry: result.outcome === 'cancelled' || (result.outcome === 'failed' && result.reason !== 'order_closed'),
      busy: false,
    });
    if (result.order) this.showAmount(result.order);
  },

  showAmount(order: Order) {
    this.setData({ amountText: yuan(order.amount) });
  },

  async onRetry() {
    this.setData({ busy: true });
    try {
      this.show(await shop.repay(this.data.orderId));
    } catch (err) {
      this.setData({ busy: false, detail: messageOf(err) });
    }
  },

  async onCheck() {
    this.setData({ busy: true });
    try {
      const order = await shop.order(this.data.orderId);
      if (PAID_STATUSES.has(order.status)) this.show({ outcome: 'paid', orderId: order.orderId, order });
      else if (order.status === 'CLOSED') this.show({ outcome: 'failed', orderId: order.orderId, order, reason: 'order_closed' });
      else this.setData({ busy: false });
    } catch (err) {
      this.setData({ busy: false, detail: messageOf(err) });
    }
  },

  onBack() {
    void wx.reLaunch({ url: '/pages/index/index' });
  },
});
