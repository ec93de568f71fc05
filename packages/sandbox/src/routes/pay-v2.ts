import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { buildXml } from '@wxpay-kit/wechat';
import { answerWithFaults, type Answer } from '../api-faults.js';
import { BILL_TYPES, buildBill, type BillType } from '../bill.js';
import type { SandboxContext } from '../context.js';
import type { SandboxOrder, SandboxRefund } from '../state/types.js';
import { beijingCompact, beijingDateTime, beijingDayRange, parseBeijingCompact } from '../time.js';
import { kindOf, supportsApi } from '../merchants.js';
import { belongsTo, PartnerRefusal, refuseNonDirect, resolvePartner } from '../partner.js';
import {
  authenticate,
  businessFailure,
  checkAppid,
  communicationFailure,
  feeType,
  ipAddress,
  notifyUrl,
  optional,
  optionalOutNo,
  outNo,
  peekFields,
  positiveFen,
  required,
  successAnswer,
  V2BusinessError,
  xmlAnswer,
  type V2Fields,
  type V2Request,
} from '../v2-wire.js';

/**
 * WeChat Pay v2 on WeChat's own paths. Every request is authenticated (parse, merchant, signature by sign_type) before
 * any business field is read; business rules live in OrderBook so v3 behaves the same.
 */

/** time_expire must leave the payer at least this long (WeChat: 5 minutes for JSAPI). */
const MIN_PAY_WINDOW_MS = 5 * 60 * 1000;
/** refundquery returns refunds in pages of this size (offset selects the page start). */
const REFUND_PAGE_SIZE = 10;

const TRADE_STATE_DESC: Record<SandboxOrder['state'], string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '订单已关闭',
  PAYERROR: '支付失败',
};

type Handler = (ctx: SandboxContext, request: V2Request) => Answer;

/** The mchid partner records are stored under (the sub-merchant's), or the direct merchant's own. */
function ownerMchid(request: V2Request): string {
  return request.partner?.sub.mchid ?? request.merchant.mchid;
}

/**
 * Who the call is for: a call with sub_mch_id is a partner call (the signer must be the sub-merchant's provider, a
 * sub_appid must be the sub-merchant's); without, a direct call (a provider or a sub-merchant cannot make one, except
 * a provider's bill over all its sub-merchants).
 */
function resolveCaller(ctx: SandboxContext, request: V2Request, providerWide: boolean): void {
  // UNCONFIRMED wording: a merchant without APIv2 gets the same answer as an unknown key.
  if (!supportsApi(request.merchant, 'v2')) throw new V2BusinessError('NOAUTH', '商户未开通APIv2权限');
  const f = request.fields;
  try {
    if (f.sub_mch_id !== undefined && f.sub_mch_id !== '') {
      request.partner = resolvePartner(ctx.store, request.merchant, f.sub_mch_id, optional(f, 'sub_appid', 32));
    } else if (f.sub_appid !== undefined && f.sub_appid !== '') {
      throw new V2BusinessError('LACK_PARAMS', '缺少参数sub_mch_id');
    } else if (!(providerWide && kindOf(request.merchant) === 'provider')) {
      refuseNonDirect(request.merchant);
    }
  } catch (error) {
    if (error instanceof PartnerRefusal) throw new V2BusinessError(error.v2Code, error.message);
    throw error;
  }
}

function v2Route(app: FastifyInstance, ctx: SandboxContext, path: string, handler: Handler, providerWide = false): void {
  // WeChat's v2 API is POST only; other methods get its communication failure, not a 404.
  app.get(path, async (_request, reply) => {
    const answer = communicationFailure('REQUIRE_POST_METHOD');
    return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  });
  app.post(path, async (request, reply) => {
    const peek = peekFields(request.body);
    const scope = { mchid: peek?.mch_id, outTradeNo: peek?.out_trade_no };
    const auth = authenticate(ctx.store, request.body);
    const systemError = (): Answer =>
      auth.ok ? businessFailure(auth.request, 'SYSTEMERROR', '系统超时，请用相同参数重新调用') : communicationFailure('SYSTEMERROR');
    return answerWithFaults(ctx, request, reply, scope, systemError, () => {
      if (!auth.ok) return auth.answer;
      try {
        checkAppid(auth.request);
        resolveCaller(ctx, auth.request, providerWide);
        return handler(ctx, auth.request);
      } catch (error) {
        if (error instanceof V2BusinessError) return businessFailure(auth.request, error.errCode, error.description);
        throw error;
      }
    });
  });
}

export function registerPayV2Routes(app: FastifyInstance, ctx: SandboxContext): void {
  v2Route(app, ctx, '/pay/unifiedorder', unifiedOrder);
  v2Route(app, ctx, '/pay/orderquery', orderQuery);
  v2Route(app, ctx, '/pay/closeorder', closeOrder);
  // Mutual TLS with the merchant's API certificate is not modelled over plain HTTP; the signature is checked as
  // everywhere else (see README).
  v2Route(app, ctx, '/secapi/pay/refund', refund);
  v2Route(app, ctx, '/pay/refundquery', refundQuery);
  v2Route(app, ctx, '/pay/downloadbill', downloadBill, true);
}

function unifiedOrder(ctx: SandboxContext, request: V2Request): Answer {
  const f = request.fields;
  const body = required(f, 'body', 128);
  const outTradeNo = outNo(f, 'out_trade_no', 32);
  const totalFee = positiveFen(f, 'total_fee');
  const fee = feeType(f, 'fee_type');
  const spbillCreateIp = ipAddress(f, 'spbill_create_ip');
  const notify = notifyUrl(f, 'notify_url', true) ?? '';
  const tradeType = required(f, 'trade_type', 16);
  if (!['JSAPI', 'NATIVE', 'APP', 'MWEB'].includes(tradeType)) throw new V2BusinessError('PARAM_ERROR', 'trade_type参数错误');
  // The sandbox's cashier is wx.requestPayment, so it models mini-program (JSAPI) payments only.
  if (tradeType !== 'JSAPI') throw new V2BusinessError('NOAUTH', '沙箱仅支持JSAPI(小程序)支付');
  const partner = request.partner;
  let openid: string;
  let subOpenid: string | undefined;
  if (partner === undefined) {
    openid = required(f, 'openid', 128);
    if (!ctx.store.isKnownOpenid(request.merchant.appid, openid)) throw new V2BusinessError('PARAM_ERROR', 'appid和openid不匹配');
  } else {
    // Partner: openid is under the provider's appid, sub_openid under sub_appid; one of them, and sub_openid needs
    // sub_appid (WeChat: 如果选择传sub_openid,则必须传sub_appid).
    const spOpenid = optional(f, 'openid', 128);
    subOpenid = optional(f, 'sub_openid', 128);
    if (spOpenid === undefined && subOpenid === undefined) throw new V2BusinessError('LACK_PARAMS', '缺少参数openid或sub_openid');
    if (subOpenid !== undefined) {
      if (partner.subAppid === undefined) throw new V2BusinessError('LACK_PARAMS', '缺少参数sub_appid');
      if (!ctx.store.isKnownOpenid(partner.subAppid, subOpenid)) throw new V2BusinessError('PARAM_ERROR', 'sub_appid和sub_openid不匹配');
    }
    if (spOpenid !== undefined && !ctx.store.isKnownOpenid(request.merchant.appid, spOpenid)) {
      throw new V2BusinessError('PARAM_ERROR', 'appid和openid不匹配');
    }
    openid = subOpenid ?? spOpenid ?? '';
  }
  const attach = optional(f, 'attach', 127);
  const detail = optional(f, 'detail', 6000);
  const deviceInfo = optional(f, 'device_info', 32);
  const goodsTag = optional(f, 'goods_tag', 32);
  const limitPay = optional(f, 'limit_pay', 32);
  if (limitPay !== undefined && limitPay !== 'no_credit') throw new V2BusinessError('PARAM_ERROR', 'limit_pay参数错误');
  const timeStart = optional(f, 'time_start', 14);
  if (timeStart !== undefined && parseBeijingCompact(timeStart) === undefined) {
    throw new V2BusinessError('PARAM_ERROR', 'time_start参数格式错误');
  }
  const timeExpire = optional(f, 'time_expire', 14);
  let expiresAt: number | undefined;
  if (timeExpire !== undefined) {
    expiresAt = parseBeijingCompact(timeExpire);
    if (expiresAt === undefined) throw new V2BusinessError('PARAM_ERROR', 'time_expire参数格式错误');
  }
  // What identifies "the same order": a retry may change nonce, sign, sign_type and the caller's IP, nothing else.
  const fingerprint = JSON.stringify([body, detail, attach, totalFee, fee, notify, tradeType, openid, deviceInfo, goodsTag, limitPay, timeStart, timeExpire, partner?.subAppid ?? null]);
  const existing = ctx.orders.find(ownerMchid(request), outTradeNo);
  // The pay window is checked for new orders only: a retry of an existing order is judged by its own state.
  if (existing === undefined && expiresAt !== undefined && expiresAt - ctx.clock.now() < MIN_PAY_WINDOW_MS) {
    throw new V2BusinessError('PARAM_ERROR', 'time_expire时间过短，刷卡至少1分钟，其他5分钟');
  }
  const placed = ctx.orders.place({
    protocol: 'v2',
    // Partner orders: stored under the sub-merchant; appid is the mini program that pays (sub_appid, else the provider's).
    appid: partner?.subAppid ?? request.merchant.appid,
    mchid: ownerMchid(request),
    ...(partner === undefined ? {} : {
      partner: {
        spMchid: partner.provider.mchid,
        spAppid: partner.provider.appid,
        subMchid: partner.sub.mchid,
        ...(partner.subAppid === undefined ? {} : { subAppid: partner.subAppid }),
        ...(f.openid ? { spOpenid: f.openid } : {}),
        ...(subOpenid === undefined ? {} : { subOpenid }),
      },
    }),
    outTradeNo,
    description: body,
    ...(attach === undefined ? {} : { attach }),
    totalFee,
    feeType: fee,
    tradeType,
    openid,
    notifyUrl: notify,
    signType: request.signType,
    ...(deviceInfo === undefined ? {} : { deviceInfo }),
    spbillCreateIp,
    fingerprint,
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  if (!placed.ok) {
    const des = { ORDERPAID: '该订单已支付', ORDERCLOSED: '该订单已关闭', OUT_TRADE_NO_USED: '商户订单号重复' }[placed.code];
    throw new V2BusinessError(placed.code, des);
  }
  return successAnswer(request, { device_info: deviceInfo, trade_type: tradeType, prepay_id: placed.order.prepayId });
}

function findOrder(ctx: SandboxContext, request: V2Request): SandboxOrder {
  const f = request.fields;
  const transactionId = optional(f, 'transaction_id', 32);
  const outTradeNo = optionalOutNo(f, 'out_trade_no', 32);
  if (transactionId === undefined && outTradeNo === undefined) {
    throw new V2BusinessError('LACK_PARAMS', '缺少参数 transaction_id 或 out_trade_no');
  }
  // transaction_id wins when both are given.
  const order = transactionId !== undefined
    ? ctx.orders.findByTransactionId(ownerMchid(request), transactionId)
    : ctx.orders.find(ownerMchid(request), outTradeNo ?? '');
  if (order === undefined || !visibleTo(order, request)) {
    throw new V2BusinessError('ORDERNOTEXIST', '订单不存在');
  }
  return order;
}

/** A direct caller sees its direct orders; a partner call only its own provider's orders of that sub-merchant. */
function visibleTo(order: SandboxOrder, request: V2Request): boolean {
  return request.partner === undefined ? order.partner === undefined : belongsTo(order, request.partner);
}

/** Partner fields of an order in answers (orderquery, refund). */
function partnerFields(order: SandboxOrder): V2Fields {
  const p = order.partner;
  if (p === undefined) return {};
  return { sub_openid: p.subOpenid, sub_is_subscribe: p.subOpenid === undefined ? undefined : 'N' };
}

function orderQuery(ctx: SandboxContext, request: V2Request): Answer {
  const order = findOrder(ctx, request);
  const fields: V2Fields = {
    device_info: order.deviceInfo,
    out_trade_no: order.outTradeNo,
    trade_state: order.state,
    trade_state_desc: TRADE_STATE_DESC[order.state],
    total_fee: order.totalFee,
    fee_type: order.feeType,
    trade_type: order.tradeType,
    openid: order.partner === undefined ? order.openid : order.partner.spOpenid,
    ...partnerFields(order),
    attach: order.attach,
  };
  if (order.transactionId !== undefined && order.paidAt !== undefined) {
    Object.assign(fields, {
      is_subscribe: 'N',
      bank_type: order.bankType,
      cash_fee: order.totalFee,
      cash_fee_type: order.feeType,
      transaction_id: order.transactionId,
      time_end: beijingCompact(order.paidAt),
    });
  }
  return successAnswer(request, fields);
}

function closeOrder(ctx: SandboxContext, request: V2Request): Answer {
  const outTradeNo = outNo(request.fields, 'out_trade_no', 32);
  const found = ctx.orders.find(ownerMchid(request), outTradeNo);
  if (found !== undefined && !visibleTo(found, request)) throw new V2BusinessError('ORDERNOTEXIST', '订单不存在');
  const closed = ctx.orders.close(ownerMchid(request), outTradeNo);
  if (!closed.ok) {
    const des = { ORDERNOTEXIST: '订单不存在', ORDERPAID: '订单已支付，不能发起关单', ORDERCLOSED: '订单已关闭，无法重复关闭' }[closed.code];
    throw new V2BusinessError(closed.code, des);
  }
  return successAnswer(request, { result_msg: 'OK' });
}

function refund(ctx: SandboxContext, request: V2Request): Answer {
  const f = request.fields;
  const order = findOrderForRefund(ctx, request);
  const outRefundNo = outNo(f, 'out_refund_no', 64);
  const totalFee = positiveFen(f, 'total_fee');
  const refundFee = positiveFen(f, 'refund_fee');
  feeType(f, 'refund_fee_type');
  const refundDesc = optional(f, 'refund_desc', 80);
  const account = optional(f, 'refund_account', 32);
  if (account !== undefined && account !== 'REFUND_SOURCE_UNSETTLED_FUNDS' && account !== 'REFUND_SOURCE_RECHARGE_FUNDS') {
    throw new V2BusinessError('PARAM_ERROR', 'refund_account参数错误');
  }
  const notify = notifyUrl(f, 'notify_url', false);
  if (refundFee > totalFee) throw new V2BusinessError('PARAM_ERROR', '退款金额大于订单金额');
  const result = ctx.orders.refund({
    protocol: 'v2',
    order,
    outRefundNo,
    totalFee,
    refundFee,
    ...(refundDesc === undefined ? {} : { refundDesc }),
    ...(notify === undefined ? {} : { notifyUrl: notify }),
    signType: request.signType,
  });
  if (!result.ok) throw new V2BusinessError(result.code, result.description);
  const r = result.refund;
  return successAnswer(request, {
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    out_refund_no: r.outRefundNo,
    refund_id: r.refundId,
    refund_channel: '',
    refund_fee: r.refundFee,
    settlement_refund_fee: r.refundFee,
    total_fee: r.totalFee,
    settlement_total_fee: r.totalFee,
    fee_type: order.feeType,
    cash_fee: r.totalFee,
    cash_fee_type: order.feeType,
    cash_refund_fee: r.refundFee,
    coupon_refund_fee: 0,
    coupon_refund_count: 0,
  });
}

function findOrderForRefund(ctx: SandboxContext, request: V2Request): SandboxOrder {
  try {
    return findOrder(ctx, request);
  } catch (error) {
    if (error instanceof V2BusinessError && error.errCode === 'ORDERNOTEXIST') {
      throw new V2BusinessError('ORDERNOTEXIST', '订单不存在');
    }
    throw error;
  }
}

function refundQuery(ctx: SandboxContext, request: V2Request): Answer {
  const f = request.fields;
  const mchid = ownerMchid(request);
  const refundId = optional(f, 'refund_id', 32);
  const outRefundNo = optionalOutNo(f, 'out_refund_no', 64);
  const transactionId = optional(f, 'transaction_id', 32);
  const outTradeNo = optionalOutNo(f, 'out_trade_no', 32);
  const offsetText = optional(f, 'offset', 10);
  const offset = offsetText === undefined ? 0 : Number(offsetText);
  if (offsetText !== undefined && !/^\d+$/.test(offsetText)) throw new V2BusinessError('PARAM_ERROR', 'offset参数格式错误');
  let refunds: SandboxRefund[];
  let order: SandboxOrder | undefined;
  // Precedence, as WeChat documents it: refund_id > out_refund_no > transaction_id > out_trade_no.
  if (refundId !== undefined || outRefundNo !== undefined) {
    const one = refundId !== undefined ? ctx.store.refundById(mchid, refundId) : ctx.store.refund(mchid, outRefundNo ?? '');
    refunds = one === undefined ? [] : [one];
    order = one === undefined ? undefined : ctx.orders.find(mchid, one.outTradeNo);
  } else if (transactionId !== undefined || outTradeNo !== undefined) {
    order = transactionId !== undefined ? ctx.orders.findByTransactionId(mchid, transactionId) : ctx.orders.find(mchid, outTradeNo ?? '');
    refunds = order === undefined ? [] : ctx.store.refundsOf(mchid, order.outTradeNo);
  } else {
    throw new V2BusinessError('LACK_PARAMS', '缺少参数 refund_id、out_refund_no、transaction_id 或 out_trade_no');
  }
  if (order === undefined || refunds.length === 0 || !visibleTo(order, request)) throw new V2BusinessError('REFUNDNOTEXIST', '退款订单查询失败');
  if (offset >= refunds.length && offset > 0) throw new V2BusinessError('PARAM_ERROR', 'offset超出退款笔数');
  const page = refunds.slice(offset, offset + REFUND_PAGE_SIZE);
  const fields: V2Fields = {
    total_refund_count: refunds.length,
    transaction_id: order.transactionId,
    out_trade_no: order.outTradeNo,
    total_fee: order.totalFee,
    settlement_total_fee: order.totalFee,
    fee_type: order.feeType,
    cash_fee: order.totalFee,
    refund_count: page.length,
  };
  page.forEach((r, n) => {
    fields[`out_refund_no_${n}`] = r.outRefundNo;
    fields[`refund_id_${n}`] = r.refundId;
    fields[`refund_channel_${n}`] = 'ORIGINAL';
    fields[`refund_fee_${n}`] = r.refundFee;
    fields[`settlement_refund_fee_${n}`] = r.refundFee;
    fields[`coupon_refund_count_${n}`] = 0;
    fields[`refund_status_${n}`] = r.status;
    fields[`refund_account_${n}`] = 'REFUND_SOURCE_UNSETTLED_FUNDS';
    // "accout" is WeChat's own spelling.
    fields[`refund_recv_accout_${n}`] = '支付用户的零钱';
    if (r.successAt !== undefined) fields[`refund_success_time_${n}`] = beijingDateTime(r.successAt);
  });
  return successAnswer(request, fields);
}

/** downloadbill errors are bare XML (return_code FAIL, return_msg, error_code), not signed. */
function billError(message: string, errorCode?: string): Answer {
  return xmlAnswer(buildXml({ return_code: 'FAIL', return_msg: message, error_code: errorCode }));
}

function downloadBill(ctx: SandboxContext, request: V2Request): Answer {
  const f = request.fields;
  const billDate = f.bill_date;
  if (billDate === undefined || billDate === '') return billError('missing parameter', '20001');
  const day = /^\d{8}$/.test(billDate) ? beijingDayRange(billDate) : undefined;
  if (day === undefined) return billError('data format error', '20001');
  const billType = (f.bill_type === undefined || f.bill_type === '' ? 'ALL' : f.bill_type) as BillType;
  if (!BILL_TYPES.includes(billType)) return billError('invalid bill_type', '20001');
  const tarType = f.tar_type;
  if (tarType !== undefined && tarType !== '' && tarType !== 'GZIP') return billError('invalid tar_type', '20001');
  // The sandbox makes bills on demand (WeChat's are ready after 10:00 the next day), but not for days to come.
  if (day.start > ctx.clock.now()) return billError('No Bill Exist', '20002');
  // A provider without sub_mch_id gets the bill of all its sub-merchants; with it, that sub-merchant's.
  const provider = request.merchant.mchid;
  const owner = request.partner !== undefined
    ? request.partner.sub.mchid
    : kindOf(request.merchant) === 'provider'
      ? (r: { partner?: { spMchid: string } }) => r.partner?.spMchid === provider
      : provider;
  const csv = buildBill(owner, billType, day, ctx.store.orders(), ctx.store.refunds());
  if (csv === undefined) return billError('No Bill Exist', '20002');
  if (tarType === 'GZIP') return { status: 200, contentType: 'application/x-gzip', body: gzipSync(Buffer.from(csv, 'utf8')) };
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: csv };
}
