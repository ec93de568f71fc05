/** The production IdSource: every id and token comes from node:crypto, never from a non-cryptographic generator. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IdSource } from './ports/clock.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U to misread

function base32(bytes: number, length: number): string {
  const buf = randomBytes(bytes);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[(buf[i] ?? 0) & 31];
  return out;
}

/** yyyyMMddHHmmss in UTC: sortable, and 14 characters leave 18 of the 32 allowed for randomness. */
function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export const cryptoIds: IdSource = {
  orderId: () => `ord_${base32(20, 20)}`,
  rowId: () => randomUUID(),
  outTradeNo: (now) => `${stamp(now)}${base32(18, 18)}`,
  outRefundNo: (now) => `R${stamp(now)}${base32(18, 18)}`,
  token: () => randomBytes(32).toString('base64url'),
};
