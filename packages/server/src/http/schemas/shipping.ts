/** Fulfilment on the wire: the operator's shipment (POST /admin/orders/:orderId/shipments) and `shipping` on orders. */
import { z } from 'zod';
import { FULFILMENT_STATUSES, LOGISTICS_TYPES } from '../../domain/fulfilment.js';

/** Masked as WeChat wants for 顺丰: last four digits clear, e.g. `189****1234`, `+86-177****1234`. */
const maskedPhone = z.string().regex(/^(?:\+\d{1,4}-)?[0-9-]{0,16}\*{4}\d{4}$/, 'a masked phone number such as 189****1234');

export const shipmentPackage = z.strictObject({
  expressCompany: z.string().trim().min(1).max(128).describe('the carrier’s delivery_id, e.g. SF, YTO, ZTO'),
  trackingNo: z.string().trim().min(1).max(128),
  itemDesc: z.string().trim().min(1).max(120).optional().describe('default: the order’s description'),
  contact: maskedPhone.optional().describe('required by WeChat for SF: the receiver’s masked phone number'),
});

export const shipmentBody = z
  .strictObject({
    logisticsType: z.enum(LOGISTICS_TYPES),
    packages: z.array(shipmentPackage).max(15).optional(),
    allDelivered: z.boolean().optional().describe('split delivery (several packages): whether this completes the order; default true'),
  })
  .refine((b) => (b.logisticsType === 'express' ? (b.packages?.length ?? 0) >= 1 : (b.packages?.length ?? 0) === 0), {
    message: 'express needs 1-15 packages; same_city, virtual and pickup take none',
    path: ['packages'],
  });

export const shippingSchema = z
  .object({
    status: z.enum(FULFILMENT_STATUSES),
    logisticsType: z.enum(LOGISTICS_TYPES).optional(),
    packages: z.array(z.object({ expressCompany: z.string(), trackingNo: z.string(), itemDesc: z.string().optional() })),
    upload: z.enum(['PENDING', 'UPLOADED', 'FAILED']).optional().describe('where the upload to WeChat stands'),
    shippedAt: z.string().optional(),
    confirmedAt: z.string().optional(),
    settledAt: z.string().optional(),
  })
  .describe('Shipping');

/** The operator's view adds why an upload failed (WeChat's error code); the buyer's order JSON does not carry it. */
export const adminShippingSchema = shippingSchema
  .extend({ uploadError: z.string().optional().describe('upload FAILED: WeChat’s error code (the order is flagged for review)') })
  .describe('Shipping (operator view)');

export const shipmentResponse = z.object({ orderId: z.string(), shipping: shippingSchema, duplicate: z.boolean() });

/** GET /admin/shipping: the console's shipping tile. */
export const shippingOverview = z.object({
  counts: z
    .object({ toShip: z.number().int(), shipped: z.number().int(), confirmed: z.number().int(), settled: z.number().int(), uploadPending: z.number().int(), uploadFailed: z.number().int() })
    .describe('toShip: PAID orders not shipped yet; shipped/confirmed/settled: orders by shipping status; uploads to WeChat waiting or refused'),
  reminders: z.array(z.object({ event: z.string(), count: z.number().int(), lastAt: z.string() })),
});
