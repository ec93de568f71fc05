import { randomInt } from 'node:crypto';
import { WxPayConfigError, WxPayDecryptError, WxPayError, WxPayProtocolError, WxPaySignatureError } from '../errors.js';
import { buildXml, parseXml } from '../v2/xml.js';
import { parseWireInt } from '../wire-int.js';
import { decodeEncodingAesKey, decryptPushMessage, encryptPushMessage, pushSignature, signatureMatches, type PushAesKey } from './push-crypto.js';
import { toPushMessage, type PushMessage } from './push-events.js';

/**
 * The mini program's message-push receiver (消息推送), framework-free: `handle({ method, query, headers, body })`
 * answers `{ status, headers, body }`, so node:http, Fastify, Express … only pass the raw request through.
 *
 * GET is the console's URL check (`signature` over token/timestamp/nonce; the answer is `echostr`). POST is a push:
 * in plain mode `signature` is checked; in safe mode (`encrypt_type=aes`) `msg_signature` over token, timestamp,
 * nonce and Encrypt is checked (as the documentation asks: not `signature`), then the envelope is decrypted and the
 * appid inside must be ours. Each step fails closed and nothing of an unverified body reaches `onMessage`.
 */

/** 明文 (plain), 兼容 (compatible: plain or encrypted pushes), 安全 (safe: encrypted only), as set in the console. */
export type PushMode = 'plain' | 'compatible' | 'safe';
export type PushFormat = 'json' | 'xml';

/** A reply with content: encoded in the configured format, and encrypted when the push was. */
export type PushReply = Readonly<Record<string, string | number>>;

export type PushQuery = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

export type PushRequest = {
  method: string;
  query: PushQuery;
  headers?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  /** The raw body, exactly as received. */
  body?: string | Uint8Array | undefined;
};

export type PushResponse = { status: number; headers: Record<string, string>; body: string };

export type MessagePushReceiverOptions = {
  /** The Token from the console's 消息推送配置. */
  token: string;
  /** Our mini program's appid: the ciphertext must name it. */
  appid: string;
  /** Required for the compatible and safe modes. */
  encodingAesKey?: string | undefined;
  /** Default: `safe` when an encodingAesKey is given, else `plain`. */
  mode?: PushMode | undefined;
  /** The console's 数据格式; default `json`. */
  format?: PushFormat | undefined;
  /**
   * Called once per verified push. Resolve to nothing (the answer is `success`) or to a reply with content. Throw
   * (or reject) to answer 500 so WeChat retries; deduplicate by FromUserName + CreateTime, as WeChat retries too.
   */
  onMessage: (message: PushMessage) => PushReply | void | Promise<PushReply | void>;
  /** Epoch ms; default Date.now. */
  clock?: (() => number) | undefined;
  /**
   * Refuse a push whose `timestamp` is further than this from our clock (default 300 s; WeChat retries within about
   * 15 s). `timestamp` stays the exact string received for the signature; only this check reads it as a number.
   */
  timestampToleranceSeconds?: number | undefined;
  /** Largest accepted body (default 64 KiB). */
  maxBodyBytes?: number | undefined;
};

export type MessagePushReceiver = {
  handle(request: PushRequest): Promise<PushResponse>;
  /** The verification steps of `handle` for a POST, without calling onMessage: the typed message, or a thrown WxPayError. */
  verify(request: PushRequest): PushVerified;
};

export type PushVerified = { message: PushMessage; encrypted: boolean };

const DEFAULT_MAX_BODY = 64 * 1024;

function text(status: number, body: string): PushResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

function queryValue(query: PushQuery, name: string): string | undefined {
  if (query instanceof URLSearchParams) {
    const all = query.getAll(name);
    if (all.length > 1) throw new WxPayProtocolError(`query parameter ${name} is repeated`);
    return all[0];
  }
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  if (value.length > 1) throw new WxPayProtocolError(`query parameter ${name} is repeated`);
  return value[0];
}

function requiredQuery(query: PushQuery, name: string): string {
  const value = queryValue(query, name);
  if (value === undefined || value === '') throw new WxPaySignatureError('missing_signature', `query parameter ${name} is missing`);
  return value;
}

export function createMessagePushReceiver(options: MessagePushReceiverOptions): MessagePushReceiver {
  const { token, appid } = options;
  if (typeof token !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(token)) {
    throw new WxPayConfigError('token must be the 3-32 letters and digits set in the console', { field: 'token' });
  }
  if (typeof appid !== 'string' || appid === '') throw new WxPayConfigError('appid is required', { field: 'appid' });
  if (typeof options.onMessage !== 'function') throw new WxPayConfigError('onMessage is required', { field: 'onMessage' });
  const aes: PushAesKey | undefined = options.encodingAesKey === undefined ? undefined : decodeEncodingAesKey(options.encodingAesKey);
  const mode: PushMode = options.mode ?? (aes === undefined ? 'plain' : 'safe');
  if (!['plain', 'compatible', 'safe'].includes(mode)) throw new WxPayConfigError('mode must be plain, compatible or safe', { field: 'mode' });
  if (mode !== 'plain' && aes === undefined) throw new WxPayConfigError(`${mode} mode needs the encodingAesKey`, { field: 'encodingAesKey' });
  const format: PushFormat = options.format ?? 'json';
  if (format !== 'json' && format !== 'xml') throw new WxPayConfigError('format must be json or xml', { field: 'format' });
  const clock = options.clock ?? Date.now;
  const toleranceSeconds = options.timestampToleranceSeconds ?? 300;
  if (!Number.isSafeInteger(toleranceSeconds) || toleranceSeconds <= 0) {
    throw new WxPayConfigError('timestampToleranceSeconds must be a positive integer', { field: 'timestampToleranceSeconds' });
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  function checkFresh(timestamp: string): void {
    const seconds = parseWireInt(timestamp, 12);
    if (seconds === undefined) throw new WxPaySignatureError('stale_timestamp', 'timestamp is not Unix seconds');
    if (Math.abs(clock() / 1000 - seconds) > toleranceSeconds) {
      throw new WxPaySignatureError('stale_timestamp', `timestamp is more than ${toleranceSeconds} s away from our clock`);
    }
  }

  function decode(body: string): Record<string, unknown> {
    if (format === 'xml') return parseXml(body, { maxBytes: maxBodyBytes });
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new WxPayProtocolError('push body is not JSON');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new WxPayProtocolError('push body is not a JSON object');
    return json as Record<string, unknown>;
  }

  function bodyText(body: string | Uint8Array | undefined): string {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body ?? new Uint8Array());
    if (bytes.length > maxBodyBytes) throw new WxPayProtocolError(`push body larger than ${maxBodyBytes} bytes`, { code: 'BODY_TOO_LARGE' });
    const decoded = bytes.toString('utf8');
    if (!Buffer.from(decoded, 'utf8').equals(bytes)) throw new WxPayProtocolError('push body is not UTF-8');
    return decoded;
  }

  function verify(request: PushRequest): PushVerified {
    const { query } = request;
    const timestamp = requiredQuery(query, 'timestamp');
    const nonce = requiredQuery(query, 'nonce');
    const encryptType = queryValue(query, 'encrypt_type');
    const body = bodyText(request.body);
    if (encryptType !== undefined && encryptType !== 'aes') throw new WxPayProtocolError('encrypt_type is not aes');
    if (encryptType === 'aes') {
      if (aes === undefined || mode === 'plain') throw new WxPaySignatureError('unsupported_sign_type', 'an encrypted push arrived, but the receiver is in plain mode');
      const msgSignature = requiredQuery(query, 'msg_signature');
      const envelope = decode(body);
      const encrypt = envelope.Encrypt;
      if (typeof encrypt !== 'string' || encrypt === '') throw new WxPayProtocolError('encrypted push has no Encrypt');
      if (!signatureMatches(pushSignature([token, timestamp, nonce, encrypt]), msgSignature)) {
        throw new WxPaySignatureError('bad_signature', 'msg_signature does not match (wrong Token, or the body was changed)');
      }
      checkFresh(timestamp);
      const inner = decryptPushMessage(aes, appid, encrypt);
      return { message: toPushMessage(decode(inner)), encrypted: true };
    }
    if (mode === 'safe') throw new WxPaySignatureError('missing_signature', 'safe mode accepts encrypted pushes only (encrypt_type=aes)');
    const signature = requiredQuery(query, 'signature');
    if (!signatureMatches(pushSignature([token, timestamp, nonce]), signature)) {
      throw new WxPaySignatureError('bad_signature', 'signature does not match (wrong Token?)');
    }
    checkFresh(timestamp);
    return { message: toPushMessage(decode(body)), encrypted: false };
  }

  function encodeReply(reply: PushReply, encrypted: boolean): PushResponse {
    const plain = format === 'xml' ? buildXml(reply) : JSON.stringify(reply);
    const contentType = format === 'xml' ? 'application/xml; charset=utf-8' : 'application/json; charset=utf-8';
    if (!encrypted || aes === undefined) return { status: 200, headers: { 'content-type': contentType }, body: plain };
    const encrypt = encryptPushMessage(aes, appid, plain);
    const timeStamp = String(Math.floor(clock() / 1000));
    const nonce = String(randomInt(1, 2 ** 31 - 1));
    const fields = { Encrypt: encrypt, MsgSignature: pushSignature([token, timeStamp, nonce, encrypt]), TimeStamp: timeStamp, Nonce: nonce };
    return { status: 200, headers: { 'content-type': contentType }, body: format === 'xml' ? buildXml(fields) : JSON.stringify(fields) };
  }

  return {
    verify,
    async handle(request) {
      const method = request.method.toUpperCase();
      if (method !== 'GET' && method !== 'POST') {
        return { status: 405, headers: { allow: 'GET, POST', 'content-type': 'text/plain; charset=utf-8' }, body: 'method not allowed' };
      }
      let verified: PushVerified;
      try {
        if (method === 'GET') {
          const timestamp = requiredQuery(request.query, 'timestamp');
          const nonce = requiredQuery(request.query, 'nonce');
          const signature = requiredQuery(request.query, 'signature');
          const echostr = requiredQuery(request.query, 'echostr');
          if (!signatureMatches(pushSignature([token, timestamp, nonce]), signature)) return text(401, 'invalid signature');
          return text(200, echostr);
        }
        verified = verify(request);
      } catch (error) {
        if (error instanceof WxPaySignatureError) return text(401, 'invalid signature');
        if (error instanceof WxPayDecryptError) return text(400, 'cannot decrypt');
        if (error instanceof WxPayError) return text(error.code === 'BODY_TOO_LARGE' ? 413 : 400, 'bad request');
        throw error;
      }
      let reply: PushReply | void;
      try {
        reply = await options.onMessage(verified.message);
      } catch {
        // The application could not take the push: 500 so that WeChat sends it again.
        return text(500, 'error');
      }
      return reply === undefined ? text(200, 'success') : encodeReply(reply, verified.encrypted);
    },
  };
}
