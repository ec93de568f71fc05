/** Money is integer fen, always. These guards keep floats and overflow out of every amount we store or send. */

export function isFen(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export function assertFen(value: number, what: string): number {
  if (!isFen(value)) throw new RangeError(`${what} must be a positive safe integer of fen`);
  return value;
}

/** unit × quantity with an overflow check: a product that does not fit a safe integer is a bug, not a price. */
export function multiplyFen(unitFen: number, quantity: number): number {
  assertFen(unitFen, 'unit price');
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError('quantity must be a positive integer');
  return assertFen(unitFen * quantity, 'line total');
}

export function sumFen(amounts: readonly number[]): number {
  let total = 0;
  for (const amount of amounts) {
    assertFen(amount, 'amount');
    total += amount;
    if (!Number.isSafeInteger(total)) throw new RangeError('total overflows');
  }
  return assertFen(total, 'total');
}

/** For people, never for arithmetic: 1234 → "12.34". */
export function formatYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
