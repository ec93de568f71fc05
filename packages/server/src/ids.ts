/** The production IdSource: every id and token comes from node:crypto, never from a non-cryptographic generator. */
import { randomBytes, randomUUID } from 'node:crypto';
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
 *
 * The random bits are those of a node:crypto randomUUID(): the same CSPRNG as randomBytes, but drawn from a pool it
 * refills in bulk, where randomBytes(16) is a call into OpenSSL per id (several µs on a path that makes three ids per
 * notification). A v4 UUID's bits after its version nibble are random except the variant, which v7 shares: the
 * version-7 id keeps its 12 + 62 random bits and replaces the first 48 with the time.
 */
export function uuidV7(now: number): string {
  const ms = Math.max(0, Math.floor(now)) % 2 ** 48;
  const time = ms.toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx; keep from the version nibble on, with 7 as the version.
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`;
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
