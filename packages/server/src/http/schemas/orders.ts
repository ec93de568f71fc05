import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order.js';
import { MAX_LINES, MAX_QUANTITY } from '../../domain/pricing.js';
import { payParamsSchema } from './common.js';
import { shippingSchema } from './shipping.js';

/**
 * The client sends what it wants, never what it costs: unknown keys (price, amount, total_fee…) are refused outright
 * rather than silently dropped, so a client that believes it sets a price learns otherwise at once.
 */
export const createOrderBody = z.strictObject({
  items: z
    .array(
      z.strictObject({
        sku: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -'),
        quantity: z.number().int().min(1).max(MAX_QUANTITY),
      }),
    )
    .min(1)
    .max(MAX_LINES),
});

export const orderParams = z.strictObject({ orderId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/) });

export const idempotencyKey = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII');

export const orderSchema = z
  .object({
    orderId: z.string(),
    outTradeNo: z.string(),
    amount: z.number().int().describe('fen'),
    status: z.enum(ORDER_STATUSES),
    items: z.array(z.object({ sku: z.string(), name: z.string(), price: z.number().int(), quantity: z.number().int() })),
    createdAt: z.string(),
    paidAt: z.string().optional(),
    shipping: shippingSchema.describe('fulfilment, apart from the payment status: NOT_SHIPPED, SHIPPED, CONFIRMED, SETTLED'),
  })
  .describe('Order');

export const createdOrderSchema = z.object({
  orderId: z.string(),
  outTradeNo: z.string(),
  amount: z.number().int(),
  status: z.enum(ORDER_STATUSES),
  /** Absent only when a repeated Idempotency-Key finds an order that can no longer be paid (paid, closed, expired). */
  payParams: payParamsSchema.optional(),
});

export const orderListSchema = z.object({ orders: z.array(orderSchema) });

export const paymentSchema = z.object({ orderId: z.string(), outTradeNo: z.string(), payParams: payParamsSchema });
