/**
 * The console's dashboard numbers and the actions a person takes on one order — query WeChat now, close an unpaid
 * order, mark a flagged order reviewed (refunds: admin.ts) — behind the ADMIN_TOKEN guard. Each action needs a
 * reason and is audited (admin_actions) with who and why, refused attempts too; the work itself goes through the
 * services every other path uses (PaymentService.syncAttempt / closeAttempt, the order state machine).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { chinaWindow, fillDays, percentile } from '../../domain/dashboard.js';
import { isUnpaid, ORDER_STATUSES } from '../../domain/order.js';
import type { Order, OrderStatus } from '../../domain/order.js';
import { GatewayError } from '../../ports/gateway.js';
import { merchantOf } from '../../domain/merchant-identity.js';
import type { PaymentService } from '../../domain/payment-service.js';
import type { AdminAction, AdminActionKind, AdminStore } from '../../ports/admin-store.js';
import { AppError } from '../errors.js';
import { actionBody, actionResponse, statsQuery, statsResponse } from '../schemas/admin-actions.js';
import { errorSchema } from '../schemas/common.js';
import { orderParams } from '../schemas/orders.js';
import type { Services } from '../services.js';

type Guard = (request: FastifyRequest) => Promise<void>;
type Outcome = { result: string; detail: AdminAction['detail']; refusal?: AppError };

export function presentAction(a: AdminAction) {
  return { id: a.id, action: a.action, actor: a.actor, reason: a.reason, result: a.result, detail: a.detail, createdAt: new Date(a.createdAt).toISOString() };
}

/** Writes one audit row and logs it (who, what, why; never the token). */
export async function audit(
  services: Services,
  admin: AdminStore,
  request: FastifyRequest,
  entry: { orderId: string; action: AdminActionKind; reason: string; result: string; detail?: AdminAction['detail'] },
): Promise<AdminAction> {
  const action: AdminAction = { id: randomUUID(), actor: services.config.adminLabel, detail: {}, createdAt: services.clock.now(), ...entry };
  await admin.recordAction(action);
  request.log.info({ who: action.actor, what: `order.${action.action}`, orderId: action.orderId, reason: action.reason, result: action.result }, 'admin: order action');
  return action;
}

export function adminActionRoutes(app: FastifyInstance, services: Services, admin: AdminStore, guard: Guard): void {
  app.get<{ Querystring: z.infer<typeof statsQuery> }>(
    '/admin/stats',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'The console dashboard: per China day (Asia/Shanghai) revenue and orders, statuses, conversion, notification health, refunds, flagged orders. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        querystring: statsQuery,
        response: { 200: statsResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const now = services.clock.now();
      const window = chinaWindow(now, request.query.days ?? 30);
      const s = await admin.stats(window);
      const days = fillDays(window.dates, s.days).map((d) => ({ date: d.date, created: d.created, paid: d.paid, revenue: d.revenueFen, refunded: d.refundedFen }));
      const sum = (key: 'created' | 'paid' | 'revenue' | 'refunded') => days.reduce((n, d) => n + d[key], 0);
      const byStatus = Object.fromEntries(ORDER_STATUSES.map((st) => [st, s.byStatus[st] ?? 0])) as Record<OrderStatus, number>;
      const latency = s.notifications.paymentToNotificationMs;
      const refundList = Object.values(s.refunds);
      return {
        window: { from: window.dates[0] ?? '', to: window.dates[window.dates.length - 1] ?? '', days: window.dates.length, timeZone: 'Asia/Shanghai' as const, generatedAt: new Date(now).toISOString() },
        days,
        totals: { created: sum('created'), paid: sum('paid'), revenue: sum('revenue'), refunded: sum('refunded') },
        byStatus,
        conversion: { ...s.conversion, ...(s.conversion.created === 0 ? {} : { rate: s.conversion.paid / s.conversion.created }) },
        notifications: {
          deliveries: s.notifications.deliveries,
          authentic: s.notifications.authentic,
          rejected: s.notifications.rejected,
          retried: s.notifications.retried,
          outcomes: s.notifications.outcomes,
          paymentToNotification: { count: latency.length, medianMs: percentile(latency, 50), p90Ms: percentile(latency, 90), maxMs: latency[latency.length - 1] },
        },
        refunds: {
          count: refundList.reduce((n, r) => n + r.count, 0),
          amount: refundList.reduce((n, r) => n + r.amountFen, 0),
          byStatus: Object.fromEntries(Object.entries(s.refunds).map(([status, r]) => [status, { count: r.count, amount: r.amountFen }])),
        },
        flagged: s.flagged,
      };
    },
  );

  const actionRoute = (path: string, summary: string, description: string, run: (order: Order) => Promise<Outcome>) => {
    app.post<{ Params: z.infer<typeof orderParams>; Body: z.infer<typeof actionBody> }>(
      `/admin/orders/:orderId/${path}`,
      {
        onRequest: guard,
        schema: {
          tags: ['admin'],
          summary,
          description: `${description} The reason is required and kept, with who acted, in the order's audit trail (refused attempts too).`,
          security: [{ bearer: [] }],
          params: orderParams,
          body: actionBody,
          response: { 200: actionResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema },
        },
      },
      async (request) => {
        const order = await services.store.getOrder(request.params.orderId);
        if (order === undefined) throw new AppError(404, 'not_found', 'no such order');
        let outcome;
        try {
          outcome = await run(order);
        } catch (error) {
          if (error instanceof GatewayError) await audit(services, admin, request, { orderId: order.id, action: actionOf(path), reason: request.body.reason, result: 'wechat_unavailable', detail: { code: error.code } });
          throw error;
        }
        const action = await audit(services, admin, request, { orderId: order.id, action: actionOf(path), reason: request.body.reason, result: outcome.result, detail: outcome.detail });
        if (outcome.refusal !== undefined) throw outcome.refusal;
        const now = (await services.store.getOrder(order.id)) ?? order;
        return { action: presentAction(action), order: { orderId: now.id, status: now.status } };
      },
    );
  };

  /** The order's own merchant acts for it (its keys, its mchid): issue 16. */
  async function paymentsOf(order: Order): Promise<PaymentService> {
    const merchant = await services.merchants.get(merchantOf(order));
    if (merchant === undefined) throw new AppError(409, 'merchant_unknown', `the order's merchant ${merchantOf(order)} is not configured`);
    return merchant.payments;
  }

  actionRoute('query', 'Ask WeChat about the order now and apply the answer through the usual rules. Needs ADMIN_TOKEN.', 'Queries the attempt that paid the order, else its latest attempt (orderquery), exactly as the late-notification path does.', async (order): Promise<Outcome> => {
    const attempts = await admin.listAttempts(order.id);
    const attempt = attempts.find((a) => a.id === order.paidAttemptId) ?? attempts[attempts.length - 1];
    if (attempt === undefined) return { result: 'no_attempt', detail: {}, refusal: new AppError(409, 'no_attempt', 'the order has no payment attempt to ask WeChat about') };
    const answer = await (await paymentsOf(order)).syncAttempt(attempt);
    return { result: 'ok', detail: { outTradeNo: attempt.outTradeNo, answer } };
  });

  actionRoute('close', 'Close an unpaid order (its open attempt is closed at WeChat first). Needs ADMIN_TOKEN.', 'A payment that races the close is found by the close itself (ORDERPAID) and applied: the answer is then 409 order_paid.', async (order): Promise<Outcome> => {
    if (!isUnpaid(order.status)) return { result: 'not_closable', detail: { status: order.status }, refusal: new AppError(409, 'not_closable', `only an unpaid order can be closed (this one is ${order.status})`) };
    const latest = await services.store.latestAttempt(order.id);
    if (latest !== undefined && latest.status === 'OPEN') {
      if ((await (await paymentsOf(order)).closeAttempt(latest)) === 'paid') return { result: 'order_paid', detail: { outTradeNo: latest.outTradeNo }, refusal: new AppError(409, 'order_paid', 'WeChat says the order was paid meanwhile; the payment was applied') };
    }
    // Another request may have started a new attempt meanwhile: never close the order under a live prepay.
    if ((await services.store.countOpenAttempts(order.id)) > 0) return { result: 'busy', detail: {}, refusal: new AppError(409, 'order_busy', 'a payment attempt was opened meanwhile; try again') };
    if (!(await services.store.transition(order.id, 'closedByOperator', services.clock.now()))) {
      const now = await services.store.getOrder(order.id);
      return { result: 'not_closable', detail: { status: now?.status ?? 'unknown' }, refusal: new AppError(409, 'not_closable', `the order changed meanwhile (now ${now?.status ?? 'unknown'})`) };
    }
    return { result: 'ok', detail: { from: order.status, ...(latest === undefined ? {} : { outTradeNo: latest.outTradeNo }) } };
  });

  actionRoute('review', 'Mark a flagged order reviewed: it leaves the flagged list; its review reason stays. Needs ADMIN_TOKEN.', 'Only an order with a review reason can be marked.', async (order): Promise<Outcome> => {
    if (order.reviewReason === undefined) return { result: 'not_flagged', detail: {}, refusal: new AppError(409, 'not_flagged', 'the order is not flagged for review') };
    return { result: 'ok', detail: { reviewReason: order.reviewReason } };
  });
}

function actionOf(path: string): AdminActionKind {
  return path === 'review' ? 'mark_reviewed' : (path as AdminActionKind);
}
