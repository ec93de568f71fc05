/**
 * A minimal operator API, off unless ADMIN_TOKEN is set: start a refund. Compared in constant time; the token is a
 * separate secret from user sessions.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { bearerToken } from '../plugins/auth.js';
import { refundBody, refundConflict, refundResponse } from '../schemas/admin.js';
import type { Refund } from '../../ports/store.js';
import { errorBody } from '../errors.js';
import { errorSchema } from '../schemas/common.js';
import { orderParams } from '../schemas/orders.js';
import type { Services } from '../services.js';
import { merchantOf } from '../../domain/merchant-identity.js';
import { adminConsoleRoutes } from './admin-console.js';
import type { ConsoleAssets } from './admin-console.js';
import { adminActionRoutes, audit } from './admin-actions.js';
import { adminProductRoutes } from './admin-products.js';
import { adminShippingRoutes } from './admin-shipping.js';
import { adminMerchantRoutes } from './admin-merchants.js';

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function presentRefund(r: Refund) {
  return { outRefundNo: r.outRefundNo, amount: r.amountFen, status: r.status, ...(r.refundId === undefined ? {} : { refundId: r.refundId }) };
}

export function adminRoutes(app: FastifyInstance, services: Services, consoleAssets?: ConsoleAssets): void {
  const adminToken = services.config.adminToken;
  const guard = async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (adminToken === undefined) throw new AppError(404, 'not_found', 'no such resource');
    if (token === undefined || !sameSecret(token, adminToken)) throw new AppError(401, 'unauthorized', 'admin token required');
  };
  // Orders, reconciliation and the admin page (admin-console.ts), behind the same guard.
  adminConsoleRoutes(app, services, guard, consoleAssets);
  // The catalogue (admin-products.ts), behind the same guard.
  if (services.adminStore !== undefined) adminProductRoutes(app, services, services.adminStore, guard);
  // Fulfilment: shipments, reminders, the comparison with WeChat (admin-shipping.ts), behind the same guard.
  adminShippingRoutes(app, services, guard);
  // Merchants (admin-merchants.ts), behind the same guard.
  adminMerchantRoutes(app, services, guard);
  // The console's dashboard and order actions (admin-actions.ts), behind the same guard.
  if (services.adminStore !== undefined) adminActionRoutes(app, services, services.adminStore, guard);
  const adminStore = services.adminStore;

  app.post<{ Params: z.infer<typeof orderParams>; Body: z.infer<typeof refundBody> }>(
    '/admin/orders/:orderId/refunds',
    {
      // onRequest runs before the body is parsed and validated, so a caller without the token learns nothing
      // (401, never a 400 that tells which body would be accepted), as on every other admin route.
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Refund a paid order (all that is left, or `amount` fen). Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        params: orderParams,
        body: refundBody,
        response: { 202: refundResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: refundConflict, 502: errorSchema, 503: errorSchema },
      },
    },
    async (request, reply) => {
      // The refund goes through the order's merchant: its keys, its notify URL (issue 16).
      const order = await services.store.getOrder(request.params.orderId);
      const merchant = order === undefined ? undefined : await services.merchants.get(merchantOf(order));
      if (merchant === undefined) throw new AppError(404, 'not_found', 'no such order');
      const result = await merchant.refunds.requestRefund({ orderId: request.params.orderId, amountFen: request.body.amount, reason: request.body.reason });
      // Audited like the console's other actions (who, why, what came of it); the console always sends a reason.
      if (adminStore !== undefined && (result.ok || result.reason !== 'not_found')) {
        const refund = result.ok || result.reason === 'refund_in_progress' ? result.refund : undefined;
        await audit(services, adminStore, request, {
          orderId: request.params.orderId,
          action: 'refund',
          reason: request.body.reason ?? '',
          result: result.ok ? 'ok' : result.reason,
          detail: refund === undefined ? { requested: request.body.amount ?? null } : { amount: refund.amountFen, outRefundNo: refund.outRefundNo },
        });
      }
      if (!result.ok) {
        if (result.reason === 'refund_in_progress') {
          void reply.status(409);
          return { ...errorBody('refund_in_progress', 'a refund of this order is under way; it is returned here (repeat it with the same amount, or wait for it)'), refund: presentRefund(result.refund) };
        }
        if (result.reason === 'not_found') throw new AppError(404, 'not_found', 'no such order');
        if (result.reason === 'bad_amount') throw new AppError(400, 'bad_amount', 'amount must be positive and at most what is left to refund');
        if (result.reason === 'rejected') throw new AppError(502, 'refund_rejected', `refund refused (${result.message ?? 'unknown'})`);
        throw new AppError(409, 'not_refundable', 'the order is not in a refundable state');
      }
      void reply.status(202);
      return { refund: presentRefund(result.refund) };
    },
  );
}
