/** Orders are priced here, from the catalogue, never from anything the client sent. */
import { multiplyFen, sumFen } from './money.js';
import type { OrderItem } from './order.js';

export type Product = { sku: string; name: string; priceFen: number; active: boolean };
export type CartLine = { sku: string; quantity: number };

export const MAX_QUANTITY = 99;
export const MAX_LINES = 20;

export type PricingResult =
  | { ok: true; items: OrderItem[]; amountFen: number; description: string }
  | { ok: false; reason: 'empty_cart' | 'too_many_lines' | 'bad_quantity' | 'duplicate_sku' | 'unknown_sku'; sku?: string };

/** WeChat's body limit is 127 characters; cut on code points so we never split a surrogate pair. */
function describe(items: readonly OrderItem[]): string {
  const first = items[0];
  if (first === undefined) return '';
  const text = items.length === 1 ? first.name : `${first.name} and ${items.length - 1} more`;
  return Array.from(text).slice(0, 120).join('');
}

export function priceCart(lines: readonly CartLine[], catalogue: ReadonlyMap<string, Product>): PricingResult {
  if (lines.length === 0) return { ok: false, reason: 'empty_cart' };
  if (lines.length > MAX_LINES) return { ok: false, reason: 'too_many_lines' };
  const seen = new Set<string>();
  const items: OrderItem[] = [];
  for (const line of lines) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      return { ok: false, reason: 'bad_quantity', sku: line.sku };
    }
    if (seen.has(line.sku)) return { ok: false, reason: 'duplicate_sku', sku: line.sku };
    seen.add(line.sku);
    const product = catalogue.get(line.sku);
    if (product === undefined || !product.active) return { ok: false, reason: 'unknown_sku', sku: line.sku };
    multiplyFen(product.priceFen, line.quantity);
    items.push({ sku: product.sku, name: product.name, unitPriceFen: product.priceFen, quantity: line.quantity });
  }
  const amountFen = sumFen(items.map((item) => multiplyFen(item.unitPriceFen, item.quantity)));
  return { ok: true, items, amountFen, description: describe(items) };
}
