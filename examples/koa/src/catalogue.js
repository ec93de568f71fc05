// Prices live on the server, in integer fen; the client only names SKUs and quantities.
export const PRODUCTS = [
  { sku: 'tea-oolong', name: 'Oolong tea, 100 g', price: 3800 },
  { sku: 'tea-pu-erh', name: 'Pu-erh cake, 357 g', price: 12800 },
  { sku: 'cup-celadon', name: 'Celadon cup', price: 4500 },
];

const BY_SKU = new Map(PRODUCTS.map((p) => [p.sku, p]));

/** Prices a cart, or explains why it cannot: never trusts an amount from the client. */
export function priceCart(items) {
  if (!Array.isArray(items) || items.length === 0 || items.length > 20) return { ok: false, message: 'items: 1 to 20 lines' };
  let amount = 0;
  const lines = [];
  for (const item of items) {
    const product = item && BY_SKU.get(item.sku);
    const quantity = item && item.quantity;
    if (!product) return { ok: false, message: 'unknown sku' };
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 99) return { ok: false, message: 'quantity: 1 to 99' };
    amount += product.price * quantity;
    lines.push({ sku: product.sku, name: product.name, price: product.price, quantity });
  }
  return { ok: true, amount, lines };
}
