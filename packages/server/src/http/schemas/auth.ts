import { z } from 'zod';

const appid = z.string().min(1).max(32).regex(/^[A-Za-z0-9_]+$/);

export const loginBody = z.strictObject({
  code: z.string().min(1).max(128),
  appid: appid.optional().describe("the mini program logging in (several merchants on one server); default: the first merchant's"),
});
export const productsQuery = z.strictObject({ appid: appid.optional().describe("whose catalogue; default: the first merchant's") });
export const loginResponse = z.object({ token: z.string(), expiresAt: z.string() });
export const productsResponse = z.object({
  products: z.array(z.object({ sku: z.string(), name: z.string(), price: z.number().int().describe('fen') })),
});
