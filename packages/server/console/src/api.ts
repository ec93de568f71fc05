/**
 * The console's only way to the server: the admin JSON API, with the token from sessionStorage as a bearer header.
 * Response types are inferred from the server's zod schemas (type-only imports: nothing of the server is bundled).
 */
import type { z } from 'zod';
import type { actionResponse, statsResponse } from '../../src/http/schemas/admin-actions.js';
import type { adminOrderDetail, adminOrdersResponse, reconciliationDetail, reconciliationList } from '../../src/http/schemas/admin-console.js';
import type { adminProductList, adminProductResponse } from '../../src/http/schemas/admin-products.js';
import type { refundResponse } from '../../src/http/schemas/admin.js';
import type { shipmentResponse, shippingOverview } from '../../src/http/schemas/shipping.js';

export type Stats = z.infer<typeof statsResponse>;
export type OrderList = z.infer<typeof adminOrdersResponse>;
export type OrderSummary = OrderList['orders'][number];
export type OrderDetail = z.infer<typeof adminOrderDetail>;
export type ActionResult = z.infer<typeof actionResponse>;
export type Products = z.infer<typeof adminProductList>;
export type Product = Products['products'][number];
export type ProductResult = z.infer<typeof adminProductResponse>;
export type RefundResult = z.infer<typeof refundResponse>;
export type ShippingOverview = z.infer<typeof shippingOverview>;
export type ShipmentResult = z.infer<typeof shipmentResponse>;
export type Reconciliations = z.infer<typeof reconciliationList>;
export type Reconciliation = z.infer<typeof reconciliationDetail>;

const KEY = 'wxpay-kit-admin-token';

export const token = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (value: string): void => sessionStorage.setItem(KEY, value),
  clear: (): void => sessionStorage.removeItem(KEY),
};

/** A refusal of the API: its status and error code, and a message for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
  const bearer = token.get();
  if (bearer === null) throw new ApiError(401, 'unauthorized', 'sign in with the admin token first');
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const data = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) throw new ApiError(res.status, data.error?.code ?? String(res.status), data.error?.message ?? 'request failed');
  return data as T;
}
