// One client for the whole app, and the cart shared between the pages.
import { createClient } from '@wxpay-kit/miniprogram';
import type { CartItem, Product } from '@wxpay-kit/miniprogram';
import { SERVER_BASE_URL } from './config';

export const shop = createClient({ baseUrl: SERVER_BASE_URL, wx });

/** sku → quantity, plus the product list it was picked from (for names and display prices). */
export const cart = {
  products: [] as Product[],
  quantities: {} as Record<string, number>,
  items(): CartItem[] {
    return Object.keys(this.quantities)
      .filter((sku) => (this.quantities[sku] ?? 0) > 0)
      .map((sku) => ({ sku, quantity: this.quantities[sku] ?? 0 }));
  },
  clear(): void {
    this.quantities = {};
  },
};

/** Integer fen → "¥12.30" without floating point. */
export function yuan(fen: number): string {
  return `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
