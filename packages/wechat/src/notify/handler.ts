/**
 * One framework-free notification handler: every rule about WeChat's payment and refund notifications lives here.
 * Framework adapters (./node, ./express, ./koa, ./egg, ./fastify, ./nestjs) only capture the raw bytes and map
 * request and reply; they call `handle` (or `refuse` when they could not get the bytes) and send what it returns.
 *
 * Order, each step failing closed with nothing reaching the application: size limit; verification through the SDK's
 * own parsers (v2: sign by MD5/HMAC-SHA256 or refund req_info decryption; v3: headers, ±5 minutes, the key of the
 * named serial, algorithm pinned, GCM tag); appid and mch_id are ours; then the application's callback, and only
 * after it resolves the success answer.
 */
import { WxPayConfigError, WxPayDecryptError, WxPayError, WxPayProtocolError, WxPaySignatureError } from '../errors.js';
import { parseXml } from '../v2/xml.js';
import { parseV2PaymentNotification, v2NotificationReply, type V2PaymentNotification } from '../v2/notify.js';
import { createV2NotificationVerifier, type V2RefundNotification } from '../v2/refund-notify.js';
import { isV2SignType, type V2SignType } from '../v2/sign.js';
import type { V3Clock } from '../v3/auth.js';
import {
  createV3NotificationHandler,
  v3NotifyFailure,
  v3NotifyReplyForError,
  type V3NotificationEvent,
  type V3NotifiedTransaction,
  type V3PartnerNotifiedTransaction,
  type V3PartnerRefund,
  type V3RefundEventType,
} from '../v3/notify.js';
import type { V3HeadersLike, Verifier } from '../v3/verifier.js';
import type { V3Refund } from '../v3/wire.js';

/** Notifications are ~1 KiB; anything near this is not WeChat. */
export const DEFAULT_NOTIFY_MAX_BYTES = 64 * 1024;

export type V2Notice =
  | { version: 'v2'; kind: 'payment'; payment: V2PaymentNotification }
  | { version: 'v2'; kind: 'refund'; refund: V2RefundNotification };

type V3NoticeBase = { version: 'v3'; id: string; event: V3NotificationEvent };
export type V3Notice =
  | (V3NoticeBase & { kind: 'payment'; eventType: 'TRANSACTION.SUCCESS'; payment: V3NotifiedTransaction })
  | (V3NoticeBase & { kind: 'refund'; eventType: V3RefundEventType; refund: V3Refund })
  /** Partner (服务商) mode, for the handler's subMchid only. */
  | (V3NoticeBase & { kind: 'partner_payment'; eventType: 'TRANSACTION.SUCCESS'; payment: V3PartnerNotifiedTransaction })
  | (V3NoticeBase & { kind: 'partner_refund'; eventType: V3RefundEventType; refund: V3PartnerRefund })
  /** An authentic event of a type the SDK does not model (the decrypted resource is in `event.resource`). */
  | (V3NoticeBase & { kind: 'other'; eventType: string });

export type Notice = V2Notice | V3Notice;

/** Why a notification was not handed to the application. Safe to log: never a key, a secret or a body. */
export type NotifyRefusal =
  | 'too_large'
  | 'body_consumed'
  | 'unreadable'
  | 'not_authentic'
  | 'malformed'
  | 'not_decryptable'
  | 'wrong_merchant'
  | 'handler_failed';

export type NotifyProblem = {
  reason: NotifyRefusal;
  /** What happened and, where it is the developer's to fix, how. Never a key, a secret or a body. */
  message: string;
  /** The status sent to WeChat. */
  status: number;
  /** The application's own error, for `handler_failed`. */
  error?: unknown;
};

type CommonOptions = {
  /** Refuse bodies above this many bytes (default 64 KiB). */
  maxBodyBytes?: number | undefined;
  /**
   * Told about every refused notification and every failed callback (default: one line on console.error). The
   * problem carries a reason and a message, never a key, a secret or the body.
   */
  onProblem?: ((problem: NotifyProblem) => void) | undefined;
};

export type V2NotifyOptions = CommonOptions & {
  version: 'v2';
  /** The APIv2 key (32 characters). */
  apiKey: string;
  /** Your appid and mch_id: a notification for anyone else is refused. */
  appid: string;
  mchId: string;
  /**
   * Pin the signature algorithm of payment notifications to the one you place orders with (recommended). Without
   * it the algorithm is told from the signature's length (32 hex: MD5, 64: HMAC-SHA256).
   */
  signType?: V2SignType | undefined;
  /**
   * Partner (服务商) mode: appid, mchId and apiKey are the provider's, and only notifications for this sub-merchant
   * (`sub_mch_id`) are accepted. Without it, any notification naming a sub_mch_id is refused as not ours.
   */
  subMchId?: string | undefined;
  /** Partner mode: when given, a notification naming another sub_appid is refused. */
  subAppid?: string | undefined;
  /** Called once per verified notification; the success answer is sent only after it resolves. */
  onNotice: (notice: V2Notice) => unknown;
};

export type V3NotifyOptions = CommonOptions & {
  version: 'v3';
  /** The 32-byte APIv3 key (decrypts the resource). */
  apiV3Key: string;
  /** WeChat Pay's verification keys by serial (PublicKeyVerifier, PlatformCertificateVerifier, …). */
  verifier: Verifier;
  /** Your mchid: a notification for anyone else is refused. */
  mchid: string;
  /** Your appid, checked on payment notifications when given (partner mode: the provider's sp_appid). */
  appid?: string | undefined;
  /**
   * Partner (服务商) mode: mchid, apiV3Key and verifier are the provider's, and only partner notifications for this
   * sub-merchant are accepted (sp_mchid = mchid, sub_mchid = subMchid). Without it, partner notifications are refused.
   */
  subMchid?: string | undefined;
  /** Partner mode: when given, a payment naming another sub_appid is refused. */
  subAppid?: string | undefined;
  clock?: V3Clock | undefined;
  onNotice: (notice: V3Notice) => unknown;
};

export type NotifyOptions = V2NotifyOptions | V3NotifyOptions;

/** Headers as node:http, a fetch `Headers` or any plain record gives them. */
export type NotifyHeaders = V3HeadersLike;

/** What the adapter hands over: the headers and the exact bytes received. */
export type RawNotifyRequest = { headers: NotifyHeaders; body: Uint8Array | string };

/** What to send back to WeChat. */
export type NotifyReply = { status: number; headers: Record<string, string>; body: string };

export interface NotifyHandler {
  readonly version: 'v2' | 'v3';
  readonly maxBodyBytes: number;
  /** Verify, call the application, and answer in WeChat's format. Never throws. */
  handle(request: RawNotifyRequest): Promise<NotifyReply>;
  /**
   * The answer when the adapter could not get the raw bytes: too large, already consumed by a body parser (the
   * message says how to fix the mounting), or unreadable. All fail closed.
   */
  refuse(reason: 'too_large' | 'body_consumed' | 'unreadable', message?: string): NotifyReply;
}

const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

function defaultOnProblem(problem: NotifyProblem): void {
  // The application's own error is its business to print; ours carry only the reason.
  const detail = problem.reason === 'handler_failed' && problem.error instanceof Error ? `: ${problem.error.message}` : '';
  console.error(`wxpay notify: ${problem.reason} (${problem.status}): ${problem.message}${detail}`);
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new WxPayConfigError(`${field} is required`, { field });
  return value;
}

/** Create the handler for one merchant and one API version. Options are checked here, not at the first notification. */
export function createNotifyHandler(options: NotifyOptions): NotifyHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_NOTIFY_MAX_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new WxPayConfigError('maxBodyBytes must be a positive integer', { field: 'maxBodyBytes' });
  }
  if (typeof options.onNotice !== 'function') throw new WxPayConfigError('onNotice must be a function', { field: 'onNotice' });
  const onProblem = options.onProblem ?? defaultOnProblem;
  const report = (problem: NotifyProblem): void => {
    try {
      onProblem(problem);
    } catch {
      // A failing logger must not change the answer WeChat gets.
    }
  };
  return options.version === 'v2'
    ? v2Handler(options, maxBodyBytes, report)
    : options.version === 'v3'
      ? v3Handler(options, maxBodyBytes, report)
      : (() => {
          throw new WxPayConfigError("version must be 'v2' or 'v3'", { field: 'version' });
        })();
}

function byteLength(body: Uint8Array | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

const REFUSAL_MESSAGES: Record<'too_large' | 'body_consumed' | 'unreadable', string> = {
  too_large: 'notification body exceeds the size limit',
  body_consumed: 'the request body was consumed by a body parser before the notification handler and no raw copy was kept',
  unreadable: 'the request body could not be read',
};

function v2Handler(options: V2NotifyOptions, maxBodyBytes: number, report: (p: NotifyProblem) => void): NotifyHandler {
  const appid = requireText(options.appid, 'appid');
  const mchId = requireText(options.mchId, 'mchId');
  if (options.signType !== undefined && !isV2SignType(options.signType)) {
    throw new WxPayConfigError('signType must be MD5 or HMAC-SHA256', { field: 'signType' });
  }
  const signType = options.signType;
  const subMchId = options.subMchId === undefined ? undefined : requireText(options.subMchId, 'subMchId');
  const subAppid = options.subAppid === undefined ? undefined : requireText(options.subAppid, 'subAppid');
  // Key checked and the refund key derived once, here.
  const verifier = createV2NotificationVerifier({ apiKey: options.apiKey, maxBytes: maxBodyBytes });
  const apiKey = options.apiKey;

  const fail = (reason: NotifyRefusal, status: number, message: string, error?: unknown): NotifyReply => {
    report({ reason, status, message, ...(error === undefined ? {} : { error }) });
    // WeChat reads the XML; a 200 FAIL for what it sent, a 5xx for what is ours to fix. Either way it retries.
    return { status, headers: { ...XML }, body: v2NotificationReply({ ok: false, message: 'FAIL' }) };
  };

  const verify = (body: Uint8Array | string): V2Notice => {
    // A refund notification carries req_info (encrypted, no sign); a payment notification a sign. Which parser runs
    // is chosen by that shape, and each authenticates on its own: a sign cannot pass as req_info or back.
    const doc = parseXml(body, { maxBytes: maxBodyBytes });
    if (doc.req_info !== undefined) return { version: 'v2', kind: 'refund', refund: verifier.refund(body) };
    const payment = signType === undefined
      ? verifier.payment(body)
      : parseV2PaymentNotification(body, { apiKey, signType, maxBytes: maxBodyBytes });
    return { version: 'v2', kind: 'payment', payment };
  };

  return {
    version: 'v2',
    maxBodyBytes,
    refuse(reason, message) {
      return reason === 'too_large'
        ? fail(reason, 413, message ?? REFUSAL_MESSAGES[reason])
        : fail(reason, 500, message ?? REFUSAL_MESSAGES[reason]);
    },
    async handle(request) {
      if (byteLength(request.body) > maxBodyBytes) return fail('too_large', 413, REFUSAL_MESSAGES.too_large);
      let notice: V2Notice;
      try {
        notice = verify(request.body);
      } catch (error) {
        if (error instanceof WxPaySignatureError) return fail('not_authentic', 200, `signature: ${error.reason}`);
        if (error instanceof WxPayDecryptError) return fail('not_authentic', 200, 'refund req_info does not decrypt with our key');
        if (error instanceof WxPayProtocolError) return fail('malformed', 200, error.message);
        return fail('unreadable', 500, error instanceof WxPayError ? error.message : 'verification failed');
      }
      const doc = notice.kind === 'payment' ? notice.payment : notice.refund;
      if (doc.appid !== appid || doc.mch_id !== mchId) return fail('wrong_merchant', 200, 'appid or mch_id is not ours');
      // Sub-merchants of one provider share its key: only sub_mch_id tells them apart, so it must be exactly ours
      // (absent for a direct merchant).
      if (doc.sub_mch_id !== subMchId) return fail('wrong_merchant', 200, 'sub_mch_id is not ours');
      if (subAppid !== undefined && doc.sub_appid !== undefined && doc.sub_appid !== subAppid) {
        return fail('wrong_merchant', 200, 'sub_appid is not ours');
      }
      try {
        await options.onNotice(notice);
      } catch (error) {
        return fail('handler_failed', 500, 'the onNotice callback threw; WeChat will retry', error);
      }
      return { status: 200, headers: { ...XML }, body: v2NotificationReply({ ok: true }) };
    },
  };
}

function v3Handler(options: V3NotifyOptions, maxBodyBytes: number, report: (p: NotifyProblem) => void): NotifyHandler {
  const mchid = requireText(options.mchid, 'mchid');
  const appid = options.appid === undefined ? undefined : requireText(options.appid, 'appid');
  const subMchid = options.subMchid === undefined ? undefined : requireText(options.subMchid, 'subMchid');
  const subAppid = options.subAppid === undefined ? undefined : requireText(options.subAppid, 'subAppid');
  if (options.verifier === undefined || typeof options.verifier.verify !== 'function') {
    throw new WxPayConfigError('verifier is required (PublicKeyVerifier, PlatformCertificateVerifier, …)', { field: 'verifier' });
  }
  const parser = createV3NotificationHandler({
    verifier: options.verifier,
    apiV3Key: options.apiV3Key,
    clock: options.clock,
    maxBodyBytes,
  });

  const fail = (reason: NotifyRefusal, status: number, message: string, error?: unknown): NotifyReply => {
    report({ reason, status, message, ...(error === undefined ? {} : { error }) });
    return v3NotifyFailure(status, reason === 'not_authentic' ? 'signature verification failed' : reason);
  };

  const toNotice = (event: V3NotificationEvent): V3Notice => {
    const base = { version: 'v3' as const, id: event.id, event };
    if (event.kind === 'transaction') return { ...base, kind: 'payment', eventType: event.eventType, payment: event.transaction };
    if (event.kind === 'refund') return { ...base, kind: 'refund', eventType: event.eventType, refund: event.refund };
    if (event.kind === 'partner_transaction') return { ...base, kind: 'partner_payment', eventType: event.eventType, payment: event.transaction };
    if (event.kind === 'partner_refund') return { ...base, kind: 'partner_refund', eventType: event.eventType, refund: event.refund };
    return { ...base, kind: 'other', eventType: event.eventType };
  };

  // A direct handler takes only direct notifications and a partner handler only its own sub-merchant's: the
  // provider's keys authenticate every sub-merchant's notifications alike, so sub_mchid is what separates them.
  const isOurs = (notice: V3Notice): boolean => {
    if (notice.kind === 'payment') {
      return subMchid === undefined && notice.payment.mchid === mchid && (appid === undefined || notice.payment.appid === appid);
    }
    if (notice.kind === 'refund') return subMchid === undefined && (notice.refund.mchid === undefined || notice.refund.mchid === mchid);
    if (notice.kind === 'partner_payment') {
      const p = notice.payment;
      return subMchid !== undefined && p.sp_mchid === mchid && p.sub_mchid === subMchid &&
        (appid === undefined || p.sp_appid === appid) && (subAppid === undefined || p.sub_appid === undefined || p.sub_appid === subAppid);
    }
    if (notice.kind === 'partner_refund') return subMchid !== undefined && notice.refund.sp_mchid === mchid && notice.refund.sub_mchid === subMchid;
    const resource = notice.event.kind === 'other' ? notice.event.resource : {};
    const owner = resource.sp_mchid ?? resource.mchid;
    return (owner === undefined || owner === mchid) && (resource.sub_mchid === undefined ? true : resource.sub_mchid === subMchid);
  };

  return {
    version: 'v3',
    maxBodyBytes,
    refuse(reason, message) {
      return fail(reason, reason === 'too_large' ? 413 : 500, message ?? REFUSAL_MESSAGES[reason]);
    },
    async handle(request) {
      if (byteLength(request.body) > maxBodyBytes) return fail('too_large', 413, REFUSAL_MESSAGES.too_large);
      let notice: V3Notice;
      try {
        notice = toNotice(await parser.parse(request.headers, request.body));
      } catch (error) {
        const reply = v3NotifyReplyForError(error);
        const reason: NotifyRefusal = error instanceof WxPaySignatureError
          ? 'not_authentic'
          : error instanceof WxPayDecryptError
            ? 'not_decryptable'
            : reply.status === 413
              ? 'too_large'
              : error instanceof WxPayProtocolError
                ? 'malformed'
                : 'unreadable';
        const message = error instanceof WxPaySignatureError
          ? `signature: ${error.reason}`
          : error instanceof WxPayError
            ? error.message
            : 'verification failed';
        report({ reason, status: reply.status, message });
        return reply;
      }
      if (!isOurs(notice)) return fail('wrong_merchant', 400, 'mchid or appid is not ours');
      try {
        await options.onNotice(notice);
      } catch (error) {
        return fail('handler_failed', 500, 'the onNotice callback threw; WeChat will retry', error);
      }
      return { status: 204, headers: {}, body: '' };
    },
  };
}
