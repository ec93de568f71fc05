/**
 * The dashboard: a month of China days from GET /admin/stats, drawn with Chart.js (bundled from npm at build time;
 * nothing is fetched from a CDN), and the numbers that need no chart as tiles.
 */
import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { formatFen } from '../../src/domain/yuan.js';
import { api } from './api.js';
import type { ShippingOverview, Stats } from './api.js';
import { duration, h } from './dom.js';
import { card } from './ui.js';

Chart.register(BarController, LineController, DoughnutController, BarElement, LineElement, PointElement, ArcElement, CategoryScale, LinearScale, Tooltip, Legend);

const GREEN = '#07c160';
const BLUE = '#3b82f6';
const STATUS_COLOURS: Record<string, string> = {
  CREATED: '#cbd5e1', PAYING: '#93c5fd', PAID: GREEN, REFUNDING: '#fbbf24', PARTIALLY_REFUNDED: '#f59e0b', REFUNDED: '#f97316', CLOSED: '#94a3b8',
};

let charts: Chart[] = [];

function tile(label: string, value: string, testid: string, note?: string): HTMLElement {
  return h('div', { class: 'tile', 'data-testid': testid }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', 'data-testid': `${testid}-value` }, value), note === undefined ? null : h('div', { class: 'muted small' }, note));
}

function percent(rate: number | undefined): string {
  return rate === undefined ? '–' : `${(rate * 100).toFixed(1)}%`;
}

/** All orders, not the 30 days: what is still to ship does not age out of the window. */
function shippingTile(s: ShippingOverview): HTMLElement {
  const c = s.counts;
  const reminders = s.reminders.reduce((n, r) => n + r.count, 0);
  const uploads = [c.uploadPending > 0 ? `${c.uploadPending} uploading` : '', c.uploadFailed > 0 ? `${c.uploadFailed} upload failed` : ''].filter((x) => x !== '').join(', ');
  const el = tile('To ship (paid)', String(c.toShip), 'kpi-shipping', `shipped ${c.shipped} · received ${c.confirmed} · settled ${c.settled}`);
  el.append(
    h('div', { class: c.uploadFailed > 0 ? 'bad small' : 'muted small', 'data-testid': 'kpi-shipping-uploads' }, uploads),
    reminders === 0 ? '' : h('div', { class: 'bad small', 'data-testid': 'kpi-shipping-reminders' }, `WeChat reminded us ${reminders}× (${s.reminders.map((r) => r.event.replace('trade_manage_', '')).join(', ')})`),
  );
  return el;
}

export async function showDashboard(view: HTMLElement): Promise<void> {
  const [stats, shipping] = await Promise.all([api<Stats>('GET', '/admin/stats?days=30'), api<ShippingOverview>('GET', '/admin/shipping')]);
  for (const c of charts) c.destroy();
  charts = [];
  const n = stats.notifications;
  const refundedLine = stats.refunds.count === 0 ? 'none' : `${stats.refunds.count} (¥${formatFen(stats.refunds.amount)})`;
  const tiles = h(
    'div',
    { class: 'tiles' },
    tile('Revenue, 30 days', `¥${formatFen(stats.totals.revenue)}`, 'kpi-revenue', `${stats.totals.paid} paid orders`),
    tile('Orders created', String(stats.totals.created), 'kpi-orders'),
    tile('Conversion (created → paid)', percent(stats.conversion.rate), 'kpi-conversion', `${stats.conversion.paid} of ${stats.conversion.created}`),
    tile('Refunds', refundedLine, 'kpi-refunds', `¥${formatFen(stats.totals.refunded)} refunded`),
    tile('Flagged for review', String(stats.flagged.open), 'kpi-flagged', `${stats.flagged.reviewed} reviewed`),
    shippingTile(shipping),
  );
  const revenue = h('canvas', { 'data-testid': 'chart-revenue', role: 'img', 'aria-label': 'Revenue and orders per China day' });
  const status = h('canvas', { 'data-testid': 'chart-status', role: 'img', 'aria-label': 'Orders by status' });
  const health = h(
    'table',
    { class: 'kv', 'data-testid': 'notification-health' },
    h('tbody', {},
      h('tr', {}, h('th', {}, 'Deliveries'), h('td', { 'data-testid': 'nh-deliveries' }, String(n.deliveries))),
      h('tr', {}, h('th', {}, 'Authentic'), h('td', {}, String(n.authentic))),
      h('tr', {}, h('th', {}, 'Rejected'), h('td', { 'data-testid': 'nh-rejected', class: n.rejected > 0 ? 'bad' : '' }, String(n.rejected))),
      h('tr', {}, h('th', {}, 'Retried by WeChat'), h('td', {}, String(n.retried))),
      h('tr', {}, h('th', {}, 'Payment → notification'), h('td', {}, `median ${duration(n.paymentToNotification.medianMs)}, p90 ${duration(n.paymentToNotification.p90Ms)} (${n.paymentToNotification.count} payments)`)),
      ...Object.entries(n.outcomes).map(([outcome, count]) => h('tr', {}, h('th', { class: 'muted' }, `outcome ${outcome}`), h('td', {}, String(count)))),
    ),
  );
  view.replaceChildren(
    h('p', { class: 'muted small' }, `China days ${stats.window.from} to ${stats.window.to} (Asia/Shanghai), as of ${stats.window.generatedAt}`),
    tiles,
    h('div', { class: 'grid' },
      card('Revenue and orders per day', 'card-revenue', h('div', { class: 'chart wide' }, revenue)),
      card('Orders by status', 'card-status', h('div', { class: 'chart' }, status)),
      card('Notification health', 'card-notifications', health),
    ),
  );
  charts.push(
    new Chart(revenue, {
      type: 'bar',
      data: {
        labels: stats.days.map((d) => d.date.slice(5)),
        datasets: [
          { type: 'bar', label: 'Revenue (¥)', data: stats.days.map((d) => d.revenue / 100), backgroundColor: GREEN, yAxisID: 'y' },
          { type: 'line', label: 'Orders created', data: stats.days.map((d) => d.created), borderColor: BLUE, backgroundColor: BLUE, yAxisID: 'y1', tension: 0.25 },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: { y: { beginAtZero: true, position: 'left' }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, ticks: { precision: 0 } } },
      },
    }),
  );
  const statuses = Object.entries(stats.byStatus).filter(([, count]) => count > 0);
  charts.push(
    new Chart(status, {
      type: 'doughnut',
      data: { labels: statuses.map(([s]) => s), datasets: [{ data: statuses.map(([, count]) => count), backgroundColor: statuses.map(([s]) => STATUS_COLOURS[s] ?? '#ccc') }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'right' } } },
    }),
  );
  view.dataset.ready = 'dashboard';
}
