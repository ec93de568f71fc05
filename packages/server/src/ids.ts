/** The production IdSource: every id and token comes from node:crypto, never from a non-cryptographic generator. */
import { randomBytes } from 'node:crypto';
import { systemClock } from './ports/clock.js';
import type { Clock, IdSource } from './ports/clock.js';

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

/**
 * A UUID version 7 (RFC 9562): 48 bits of milliseconds, then 74 random bits. Row ids are primary keys: a random
 * (version 4) key lands each insert on a random page of its index, so a notification's few rows dirtied pages all over
 * the file and every commit wrote (and fsynced) that many pages. Time-ordered keys append to the index's last page,
 * which concurrent inserts share. Still unguessable enough for what a row id is (internal, never a secret).
 */
export function uuidV7(now: number): string {
  const bytes = randomBytes(16);
  const ms = Math.max(0, Math.floor(now));
  bytes.writeUIntBE(ms % 2 ** 48, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The production ids, with row ids ordered by the given clock's time. */
export function cryptoIdsFor(clock: Clock): IdSource {
  return {
    orderId: () => `ord_${base32(20, 20)}`,
    rowId: () => uuidV7(clock.now()),
    outTradeNo: (now) => `${stamp(now)}${base32(18, 18)}`,
    outRefundNo: (now) => `R${stamp(now)}${base32(18, 18)}`,
    token: () => randomBytes(32).toString('base64url'),
  };
}

export const cryptoIds: IdSource = cryptoIdsFor(systemClock);
