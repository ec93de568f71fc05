/** Bill reconciliation runs (one per China day) and their differences; run a day now. */
import { formatFen } from '../../src/domain/yuan.js';
import { api } from './api.js';
import type { Reconciliation, Reconciliations } from './api.js';
import { h, on, when } from './dom.js';
import { report } from './ui.js';

const yuan = (fen: number | undefined) => (fen === undefined ? '' : `¥${formatFen(fen)}`);

export async function showReconciliation(view: HTMLElement, openOrder: (orderId: string) => void): Promise<void> {
  const data = await api<Reconciliations>('GET', '/admin/reconciliations?limit=60');
  const date = h('input', { type: 'date', 'data-testid': 'reconcile-date', value: new Date(Date.now() + 8 * 3600e3 - 864e5).toISOString().slice(0, 10) });
  const run = h('button', { type: 'submit' }, 'Reconcile this day');
  const form = h('form', { class: 'filters' }, h('label', {}, 'China day ', date), run);
  const differences = h('section', { class: 'card', hidden: true });
  const showRun = (r: Reconciliation['reconciliation']) => {
    differences.replaceChildren(
      h('h2', {}, `Differences of ${r.date} (${r.status})`),
      r.differences.length === 0
        ? h('p', {}, 'The bill and our records agree.')
        : h('table', {}, h('thead', {}, h('tr', {}, ...['Kind', 'out_trade_no', 'Order', 'Bill', 'Ours', 'Resolution', 'Detail'].map((t) => h('th', {}, t)))),
            h('tbody', {}, ...r.differences.map((d) => {
              const order = h('td', { class: d.orderId === undefined ? '' : 'click mono' }, d.orderId ?? '');
              if (d.orderId !== undefined) on(order, 'click', () => openOrder(d.orderId ?? ''));
              return h('tr', {}, h('td', {}, d.kind), h('td', { class: 'mono' }, d.outTradeNo), order, h('td', { class: 'num' }, yuan(d.billAmount)), h('td', { class: 'num' }, yuan(d.ourAmount)), h('td', {}, d.resolution), h('td', {}, d.detail));
            }))),
    );
    differences.hidden = false;
  };
  on(form, 'submit', async (event) => {
    event.preventDefault();
    run.disabled = true;
    try {
      showRun((await api<Reconciliation>('POST', '/admin/reconciliations', { date: date.value })).reconciliation);
    } catch (error) {
      report(error);
    } finally {
      run.disabled = false;
    }
  });
  const rows = data.reconciliations.map((r) => {
    const tr = h('tr', { class: 'click' }, h('td', {}, r.date), h('td', {}, h('span', { class: `tag ${r.status}` }, r.status)), h('td', { class: 'num' }, r.billPayments), h('td', { class: 'num' }, r.billRefunds),
      h('td', { class: 'num' }, r.matched), h('td', { class: 'num' }, r.applied), h('td', { class: 'num' }, r.differenceCount), h('td', { class: 'num' }, yuan(r.billPaid)), h('td', {}, `${when(r.finishedAt)}${r.error === undefined ? '' : ` — ${r.error}`}`));
    on(tr, 'click', async () => {
      try {
        showRun((await api<Reconciliation>('GET', `/admin/reconciliations/${r.date}`)).reconciliation);
      } catch (error) {
        report(error);
      }
    });
    return tr;
  });
  view.replaceChildren(
    h('section', { class: 'card' }, h('h2', {}, 'Bill reconciliation'), form,
      h('table', {}, h('thead', {}, h('tr', {}, ...['China day', 'Status', 'Payments', 'Refunds', 'Matched', 'Applied', 'Differences', 'Paid', 'Finished'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...(rows.length > 0 ? rows : [h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No reconciliation yet: they run daily after 10:00 China time, or pick a day above.'))])))),
    differences,
  );
  view.dataset.ready = 'reconciliation';
}
