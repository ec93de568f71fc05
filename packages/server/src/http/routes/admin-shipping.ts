/**
 * The operator's side of fulfilment, behind the ADMIN_TOKEN guard of admin.ts: ship an order (recorded here, uploaded
 * to WeChat by the outbox: 202), see the reminder counts and run the comparison with WeChat on demand.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ShipRefusal } from '../../domain/shipping-service.js';
import { AppError } from '../errors.js';
import { presentShipping } from '../presenters.js';
import { errorSchema } from '../schemas/common.js';
import { orderParams } from '../schemas/orders.js';
import { shipmentBody, shipmentResponse, shippingOverview } from '../schemas/shipping.js';
import type { Services } from '../services.js';

const REFUSALS: Record<ShipRefusal, number> = { not_found: 404, not_paid: 409, bad_shipment: 400, reship_used: 409, already_received: 409, conflict: 409, merchant_not_supported: 409 };

const checkResponse = z.object({ examined: z.number().int(), differences: z.number().int(), failed: z.number().int() });

export function adminShippingRoutes(app: FastifyInstance, services: Services, guard: (request: FastifyRequest) => Promise<void>): void {
  app.post<{ Params: z.infer<typeof orderParams>; Body: z.infer<typeof shipmentBody> }>(
    '/admin/orders/:orderId/shipments',
    {
      onRequest: guard,
      schema: {
        tags: ['admin'],
        summary: 'Ship a paid order: recorded at once, uploaded to WeChat (upload_shipping_info) by the outbox with retries. The same shipment again is not uploaded twice; a different one is WeChat’s single re-shipment. Needs ADMIN_TOKEN.',
        security: [{ bearer: [] }],
        params: orderParams,
        body: shipmentBody,
        response: { 202: shipmentResponse, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request, reply) => {
      const { orderId } = request.params;
      const body = request.body;
      const result = await services.shipping.ship(orderId, {
        logisticsType: body.logisticsType,
        packages: (body.packages ?? []).map((p) => ({ expressCompany: p.expressCompany, trackingNo: p.trackingNo, ...(p.itemDesc === undefined ? {} : { itemDesc: p.itemDesc }), ...(p.contact === undefined ? {} : { contact: p.contact }) })),
        allDelivered: body.allDelivered ?? true,
      });
      if (!result.ok) throw new AppError(REFUSALS[result.reason], result.reason, result.message);
      // Tracking numbers are the operator's business data; contacts (phone numbers) are not logged.
      request.log.info({ who: 'admin', what: 'order.shipped', orderId, logisticsType: body.logisticsType, packages: body.packages?.length ?? 0, duplicate: result.duplicate }, 'admin: shipment');
      void reply.status(202);
      return { orderId, shipping: presentShipping(result.fulfilment), duplicate: result.duplicate };
    },
  );

  app.get(
    '/admin/shipping',
    {
      onRequest: guard,
      schema: { tags: ['admin'], summary: 'Orders by shipping status and WeChat’s shipping reminders received (trade_manage_remind_*), by event. Needs ADMIN_TOKEN.', security: [{ bearer: [] }], response: { 200: shippingOverview, 401: errorSchema, 404: errorSchema } },
    },
    async () => {
      const [counts, reminders] = await Promise.all([services.shipping.counts(), services.shipping.reminderCounts()]);
      return { counts, reminders: reminders.map((c) => ({ event: c.event, count: c.count, lastAt: new Date(c.lastAt).toISOString() })) };
    },
  );

  app.post(
    '/admin/shipping/check',
    {
      onRequest: guard,
      schema: { tags: ['admin'], summary: 'Compare our shipping state with WeChat’s get_order_list now; differing orders are flagged. Needs ADMIN_TOKEN.', security: [{ bearer: [] }], response: { 200: checkResponse, 401: errorSchema, 404: errorSchema } },
    },
    async () => {
      const report = await services.shippingCheck.run();
      return { examined: report.examined, differences: report.differences, failed: report.failed };
    },
  );
}
