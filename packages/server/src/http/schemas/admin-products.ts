/** The catalogue as the operator edits it (GET/POST/PATCH /admin/products). Prices are integer fen. */
import { z } from 'zod';

/** The same alphabet an order line accepts for a sku (schemas/orders.ts), so every product can be ordered. */
export const productSku = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -');
const productName = z.string().trim().min(1).max(120);
const priceFen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('fen, an integer > 0');

export const productParams = z.strictObject({ sku: productSku });

const virtualFlag = z.boolean().optional().describe('true: goods with no delivery; an order of only virtual goods is shipped to WeChat by itself (logistics_type 3) once paid');

export const createProductBody = z.strictObject({
  sku: productSku,
  name: productName,
  price: priceFen,
  virtual: virtualFlag,
  merchantId: z.string().min(1).max(64).optional().describe("whose catalogue (GET /admin/merchants); default: the first merchant's"),
});

export const patchProductBody = z
  .strictObject({ name: productName.optional(), price: priceFen.optional(), active: z.boolean().optional().describe('false: hidden from GET /api/products and no longer orderable'), virtual: virtualFlag })
  .refine((b) => b.name !== undefined || b.price !== undefined || b.active !== undefined || b.virtual !== undefined, 'name, price, active or virtual: at least one');

const adminProduct = z.object({ sku: z.string(), name: z.string(), price: z.number().int().describe('fen'), active: z.boolean(), merchantId: z.string().optional(), virtual: z.boolean() }).describe('AdminProduct');

export const adminProductResponse = z.object({ product: adminProduct });
export const adminProductList = z.object({ products: z.array(adminProduct) });
