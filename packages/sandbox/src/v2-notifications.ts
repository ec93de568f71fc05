import { buildXml, isV2SignType, parseXml } from '@wxpay-kit/wechat';
import { encryptV2RefundReqInfo, signV2Notification } from '@wxpay-kit/wechat/testing';
import type { NotificationProtocol } from './notifier.js';
import type { SandboxStore } from './state/store.js';
import { beijingCompact, beijingDateTime } from './time.js';
import { paidOrderOf, refundOf } from './notification-subjects.js';

/**
 * WeChat Pay v2 notifications: what goes on the wire and what answer counts as received.
 * Each notification keeps one nonce for all its attempts, so retries resend the same bytes, as WeChat's do.
 */

const XML_HEADERS = { 'Content-Type': 'text/xml; charset=utf-8', 'User-Agent': 'Mozilla/4.0 (wxpay-sandbox)' };

/** A key that is not the merchant's, for the badSignature fault. */
function wrongKey(apiKey: string): string {
  return `${apiKey.slice(1)}x`;
}

/** The merchant received it only if it answered 200 with `return_code` SUCCESS in WeChat's XML. */
function isV2Success(result: { status: number; body: string }): boolean {
  if (result.status !== 200) return false;
  try {
    return parseXml(result.body, { maxBytes: 64 * 1024 }).return_code === 'SUCCESS';
  } catch {
    return false;
  }
}

export function v2PaymentNotifications(store: SandboxStore): NotificationProtocol {
  return {
    isSuccess: isV2Success,
    build(job) {
      const subject = paidOrderOf(store, job);
      if (subject === undefined) return undefined;
      const { order, merchant } = subject;
      const total = order.totalFee + job.tamper.amountDelta;
      // No sign_type field: WeChat signs with the order's algorithm and does not say which.
      const partner = order.partner;
      const fields = {
        // Partner orders: appid/mch_id are the provider's; sub_* name the sub-merchant, its mini program and the payer.
        appid: partner?.spAppid ?? order.appid,
        attach: order.attach,
        bank_type: order.bankType ?? 'OTHERS',
        cash_fee: total,
        device_info: order.deviceInfo,
        fee_type: order.feeType,
        is_subscribe: 'N',
        mch_id: partner?.spMchid ?? order.mchid,
        nonce_str: job.nonce,
        openid: partner === undefined ? order.openid : partner.spOpenid,
        ...(partner === undefined ? {} : {
          sub_mch_id: partner.subMchid,
          sub_appid: partner.subAppid,
          sub_openid: partner.subOpenid,
          sub_is_subscribe: partner.subOpenid === undefined ? undefined : 'N',
        }),
        out_trade_no: order.outTradeNo,
        result_code: 'SUCCESS',
        return_code: 'SUCCESS',
        time_end: beijingCompact(order.paidAt),
        total_fee: total,
        trade_type: order.tradeType,
        transaction_id: order.transactionId,
      };
      const signType = isV2SignType(order.signType) ? order.signType : 'MD5';
      const key = job.tamper.badSignature ? wrongKey(merchant.apiKey) : merchant.apiKey;
      const notes: string[] = [];
      if (job.tamper.badSignature) notes.push('signed with a wrong key');
      if (job.tamper.amountDelta !== 0) notes.push(`total_fee changed by ${job.tamper.amountDelta}`);
      return {
        body: signV2Notification(fields, key, signType),
        headers: { ...XML_HEADERS },
        ...(notes.length === 0 ? {} : { tampered: notes.join('; ') }),
      };
    },
  };
}

export function v2RefundNotifications(store: SandboxStore): NotificationProtocol {
  return {
    isSuccess: isV2Success,
    build(job) {
      const subject = refundOf(store, job);
      const successAt = subject?.refund.successAt;
      if (subject === undefined || successAt === undefined) return undefined;
      const { refund, merchant } = subject;
      const refundFee = refund.refundFee + job.tamper.amountDelta;
      const inner = buildXml(
        {
          out_refund_no: refund.outRefundNo,
          out_trade_no: refund.outTradeNo,
          refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
          refund_fee: refundFee,
          refund_id: refund.refundId,
          refund_recv_accout: '支付用户的零钱',
          refund_request_source: 'API',
          refund_status: refund.status,
          settlement_refund_fee: refundFee,
          settlement_total_fee: refund.totalFee,
          success_time: beijingDateTime(successAt),
          total_fee: refund.totalFee,
          transaction_id: refund.transactionId,
        },
        { root: 'root' },
      );
      // Refund notifications carry no sign: authenticity comes from req_info's encryption with the merchant key.
      const key = job.tamper.badSignature ? wrongKey(merchant.apiKey) : merchant.apiKey;
      const notes: string[] = [];
      if (job.tamper.badSignature) notes.push('req_info encrypted with a wrong key');
      if (job.tamper.amountDelta !== 0) notes.push(`refund_fee changed by ${job.tamper.amountDelta}`);
      return {
        body: buildXml({
          return_code: 'SUCCESS',
          appid: refund.partner?.spAppid ?? refund.appid,
          mch_id: refund.partner?.spMchid ?? refund.mchid,
          sub_mch_id: refund.partner?.subMchid,
          sub_appid: refund.partner?.subAppid,
          nonce_str: job.nonce,
          req_info: encryptV2RefundReqInfo(inner, key),
        }),
        headers: { ...XML_HEADERS },
        ...(notes.length === 0 ? {} : { tampered: notes.join('; ') }),
      };
    },
  };
}
