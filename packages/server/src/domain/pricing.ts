/** Orders are priced here, from the catalogue, never from anything the client sent. */
import { multiplyFen, sumFen } from './money.js';
import type { OrderItem } from './order.js';

/**
 * `merchantId`: whose catalogue (issue 16); undefined means 'default'. A sku is unique across merchants.
 * `virtual`: goods with no delivery (top-ups, codes); an order of only these ships itself once paid (default false).
 */
export type Product = { sku: string; name: string; priceFen: number; active: boolean; merchantId?: string | undefined; virtual?: boolean | undefined };
export type CartLine = { sku: string; quantity: number };

export const MAX_QUANTITY = 99;
export const MAX_LINES = 20;

export type PricingResult =
  | { ok: true; items: OrderItem[]; amountFen: number; description: string }
  | { ok: false; reason: 'empty_cart' | 'too_many_lines' | 'bad_quantity' | 'duplicate_sku' | 'unknown_sku' | 'product_inactive'; sku?: string };

/**
 * WeChat's limit on the order description is in UTF-8 bytes: v3 `description` string(127); v2 `body` String(127) on
 * the official unifiedorder page (String(128) in the CloudPay docs and WxJava). 127 bytes fits both versions.
 */
export const DESCRIPTION_MAX_BYTES = 127;

/**
 * `text` cut to at most `maxBytes` of UTF-8, on a code point boundary: a multi-byte character or a surrogate pair is
 * kept whole or dropped whole, never split (a lone surrogate would become U+FFFD, 3 bytes, on the wire).
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    // A lone surrogate is encoded as U+FFFD (3 bytes).
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0x10000 ? 4 : 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** The order description WeChat is sent: what it must fit, whatever was stored (older orders were cut by characters). */
export function fitDescription(text: string): string {
  return truncateUtf8(text, DESCRIPTION_MAX_BYTES);
}

function describe(items: readonly OrderItem[]): string {
  const first = items[0];
  if (first === undefined) return '';
  const text = items.length === 1 ? first.name : `${first.name} and ${items.length - 1} more`;
  return fitDescription(text);
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
    if (product === undefined) return { ok: false, reason: 'unknown_sku', sku: line.sku };
    // Deactivated by the operator (PATCH /admin/products/:sku): kept for the orders that name it, sold no more.
    if (!product.active) return { ok: false, reason: 'product_inactive', sku: line.sku };
    multiplyFen(product.priceFen, line.quantity);
    items.push({ sku: product.sku, name: product.name, unitPriceFen: product.priceFen, quantity: line.quantity });
  }
  const amountFen = sumFen(items.map((item) => multiplyFen(item.unitPriceFen, item.quantity)));
  return { ok: true, items, amountFen, description: describe(items) };
}
