import { z } from 'zod';

export const loginBody = z.strictObject({ code: z.string().min(1).max(128) });
export const loginResponse = z.object({ token: z.string(), expiresAt: z.string() });
export const productsResponse = z.object({
  products: z.array(z.object({ sku: z.string(), name: z.string(), price: z.number().int().describe('fen') })),
});
