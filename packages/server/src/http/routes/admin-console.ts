/**
 * The operator's read side and bill reconciliation, behind the same ADMIN_TOKEN guard as refunds (admin.ts):
 * orders (filter by status / review flag, cursor paging), one order with its attempts, refunds, notification log and
 * outbox events, reconciliation runs (list, one date, run one now), and the HTML page at GET /admin.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Order } from '../../domain/order.js';
import type { BillReconciler } from '../../jobs/bill-reconciliation.js';
import { billDateProblem, chinaDayRange } from '../../jobs/bill-reconciliation.js';
import type { AdminOrderSummary, AdminStore, ReconciliationRun } from '../../ports/admin-store.js';
import { AppError } from '../errors.js';
import {
  adminOrderDetail,
  adminOrdersQuery,
  adminOrdersResponse,
  reconcileBody,
  reconciliationDetail,
  reconciliationList,
  reconciliationParams,
  reconciliationQuery,
  reconciliationsQuery,
} from '../schemas/admin-console.js';
import { errorSchema } from '../schemas/common.js';
import { orderParams } from '../schemas/orders.js';
import type { Services } from '../services.js';
import { merchantOf } from '../../domain/merchant-identity.js';
import { presentAction } from './admin-actions.js';
import { ADMIN_OFF_PAGE, ADMIN_PAGE } from './admin-page.js';
import { presentAdminShipping } from '../presenters.js';
import type { Fulfilment } from '../../domain/fulfilment.js';
import { notShipped } from '../../domain/fulfilment.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOpt = (ms: number | undefined) => (ms === undefined ? undefined : iso(ms));
/** Notification bodies are at most 64 KiB; the admin view shows the start. */
const RAW_BODY_CHARS = 8 * 1024;

function presentSummary(o: AdminOrderSummary) {
  return {
    orderId: o.orderId,
    outTradeNo: o.outTradeNo,
    status: o.status,
    amount: o.amountFen,
    refunded: o.refundedFen,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
    paidAt: isoOpt(o.paidAt),
    reviewReason: o.reviewReason,
    merchantId: o.merchantId,
    reviewedAt: o.reviewedAt === undefined ? undefined : iso(o.reviewedAt),
  };
}

/** The fulfilment beside an order summary (kept apart so the console rebuild can place it where it likes). */
function withShipping<T extends object>(summary: T, orderId: string, f: Fulfilment | undefined): T & { shipping: ReturnType<typeof presentAdminShipping> } {
  return { ...summary, shipping: presentAdminShipping(f ?? notShipped(orderId, 0)) };
}

function presentRunSummary(r: ReconciliationRun) {
  return {
    date: r.billDate,
    status: r.status,
    runs: r.runs,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    billPayments: r.billPayments,
    billRefunds: r.billRefunds,
    matched: r.matched,
    ignored: r.ignored,
    applied: r.applied,
    billPaid: r.billPaidFen,
    billRefunded: r.billRefundFen,
    differenceCount: r.differences.length,
    error: r.error,
  };
}

function presentRun(r: ReconciliationRun) {
  return {
    reconciliation: {
      ...presentRunSummary(r),
      differences: r.differences.map((d) => ({
        kind: d.kind,
        outTradeNo: d.outTradeNo,
        orderId: d.orderId,
        outRefundNo: d.outRefundNo,
        transactionId: d.transactionId,
        billAmount: d.billFen,
        ourAmount: d.ourFen,
        detail: d.detail,
        resolution: d.resolution,
        firstSeenAt: iso(d.firstSeenAt),
      })),
    },
  };
}

/** The console as scripts/build.mjs wrote it (packages/server/dist/console), read once at start-up. */
export type ConsoleAssets = { html: string; script: string; style: string };

export async function loadConsoleAssets(root: string | undefined): Promise<ConsoleAssets | undefined> {
  if (root === undefined) return undefined;
  try {
    const [html, script, style] = await Promise.all(['index.html', 'console.js', 'console.css'].map((f) => readFile(join(root, f), 'utf8')));
    if (html === undefined || script === undefined || style === undefined) return undefined;
    return { html, script, style };
  } catch {
    return undefined;
  }
}

/** Everything the console needs comes from this server: no CDN, no inline script, no third-party origin. */
const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function adminConsoleRoutes(app: FastifyInstance, services: Services, guard: (request: FastifyRequest) => Promise<void>, assets?: ConsoleAssets): void {
  // Without ADMIN_TOKEN the admin API does not exist (404, like the refund route); the page itself still answers (404
  // too) with a few lines on how to turn it on, for the person who opened it in a browser.
  app.get('/admin', { schema: { hide: true } }, async (_request, reply) => {
    if (services.config.adminToken === undefined) {
      return reply.status(404).type('text/html; charset=utf-8').header('cache-control', 'no-store')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        .send(ADMIN_OFF_PAGE);
    }
    // The built console (server.ts passes it); an app assembled without it (a host mounting the plugin) keeps the
    // small self-contained page.
    if (assets !== undefined) return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', CONSOLE_CSP).send(assets.html);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      .send(ADMIN_PAGE);
  });
  if (assets !== undefined) {
    // Static and secret-free (the token is typed in by the person), so not behind the guard; absent while admin is off.
    const asset = (path: string, type: string, body: string) =>
      app.get(path, { schema: { hide: true } }, async (_request, reply) => {
        if (services.config.adminToken === undefined) throw new AppError(404, 'not_found', 'no such resource');
        return reply.type(type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(body);
      });
    asset('/admin/assets/console.js', 'text/javascript; charset=utf-8', assets.script);
    asset('/admin/assets/console.css', 'text/css; charset=utf-8', assets.style);
  }

  const admin = services.adminStore;
  const bills = services.bills;
  if (admin === undefined || bills === undefined) return;
  registerOrders(app, services, admin, guard);
  registerReconciliations(app, services, admin, bills, guard);
}

function registerOrders(app: FastifyInstance, services: Services, admin: AdminStore, guard: (request: FastifyRequest) => Promise<void>): void {
  app.get<{ Querystring: z.infer<typeof adminOrdersQuery> }>(
    '/admin/orders',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Orders, newest first: search (q: order id, out_trade_no, transaction_id or openid), filter by status, review flag (flagged=true) and China creation dates (from, to), page with cursor. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        querystring: adminOrdersQuery,
        response: { 200: adminOrdersResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      let page;
      try {
        page = await admin.listOrders({
          merchantId: q.merchantId,
          status: q.status,
          flagged: q.flagged === undefined ? undefined : q.flagged === 'true',
          search: q.q,
          createdFrom: q.from === undefined ? undefined : chinaDayRange(q.from).start,
          createdTo: q.to === undefined ? undefined : chinaDayRange(q.to).end,
          limit: q.limit ?? 50,
          cursor: q.cursor,
        });
      } catch (error) {
        if (error instanceof RangeError) throw new AppError(400, 'invalid_request', 'cursor: not a cursor from this API');
        throw error;
      }
      const shipping = await services.shipping.fulfilments(page.orders.map((o) => o.orderId));
      return { orders: page.orders.map((o) => withShipping(presentSummary(o), o.orderId, shipping.get(o.orderId))), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
    },
  );

  app.get<{ Params: z.infer<typeof orderParams> }>(
    '/admin/orders/:orderId',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'One order with its payment attempts, refunds, notification deliveries and outbox events. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        params: orderParams,
        response: { 200: adminOrderDetail, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const order: Order | undefined = await services.store.getOrder(request.params.orderId);
      if (order === undefined) throw new AppError(404, 'not_found', 'no such order');
      const [attempts, refunds, events, actions] = await Promise.all([admin.listAttempts(order.id), services.store.listRefunds(order.id), services.store.listEvents(order.id), admin.listActions(order.id)]);
      const reviewed = actions.filter((a) => a.action === 'mark_reviewed' && a.result === 'ok').pop();
      const notifications = await admin.notificationsFor(attempts.map((a) => a.outTradeNo), 100);
      const fulfilment = await services.shipping.fulfilment(order.id);
      return {
        order: {
          shipping: presentAdminShipping(fulfilment),
          ...presentSummary({
            orderId: order.id, outTradeNo: attempts[attempts.length - 1]?.outTradeNo, status: order.status, amountFen: order.amountFen, refundedFen: order.refundedFen,
            createdAt: order.createdAt, updatedAt: order.updatedAt, paidAt: order.paidAt, reviewReason: order.reviewReason, merchantId: merchantOf(order), reviewedAt: reviewed?.createdAt,
          }),
          openid: order.openid,
          description: order.description,
          items: order.items.map((i) => ({ sku: i.sku, name: i.name, price: i.unitPriceFen, quantity: i.quantity })),
        },
        attempts: attempts.map((a) => ({
          outTradeNo: a.outTradeNo, amount: a.amountFen, status: a.status, prepayId: a.prepayId, prepayAt: isoOpt(a.prepayAt),
          timeExpire: iso(a.timeExpire), transactionId: a.transactionId, createdAt: iso(a.createdAt),
        })),
        refunds: refunds.map((r) => ({ outRefundNo: r.outRefundNo, amount: r.amountFen, status: r.status, refundId: r.refundId, reason: r.reason, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) })),
        notifications: notifications.map((n) => ({
          id: n.id, kind: n.kind, apiVersion: n.apiVersion, receivedAt: iso(n.receivedAt), authentic: n.authentic, outcome: n.outcome,
          outTradeNo: n.outTradeNo, eventKey: n.eventKey, headers: n.headers, rawBody: n.rawBody.slice(0, RAW_BODY_CHARS),
        })),
        events: events.map((e) => ({ id: e.id, topic: e.topic, createdAt: iso(e.createdAt), attempts: e.attempts, deliveredAt: isoOpt(e.deliveredAt) })),
        actions: actions.map(presentAction),
      };
    },
  );
}

function registerReconciliations(app: FastifyInstance, services: Services, admin: AdminStore, bills: BillReconciler, guard: (request: FastifyRequest) => Promise<void>): void {
  // Each merchant has its own bill and runs (issue 16); without merchantId, the first merchant's, as before.
  const merchant = async (merchantId: string) => {
    const found = await services.merchants.get(merchantId);
    if (found === undefined) throw new AppError(404, 'not_found', 'no such merchant');
    return found;
  };
  const billsOf = async (merchantId: string | undefined): Promise<BillReconciler> => (merchantId === undefined ? bills : ((await merchant(merchantId)).bills ?? bills));
  const adminOf = async (merchantId: string | undefined): Promise<AdminStore> => (merchantId === undefined ? admin : admin.forMerchant((await merchant(merchantId)).id));
  app.post<{ Body: z.infer<typeof reconcileBody> }>(
    '/admin/reconciliations',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Reconcile one China day with WeChat’s trade bill now (re-running a date updates its run). Needs ADMIN_TOKEN.',
        description: 'WeChat makes a day’s bill after about 10:00 the next day; before that the run is recorded as failed. 409 while another run is in progress.',
        security: [{ bearer: [] }],
        body: reconcileBody,
        response: { 200: reconciliationDetail, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request) => {
      const date = request.body.date;
      const problem = billDateProblem(date, services.clock.now());
      if (problem !== undefined) throw new AppError(400, 'invalid_request', `date: ${problem}`);
      const result = await (await billsOf(request.body.merchantId)).reconcileBill(date);
      if (!result.ok) throw new AppError(409, 'reconciliation_running', 'another reconciliation is running; try again shortly');
      return presentRun(result.run);
    },
  );

  app.get<{ Querystring: z.infer<typeof reconciliationsQuery> }>(
    '/admin/reconciliations',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Reconciliation runs, newest bill date first. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        querystring: reconciliationsQuery,
        response: { 200: reconciliationList, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const runs = await (await adminOf(request.query.merchantId)).listReconciliations(request.query.limit ?? 30, request.query.before);
      return { reconciliations: runs.map(presentRunSummary) };
    },
  );

  app.get<{ Params: z.infer<typeof reconciliationParams>; Querystring: z.infer<typeof reconciliationQuery> }>(
    '/admin/reconciliations/:date',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'The reconciliation of one China day, with its differences. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        params: reconciliationParams,
        querystring: reconciliationQuery,
        response: { 200: reconciliationDetail, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const run = await (await adminOf(request.query.merchantId)).getReconciliation(request.params.date);
      if (run === undefined) throw new AppError(404, 'not_found', 'no reconciliation for that date');
      return presentRun(run);
    },
  );
}
