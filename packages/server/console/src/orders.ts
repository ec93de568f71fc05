/**
 * Orders: search (order id, out_trade_no, transaction_id, openid), filters (status, flagged, China dates), and one
 * order's story as a timeline with the actions a person may take — each asks for confirmation and a reason.
 */
import { formatFen, parseYuan } from '../../src/domain/yuan.js';
import { api } from './api.js';
import type { ActionResult, OrderDetail, OrderList, OrderSummary, RefundResult, ShipmentResult } from './api.js';
import { byTestId, h, on, when } from './dom.js';
import { shipDialog, shippingText, shippingTone } from './ship.js';
import { renderTimeline, timelineOf } from './timeline.js';
import { confirmDialog, report, say } from './ui.js';

const STATUSES = ['CREATED', 'PAYING', 'PAID', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CLOSED'];
const yuan = (fen: number) => `¥${formatFen(fen)}`;

export async function showOrders(view: HTMLElement, initial: { q?: string } = {}): Promise<void> {
  const q = h('input', { type: 'search', 'data-testid': 'order-search', placeholder: 'order id, out_trade_no, transaction_id or openid', size: 44, value: initial.q });
  const status = h('select', { 'data-testid': 'order-status' }, h('option', { value: '' }, 'any status'), ...STATUSES.map((s) => h('option', { value: s }, s)));
  const flagged = h('select', { 'data-testid': 'order-flagged' }, h('option', { value: '' }, 'flagged or not'), h('option', { value: 'true' }, 'flagged, not reviewed'), h('option', { value: 'false' }, 'not flagged'));
  const from = h('input', { type: 'date', 'data-testid': 'order-from', 'aria-label': 'created from (China date)' });
  const to = h('input', { type: 'date', 'data-testid': 'order-to', 'aria-label': 'created to (China date)' });
  const search = h('button', { type: 'submit', 'data-testid': 'order-search-submit' }, 'Search');
  const rows = h('tbody', { 'data-testid': 'order-rows' });
  const more = h('button', { type: 'button', class: 'plain', hidden: true }, 'More');
  const detail = h('section', { class: 'card', 'data-testid': 'order-detail', hidden: true });
  const form = h('form', { class: 'filters' }, q, status, flagged, h('label', {}, 'from ', from), h('label', {}, 'to ', to), search);
  view.replaceChildren(
    h('section', { class: 'card' }, h('h2', {}, 'Orders'), form,
      h('table', {}, h('thead', {}, h('tr', {}, ...['Order', 'out_trade_no', 'Status', 'Shipping', 'Amount', 'Created (China)', 'Paid', 'Review'].map((t) => h('th', {}, t)))), rows), more),
    detail,
  );
  let cursor: string | undefined;
  // After an action the list's row shows the order as it is now (status, refunded, review).
  const refreshRow = async (orderId: string) => {
    const row = rows.querySelector(`[data-order-id="${CSS.escape(orderId)}"]`);
    const fresh = (await api<OrderList>('GET', `/admin/orders?${new URLSearchParams({ q: orderId, limit: '1' })}`)).orders[0];
    if (row !== null && fresh !== undefined) row.replaceWith(orderRow(fresh, opener(fresh.orderId)));
  };
  // Opening an order also refreshes its row: shipping moves on without the console (the upload, WeChat's pushes).
  const opener = (orderId: string) => async () => {
    await Promise.all([showDetail(detail, orderId, refreshRow), refreshRow(orderId)]);
  };

  const load = async (append: boolean) => {
    const params = new URLSearchParams({ limit: '50' });
    if (q.value.trim() !== '') params.set('q', q.value.trim());
    if (status.value !== '') params.set('status', status.value);
    if (flagged.value !== '') params.set('flagged', flagged.value);
    if (from.value !== '') params.set('from', from.value);
    if (to.value !== '') params.set('to', to.value);
    if (append && cursor !== undefined) params.set('cursor', cursor);
    const list = await api<OrderList>('GET', `/admin/orders?${params}`);
    if (!append) rows.replaceChildren();
    for (const o of list.orders) rows.append(orderRow(o, opener(o.orderId)));
    if (rows.childElementCount === 0) rows.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No orders match.')));
    cursor = list.nextCursor;
    more.hidden = cursor === undefined;
    view.dataset.ready = 'orders';
    // One match of a search: open it at once (what a person looking for one transaction wants).
    if (!append && list.orders.length === 1 && params.has('q') && list.orders[0] !== undefined) await showDetail(detail, list.orders[0].orderId, refreshRow);
  };
  on(form, 'submit', async (event) => {
    event.preventDefault();
    try {
      await load(false);
    } catch (error) {
      report(error);
    }
  });
  on(more, 'click', () => load(true).catch(report));
  await load(false);
}

function orderRow(o: OrderSummary, open: () => Promise<void>): HTMLTableRowElement {
  const review = o.reviewReason === undefined ? '' : o.reviewedAt === undefined ? `⚑ ${o.reviewReason}` : `✓ ${o.reviewReason}`;
  const tr = h(
    'tr',
    { class: 'click', 'data-testid': 'order-row', 'data-order-id': o.orderId, 'data-status': o.status },
    h('td', { class: 'mono' }, o.orderId),
    h('td', { class: 'mono' }, o.outTradeNo ?? ''),
    h('td', {}, h('span', { class: `tag s-${o.status}` }, o.status)),
    h('td', { class: shippingTone(o.shipping), 'data-testid': 'order-shipping', 'data-shipping': o.shipping?.status, 'data-upload': o.shipping?.upload }, shippingText(o.shipping)),
    h('td', { class: 'num' }, yuan(o.amount), o.refunded > 0 ? h('div', { class: 'muted small' }, `refunded ${yuan(o.refunded)}`) : null),
    h('td', {}, when(o.createdAt)),
    h('td', {}, when(o.paidAt)),
    h('td', { class: o.reviewedAt === undefined ? 'bad' : 'muted' }, review),
  );
  on(tr, 'click', () => open().catch(report));
  return tr;
}

export async function showDetail(section: HTMLElement, orderId: string, changed?: (orderId: string) => Promise<void>): Promise<void> {
  const d = await api<OrderDetail>('GET', `/admin/orders/${encodeURIComponent(orderId)}`);
  const o = d.order;
  const left = o.amount - o.refunded;
  const actions = h('div', { class: 'row actions' });
  const refresh = async () => {
    await showDetail(section, orderId, changed);
    await changed?.(orderId);
  };
  const act = (label: string, testid: string, enabled: boolean, run: () => Promise<void>) => {
    const b = h('button', { type: 'button', 'data-testid': testid, disabled: !enabled }, label);
    on(b, 'click', async () => {
      try {
        await run();
      } catch (error) {
        report(error);
        await refresh().catch(report);
      }
    });
    actions.append(b);
  };
  const refundable = o.status === 'PAID' || o.status === 'PARTIALLY_REFUNDED';
  act('Refund…', 'action-refund', refundable && left > 0, async () => {
    const values = await confirmDialog(
      `Refund order ${o.orderId}`,
      `Up to ${yuan(left)} can be refunded. Leave the amount empty to refund all of it. WeChat returns the money to the payer; this cannot be undone.`,
      [
        { name: 'amount', label: 'Amount (yuan)', testid: 'dialog-amount', placeholder: formatFen(left), inputmode: 'decimal' },
        { name: 'reason', label: 'Reason (required, shown to the payer)', testid: 'dialog-reason', required: true },
      ],
      'Refund',
    );
    if (values === undefined) return;
    const amountText = values.amount ?? '';
    const amount = amountText === '' ? undefined : parseYuan(amountText);
    if (amount === undefined && amountText !== '') return say(`amount: "${amountText}" is not an amount in yuan (e.g. 12.50)`);
    if (amount !== undefined && (amount <= 0 || amount > left)) return say(`amount: between ¥0.01 and ${yuan(left)}`);
    const r = await api<RefundResult>('POST', `/admin/orders/${encodeURIComponent(o.orderId)}/refunds`, { ...(amount === undefined ? {} : { amount }), reason: values.reason });
    say(`Refund ${r.refund.outRefundNo} of ${yuan(r.refund.amount)}: ${r.refund.status}`, 'ok');
    await refresh();
  });
  // WeChat takes one re-shipment of a shipped order not yet received; the server says when that is used up (409).
  const ship = o.shipping?.status === 'NOT_SHIPPED' ? 'Ship…' : 'Ship again…';
  act(ship, 'action-ship', o.status === 'PAID' && (o.shipping?.status === 'NOT_SHIPPED' || o.shipping?.status === 'SHIPPED'), async () => {
    const body = await shipDialog(o.orderId, o.description);
    if (body === undefined) return;
    const r = await api<ShipmentResult>('POST', `/admin/orders/${encodeURIComponent(o.orderId)}/shipments`, body);
    say(r.duplicate ? `Already shipped exactly so: nothing sent twice (${r.shipping.status})` : `Shipped: ${r.shipping.status}, upload to WeChat ${r.shipping.upload ?? 'queued'}`, 'ok');
    await refresh();
  });
  const simple = (label: string, testid: string, path: string, enabled: boolean, text: string) =>
    act(label, testid, enabled, async () => {
      const values = await confirmDialog(`${label.replace('…', '')}: ${o.orderId}`, text, [{ name: 'reason', label: 'Reason (required)', testid: 'dialog-reason', required: true }], label.replace('…', ''));
      if (values === undefined) return;
      const r = await api<ActionResult>('POST', `/admin/orders/${encodeURIComponent(o.orderId)}/${path}`, { reason: values.reason });
      say(`${r.action.action}: ${r.action.result}; the order is ${r.order.status}`, 'ok');
      await refresh();
    });
  simple('Query WeChat now…', 'action-query', 'query', true, 'Asks WeChat for the payment state of this order and applies the answer through the usual rules.');
  simple('Close order…', 'action-close', 'close', o.status === 'CREATED' || o.status === 'PAYING', 'Closes the unpaid order at WeChat and here: the payer can no longer pay it.');
  simple('Mark reviewed…', 'action-review', 'review', o.reviewReason !== undefined && o.reviewedAt === undefined, `Flagged: ${o.reviewReason ?? ''}. Marking it reviewed takes it off the flagged list (the reason stays on record).`);
  const close = h('button', { type: 'button', class: 'plain' }, 'Close');
  on(close, 'click', () => {
    section.hidden = true;
  });
  section.replaceChildren(
    h('h2', {}, `Order ${o.orderId} `, h('span', { class: `tag s-${o.status}`, 'data-testid': 'detail-status' }, o.status), close),
    h('p', { class: 'muted' }, `${yuan(o.amount)}${o.refunded > 0 ? `, refunded ${yuan(o.refunded)}` : ''} · ${o.items.map((i) => `${i.quantity} × ${i.name} (${i.sku}) @ ${yuan(i.price)}`).join(', ')}`),
    h('p', { class: shippingTone(o.shipping) || 'muted', 'data-testid': 'detail-shipping' }, `Shipping: ${shippingText(o.shipping)}`),
    o.reviewReason === undefined ? '' : h('p', { class: o.reviewedAt === undefined ? 'bad' : 'muted' }, o.reviewedAt === undefined ? `Flagged for review: ${o.reviewReason}` : `Reviewed ${when(o.reviewedAt)}: ${o.reviewReason}`),
    actions,
    renderTimeline(timelineOf(d)),
    h('details', { 'data-testid': 'raw-order' }, h('summary', {}, 'All of it as JSON'), h('pre', {}, JSON.stringify(d, null, 2))),
  );
  section.hidden = false;
  section.dataset.orderId = o.orderId;
  byTestId('timeline', section).scrollIntoView({ block: 'nearest' });
}
