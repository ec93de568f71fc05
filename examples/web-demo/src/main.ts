// The demo shop page: the same @wxpay-kit/miniprogram client a mini program uses, driven through
// a browser `wx` shim whose cashier is backed by the embedded sandbox.
import { createClient } from '@wxpay-kit/miniprogram';
import type { Order, OrderStatus, PayOutcome, PayOptions, Product } from '@wxpay-kit/miniprogram';
import { openCashier } from './cashier.js';
import { byTestId, h, yuan } from './dom.js';
import { SHIPPING_LABEL, confirmReceipt, fetchShipping } from './shipping.js';
import type { Shipping } from './shipping.js';
import { createBrowserWx } from './wx-shim.js';

const MERCHANT = 'wxpay-kit demo shop';

type UiState = 'loading' | 'logging-in' | 'ready' | 'creating' | 'paying' | 'confirming' | 'paid' | 'cancelled' | 'failed' | 'pending' | 'received' | 'error';

/** The amount the cashier shows: the server's, reported by the client just before the cashier opens. */
let cashierAmount: number | undefined;
let busy = false;
let products: Product[] = [];
const cart = new Map<string, number>();
/**
 * The cart's order: Pay sends one Idempotency-Key per cart, so paying again after a cancel or a failure resumes the
 * same unpaid order (the server answers it with fresh payParams) instead of creating a second one. A changed cart is
 * a new order: key and order are forgotten.
 */
let cartKey: string | undefined;
let cartOrderId: string | undefined;

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function forgetCartOrder(): void {
  cartKey = undefined;
  cartOrderId = undefined;
}

const wx = createBrowserWx({ cashier: () => openCashier(cashierAmount, MERCHANT) });
const client = createClient({
  baseUrl: window.location.origin,
  wx,
  // The sandbox notifies within moments; keep the demo snappy but patient.
  confirm: { timeoutMs: 20_000, initialDelayMs: 300, maxDelayMs: 2_000 },
});

const STATUS_LABEL: Record<OrderStatus, string> = {
  CREATED: 'Unpaid',
  PAYING: 'Awaiting payment',
  PAID: 'Paid',
  REFUNDING: 'Refunding',
  PARTIALLY_REFUNDED: 'Partly refunded',
  REFUNDED: 'Refunded',
  CLOSED: 'Closed',
};

function setStatus(state: UiState, text: string, detail?: string): void {
  const el = byTestId('status');
  el.dataset['state'] = state;
  el.className = `status status-${state}`;
  if (detail === undefined) el.removeAttribute('title');
  else el.title = detail;
  el.replaceChildren(h('span', { class: 'status-dot', 'aria-hidden': 'true' }), h('span', { 'data-testid': 'status-text' }, text));
}

function renderProducts(): void {
  const list = byTestId('products');
  list.replaceChildren(
    ...products.map((p) => {
      const qty = cart.get(p.sku) ?? 0;
      const minus = h('button', { class: 'step', type: 'button', 'data-testid': 'remove', 'data-sku': p.sku, 'aria-label': `Remove one ${p.name}`, disabled: qty === 0 || busy }, '−');
      const plus = h('button', { class: 'step step-add', type: 'button', 'data-testid': 'add', 'data-sku': p.sku, 'aria-label': `Add one ${p.name}`, disabled: busy }, '+');
      minus.addEventListener('click', () => changeQty(p.sku, -1));
      plus.addEventListener('click', () => changeQty(p.sku, +1));
      return h(
        'li',
        { class: 'product', 'data-testid': 'product', 'data-sku': p.sku },
        h('div', { class: 'product-thumb', 'aria-hidden': 'true' }, p.name.slice(0, 1).toUpperCase()),
        h('div', { class: 'product-info' }, h('div', { class: 'product-name' }, p.name), h('div', { class: 'product-price' }, yuan(p.price))),
        h('div', { class: 'stepper' }, minus, h('span', { class: 'qty', 'data-testid': 'qty' }, String(qty)), plus),
      );
    }),
  );
  renderCart();
}

function cartTotal(): { count: number; total: number } {
  let count = 0;
  let total = 0;
  for (const p of products) {
    const qty = cart.get(p.sku) ?? 0;
    count += qty;
    total += qty * p.price; // display only: the server prices the order from its catalogue
  }
  return { count, total };
}

function renderCart(): void {
  const { count, total } = cartTotal();
  byTestId('cart-count').textContent = count === 0 ? 'Your cart is empty' : `${count} item${count === 1 ? '' : 's'}`;
  byTestId('cart-total').textContent = yuan(total);
  const checkout = byTestId<HTMLButtonElement>('checkout');
  checkout.disabled = count === 0 || busy;
  checkout.textContent = busy ? 'Paying…' : 'Pay';
}

function changeQty(sku: string, delta: number): void {
  const next = Math.max(0, Math.min(99, (cart.get(sku) ?? 0) + delta));
  if (next === 0) cart.delete(sku);
  else cart.set(sku, next);
  forgetCartOrder();
  renderProducts();
}

function renderOrders(orders: Order[], shipping: Map<string, Shipping> = new Map()): void {
  byTestId('orders-empty').hidden = orders.length > 0;
  byTestId('orders').replaceChildren(
    ...orders.map((o) => {
      const what = o.items.map((i) => `${products.find((p) => p.sku === i.sku)?.name ?? i.sku} × ${i.quantity}`).join(', ');
      const when = o.createdAt === '' ? '' : new Date(o.createdAt).toLocaleString();
      const payable = o.status === 'CREATED' || o.status === 'PAYING';
      const repay = payable ? h('button', { class: 'btn btn-small', type: 'button', 'data-testid': 'repay', disabled: busy }, 'Pay') : null;
      repay?.addEventListener('click', () => void runPayment((opts) => client.repay(o.orderId, opts), { knownAmount: o.amount }));
      const shipped = o.status === 'PAID' ? shipping.get(o.orderId) : undefined;
      return h(
        'li',
        { class: 'order', 'data-testid': 'order', 'data-order-id': o.orderId, 'data-status': o.status },
        h(
          'div',
          { class: 'order-main' },
          h('div', { class: 'order-what' }, what === '' ? 'Order' : what),
          h('div', { class: 'order-meta' }, when),
          h('div', { class: 'order-no', title: 'out_trade_no' }, o.outTradeNo),
          shipped === undefined ? null : shippingLine(o, shipped),
        ),
        h(
          'div',
          { class: 'order-side' },
          h('div', { class: 'order-amount' }, yuan(o.amount)),
          h('span', { class: `badge badge-${o.status.toLowerCase()}`, 'data-testid': 'order-status' }, STATUS_LABEL[o.status]),
          repay,
        ),
      );
    }),
  );
}

/** The order's shipping progress, and the Confirm receipt button while it is on its way. */
function shippingLine(o: Order, s: Shipping): HTMLElement {
  const parcel = s.packages[0];
  const text = `${SHIPPING_LABEL[s.status]}${parcel === undefined ? '' : ` · ${parcel.expressCompany} ${parcel.trackingNo}`}`;
  const button = s.status === 'SHIPPED' ? h('button', { class: 'btn btn-small', type: 'button', 'data-testid': 'confirm-receipt', disabled: busy }, 'Confirm receipt') : null;
  button?.addEventListener('click', () => void runConfirm(o));
  return h('div', { class: 'order-shipping', 'data-testid': 'shipping', 'data-shipping': s.status }, text, button);
}

async function runConfirm(o: Order): Promise<void> {
  if (busy) return;
  busy = true;
  disableRepayButtons();
  try {
    const result = await confirmReceipt(wx, o);
    setStatus(result.ok ? 'received' : 'error', result.message);
  } catch (err) {
    setStatus('error', `Something went wrong: ${messageOf(err)}`);
  } finally {
    busy = false;
    await refreshOrders();
  }
}

async function loadOrders(): Promise<void> {
  const orders = await client.orders();
  renderOrders(orders, await fetchShipping(wx).catch(() => new Map<string, Shipping>()));
}

async function refreshOrders(): Promise<void> {
  try {
    await loadOrders();
  } catch (err) {
    setStatus('error', `Could not load your orders: ${messageOf(err)}`);
  }
}

function describe(result: PayOutcome): [UiState, string] {
  const amount = result.order === undefined ? '' : ` ${yuan(result.order.amount)}`;
  switch (result.outcome) {
    case 'paid':
      return ['paid', `Paid${amount}. Thank you! The shop confirmed your payment.`];
    case 'cancelled':
      return ['cancelled', 'Payment cancelled. Your order is kept: press Pay again, or pay it any time from your orders below.'];
    case 'failed':
      return ['failed', `Payment failed: ${failureText(result.reason)}`];
    case 'pending':
      return ['pending', 'Payment submitted, but the shop has not confirmed it yet. Your orders below will show it once it does.'];
  }
}

async function runPayment(run: (opts: PayOptions) => Promise<PayOutcome>, options: { knownAmount?: number; forCart?: boolean } = {}): Promise<void> {
  if (busy) return;
  busy = true;
  cashierAmount = options.knownAmount;
  renderProducts();
  disableRepayButtons();
  try {
    const result = await run({
      onProgress: (stage, progress) => {
        if (progress.amount !== undefined) cashierAmount = progress.amount;
        if (stage === 'creating') setStatus('creating', 'Creating your order…');
        if (stage === 'paying') setStatus('paying', 'Waiting for you to pay in the WeChat Pay sheet…');
        if (stage === 'confirming') setStatus('confirming', 'Waiting for the shop to confirm the payment…');
      },
    });
    const [state, text] = describe(result);
    setStatus(state, text, result.reason);
    if (options.forCart === true) cartOrderId = result.orderId;
    const isCartOrder = options.forCart === true || (cartOrderId !== undefined && result.orderId === cartOrderId);
    // The cart's order paid (here or from the history): the cart is done. Closed: the next Pay starts a new order.
    if (isCartOrder && result.outcome === 'paid') {
      cart.clear();
      forgetCartOrder();
    }
    if (isCartOrder && result.reason === 'order_closed') forgetCartOrder();
  } catch (err) {
    setStatus('error', `Something went wrong: ${messageOf(err)}`);
  } finally {
    busy = false;
    renderProducts();
    await refreshOrders();
  }
}

/** One payment at a time: the history's Pay buttons wait until this one is settled. */
function disableRepayButtons(): void {
  document.querySelectorAll<HTMLButtonElement>('[data-testid="repay"], [data-testid="confirm-receipt"]').forEach((b) => (b.disabled = true));
}

async function start(): Promise<void> {
  byTestId('user').textContent = wx.user();
  byTestId('switch-user').addEventListener('click', () => {
    wx.switchUser(`guest-${randomHex(3)}`);
    window.location.reload();
  });
  byTestId('checkout').addEventListener('click', () => {
    const items = [...cart].map(([sku, quantity]) => ({ sku, quantity }));
    if (items.length === 0) return;
    cartKey ??= `cart-${randomHex(16)}`;
    const idempotencyKey = cartKey;
    void runPayment((opts) => client.pay(items, { ...opts, idempotencyKey }), { forCart: true });
  });
  try {
    setStatus('logging-in', `Logging in as ${wx.user()}…`);
    await client.login();
    products = await client.products();
    renderProducts();
    await loadOrders();
    setStatus('ready', 'Pick something and pay — the sandbox plays WeChat Pay.');
  } catch (err) {
    setStatus('error', `Could not start: ${messageOf(err)}`);
  }
}

/** English for the cashier messages a demo user meets most (WeChat answers in Chinese). */
const CASHIER_MESSAGES: Record<string, string> = {
  余额不足: 'insufficient balance',
  该订单已支付: 'the order is already paid',
  该订单已关闭: 'the order is closed',
  prepay_id已过期: 'the payment request expired',
  支付验证签名失败: 'the payment signature was rejected',
  该订单不属于当前用户: 'the order belongs to another user',
};

function failureText(reason: string | undefined): string {
  if (reason === 'order_closed') return 'the order was closed.';
  // wx reports "requestPayment:fail <why>"; the why is what a person wants to read.
  const why = (reason ?? '').replace(/^requestPayment:fail\s*/, '');
  if (why === '') return 'please try again.';
  // WeChat's own words stay in the banner's tooltip (setStatus' detail).
  return `${CASHIER_MESSAGES[why] ?? why}.`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

void start();
