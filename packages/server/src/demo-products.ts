import type { Product } from './domain/pricing.js';

/** Seeded into an empty `products` table in sandbox mode. Edit the table (not this file) to change the catalogue. */
export const DEMO_PRODUCTS: readonly Product[] = [
  { sku: 'tea-oolong', name: 'Oolong tea, 250 g', priceFen: 4800, active: true },
  { sku: 'mug-clay', name: 'Clay tea mug', priceFen: 3900, active: true },
  { sku: 'sticker', name: 'Sticker', priceFen: 1, active: true },
];
