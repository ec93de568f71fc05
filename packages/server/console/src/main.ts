/**
 * The operator console at /admin: sign in with ADMIN_TOKEN (kept in sessionStorage, sent as a bearer header, never
 * in a URL), then the dashboard, orders, catalogue and reconciliation views over the admin JSON API.
 */
import { ApiError, api, token } from './api.js';
import { showCatalogue } from './catalogue.js';
import { showDashboard } from './dashboard.js';
import { byTestId, on } from './dom.js';
import { showDetail, showOrders } from './orders.js';
import { showReconciliation } from './reconciliation.js';
import { report, say } from './ui.js';

type View = 'dashboard' | 'orders' | 'catalogue' | 'reconciliation';
const VIEWS: readonly View[] = ['dashboard', 'orders', 'catalogue', 'reconciliation'];

const login = byTestId<HTMLFormElement>('login');
const nav = byTestId('nav');
const logout = byTestId<HTMLButtonElement>('logout');
const view = byTestId('view');

function signedIn(yes: boolean): void {
  login.hidden = yes;
  nav.hidden = !yes;
  logout.hidden = !yes;
  if (!yes) view.replaceChildren();
}

async function open(name: View): Promise<void> {
  say('');
  delete view.dataset.ready;
  for (const b of nav.querySelectorAll<HTMLButtonElement>('button')) b.classList.toggle('active', b.dataset.view === name);
  history.replaceState(null, '', `#${name}`);
  try {
    if (name === 'dashboard') await showDashboard(view);
    else if (name === 'orders') await showOrders(view);
    else if (name === 'catalogue') await showCatalogue(view);
    else await showReconciliation(view, (orderId) => void openOrder(orderId));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      token.clear();
      signedIn(false);
      say('That token was not accepted: sign in again with the ADMIN_TOKEN the server was started with.');
      return;
    }
    report(error);
  }
}

async function openOrder(orderId: string): Promise<void> {
  await open('orders');
  const detail = byTestId('order-detail', view);
  await showDetail(detail, orderId).catch(report);
}

on(login, 'submit', async (event) => {
  event.preventDefault();
  const input = byTestId<HTMLInputElement>('login-token');
  const value = input.value.trim();
  input.value = '';
  if (value === '') return say('Paste the admin token.');
  token.set(value);
  try {
    // A cheap authenticated call proves the token before anything is shown.
    await api('GET', '/admin/products');
  } catch (error) {
    token.clear();
    return report(error instanceof ApiError && error.status === 401 ? new Error('That is not this server’s ADMIN_TOKEN.') : error);
  }
  signedIn(true);
  await open('dashboard');
});
on(logout, 'click', () => {
  token.clear();
  signedIn(false);
  say('Signed out: the token is forgotten in this tab.', 'ok');
});
for (const b of nav.querySelectorAll<HTMLButtonElement>('button')) {
  on(b, 'click', () => open(b.dataset.view as View));
}

const fromHash = location.hash.slice(1) as View;
if (token.get() !== null) {
  signedIn(true);
  void open(VIEWS.includes(fromHash) ? fromHash : 'dashboard');
} else {
  signedIn(false);
}
