// Prices live on the server, in integer fen; the client only names SKUs and quantities.
export type Product = { sku: string; name: string; price: number };

export const PRODUCTS: readonly Product[] = [
  { sku: 'tea-oolong', name: 'Oolong tea, 100 g', price: 3800 },
  { sku: 'tea-pu-erh', name: 'Pu-erh cake, 357 g', price: 12800 },
  { sku: 'cup-celadon', name: 'Celadon cup', price: 4500 },
];

const BY_SKU = new Map(PRODUCTS.map((p) => [p.sku, p]));

/** Prices a cart, or explains why it cannot: never trusts an amount from the client. */
export type Line = Product & { quantity: number };
export type Priced = { ok: true; amount: number; lines: Line[] } | { ok: false; message: string };

export function priceCart(items: unknown): Priced {
  if (!Array.isArray(items) || items.length === 0 || items.length > 20) return { ok: false, message: 'items: 1 to 20 lines' };
  let amount = 0;
  const lines: Line[] = [];
  for (const item of items as { sku?: unknown; quantity?: unknown }[]) {
    const product = typeof item?.sku === 'string' ? BY_SKU.get(item.sku) : undefined;
    const quantity = item?.quantity;
    if (!product) return { ok: false, message: 'unknown sku' };
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1 || quantity > 99) return { ok: false, message: 'quantity: 1 to 99' };
    amount += product.price * quantity;
    lines.push({ sku: product.sku, name: product.name, price: product.price, quantity });
  }
  return { ok: true, amount, lines };
}
