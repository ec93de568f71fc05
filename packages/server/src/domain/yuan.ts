/** Prices as people write them (`12.50` yuan, on the command line and in the console); the store keeps integer fen. Browser-safe: no Node APIs. */

const YUAN = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/** '12.50' → 1250, '3' → 300; undefined for anything else (negative, three decimals, '1e3', ''). */
export function parseYuan(text: string): number | undefined {
  const match = YUAN.exec(text.trim());
  if (match === null) return undefined;
  const whole = Number(match[1]);
  const cents = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + cents;
}

/** 1250 → '12.50' (integer arithmetic, no floating point). */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
