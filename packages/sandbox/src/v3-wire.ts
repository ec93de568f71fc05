import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { signV3Response, verifyV3Authorization } from '@wxpay-kit/wechat/testing';
import type { Answer } from './api-faults.js';
import type { SandboxContext } from './context.js';
import type { SandboxMerchant } from './state/types.js';
import { answerKeyFor, keysFor } from './v3-platform.js';

/**
 * WeChat Pay v3's wire rules in the sandbox: every request's Authorization is checked with the merchant's public key
 * before anything else is read (a bad, unknown or >5-minute-old one is 401 SIGN_ERROR), every answer carries a
 * Request-ID and the `Wechatpay-*` signature headers of the platform key the merchant's mode (or the request's
 * `Wechatpay-Serial`) selects, and errors are `{code, message, detail?}` with WeChat's status.
 */

const JSON_TYPE = 'application/json; charset=utf-8';
/** WeChat rejects Authorization timestamps more than 5 minutes from its clock. */
const MAX_SKEW_SECONDS = 300;

export class V3BusinessError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export type V3Request = {
  merchant: SandboxMerchant;
  /** The exact body bytes (empty for GET). */
  raw: Buffer;
  /** Wechatpay-Serial of the request: which key the merchant will verify our answer with. */
  requestSerial: string | undefined;
  /** Canonical URL as signed (path + query). */
  url: string;
};

function requestId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

/** A signed answer (JSON value, or an empty body for 204). */
export function v3Answer(ctx: SandboxContext, merchant: SandboxMerchant | undefined, requestSerial: string | undefined, status: number, value?: unknown): Answer {
  const body = value === undefined ? '' : JSON.stringify(value);
  const headers: Record<string, string> = { 'Request-ID': requestId() };
  if (merchant !== undefined) {
    const key = answerKeyFor(merchant, requestSerial);
    Object.assign(headers, signV3Response({ body, platformKey: key.privateKey, serial: key.serial, clock: ctx.wallClock }));
  }
  return { status, contentType: JSON_TYPE, body, headers };
}

export function v3Failure(ctx: SandboxContext, merchant: SandboxMerchant | undefined, error: V3BusinessError, requestSerial?: string): Answer {
  return v3Answer(ctx, merchant, requestSerial, error.status, {
    code: error.code,
    message: error.message,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
  });
}

export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Which merchant signed, and whether its signature holds. Nothing else of the request is trusted before this. */
export function authenticateV3(ctx: SandboxContext, request: FastifyRequest): { ok: true; request: V3Request } | { ok: false; answer: Answer } {
  const raw = rawBody(request);
  const url = request.url;
  const check = verifyV3Authorization(
    header(request, 'authorization'),
    request.method,
    url,
    raw,
    (mchid, serialNo) => {
      const m = ctx.store.merchantByMchid(mchid);
      // The serial names the merchant certificate the request was signed with; another serial is another key.
      return m !== undefined && m.merchantCertSerial === serialNo.toUpperCase() ? m.merchantPublicKey : undefined;
    },
    // Real time, not virtual: a merchant signs with its wall clock whatever the sandbox's clock says.
    ctx.wallClock,
    MAX_SKEW_SECONDS,
  );
  if (!check.ok) {
    const known = check.mchid === undefined ? undefined : ctx.store.merchantByMchid(check.mchid);
    const messages: Record<typeof check.reason, string> = {
      malformed: 'Authorization头缺失或格式错误',
      unknown_merchant: '商户号或商户证书序列号错误',
      stale_timestamp: '签名错误，请检查后再试: timestamp与发起请求的时间不得超过5分钟',
      bad_signature: '签名错误，请检查后再试',
    };
    return { ok: false, answer: v3Failure(ctx, known, new V3BusinessError(401, 'SIGN_ERROR', messages[check.reason])) };
  }
  const merchant = ctx.store.merchantByMchid(check.mchid);
  if (merchant === undefined) {
    return { ok: false, answer: v3Failure(ctx, undefined, new V3BusinessError(401, 'SIGN_ERROR', '商户号错误')) };
  }
  return { ok: true, request: { merchant, raw, requestSerial: header(request, 'wechatpay-serial'), url } };
}

/** The keys a merchant may verify with, for the inspection API. */
export function serialsFor(merchant: SandboxMerchant): string[] {
  return keysFor(merchant).map((k) => k.serial);
}

// ---- strict field readers: a bad field is 400 PARAM_ERROR with WeChat's detail shape ----

export type JsonObject = Record<string, unknown>;

function paramError(field: string, issue: string, value?: unknown): V3BusinessError {
  return new V3BusinessError(400, 'PARAM_ERROR', `输入源“/body/${field}”映射到字段“${field}”${issue}`, {
    field,
    ...(typeof value === 'string' || typeof value === 'number' ? { value } : {}),
    issue,
    location: 'body',
  });
}

export function parseJsonBody(raw: Buffer): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new V3BusinessError(400, 'PARAM_ERROR', '请求体不是合法的JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new V3BusinessError(400, 'PARAM_ERROR', '请求体必须是JSON对象');
  }
  return value as JsonObject;
}

export function objectField(obj: JsonObject, field: string, required: true): JsonObject;
export function objectField(obj: JsonObject, field: string, required: false): JsonObject | undefined;
export function objectField(obj: JsonObject, field: string, required: boolean): JsonObject | undefined {
  const value = obj[field];
  if (value === undefined && !required) return undefined;
  if (value === undefined) throw paramError(field, '必填性规则校验失败，此字段为必填项');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw paramError(field, '类型错误，应为object');
  return value as JsonObject;
}

export function stringField(obj: JsonObject, field: string, options: { required: true; max: number; pattern?: RegExp; path?: string }): string;
export function stringField(obj: JsonObject, field: string, options: { required: false; max: number; pattern?: RegExp; path?: string }): string | undefined;
export function stringField(obj: JsonObject, field: string, options: { required: boolean; max: number; pattern?: RegExp; path?: string }): string | undefined {
  const name = options.path ?? field;
  const value = obj[field];
  if (value === undefined && !options.required) return undefined;
  if (value === undefined) throw paramError(name, '必填性规则校验失败，此字段为必填项');
  if (typeof value !== 'string') throw paramError(name, '类型错误，应为string');
  if (value.length === 0 && options.required) throw paramError(name, '长度不能为0', value);
  if (Buffer.byteLength(value, 'utf8') > options.max) throw paramError(name, `长度超过${options.max}字节`, value.slice(0, 64));
  if (options.pattern !== undefined && !options.pattern.test(value)) throw paramError(name, '格式错误', value.slice(0, 64));
  return value;
}

export function fenField(obj: JsonObject, field: string, path: string): number {
  const value = obj[field];
  if (value === undefined) throw paramError(path, '必填性规则校验失败，此字段为必填项');
  // Integer fen only: a float or a string is refused, never rounded.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw paramError(path, '应为正整数（单位：分）', value as number);
  return value;
}

export function currencyField(obj: JsonObject, field: string, path: string, required: boolean): 'CNY' {
  const value = obj[field];
  if (value === undefined && !required) return 'CNY';
  if (value !== 'CNY') throw paramError(path, '仅支持CNY', typeof value === 'string' ? value : undefined);
  return 'CNY';
}

/** notify_url: absolute http(s) URL without a query string (WeChat requires https; the sandbox is on localhost). */
export function notifyUrlField(obj: JsonObject, field: string, required: boolean): string | undefined {
  const value = required ? stringField(obj, field, { required: true, max: 256 }) : stringField(obj, field, { required: false, max: 256 });
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw paramError(field, '应为绝对URL', value.slice(0, 64));
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw paramError(field, '应为不带参数的http(s)地址', value.slice(0, 64));
  }
  return value;
}

/** Formats of the merchant's numbers (unknown body fields are ignored, as WeChat ignores them). */
export const OUT_TRADE_NO_V3 = /^[0-9A-Za-z_\-|*]{6,32}$/;
export const OUT_REFUND_NO_V3 = /^[0-9A-Za-z_\-|*@]{1,64}$/;
