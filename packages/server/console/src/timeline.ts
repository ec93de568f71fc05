/**
 * An order's story, oldest first: created, each payment attempt and its prepay, every notification with its verdict,
 * paid, refunds, outbox deliveries, what people did (the audit trail), and shipping (shipped with its upload to WeChat, confirmed, settled). Each item
 * keeps the raw JSON it came from one click away.
 */
import { formatFen } from '../../src/domain/yuan.js';
import type { OrderDetail } from './api.js';
import { h, when } from './dom.js';

export type TimelineItem = { at: string; kind: string; title: string; detail?: string; tone?: 'ok' | 'warn' | 'bad'; raw: unknown };

const yuan = (fen: number) => `¥${formatFen(fen)}`;

export function timelineOf(d: OrderDetail): TimelineItem[] {
  const o = d.order;
  const items: TimelineItem[] = [{ at: o.createdAt, kind: 'created', title: `Order created, ${yuan(o.amount)}`, detail: `${o.description} · openid ${o.openid}`, raw: o }];
  for (const a of d.attempts) {
    items.push({ at: a.createdAt, kind: 'attempt', title: `Payment attempt ${a.outTradeNo}`, detail: `${a.status} · expires ${when(a.timeExpire)}`, raw: a });
    if (a.prepayAt !== undefined) items.push({ at: a.prepayAt, kind: 'prepay', title: 'Prepay issued by WeChat', detail: a.prepayId ?? '', raw: a });
  }
  for (const n of d.notifications) {
    const verdict = n.authentic ? n.outcome : `rejected (${n.outcome})`;
    items.push({ at: n.receivedAt, kind: 'notification', title: `${n.kind === 'refund' ? 'Refund' : 'Payment'} notification (${n.apiVersion}): ${verdict}`, tone: n.authentic ? 'ok' : 'bad', raw: n });
  }
  if (o.paidAt !== undefined) {
    const paidBy = d.attempts.find((a) => a.transactionId !== undefined);
    items.push({ at: o.paidAt, kind: 'paid', title: `Paid ${yuan(o.amount)}`, detail: paidBy?.transactionId === undefined ? '' : `transaction ${paidBy.transactionId}`, tone: 'ok', raw: paidBy ?? o });
  }
  for (const r of d.refunds) {
    items.push({ at: r.createdAt, kind: 'refund', title: `Refund ${yuan(r.amount)} requested`, detail: `${r.outRefundNo}${r.reason === undefined ? '' : ` · ${r.reason}`}`, raw: r });
    if (r.updatedAt !== r.createdAt || r.status !== 'REQUESTED') items.push({ at: r.updatedAt, kind: 'refund-status', title: `Refund ${yuan(r.amount)}: ${r.status}`, tone: r.status === 'SUCCESS' ? 'ok' : r.status === 'PROCESSING' || r.status === 'REQUESTED' ? undefined : 'warn', raw: r });
  }
  for (const e of d.events) {
    items.push({ at: e.createdAt, kind: 'event', title: `Fulfilment event ${e.topic}`, detail: e.deliveredAt === undefined ? `not delivered yet (${e.attempts} tries)` : `delivered ${when(e.deliveredAt)}`, raw: e });
  }
  for (const a of d.actions) {
    items.push({ at: a.createdAt, kind: 'action', title: `${a.actor}: ${a.action.replace('_', ' ')} — ${a.result}`, detail: `why: ${a.reason}`, tone: a.result === 'ok' ? undefined : 'warn', raw: a });
  }
  items.push(...shippingItems(o.shipping));
  // Stable: equal instants keep the order above (created before its attempt, paid before its event).
  return items.map((item, i) => ({ item, i })).sort((a, b) => Date.parse(a.item.at) - Date.parse(b.item.at) || a.i - b.i).map((x) => x.item);
}

/**
 * Shipping (POST /admin/orders/:orderId/shipments, then WeChat): shipped with its packages and where the upload
 * stands (a FAILED upload with WeChat's error), the buyer's confirmation, the settlement.
 */
function shippingItems(s: OrderDetail['order']['shipping']): TimelineItem[] {
  if (s === undefined) return [];
  const items: TimelineItem[] = [];
  if (s.shippedAt !== undefined) {
    const packages = s.packages.map((p) => `${p.expressCompany} ${p.trackingNo}${p.itemDesc === undefined ? '' : ` (${p.itemDesc})`}`).join('; ');
    const upload = s.upload === undefined ? '' : `upload to WeChat ${s.upload}${s.uploadError === undefined ? '' : `: ${s.uploadError}`}`;
    items.push({
      at: s.shippedAt,
      kind: 'shipped',
      title: `Shipped${s.logisticsType === undefined ? '' : ` (${s.logisticsType.replace('_', '-')})`}`,
      detail: [packages, upload].filter((x) => x !== '').join(' · '),
      tone: s.upload === 'FAILED' ? 'bad' : s.upload === 'UPLOADED' ? 'ok' : 'warn',
      raw: s,
    });
  }
  if (s.confirmedAt !== undefined) items.push({ at: s.confirmedAt, kind: 'confirmed', title: 'Receipt confirmed by the buyer (WeChat)', tone: 'ok', raw: s });
  if (s.settledAt !== undefined) items.push({ at: s.settledAt, kind: 'settled', title: 'Settled by WeChat', tone: 'ok', raw: s });
  return items;
}

export function renderTimeline(items: TimelineItem[]): HTMLElement {
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'timeline' },
    ...items.map((item) =>
      h(
        'li',
        { 'data-testid': 'timeline-item', 'data-kind': item.kind, class: item.tone ?? '' },
        h('time', {}, when(item.at)),
        h('div', {}, h('strong', {}, item.title), item.detail === undefined || item.detail === '' ? null : h('div', { class: 'muted small' }, item.detail)),
        h('details', {}, h('summary', {}, 'raw'), h('pre', {}, JSON.stringify(item.raw, null, 2))),
      ),
    ),
  );
}
