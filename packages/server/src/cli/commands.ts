/**
 * `orders`, `products`, `refund` and `sandbox pay`: each parses its arguments, runs on an Operator (operate.ts) and
 * prints for people or, with --json, the API's own JSON. A refused command throws CommandFailed (exit 1).
 */
import { importProducts } from './import-products.js';
import type { Operator } from './operate.js';
import { formatFen, parseYuan } from '../domain/yuan.js';

export class UsageError extends Error {}
export class CommandFailed extends Error {}

export type CommandOptions = {
  json: boolean;
  status?: string | undefined;
  flagged?: boolean | undefined;
  limit?: string | undefined;
  amount?: string | undefined;
  reason?: string | undefined;
};

type Out = (text: string) => void;
type Json = Record<string, unknown>;

function yuanArg(text: string | undefined, what: string): number {
  const fen = text === undefined ? undefined : parseYuan(text);
  if (fen === undefined || fen <= 0) throw new UsageError(`${what} must be an amount in yuan greater than 0 with at most two decimals, e.g. 12.50 (got ${JSON.stringify(text ?? '')})`);
  return fen;
}

function one(args: readonly string[], what: string): string {
  if (args.length !== 1 || args[0] === undefined) throw new UsageError(`expected ${what}`);
  return args[0];
}

/** An admin route's refusal ({error:{code,message}}) as the command's failure. */
function check(res: { status: number; body: Json }): Json {
  if (res.status < 400) return res.body;
  const error = res.body.error as { code?: string; message?: string } | undefined;
  throw new CommandFailed(`${error?.code ?? res.status}: ${error?.message ?? 'refused'}`);
}

const yuan = (v: unknown): string => (typeof v === 'number' ? formatFen(v) : '-');
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '-');

function orderLine(o: Json): string {
  const refunded = typeof o.refunded === 'number' && o.refunded > 0 ? ` refunded ${yuan(o.refunded)}` : '';
  const review = typeof o.reviewReason === 'string' ? ` REVIEW: ${o.reviewReason}` : '';
  return `${str(o.orderId)}  ${str(o.status).padEnd(10)} ${yuan(o.amount).padStart(10)} yuan${refunded}  ${str(o.createdAt)}${review}`;
}

function productLine(p: Json): string {
  return `${str(p.sku).padEnd(20)} ${yuan(p.price).padStart(10)} yuan  ${p.active === true ? 'active  ' : 'inactive'}  ${str(p.name)}`;
}

export async function ordersCommand(op: Operator, args: readonly string[], o: CommandOptions, out: Out): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError('orders list takes no arguments (filters: --status S, --flagged, --limit N)');
    const q = new URLSearchParams();
    if (o.status !== undefined) q.set('status', o.status);
    if (o.flagged === true) q.set('flagged', 'true');
    if (o.limit !== undefined) q.set('limit', o.limit);
    const body = check(await op.admin('GET', `/admin/orders${q.size > 0 ? `?${q}` : ''}`));
    if (o.json) return out(JSON.stringify(body));
    const orders = body.orders as Json[];
    out(orders.length === 0 ? 'no orders' : orders.map(orderLine).join('\n'));
    if (body.nextCursor !== undefined) out(`(more: the API pages with cursor ${str(body.nextCursor)})`);
    return;
  }
  if (sub === 'show') {
    const id = one(rest, 'orders show <orderId>');
    const body = check(await op.admin('GET', `/admin/orders/${encodeURIComponent(id)}`));
    if (o.json) return out(JSON.stringify(body));
    const order = body.order as Json;
    const lines = [orderLine(order), `  openid ${str(order.openid)}  ${str(order.description)}`];
    for (const i of order.items as Json[]) lines.push(`  ${str(i.quantity)} × ${str(i.sku)} ${str(i.name)} @ ${yuan(i.price)}`);
    for (const a of body.attempts as Json[]) lines.push(`  attempt ${str(a.outTradeNo)} ${str(a.status)} ${yuan(a.amount)} yuan${a.transactionId === undefined ? '' : ` transaction ${str(a.transactionId)}`}`);
    for (const r of body.refunds as Json[]) lines.push(`  refund ${str(r.outRefundNo)} ${str(r.status)} ${yuan(r.amount)} yuan ${str(r.reason)}`);
    // Ids for `wxpay-kit notifications replay <id>`.
    for (const n of body.notifications as Json[]) lines.push(`  notification ${str(n.id)} ${str(n.kind)} ${n.authentic === true ? 'authentic' : 'refused'} ${str(n.outcome)} ${str(n.receivedAt)}`);
    return out(lines.join('\n'));
  }
  if (sub === 'query') {
    const id = one(rest, 'orders query <orderId>');
    const { store, payments } = op.app.wxpay;
    const order = await store.getOrder(id);
    if (order === undefined) throw new CommandFailed('not_found: no such order');
    const attempt = await store.latestAttempt(id);
    if (attempt === undefined) throw new CommandFailed('no_attempt: this order was never sent to WeChat Pay (no prepay), nothing to query');
    // The same transition as a notification or the reconcile job: PaymentService decides what the answer changes.
    const outcome = await payments.syncAttempt(attempt);
    const after = (await store.getOrder(id)) ?? order;
    const result = { orderId: id, outTradeNo: attempt.outTradeNo, outcome, statusBefore: order.status, status: after.status };
    if (o.json) return out(JSON.stringify(result));
    return out(`${id}: WeChat Pay says ${outcome === 'unpaid' ? 'not paid' : `paid (${outcome})`} for ${attempt.outTradeNo}; status ${order.status} → ${after.status}`);
  }
  throw new UsageError('orders list | orders show <orderId> | orders query <orderId>');
}

export async function productsCommand(op: Operator, args: readonly string[], o: CommandOptions, out: Out): Promise<void> {
  const [sub, ...rest] = args;
  let body: Json;
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError('products list takes no arguments');
    body = check(await op.admin('GET', '/admin/products'));
    if (o.json) return out(JSON.stringify(body));
    const products = body.products as Json[];
    return out(products.length === 0 ? 'no products' : products.map(productLine).join('\n'));
  }
  if (sub === 'add') {
    const [sku, name, price] = rest;
    if (rest.length !== 3 || sku === undefined || name === undefined) throw new UsageError('products add <sku> <name> <price in yuan, e.g. 12.50>');
    body = check(await op.admin('POST', '/admin/products', { sku, name, price: yuanArg(price, 'the price') }));
  } else if (sub === 'set-price') {
    const [sku, price] = rest;
    if (rest.length !== 2 || sku === undefined) throw new UsageError('products set-price <sku> <price in yuan, e.g. 12.50>');
    body = check(await op.admin('PATCH', `/admin/products/${encodeURIComponent(sku)}`, { price: yuanArg(price, 'the price') }));
  } else if (sub === 'import') {
    return importProducts(op, one(rest, 'products import <file.csv|file.json>'), o, out);
  } else if (sub === 'deactivate') {
    const sku = one(rest, 'products deactivate <sku>');
    body = check(await op.admin('PATCH', `/admin/products/${encodeURIComponent(sku)}`, { active: false }));
  } else {
    throw new UsageError('products list | products add <sku> <name> <price> | products set-price <sku> <price> | products deactivate <sku> | products import <file.csv|file.json>');
  }
  if (o.json) return out(JSON.stringify(body));
  return out(productLine(body.product as Json));
}

export async function refundCommand(op: Operator, args: readonly string[], o: CommandOptions, out: Out): Promise<void> {
  const id = one(args, 'refund <orderId> [--amount yuan] --reason TEXT');
  if (o.reason === undefined || o.reason.trim() === '') throw new UsageError('refund needs --reason TEXT (WeChat shows it to the payer; at most 80 characters)');
  const amount = o.amount === undefined ? undefined : yuanArg(o.amount, '--amount');
  const body = check(await op.admin('POST', `/admin/orders/${encodeURIComponent(id)}/refunds`, { reason: o.reason, ...(amount === undefined ? {} : { amount }) }));
  if (o.json) return out(JSON.stringify(body));
  const r = body.refund as Json;
  return out(`refund ${str(r.outRefundNo)} of ${yuan(r.amount)} yuan for ${id}: ${str(r.status)}`);
}

export async function sandboxCommand(op: Operator, args: readonly string[], o: CommandOptions, out: Out): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'pay') throw new UsageError('sandbox pay <orderId>');
  const id = one(rest, 'sandbox pay <orderId>');
  if (op.sandboxUrl === undefined) throw new UsageError('sandbox pay works in sandbox mode only (WXPAY_MODE=sandbox with WXPAY_API_BASE at the sandbox)');
  const { store, payments } = op.app.wxpay;
  const order = await store.getOrder(id);
  if (order === undefined) throw new CommandFailed('not_found: no such order');
  // The pay parameters the mini program would get for this order (its open prepay, or a fresh one).
  const ready = await payments.preparePayment(order, '127.0.0.1');
  if (!ready.ok) throw new CommandFailed(`${ready.reason}: the order cannot be paid (status ${order.status})`);
  const res = await fetch(`${op.sandboxUrl}/sandbox/wx/requestPayment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...ready.payParams, openid: order.openid, action: 'pay' }),
    signal: AbortSignal.timeout(10_000),
  });
  const cashier = (await res.json()) as Json;
  if (cashier.errMsg !== 'requestPayment:ok') throw new CommandFailed(`the sandbox cashier answered ${str(cashier.errMsg)}`);
  // Applied now through the query path; the sandbox's notification to the running server changes nothing more.
  const outcome = await payments.syncAttempt(ready.attempt);
  const after = (await store.getOrder(id)) ?? order;
  const result = { orderId: id, outTradeNo: ready.attempt.outTradeNo, cashier: cashier.errMsg, outcome, status: after.status };
  if (o.json) return out(JSON.stringify(result));
  return out(`${id}: paid in the sandbox cashier (${ready.attempt.outTradeNo}); status ${after.status}`);
}
