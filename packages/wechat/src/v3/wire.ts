import { WxPayProtocolError } from '../errors.js';
import { isJsonObject } from './http.js';

/**
 * Wire types keep WeChat's names. Parsers check the fields the SDK's callers rely on (ids, states, integer fen)
 * and keep everything else as sent, because WeChat adds fields without notice.
 */

export type V3TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** What direct and partner transactions share: everything but who the merchant and the payer are. */
export type V3TradeFields = {
  out_trade_no: string;
  transaction_id?: string | undefined;
  trade_type?: string | undefined;
  trade_state: V3TradeState;
  trade_state_desc?: string | undefined;
  bank_type?: string | undefined;
  attach?: string | undefined;
  success_time?: string | undefined;
  /** Integer fen. `total` is the order total; `payer_total` what the payer paid after coupons. */
  amount?: { total: number; payer_total?: number | undefined; currency?: string | undefined; payer_currency?: string | undefined } | undefined;
  [extra: string]: unknown;
};

export type V3Transaction = V3TradeFields & {
  appid: string;
  mchid: string;
  payer?: { openid?: string | undefined } | undefined;
};

/**
 * Partner (服务商) mode's Transaction (query answers and payment notifications): the provider's sp_appid/sp_mchid,
 * the sub-merchant's sub_mchid (and sub_appid when the order named one), the payer under either appid.
 */
export type V3PartnerTransaction = V3TradeFields & {
  sp_appid: string;
  sp_mchid: string;
  sub_appid?: string | undefined;
  sub_mchid: string;
  payer?: { sp_openid?: string | undefined; sub_openid?: string | undefined } | undefined;
};

export type V3RefundStatus = 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';

export type V3Refund = {
  mchid?: string | undefined;
  /** Partner mode (refund notifications): the provider and the sub-merchant the refund belongs to. */
  sp_mchid?: string | undefined;
  sub_mchid?: string | undefined;
  out_trade_no: string;
  transaction_id: string;
  out_refund_no: string;
  refund_id: string;
  /** In refund answers the field is `status`, in refund notifications `refund_status`; both are filled. */
  status: V3RefundStatus;
  refund_status: V3RefundStatus;
  channel?: string | undefined;
  user_received_account?: string | undefined;
  success_time?: string | undefined;
  create_time?: string | undefined;
  funds_account?: string | undefined;
  amount: { total: number; refund: number; payer_total?: number | undefined; payer_refund?: number | undefined; currency?: string | undefined; [extra: string]: unknown };
  [extra: string]: unknown;
};

const TRADE_STATES = new Set<string>(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']);
const REFUND_STATUSES = new Set<string>(['SUCCESS', 'CLOSED', 'PROCESSING', 'ABNORMAL']);

function fail(what: string, requestId?: string): never {
  throw new WxPayProtocolError(`${what} is missing or malformed`, { requestId });
}

function reqString(obj: Record<string, unknown>, key: string, what: string, requestId?: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0) fail(`${what}.${key}`, requestId);
  return v;
}

function optString(obj: Record<string, unknown>, key: string, what: string, requestId?: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${what}.${key}`, requestId);
  return v;
}

/** Amounts are integer fen; a float or a string here would be a protocol error, never silently rounded. */
function fen(obj: Record<string, unknown>, key: string, what: string, required: boolean, requestId?: string): number | undefined {
  const v = obj[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${what}.${key}`, requestId);
  return v;
}

/** The fields direct and partner transactions share (everything but who the merchant and the payer are). */
function parseTradeCommon(value: Record<string, unknown>, w: string, requestId?: string) {
  const tradeState = reqString(value, 'trade_state', w, requestId);
  if (!TRADE_STATES.has(tradeState)) fail(`${w}.trade_state`, requestId);
  let amount: V3Transaction['amount'];
  if (value.amount !== undefined) {
    if (!isJsonObject(value.amount)) fail(`${w}.amount`, requestId);
    amount = {
      ...value.amount,
      total: fen(value.amount, 'total', `${w}.amount`, true, requestId)!,
      payer_total: fen(value.amount, 'payer_total', `${w}.amount`, false, requestId),
      currency: optString(value.amount, 'currency', `${w}.amount`, requestId),
      payer_currency: optString(value.amount, 'payer_currency', `${w}.amount`, requestId),
    };
  } else if (tradeState === 'SUCCESS') {
    fail(`${w}.amount`, requestId);
  }
  const common = {
    out_trade_no: reqString(value, 'out_trade_no', w, requestId),
    transaction_id: optString(value, 'transaction_id', w, requestId),
    trade_type: optString(value, 'trade_type', w, requestId),
    trade_state: tradeState as V3TradeState,
    trade_state_desc: optString(value, 'trade_state_desc', w, requestId),
    bank_type: optString(value, 'bank_type', w, requestId),
    attach: optString(value, 'attach', w, requestId),
    success_time: optString(value, 'success_time', w, requestId),
    amount,
  };
  if (tradeState === 'SUCCESS' && (common.transaction_id === undefined || common.transaction_id.length === 0)) fail(`${w}.transaction_id`, requestId);
  return common;
}

export function parseV3Transaction(value: unknown, requestId?: string): V3Transaction {
  if (!isJsonObject(value)) fail('transaction', requestId);
  const w = 'transaction';
  let payer: V3Transaction['payer'];
  if (value.payer !== undefined) {
    if (!isJsonObject(value.payer)) fail(`${w}.payer`, requestId);
    payer = { ...value.payer, openid: optString(value.payer, 'openid', `${w}.payer`, requestId) };
  }
  return {
    ...value,
    appid: reqString(value, 'appid', w, requestId),
    mchid: reqString(value, 'mchid', w, requestId),
    ...parseTradeCommon(value, w, requestId),
    payer,
  };
}

/** A partner-mode transaction: sp_appid, sp_mchid and sub_mchid are required; the payer may be sp_ or sub_openid. */
export function parseV3PartnerTransaction(value: unknown, requestId?: string): V3PartnerTransaction {
  if (!isJsonObject(value)) fail('transaction', requestId);
  const w = 'transaction';
  let payer: V3PartnerTransaction['payer'];
  if (value.payer !== undefined) {
    if (!isJsonObject(value.payer)) fail(`${w}.payer`, requestId);
    payer = {
      ...value.payer,
      sp_openid: optString(value.payer, 'sp_openid', `${w}.payer`, requestId),
      sub_openid: optString(value.payer, 'sub_openid', `${w}.payer`, requestId),
    };
  }
  const { appid: _appid, mchid: _mchid, ...rest } = value;
  return {
    ...rest,
    sp_appid: reqString(value, 'sp_appid', w, requestId),
    sp_mchid: reqString(value, 'sp_mchid', w, requestId),
    sub_appid: optString(value, 'sub_appid', w, requestId),
    sub_mchid: reqString(value, 'sub_mchid', w, requestId),
    ...parseTradeCommon(value, w, requestId),
    payer,
  };
}

/** `statusField` is `status` in refund answers and `refund_status` in refund notifications. */
export function parseV3Refund(value: unknown, statusField: 'status' | 'refund_status', requestId?: string): V3Refund {
  if (!isJsonObject(value)) fail('refund', requestId);
  const w = 'refund';
  const status = reqString(value, statusField, w, requestId);
  if (!REFUND_STATUSES.has(status)) fail(`${w}.${statusField}`, requestId);
  if (!isJsonObject(value.amount)) fail(`${w}.amount`, requestId);
  const a = value.amount;
  return {
    ...value,
    mchid: optString(value, 'mchid', w, requestId),
    sp_mchid: optString(value, 'sp_mchid', w, requestId),
    sub_mchid: optString(value, 'sub_mchid', w, requestId),
    out_trade_no: reqString(value, 'out_trade_no', w, requestId),
    transaction_id: reqString(value, 'transaction_id', w, requestId),
    out_refund_no: reqString(value, 'out_refund_no', w, requestId),
    refund_id: reqString(value, 'refund_id', w, requestId),
    status: status as V3RefundStatus,
    refund_status: status as V3RefundStatus,
    channel: optString(value, 'channel', w, requestId),
    user_received_account: optString(value, 'user_received_account', w, requestId),
    success_time: optString(value, 'success_time', w, requestId),
    create_time: optString(value, 'create_time', w, requestId),
    funds_account: optString(value, 'funds_account', w, requestId),
    amount: {
      ...a,
      total: fen(a, 'total', `${w}.amount`, true, requestId)!,
      refund: fen(a, 'refund', `${w}.amount`, true, requestId)!,
      payer_total: fen(a, 'payer_total', `${w}.amount`, false, requestId),
      payer_refund: fen(a, 'payer_refund', `${w}.amount`, false, requestId),
      currency: optString(a, 'currency', `${w}.amount`, requestId),
    },
  };
}
