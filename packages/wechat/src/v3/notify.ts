import { WxPayDecryptError, WxPayProtocolError, WxPaySignatureError } from '../errors.js';
import { assertApiV3Key, decryptV3Resource } from './aead.js';
import type { V3Clock } from './auth.js';
import { isJsonObject, parseJsonObject } from './http.js';
import { verifyV3Signature, verifyV3SignatureIfKnown } from './verifier.js';
import type { V3HeadersLike, V3SignatureInfo, Verifier } from './verifier.js';
import { parseV3PartnerTransaction, parseV3Refund, parseV3Transaction } from './wire.js';
import type { V3PartnerTransaction, V3Refund, V3Transaction } from './wire.js';

/** A payment notification always carries the amount: `amount.total` (order total, integer fen) is what to compare. */
export type V3NotifiedTransaction = V3Transaction & { amount: NonNullable<V3Transaction['amount']> };

/** A partner-mode payment notification's transaction (sp_/sub_ fields), with its amount. */
export type V3PartnerNotifiedTransaction = V3PartnerTransaction & { amount: NonNullable<V3PartnerTransaction['amount']> };

/** A partner-mode refund notification's resource: always names the provider and the sub-merchant. */
export type V3PartnerRefund = V3Refund & { sp_mchid: string; sub_mchid: string };

export type V3RefundEventType = 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED';

type EventBase = {
  /** WeChat's notification id: the idempotency key for storing notifications. */
  id: string;
  createTime: string;
  summary: string | undefined;
  signature: V3SignatureInfo;
};

export type V3NotificationEvent =
  | (EventBase & { kind: 'transaction'; eventType: 'TRANSACTION.SUCCESS'; transaction: V3NotifiedTransaction })
  | (EventBase & { kind: 'refund'; eventType: V3RefundEventType; refund: V3Refund })
  /** Partner (服务商) mode: the resource carries sp_mchid and sub_mchid instead of mchid. */
  | (EventBase & { kind: 'partner_transaction'; eventType: 'TRANSACTION.SUCCESS'; transaction: V3PartnerNotifiedTransaction })
  | (EventBase & { kind: 'partner_refund'; eventType: V3RefundEventType; refund: V3PartnerRefund })
  /** An authentic event of a type this SDK does not model (e.g. PAYSCORE.*): the decrypted JSON object. */
  | (EventBase & { kind: 'other'; eventType: string; resource: Record<string, unknown> });

export type V3NotificationOptions = {
  verifier: Verifier;
  /** The 32-character APIv3 key. */
  apiV3Key: string;
  clock?: V3Clock | undefined;
  /** Bodies above this are refused before anything else. Default 64 KiB (real notifications are ~1 KiB). */
  maxBodyBytes?: number | undefined;
};

const REFUND_EVENTS = new Set<string>(['REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED']);

function str(obj: Record<string, unknown>, key: string, required: true): string;
function str(obj: Record<string, unknown>, key: string, required: false): string | undefined;
function str(obj: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = obj[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || (required && value.length === 0)) {
    throw new WxPayProtocolError(`notification field ${key} is missing or not a string`);
  }
  return value;
}

/**
 * Reads a v3 notification, each step failing closed: size limit; headers, timestamp (5 minutes either way), serial
 * and RSA signature on the raw bytes; strict envelope; algorithm pinned to AEAD_AES_256_GCM; GCM tag checked;
 * strict resource. Throws WxPaySignatureError, WxPayDecryptError or WxPayProtocolError; returns nothing usable
 * otherwise. Business checks (our appid/mchid, known out_trade_no, amount) are the caller's.
 */
export async function parseV3Notification(
  headers: V3HeadersLike,
  rawBody: string | Uint8Array,
  options: V3NotificationOptions,
): Promise<V3NotificationEvent> {
  return parseWithKey(headers, rawBody, options, assertApiV3Key(options.apiV3Key));
}

function parseWithKey(
  headers: V3HeadersLike,
  rawBody: string | Uint8Array,
  options: V3NotificationOptions,
  key: Buffer,
): Promise<V3NotificationEvent> {
  try {
    // A string is checked and parsed as it is (its UTF-8 bytes are what was signed); bytes are copied once so a
    // caller cannot change them between the signature check and the parse.
    const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody);
    const maxBytes = options.maxBodyBytes ?? 64 * 1024;
    const size = typeof body === 'string' ? (body.length * 3 <= maxBytes ? body.length : Buffer.byteLength(body, 'utf8')) : body.length;
    if (size > maxBytes) throw new WxPayProtocolError(`notification body exceeds ${maxBytes} bytes`, { code: 'BODY_TOO_LARGE' });
    const verifyOptions = { verifier: options.verifier, clock: options.clock };
    // The common case (a serial we hold) is checked synchronously; an unknown serial may need a certificate refresh.
    const signature = verifyV3SignatureIfKnown(headers, body, verifyOptions);
    if (signature !== undefined) return Promise.resolve(readVerified(body, signature, key));
    return verifyV3Signature(headers, body, verifyOptions).then((checked) => readVerified(body, checked, key));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Everything after the signature: strict envelope, pinned algorithm, GCM tag, strict resource. */
function readVerified(body: string | Buffer, signature: V3SignatureInfo, key: Buffer): V3NotificationEvent {
  const envelope = parseJsonObject(body, 'notification');
  const id = str(envelope, 'id', true);
  const createTime = str(envelope, 'create_time', true);
  const eventType = str(envelope, 'event_type', true);
  const summary = str(envelope, 'summary', false);
  if (envelope.resource_type !== 'encrypt-resource') throw new WxPayProtocolError('notification resource_type is not encrypt-resource');
  const resource = envelope.resource;
  if (!isJsonObject(resource)) throw new WxPayProtocolError('notification resource is missing');
  const algorithm = str(resource, 'algorithm', true);
  const ciphertext = str(resource, 'ciphertext', true);
  const nonce = str(resource, 'nonce', true);
  const associatedData = str(resource, 'associated_data', false);
  const originalType = str(resource, 'original_type', false);

  const plaintext = decryptV3Resource({ algorithm, ciphertext, nonce, associated_data: associatedData }, key);
  const decrypted = parseJsonObject(plaintext, 'notification resource');

  // Partner resources name sp_mchid (and no mchid); each kind is parsed strictly by its own shape.
  const partner = decrypted.sp_mchid !== undefined;
  if (eventType === 'TRANSACTION.SUCCESS') {
    if (originalType !== undefined && originalType !== 'transaction') throw new WxPayProtocolError('TRANSACTION event without a transaction resource');
    if (partner) {
      const transaction = parseV3PartnerTransaction(decrypted);
      if (transaction.amount === undefined) throw new WxPayProtocolError('transaction.amount is missing or malformed');
      return { id, createTime, summary, signature, kind: 'partner_transaction', eventType, transaction: transaction as V3PartnerNotifiedTransaction };
    }
    const transaction = parseV3Transaction(decrypted);
    if (transaction.amount === undefined) throw new WxPayProtocolError('transaction.amount is missing or malformed');
    return { id, createTime, summary, signature, kind: 'transaction', eventType, transaction: transaction as V3NotifiedTransaction };
  }
  if (REFUND_EVENTS.has(eventType)) {
    if (originalType !== undefined && originalType !== 'refund') throw new WxPayProtocolError('REFUND event without a refund resource');
    if (partner) {
      const refund = parseV3Refund(decrypted, 'refund_status');
      if (refund.sp_mchid === undefined || refund.sub_mchid === undefined) throw new WxPayProtocolError('partner refund.sub_mchid is missing or malformed');
      return { id, createTime, summary, signature, kind: 'partner_refund', eventType: eventType as V3RefundEventType, refund: refund as V3PartnerRefund };
    }
    return { id, createTime, summary, signature, kind: 'refund', eventType: eventType as V3RefundEventType, refund: parseV3Refund(decrypted, 'refund_status') };
  }
  return { id, createTime, summary, signature, kind: 'other', eventType, resource: decrypted };
}

export type V3NotificationHandler = {
  parse(headers: V3HeadersLike, rawBody: string | Uint8Array): Promise<V3NotificationEvent>;
};

/** Validates the options once (the APIv3 key must be 32 bytes) and returns a reusable parser. */
export function createV3NotificationHandler(options: V3NotificationOptions): V3NotificationHandler {
  const apiV3KeyBytes = assertApiV3Key(options.apiV3Key);
  return { parse: (headers, rawBody) => parseWithKey(headers, rawBody, options, apiV3KeyBytes) };
}

/** What to send back to WeChat. The HTTP status decides: 2xx = received, anything else = retry later. */
export type V3NotifyReply = { status: number; headers: Record<string, string>; body: string };

/** Authentic and durably recorded: 204, no body. */
export function v3NotifySuccess(): V3NotifyReply {
  return { status: 204, headers: {}, body: '' };
}

/** Failure reply WeChat documents: 4xx/5xx with `{"code":"FAIL","message":"…"}`. It will resend the notification. */
export function v3NotifyFailure(status: number, message: string): V3NotifyReply {
  if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError('failure status must be 4xx or 5xx');
  return {
    status,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: 'FAIL', message: message.slice(0, 128) }),
  };
}

/**
 * The failure reply for an error from parseV3Notification: not authentic → 401; authentic but our APIv3 key cannot
 * decrypt it → 500 (WeChat's retries become the recovery window once the key is fixed); malformed → 400;
 * anything else (our database, a bug) → 500.
 */
export function v3NotifyReplyForError(error: unknown): V3NotifyReply {
  if (error instanceof WxPaySignatureError) return v3NotifyFailure(401, 'signature verification failed');
  if (error instanceof WxPayDecryptError) return v3NotifyFailure(500, 'resource could not be decrypted');
  if (error instanceof WxPayProtocolError) {
    return error.code === 'BODY_TOO_LARGE' ? v3NotifyFailure(413, 'body too large') : v3NotifyFailure(400, 'malformed notification');
  }
  return v3NotifyFailure(500, 'internal error');
}
