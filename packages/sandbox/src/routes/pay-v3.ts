import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseRfc3339 } from '@wxpay-kit/wechat';
import { buildV3CertificatesBody, v3BillHash } from '@wxpay-kit/wechat/testing';
import { answerWithFaults, type Answer } from '../api-faults.js';
import { buildBill, type BillType } from '../bill.js';
import type { SandboxContext } from '../context.js';
import type { SandboxMerchant, SandboxOrder } from '../state/types.js';
import { beijingDayRange } from '../time.js';
import { kindOf, supportsApi } from '../merchants.js';
import { belongsTo, PartnerRefusal, refuseNonDirect, resolvePartner, type PartnerCall } from '../partner.js';
import { buildFundFlowBill, FUND_ACCOUNT_TYPES, type FundAccountType } from '../v3-fundflow.js';
import { refundObject, transactionObject } from '../v3-objects.js';
import { keyModeOf, PLATFORM_CERTIFICATE_KEY, PLATFORM_PUBLIC_MATERIAL } from '../v3-platform.js';
import {
  authenticateV3,
  currencyField,
  fenField,
  notifyUrlField,
  objectField,
  OUT_REFUND_NO_V3,
  OUT_TRADE_NO_V3,
  parseJsonBody,
  stringField,
  v3Answer,
  V3BusinessError,
  v3Failure,
  type V3Request,
} from '../v3-wire.js';

/**
 * WeChat Pay API v3 on WeChat's own paths: JSAPI prepay, query (by out_trade_no and transaction_id), close, domestic
 * refunds and their query, trade and fund-flow bills (with the download URL), and /v3/certificates. Every request is
 * authenticated first (v3-wire.ts); business rules are OrderBook's, shared with v2, so an order is the same order
 * whichever API looks at it. Which protocol an order is notified with is decided by the API that created it.
 */

/** WeChat raises a time_expire earlier than order time + 1 minute to + 1 minute. */
const MIN_PAY_WINDOW_MS = 60_000;
/** Without time_expire an unpaid v3 order is payable for 7 days. */
const DEFAULT_PAY_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** Bill download URLs are valid this long (WeChat: 30 seconds after the answer, in practice a few minutes). */
const BILL_URL_TTL_MS = 5 * 60 * 1000;

type Params = Record<string, string | undefined>;
type Query = Record<string, string | undefined>;
type Handler = (ctx: SandboxContext, request: V3Request, params: Params, query: Query, httpRequest: FastifyRequest) => Answer;

type StoredBill = { mchid: string; bytes: Buffer; expiresAt: number; gzip: boolean };

function err(status: number, code: string, message: string): V3BusinessError {
  return new V3BusinessError(status, code, message);
}

export function registerPayV3Routes(app: FastifyInstance, ctx: SandboxContext): void {
  const bills = new Map<string, StoredBill>();

  // Its own scope: v3 signatures are over the exact body bytes, so JSON reaches the handlers unparsed.
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    const route = (method: 'GET' | 'POST', url: string, handler: Handler): void => {
      scope.route({
        method,
        url,
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const params = request.params as Params;
          const query = request.query as Query;
          const auth = authenticateV3(ctx, request);
          const merchant = auth.ok ? auth.request.merchant : undefined;
          const scopeOf = { mchid: merchant?.mchid, outTradeNo: params.out_trade_no ?? peekOutTradeNo(auth.ok ? auth.request.raw : undefined) };
          const systemError = (): Answer => v3Failure(ctx, merchant, err(500, 'SYSTEM_ERROR', '系统错误'));
          return answerWithFaults(ctx, request, reply, scopeOf, systemError, () => {
            if (!auth.ok) return auth.answer;
            try {
              // UNCONFIRMED wording: a merchant without APIv3 enabled.
              if (!supportsApi(auth.request.merchant, 'v3')) throw err(403, 'NO_AUTH', '商户未开通APIv3权限');
              return handler(ctx, auth.request, params, query, request);
            } catch (error) {
              const refusal = error instanceof PartnerRefusal ? err(error.v3Status, error.v3Code, error.message) : error;
              if (refusal instanceof V3BusinessError) return v3Failure(ctx, auth.request.merchant, refusal, auth.request.requestSerial);
              throw error;
            }
          });
        },
      });
    };

    route('POST', '/v3/pay/transactions/jsapi', jsapiPrepay);
    route('GET', '/v3/pay/transactions/out-trade-no/:out_trade_no', (c, r, p, q) => {
      refuseNonDirect(r.merchant);
      requireQueryMchid(r, q);
      return transactionAnswer(c, r, findOrder(c, r, p.out_trade_no ?? ''));
    });
    route('GET', '/v3/pay/transactions/id/:transaction_id', (c, r, p, q) => {
      refuseNonDirect(r.merchant);
      requireQueryMchid(r, q);
      const order = c.orders.findByTransactionId(r.merchant.mchid, p.transaction_id ?? '');
      if (order === undefined) throw err(404, 'ORDER_NOT_EXIST', '订单不存在');
      return transactionAnswer(c, r, order);
    });
    route('POST', '/v3/pay/transactions/out-trade-no/:out_trade_no/close', closeOrder);
    // Partner (服务商) mode: the provider signs; sp_mchid + sub_mchid name who the order is for.
    route('POST', '/v3/pay/partner/transactions/jsapi', partnerJsapiPrepay);
    route('GET', '/v3/pay/partner/transactions/out-trade-no/:out_trade_no', (c, r, p, q) => {
      const call = partnerFromQuery(c, r, q);
      const order = c.orders.find(call.sub.mchid, p.out_trade_no ?? '');
      if (order === undefined || !belongsTo(order, call)) throw err(404, 'ORDER_NOT_EXIST', '订单不存在');
      return transactionAnswer(c, r, order);
    });
    route('GET', '/v3/pay/partner/transactions/id/:transaction_id', (c, r, p, q) => {
      const call = partnerFromQuery(c, r, q);
      const order = c.orders.findByTransactionId(call.sub.mchid, p.transaction_id ?? '');
      if (order === undefined || !belongsTo(order, call)) throw err(404, 'ORDER_NOT_EXIST', '订单不存在');
      return transactionAnswer(c, r, order);
    });
    route('POST', '/v3/pay/partner/transactions/out-trade-no/:out_trade_no/close', partnerClose);
    route('POST', '/v3/refund/domestic/refunds', refund);
    route('GET', '/v3/refund/domestic/refunds/:out_refund_no', (c, r, p, q) => {
      // Partner mode: ?sub_mchid= names the sub-merchant (服务商模式下必填).
      const call = q.sub_mchid === undefined ? undefined : resolvePartner(c.store, r.merchant, q.sub_mchid, undefined);
      if (call === undefined) refuseNonDirect(r.merchant);
      const found = c.store.refund(call?.sub.mchid ?? r.merchant.mchid, p.out_refund_no ?? '');
      if (found === undefined || (call === undefined ? found.partner !== undefined : !belongsTo(found, call))) {
        throw err(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
      }
      return v3Answer(c, r.merchant, r.requestSerial, 200, refundObject(found));
    });
    route('GET', '/v3/certificates', certificates);
    route('GET', '/v3/bill/tradebill', (c, r, _p, q, http) => {
      const billType = (q.bill_type ?? 'ALL') as BillType;
      if (!['ALL', 'SUCCESS', 'REFUND'].includes(billType)) throw err(400, 'PARAM_ERROR', 'bill_type参数错误');
      const day = billDay(c, q);
      // A provider's bill: one sub-merchant's with ?sub_mchid=, else all of its sub-merchants'.
      const provider = r.merchant.mchid;
      const owner = q.sub_mchid !== undefined
        ? resolvePartner(c.store, r.merchant, q.sub_mchid, undefined).sub.mchid
        : kindOf(r.merchant) === 'provider'
          ? (rec: { partner?: { spMchid: string } }) => rec.partner?.spMchid === provider
          : provider;
      const csv = buildBill(owner, billType, day, c.store.orders(), c.store.refunds());
      return billAnswer(c, r, http, csv, q.tar_type);
    });
    route('GET', '/v3/bill/fundflowbill', (c, r, _p, q, http) => {
      const accountType = (q.account_type ?? 'BASIC') as FundAccountType;
      if (!FUND_ACCOUNT_TYPES.includes(accountType)) throw err(400, 'PARAM_ERROR', 'account_type参数错误');
      const day = billDay(c, q);
      const csv = buildFundFlowBill(r.merchant.mchid, accountType, day, c.store.orders(), c.store.refunds());
      return billAnswer(c, r, http, csv, q.tar_type);
    });
    // The download_url of a bill answer. Authenticated like every v3 call; the file itself is not signed (its SHA1
    // is in the signed bill answer).
    route('GET', '/v3/billdownload/file', (c, r, _p, q) => {
      const stored = q.token === undefined ? undefined : bills.get(q.token);
      if (stored === undefined || stored.mchid !== r.merchant.mchid || c.clock.now() > stored.expiresAt) {
        throw err(400, 'INVALID_REQUEST', '下载地址无效或已过期');
      }
      return {
        status: 200,
        contentType: stored.gzip ? 'application/x-gzip' : 'text/plain; charset=utf-8',
        body: stored.bytes,
        headers: { 'Request-ID': randomBytes(16).toString('hex').toUpperCase() },
      };
    });
  });

  function billAnswer(c: SandboxContext, r: V3Request, http: FastifyRequest, csv: string | undefined, tarType: string | undefined): Answer {
    if (tarType !== undefined && tarType !== 'GZIP') throw err(400, 'PARAM_ERROR', 'tar_type参数错误');
    if (csv === undefined) throw err(400, 'NO_STATEMENT_EXIST', '当前账单不存在');
    const text = Buffer.from(csv, 'utf8');
    const token = randomBytes(16).toString('hex');
    const now = c.clock.now();
    for (const [key, bill] of bills) if (bill.expiresAt < now) bills.delete(key);
    bills.set(token, { mchid: r.merchant.mchid, bytes: tarType === 'GZIP' ? gzipSync(text) : text, expiresAt: now + BILL_URL_TTL_MS, gzip: tarType === 'GZIP' });
    // The download URL is on the host the merchant called (the sandbox's base URL, whatever port it listens on).
    const host = http.headers.host ?? '127.0.0.1';
    return v3Answer(c, r.merchant, r.requestSerial, 200, {
      hash_type: 'SHA1',
      hash_value: v3BillHash(text),
      download_url: `http://${host}/v3/billdownload/file?token=${token}`,
    });
  }
}

function peekOutTradeNo(raw: Buffer | undefined): string | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  try {
    const value = JSON.parse(raw.toString('utf8')) as { out_trade_no?: unknown };
    return typeof value.out_trade_no === 'string' ? value.out_trade_no : undefined;
  } catch {
    return undefined;
  }
}

/** The mchid in the query (or body) must be the merchant that signed the request. */
function requireQueryMchid(r: V3Request, q: Query): void {
  if (q.mchid === undefined || q.mchid === '') throw err(400, 'PARAM_ERROR', '缺少参数mchid');
  if (q.mchid !== r.merchant.mchid) throw err(400, 'INVALID_REQUEST', 'mchid与请求签名的商户号不一致');
}

function findOrder(ctx: SandboxContext, r: V3Request, outTradeNo: string): SandboxOrder {
  const order = ctx.orders.find(r.merchant.mchid, outTradeNo);
  if (order === undefined) throw err(404, 'ORDER_NOT_EXIST', '订单不存在');
  return order;
}

function billDay(ctx: SandboxContext, q: Query): { start: number; end: number } {
  const date = q.bill_date;
  if (date === undefined || date === '') throw err(400, 'PARAM_ERROR', '缺少参数bill_date');
  const day = /^\d{4}-\d{2}-\d{2}$/.test(date) ? beijingDayRange(date.replace(/-/g, '')) : undefined;
  if (day === undefined) throw err(400, 'PARAM_ERROR', 'bill_date格式应为yyyy-MM-dd');
  // Bills are made on demand for any day up to today, never for days to come.
  if (day.start > ctx.clock.now()) throw err(400, 'NO_STATEMENT_EXIST', '当前账单不存在');
  return day;
}

function jsapiPrepay(ctx: SandboxContext, r: V3Request): Answer {
  refuseNonDirect(r.merchant);
  const body = parseJsonBody(r.raw);
  const appid = stringField(body, 'appid', { required: true, max: 32 });
  const mchid = stringField(body, 'mchid', { required: true, max: 32 });
  if (mchid !== r.merchant.mchid) throw err(400, 'INVALID_REQUEST', 'mchid与请求签名的商户号不一致');
  if (appid !== r.merchant.appid) throw err(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  const description = stringField(body, 'description', { required: true, max: 127 });
  const outTradeNo = stringField(body, 'out_trade_no', { required: true, max: 32, pattern: OUT_TRADE_NO_V3 });
  const attach = stringField(body, 'attach', { required: false, max: 128 });
  const notifyUrl = notifyUrlField(body, 'notify_url', true) ?? '';
  const goodsTag = stringField(body, 'goods_tag', { required: false, max: 32 });
  const timeExpireText = stringField(body, 'time_expire', { required: false, max: 64 });
  const amount = objectField(body, 'amount', true);
  const total = fenField(amount, 'total', 'amount.total');
  const currency = currencyField(amount, 'currency', 'amount.currency', false);
  const payer = objectField(body, 'payer', true);
  const openid = stringField(payer, 'openid', { required: true, max: 128, path: 'payer.openid' });
  if (!ctx.store.isKnownOpenid(r.merchant.appid, openid)) throw err(400, 'PARAM_ERROR', 'appid和openid不匹配');
  let timeExpire: number | undefined;
  if (timeExpireText !== undefined) {
    timeExpire = parseRfc3339(timeExpireText);
    if (timeExpire === undefined) throw err(400, 'PARAM_ERROR', 'time_expire格式应为RFC3339');
  }
  const existing = ctx.orders.find(r.merchant.mchid, outTradeNo);
  const now = ctx.clock.now();
  // time_expire counts at the first order only; earlier than + 1 minute is raised to + 1 minute.
  const expiresAt = existing?.expiresAt ?? Math.max(timeExpire ?? now + DEFAULT_PAY_WINDOW_MS, now + MIN_PAY_WINDOW_MS);
  const fingerprint = JSON.stringify(['v3', description, attach, total, currency, notifyUrl, openid, goodsTag, timeExpireText, body.detail ?? null]);
  const placed = ctx.orders.place({
    protocol: 'v3',
    appid: r.merchant.appid,
    mchid: r.merchant.mchid,
    outTradeNo,
    description,
    ...(attach === undefined ? {} : { attach }),
    totalFee: total,
    feeType: currency,
    tradeType: 'JSAPI',
    openid,
    notifyUrl,
    signType: 'RSA',
    fingerprint,
    expiresAt,
  });
  if (!placed.ok) {
    if (placed.code === 'ORDERPAID') throw err(400, 'ORDERPAID', '该订单已支付');
    if (placed.code === 'ORDERCLOSED') throw err(400, 'ORDER_CLOSED', '订单已关闭');
    throw err(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
  }
  return v3Answer(ctx, r.merchant, r.requestSerial, 200, { prepay_id: placed.order.prepayId });
}

function transactionAnswer(ctx: SandboxContext, r: V3Request, order: SandboxOrder): Answer {
  return v3Answer(ctx, r.merchant, r.requestSerial, 200, transactionObject(order));
}

function closeOrder(ctx: SandboxContext, r: V3Request, p: Params): Answer {
  refuseNonDirect(r.merchant);
  const body = parseJsonBody(r.raw);
  const mchid = stringField(body, 'mchid', { required: true, max: 32 });
  if (mchid !== r.merchant.mchid) throw err(400, 'INVALID_REQUEST', 'mchid与请求签名的商户号不一致');
  const outTradeNo = p.out_trade_no ?? '';
  if (!OUT_TRADE_NO_V3.test(outTradeNo)) throw err(400, 'PARAM_ERROR', 'out_trade_no格式错误');
  const closed = ctx.orders.close(r.merchant.mchid, outTradeNo);
  // Closing an unknown or already closed order is 204 at WeChat too; a paid order cannot be closed.
  if (!closed.ok && closed.code === 'ORDERPAID') throw err(400, 'ORDERPAID', '订单已支付，不能发起关单');
  return v3Answer(ctx, r.merchant, r.requestSerial, 204);
}

function refund(ctx: SandboxContext, r: V3Request): Answer {
  const body = parseJsonBody(r.raw);
  const transactionId = stringField(body, 'transaction_id', { required: false, max: 32 });
  const outTradeNo = stringField(body, 'out_trade_no', { required: false, max: 32 });
  if ((transactionId === undefined) === (outTradeNo === undefined)) {
    throw err(400, 'PARAM_ERROR', 'transaction_id和out_trade_no必须且只能填写一个');
  }
  const outRefundNo = stringField(body, 'out_refund_no', { required: true, max: 64, pattern: OUT_REFUND_NO_V3 });
  const reason = stringField(body, 'reason', { required: false, max: 80 });
  const notifyUrl = notifyUrlField(body, 'notify_url', false);
  const fundsAccount = stringField(body, 'funds_account', { required: false, max: 32 });
  if (fundsAccount !== undefined && fundsAccount !== 'AVAILABLE') throw err(400, 'PARAM_ERROR', 'funds_account参数错误');
  const amount = objectField(body, 'amount', true);
  const refundFee = fenField(amount, 'refund', 'amount.refund');
  const totalFee = fenField(amount, 'total', 'amount.total');
  currencyField(amount, 'currency', 'amount.currency', true);
  if (refundFee > totalFee) throw err(400, 'PARAM_ERROR', '退款金额不能大于订单金额');
  // Partner mode: sub_mchid in the body (服务商模式下必须传递此参数).
  const subMchid = stringField(body, 'sub_mchid', { required: false, max: 32 });
  const call = subMchid === undefined ? undefined : resolvePartner(ctx.store, r.merchant, subMchid, undefined);
  if (call === undefined) refuseNonDirect(r.merchant);
  const owner = call?.sub.mchid ?? r.merchant.mchid;
  const order = transactionId !== undefined
    ? ctx.orders.findByTransactionId(owner, transactionId)
    : ctx.orders.find(owner, outTradeNo ?? '');
  if (order === undefined || (call === undefined ? order.partner !== undefined : !belongsTo(order, call))) {
    throw err(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
  }
  const result = ctx.orders.refund({
    protocol: 'v3',
    order,
    outRefundNo,
    totalFee,
    refundFee,
    ...(reason === undefined ? {} : { refundDesc: reason }),
    ...(notifyUrl === undefined ? {} : { notifyUrl }),
    signType: 'RSA',
  });
  if (!result.ok) {
    if (result.code === 'ORDERNOTEXIST') throw err(400, 'INVALID_REQUEST', '订单未支付，不能退款');
    if (result.code === 'NOTENOUGH') throw err(403, 'NOT_ENOUGH', result.description);
    if (result.code === 'FREQUENCY_LIMITED') throw err(429, 'FREQUENCY_LIMITED', result.description);
    throw err(400, 'INVALID_REQUEST', result.description);
  }
  return v3Answer(ctx, r.merchant, r.requestSerial, 200, refundObject(result.refund));
}

/**
 * /v3/certificates: the platform certificate, encrypted with the merchant's APIv3 key, for merchants that have one.
 * Public-key-only merchants get WeChat's 404 (they verify with the WeChat Pay public key instead).
 */
function certificates(ctx: SandboxContext, r: V3Request): Answer {
  const merchant: SandboxMerchant = r.merchant;
  if (keyModeOf(merchant) === 'publicKey') {
    throw err(404, 'RESOURCE_NOT_EXISTS', '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥');
  }
  const body = buildV3CertificatesBody({
    certificates: [{
      pem: PLATFORM_PUBLIC_MATERIAL.platformCertificatePem,
      serial: PLATFORM_PUBLIC_MATERIAL.platformCertificateSerial,
      effectiveTime: PLATFORM_PUBLIC_MATERIAL.platformCertificateValidFrom,
      expireTime: PLATFORM_PUBLIC_MATERIAL.platformCertificateValidTo,
    }],
    apiV3Key: merchant.apiV3Key,
  });
  // Signed with the platform certificate's key whatever the request asks: the client checks it with what it downloads.
  const answer = v3Answer(ctx, { ...merchant, v3KeyMode: 'certificate' }, PLATFORM_CERTIFICATE_KEY.serial, 200, JSON.parse(body));
  return answer;
}

/** sp_mchid and sub_mchid of a partner query: sp_mchid must be the signer, the sub-merchant bound to it. */
function partnerFromQuery(ctx: SandboxContext, r: V3Request, q: Query): PartnerCall {
  if (q.sp_mchid === undefined || q.sp_mchid === '') throw err(400, 'PARAM_ERROR', '缺少参数sp_mchid');
  if (q.sp_mchid !== r.merchant.mchid) throw err(400, 'INVALID_REQUEST', 'sp_mchid与请求签名的商户号不一致');
  if (q.sub_mchid === undefined || q.sub_mchid === '') throw err(400, 'PARAM_ERROR', '缺少参数sub_mchid');
  return resolvePartner(ctx.store, r.merchant, q.sub_mchid, undefined);
}

function partnerJsapiPrepay(ctx: SandboxContext, r: V3Request): Answer {
  const body = parseJsonBody(r.raw);
  const spAppid = stringField(body, 'sp_appid', { required: true, max: 32 });
  const spMchid = stringField(body, 'sp_mchid', { required: true, max: 32 });
  if (spMchid !== r.merchant.mchid) throw err(400, 'INVALID_REQUEST', 'sp_mchid与请求签名的商户号不一致');
  if (spAppid !== r.merchant.appid) throw err(400, 'APPID_MCHID_NOT_MATCH', 'sp_appid和sp_mchid不匹配');
  const subMchid = stringField(body, 'sub_mchid', { required: true, max: 32 });
  const subAppid = stringField(body, 'sub_appid', { required: false, max: 32 });
  const call = resolvePartner(ctx.store, r.merchant, subMchid, subAppid);
  const description = stringField(body, 'description', { required: true, max: 127 });
  const outTradeNo = stringField(body, 'out_trade_no', { required: true, max: 32, pattern: OUT_TRADE_NO_V3 });
  const attach = stringField(body, 'attach', { required: false, max: 128 });
  const notifyUrl = notifyUrlField(body, 'notify_url', true) ?? '';
  const goodsTag = stringField(body, 'goods_tag', { required: false, max: 32 });
  const timeExpireText = stringField(body, 'time_expire', { required: false, max: 64 });
  const amount = objectField(body, 'amount', true);
  const total = fenField(amount, 'total', 'amount.total');
  const currency = currencyField(amount, 'currency', 'amount.currency', false);
  const payer = objectField(body, 'payer', true);
  const spOpenid = stringField(payer, 'sp_openid', { required: false, max: 128, path: 'payer.sp_openid' });
  const subOpenid = stringField(payer, 'sub_openid', { required: false, max: 128, path: 'payer.sub_openid' });
  if (spOpenid === undefined && subOpenid === undefined) throw err(400, 'PARAM_ERROR', 'payer.sp_openid和payer.sub_openid不能同时为空');
  if (subOpenid !== undefined) {
    // WeChat: sub_appid is required when payer.sub_openid is sent.
    if (subAppid === undefined) throw err(400, 'PARAM_ERROR', '传入sub_openid时sub_appid必填');
    if (!ctx.store.isKnownOpenid(subAppid, subOpenid)) throw err(400, 'PARAM_ERROR', 'sub_appid和sub_openid不匹配');
  }
  if (spOpenid !== undefined && !ctx.store.isKnownOpenid(spAppid, spOpenid)) throw err(400, 'PARAM_ERROR', 'appid和openid不匹配');
  let timeExpire: number | undefined;
  if (timeExpireText !== undefined) {
    timeExpire = parseRfc3339(timeExpireText);
    if (timeExpire === undefined) throw err(400, 'PARAM_ERROR', 'time_expire格式应为RFC3339');
  }
  const existing = ctx.orders.find(call.sub.mchid, outTradeNo);
  const now = ctx.clock.now();
  const expiresAt = existing?.expiresAt ?? Math.max(timeExpire ?? now + DEFAULT_PAY_WINDOW_MS, now + MIN_PAY_WINDOW_MS);
  const fingerprint = JSON.stringify(['v3p', description, attach, total, currency, notifyUrl, spOpenid ?? null, subOpenid ?? null, subAppid ?? null, goodsTag, timeExpireText, body.detail ?? null]);
  const placed = ctx.orders.place({
    protocol: 'v3',
    appid: subAppid ?? spAppid,
    mchid: call.sub.mchid,
    partner: {
      spMchid,
      spAppid,
      subMchid: call.sub.mchid,
      ...(subAppid === undefined ? {} : { subAppid }),
      ...(spOpenid === undefined ? {} : { spOpenid }),
      ...(subOpenid === undefined ? {} : { subOpenid }),
    },
    outTradeNo,
    description,
    ...(attach === undefined ? {} : { attach }),
    totalFee: total,
    feeType: currency,
    tradeType: 'JSAPI',
    openid: subOpenid ?? spOpenid ?? '',
    notifyUrl,
    signType: 'RSA',
    fingerprint,
    expiresAt,
  });
  if (!placed.ok) {
    if (placed.code === 'ORDERPAID') throw err(400, 'ORDERPAID', '该订单已支付');
    if (placed.code === 'ORDERCLOSED') throw err(400, 'ORDER_CLOSED', '订单已关闭');
    throw err(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
  }
  return v3Answer(ctx, r.merchant, r.requestSerial, 200, { prepay_id: placed.order.prepayId });
}

function partnerClose(ctx: SandboxContext, r: V3Request, p: Params): Answer {
  const body = parseJsonBody(r.raw);
  const spMchid = stringField(body, 'sp_mchid', { required: true, max: 32 });
  if (spMchid !== r.merchant.mchid) throw err(400, 'INVALID_REQUEST', 'sp_mchid与请求签名的商户号不一致');
  const call = resolvePartner(ctx.store, r.merchant, stringField(body, 'sub_mchid', { required: true, max: 32 }), undefined);
  const outTradeNo = p.out_trade_no ?? '';
  if (!OUT_TRADE_NO_V3.test(outTradeNo)) throw err(400, 'PARAM_ERROR', 'out_trade_no格式错误');
  const order = ctx.orders.find(call.sub.mchid, outTradeNo);
  if (order !== undefined && !belongsTo(order, call)) return v3Answer(ctx, r.merchant, r.requestSerial, 204);
  const closed = ctx.orders.close(call.sub.mchid, outTradeNo);
  if (!closed.ok && closed.code === 'ORDERPAID') throw err(400, 'ORDERPAID', '订单已支付，不能发起关单');
  return v3Answer(ctx, r.merchant, r.requestSerial, 204);
}
