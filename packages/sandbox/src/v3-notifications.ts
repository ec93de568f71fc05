import { randomBytes } from 'node:crypto';
import { formatRfc3339Beijing } from '@wxpay-kit/wechat';
import { encryptV3Resource, signV3Response, V3_SIGNTEST_PREFIX } from '@wxpay-kit/wechat/testing';
import type { BuiltNotification, NotificationProtocol } from './notifier.js';
import type { SandboxStore } from './state/store.js';
import type { NotificationJob, SandboxMerchant } from './state/types.js';
import { refundObject, transactionObject, v3RefundStatus } from './v3-objects.js';
import { notificationKeyFor, wrongKeyFor } from './v3-platform.js';
import { paidOrderOf, refundOf } from './notification-subjects.js';

/**
 * WeChat Pay v3 notifications: a JSON envelope whose resource is AEAD_AES_256_GCM-encrypted with the merchant's
 * APIv3 key, signed with the platform key the merchant's mode selects (named by Wechatpay-Serial). The body is the
 * same for every attempt of one notification (id, create_time and the AEAD nonce come from the job); the signature
 * headers are made afresh per attempt, with the real (wall-clock) time of that attempt: create_time is virtual
 * business time, but Wechatpay-Timestamp must pass the merchant's 5-minute check against its own clock. Received
 * means HTTP 200 or 204, whatever the body (WeChat's rule: the status decides).
 */

const JSON_HEADERS = { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0 (wxpay-sandbox)' };
/** expiredTimestamp fault: the signature time lies this far in the past (the merchant accepts at most 5 minutes). */
const EXPIRED_BY_SECONDS = 600;
/** unknownSerial fault: a serial no merchant was ever given. */
const UNKNOWN_SERIAL = 'PUB_KEY_ID_0199999999999999999999999999999999';

function isV3Success(result: { status: number }): boolean {
  return result.status === 200 || result.status === 204;
}

/** A UUID-shaped notification id, fixed per notification so every retry carries it unchanged. */
function notificationId(job: NotificationJob): string {
  const h = job.nonce.padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function envelope(
  wallClock: () => number,
  job: NotificationJob,
  merchant: SandboxMerchant,
  eventType: string,
  summary: string,
  originalType: 'transaction' | 'refund',
  plaintext: object,
): BuiltNotification {
  const body = JSON.stringify({
    id: notificationId(job),
    create_time: formatRfc3339Beijing(job.createdAt),
    resource_type: 'encrypt-resource',
    event_type: eventType,
    summary,
    resource: encryptV3Resource({
      plaintext: JSON.stringify(plaintext),
      apiV3Key: merchant.apiV3Key,
      associatedData: originalType,
      originalType,
      // 12 characters of the job's nonce: the same ciphertext on every attempt.
      nonce: job.nonce.slice(0, 12),
    }),
  });
  const seed = job.attempts + Number.parseInt(job.nonce.slice(0, 2), 16);
  const key = notificationKeyFor(merchant, Number.isNaN(seed) ? job.attempts : seed);
  const now = wallClock();
  const notes: string[] = [];
  if (job.tamper.badSignature) notes.push('signed with a wrong key');
  if (job.tamper.amountDelta !== 0) notes.push(`amount changed by ${job.tamper.amountDelta}`);
  if (job.tamper.expiredTimestamp === true) notes.push(`timestamp ${EXPIRED_BY_SECONDS}s old`);
  if (job.tamper.unknownSerial === true) notes.push('unknown Wechatpay-Serial');
  // signTest fault: the first attempt is WeChat's signature probe; the retries are genuine.
  const probe = job.tamper.signTest === true && job.attempts === 1;
  if (probe) notes.push(`signature probe (${V3_SIGNTEST_PREFIX})`);
  const headers = signV3Response({
    body,
    platformKey: job.tamper.badSignature ? wrongKeyFor(key) : key.privateKey,
    serial: job.tamper.unknownSerial === true ? UNKNOWN_SERIAL : key.serial,
    timestamp: Math.floor(now / 1000) - (job.tamper.expiredTimestamp === true ? EXPIRED_BY_SECONDS : 0),
  });
  if (probe) headers['Wechatpay-Signature'] = `${V3_SIGNTEST_PREFIX}${randomBytes(256).toString('base64')}`;
  return { body, headers: { ...JSON_HEADERS, ...headers }, ...(notes.length === 0 ? {} : { tampered: notes.join('; ') }) };
}

export function v3PaymentNotifications(store: SandboxStore, wallClock: () => number): NotificationProtocol {
  return {
    isSuccess: isV3Success,
    build(job) {
      const subject = paidOrderOf(store, job);
      if (subject === undefined) return undefined;
      const { order, merchant } = subject;
      const transaction = transactionObject(order);
      const total = order.totalFee + job.tamper.amountDelta;
      // Only payments are notified: the resource is the transaction as it was paid (SUCCESS), even if refunded since.
      const plaintext = {
        ...transaction,
        trade_state: 'SUCCESS',
        trade_state_desc: '支付成功',
        amount: { total, payer_total: total, currency: order.feeType, payer_currency: order.feeType },
      };
      return envelope(wallClock, job, merchant, 'TRANSACTION.SUCCESS', '支付成功', 'transaction', plaintext);
    },
  };
}

const REFUND_EVENTS: Record<string, { eventType: string; summary: string }> = {
  SUCCESS: { eventType: 'REFUND.SUCCESS', summary: '退款成功' },
  CLOSED: { eventType: 'REFUND.CLOSED', summary: '退款关闭' },
  ABNORMAL: { eventType: 'REFUND.ABNORMAL', summary: '退款异常' },
};

export function v3RefundNotifications(store: SandboxStore, wallClock: () => number): NotificationProtocol {
  return {
    isSuccess: isV3Success,
    build(job) {
      const subject = refundOf(store, job);
      const event = subject === undefined ? undefined : REFUND_EVENTS[v3RefundStatus(subject.refund)];
      if (subject === undefined || event === undefined) return undefined;
      const { refund, merchant } = subject;
      const full = refundObject(refund);
      const refundFee = refund.refundFee + job.tamper.amountDelta;
      const plaintext = {
        ...(refund.partner === undefined ? { mchid: refund.mchid } : { sp_mchid: refund.partner.spMchid, sub_mchid: refund.partner.subMchid }),
        out_trade_no: refund.outTradeNo,
        transaction_id: refund.transactionId,
        out_refund_no: refund.outRefundNo,
        refund_id: refund.refundId,
        refund_status: v3RefundStatus(refund),
        ...(full.success_time === undefined ? {} : { success_time: full.success_time }),
        user_received_account: full.user_received_account,
        amount: { total: refund.totalFee, refund: refundFee, payer_total: refund.totalFee, payer_refund: refundFee },
      };
      return envelope(wallClock, job, merchant, event.eventType, event.summary, 'refund', plaintext);
    },
  };
}
