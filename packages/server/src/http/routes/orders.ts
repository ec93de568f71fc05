import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Order } from '../../domain/order.js';
import type { PaymentReady, PaymentRefused } from '../../domain/payment-service.js';
import { AppError } from '../errors.js';
import { MissLimiter } from '../plugins/miss-limiter.js';
import { requireUser } from '../plugins/auth.js';
import { presentOrder } from '../presenters.js';
import { errorSchema } from '../schemas/common.js';
import { createdOrderSchema, createOrderBody, idempotencyKey, orderListSchema, orderParams, orderSchema, paymentSchema } from '../schemas/orders.js';
import type { RateLimits, Services } from '../services.js';
import type { PaymentService } from '../../domain/payment-service.js';
import { merchantOf } from '../../domain/merchant-identity.js';

const REFUSALS: Record<PaymentRefused['reason'], [number, string]> = {
  already_paid: [409, 'the order is already paid'],
  not_payable: [409, 'the order can no longer be paid'],
  expired: [409, 'the order has expired; create a new one'],
};

const PRICING_ERRORS: Record<string, string> = {
  empty_cart: 'the order has no items',
  too_many_lines: 'too many different items',
  bad_quantity: 'quantity out of range',
  duplicate_sku: 'each sku may appear once',
  unknown_sku: 'no such product',
  product_inactive: 'this product is no longer sold',
};

function refusal(reason: PaymentRefused['reason']): AppError {
  const [status, message] = REFUSALS[reason];
  return new AppError(status, reason, message);
}

function clientIp(request: FastifyRequest): string {
  // WeChat wants the payer's IP; a mini program's request arrives from WeChat's client, so ours is an honest fallback.
  return request.ip.replace(/^::ffff:/, '') || '127.0.0.1';
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

export function orderRoutes(app: FastifyInstance, services: Services, limits: RateLimits): void {
  const auth = requireUser(services.sessions);
  const { store, config } = services;
  /** The payment service of the merchant the caller's session belongs to (issue 16). */
  async function paymentsOf(request: FastifyRequest): Promise<PaymentService> {
    const merchant = await services.merchants.get(request.merchantId);
    if (merchant === undefined) throw new AppError(401, 'unauthorized', 'a valid bearer token is required (POST /api/login)');
    return merchant.payments;
  }
  const misses = new MissLimiter(limits.orderMisses, () => services.clock.now());
  // Each order creation is a unifiedorder call to WeChat: limited per user (the bearer token's openid), not per
  // address, so one user cannot flood WeChat and users behind one carrier NAT do not share a budget.
  const perUser = {
    ...limits.orders,
    keyGenerator: (request: FastifyRequest) => `openid:${request.openid}`,
    errorResponseBuilder: (_request: FastifyRequest, context: { max: number; after: string }) =>
      new AppError(429, 'rate_limited', `too many orders: at most ${context.max} per ${seconds(limits.orders.timeWindow)} per user (ORDERS_PER_MINUTE); retry in ${context.after}`),
  };

  async function ownedOrder(request: FastifyRequest, orderId: string): Promise<Order> {
    const wait = misses.blockedFor(request.openid);
    if (wait > 0) {
      throw new AppError(429, 'rate_limited', `too many lookups of unknown orders: at most ${limits.orderMisses.max} per ${seconds(limits.orderMisses.timeWindow)} per user (ORDER_MISSES_PER_MINUTE); retry in ${seconds(wait)}`);
    }
    const order = await store.getOrder(orderId);
    // Someone else's order is indistinguishable from a missing one: no probing of ids.
    if (order === undefined || order.openid !== request.openid || merchantOf(order) !== request.merchantId) {
      misses.miss(request.openid);
      throw new AppError(404, 'not_found', 'no such order');
    }
    return order;
  }

  async function outTradeNoOf(order: Order): Promise<string> {
    return (await services.payments.attemptToShow(order))?.outTradeNo ?? '';
  }

  app.post<{ Body: z.infer<typeof createOrderBody> }>(
    '/api/orders',
    {
      onRequest: auth,
      config: { rateLimit: perUser },
      schema: {
        tags: ['orders'],
        summary: 'Create an order priced on the server; returns wx.requestPayment parameters',
        description:
          'Optional header Idempotency-Key: the same key returns the same order (200) with its current status; payParams only while it can still be paid.',
        security: [{ bearer: [] }],
        body: createOrderBody,
        response: { 201: createdOrderSchema, 200: createdOrderSchema, 400: errorSchema, 401: errorSchema, 409: errorSchema, 422: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (request, reply) => {
      const rawKey = request.headers['idempotency-key'];
      let key: string | undefined;
      if (rawKey !== undefined) {
        const parsed = idempotencyKey.safeParse(rawKey);
        if (!parsed.success) throw new AppError(400, 'invalid_request', 'Idempotency-Key: 1-128 printable ASCII characters');
        key = parsed.data;
      }
      const result = await (await paymentsOf(request)).createOrder({ openid: request.openid, lines: request.body.items, idempotencyKey: key, clientIp: clientIp(request) });
      if (!result.ok) {
        if ('order' in result) throw refusal(result.reason);
        const reason = result.reason;
        if (reason === 'idempotency_mismatch') throw new AppError(422, reason, 'this Idempotency-Key was used for a different order');
        if (reason === 'too_many_open_orders') {
          throw new AppError(429, reason, `at most ${config.openOrdersMax} unpaid orders per user (OPEN_ORDERS_MAX); pay or wait for one to expire`);
        }
        throw new AppError(400, reason, `${PRICING_ERRORS[reason] ?? reason}${result.sku === undefined ? '' : `: ${result.sku}`}`);
      }
      void reply.status(result.replayed ? 200 : 201);
      return {
        orderId: result.order.id,
        outTradeNo: result.attempt?.outTradeNo ?? '',
        amount: result.order.amountFen,
        status: result.order.status,
        ...(result.payParams === undefined ? {} : { payParams: result.payParams }),
      };
    },
  );

  app.get(
    '/api/orders',
    { onRequest: auth, schema: { tags: ['orders'], summary: "The caller's orders, newest first", security: [{ bearer: [] }], response: { 200: orderListSchema, 401: errorSchema } } },
    async (request) => {
      const orders = (await store.listByOpenid(request.openid, 100)).filter((o) => merchantOf(o) === request.merchantId);
      const shipping = await services.shipping.fulfilments(orders.map((o) => o.id));
      return { orders: await Promise.all(orders.map(async (o) => presentOrder(o, await outTradeNoOf(o), shipping.get(o.id)))) };
    },
  );

  app.get<{ Params: z.infer<typeof orderParams> }>(
    '/api/orders/:orderId',
    {
      onRequest: auth,
      schema: {
        tags: ['orders'],
        summary: 'One order (owner only). An unpaid order is checked with WeChat when its notification is late.',
        security: [{ bearer: [] }],
        params: orderParams,
        response: { 200: orderSchema, 401: errorSchema, 404: errorSchema, 429: errorSchema },
      },
    },
    async (request) => {
      const order = await (await paymentsOf(request)).refreshIfLate(await ownedOrder(request, request.params.orderId));
      return presentOrder(order, await outTradeNoOf(order), await services.shipping.fulfilment(order.id));
    },
  );

  app.post<{ Params: z.infer<typeof orderParams> }>(
    '/api/orders/:orderId/confirm-receipt',
    {
      onRequest: auth,
      config: { rateLimit: perUser },
      schema: {
        tags: ['orders'],
        summary: 'After the confirm-receipt component said success: the server asks WeChat (get_order) and records CONFIRMED only if WeChat shows it',
        security: [{ bearer: [] }],
        params: orderParams,
        response: { 200: orderSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const order = await ownedOrder(request, request.params.orderId);
      const result = await services.shipping.confirmReceipt(order);
      if (!result.ok) {
        if (result.reason === 'unavailable') throw new AppError(503, 'wechat_unavailable', result.message);
        throw new AppError(409, result.reason, result.message);
      }
      return presentOrder(order, await outTradeNoOf(order), result.fulfilment);
    },
  );

  app.post<{ Params: z.infer<typeof orderParams> }>(
    '/api/orders/:orderId/payment',
    {
      onRequest: auth,
      config: { rateLimit: perUser },
      schema: {
        tags: ['orders'],
        summary: 'Fresh wx.requestPayment parameters for an unpaid order',
        security: [{ bearer: [] }],
        params: orderParams,
        response: { 200: paymentSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema, 503: errorSchema },
      },
    },
    async (request) => {
      const order = await ownedOrder(request, request.params.orderId);
      const result: PaymentReady | PaymentRefused = await (await paymentsOf(request)).preparePayment(order, clientIp(request));
      if (!result.ok) throw refusal(result.reason);
      return { orderId: result.order.id, outTradeNo: result.attempt.outTradeNo, payParams: result.payParams };
    },
  );
}
