import { createHash, randomInt } from 'node:crypto';
import { buildXml } from '@wxpay-kit/wechat';
import { decodeEncodingAesKey, encryptPushMessage, pushSignature } from '@wxpay-kit/wechat/miniprogram';
import { z } from 'zod';
import type { NotificationProtocol } from './notifier.js';
import type { SandboxStore } from './state/store.js';
import type { MessagePushConfig, NotificationJob, SandboxOrder } from './state/types.js';

/**
 * 消息推送 (message push) of a mini program: WeChat POSTs events to the URL of the console's 消息推送配置, signed with
 * the Token (`signature` = sha1 of the sorted token, timestamp, nonce) and, in safe/compatible mode, encrypted with the
 * EncodingAESKey (`encrypt_type=aes`, `msg_signature` adds Encrypt). The crypto is the SDK's own
 * (`@wxpay-kit/wechat/miniprogram`), so the sandbox pushes exactly what `createMessagePushReceiver` accepts.
 * The merchant received a push when it answered 200 with `success` or an empty body; otherwise the notifier retries.
 */

export const messagePushSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    token: z.string().regex(/^[A-Za-z0-9]{3,32}$/),
    encodingAesKey: z.string().regex(/^[A-Za-z0-9]{43}$/).optional(),
    mode: z.enum(['plain', 'compatible', 'safe']).default('plain'),
    format: z.enum(['json', 'xml']).default('json'),
    originalId: z.string().regex(/^gh_[0-9a-zA-Z]{1,32}$/).optional(),
  })
  .strict()
  .refine((c) => c.mode === 'plain' || c.encodingAesKey !== undefined, { message: 'compatible and safe modes need encodingAesKey' });

/** The push configuration in force for a mini program: the control API's, else the configured merchant's. */
export function messagePushOf(store: SandboxStore, appid: string): MessagePushConfig | undefined {
  return store.data.messagePush?.[appid] ?? store.merchantByAppid(appid)?.messagePush;
}

/** A stable 原始ID for a sandbox mini program without one. */
export function originalIdOf(appid: string, config: MessagePushConfig): string {
  return config.originalId ?? `gh_${createHash('sha256').update(appid).digest('hex').slice(0, 12)}`;
}

/** WeChat's events come from a system account, not a user. */
const SYSTEM_OPENID = 'o6_bmasdasdsad6_2sgVt7hMZOPfL';

function orderOf(store: SandboxStore, job: NotificationJob): SandboxOrder | undefined {
  return store.order(job.mchid, job.outTradeNo);
}

const seconds = (ms: number | undefined): number => Math.floor((ms ?? 0) / 1000);

/** The event's own fields, from the order as it is now (settlement facts do not change once set). */
function eventFields(kind: NotificationJob['kind'], order: SandboxOrder): Record<string, string | number> | undefined {
  const ref = {
    transaction_id: order.transactionId ?? '',
    merchant_id: order.mchid,
    sub_merchant_id: '',
    merchant_trade_no: order.outTradeNo,
    pay_time: seconds(order.paidAt),
  };
  if (kind === 'trade_manage_remind_shipping') {
    return { ...ref, msg: '你好，你有一笔订单超过48小时未发货，请尽快发货' };
  }
  const t = order.trade;
  if (kind !== 'trade_manage_order_settlement' || t?.settledAt === undefined) return undefined;
  return {
    ...ref,
    shipped_time: seconds(t.shippedAt),
    confirm_receive_method: t.confirmReceiveMethod ?? 1,
    confirm_receive_time: seconds(t.confirmedAt),
    settlement_time: seconds(t.settledAt),
  };
}

export function tradeManagePushes(store: SandboxStore, wallClock: () => number): NotificationProtocol {
  return {
    isSuccess: (result) => result.status === 200 && ['', 'success'].includes(result.body.trim()),
    build(job) {
      const order = orderOf(store, job);
      if (order === undefined) return undefined;
      const config = messagePushOf(store, order.appid);
      const fields = eventFields(job.kind, order);
      if (config === undefined || fields === undefined) return undefined;
      const message = {
        ToUserName: originalIdOf(order.appid, config),
        FromUserName: SYSTEM_OPENID,
        CreateTime: seconds(job.createdAt),
        MsgType: 'event',
        Event: job.kind,
        ...fields,
      };
      const encode = (value: Record<string, string | number>): string => (config.format === 'xml' ? buildXml(value) : JSON.stringify(value));
      // Signature timestamps are wall-clock time, as every freshness check is (see SandboxOptions.wallClock).
      const timestamp = String(Math.floor(wallClock() / 1000));
      const nonce = String(randomInt(1, 2 ** 31 - 1));
      const query = new URLSearchParams({ signature: pushSignature([config.token, timestamp, nonce]), timestamp, nonce });
      let body: string;
      if (config.mode === 'plain' || config.encodingAesKey === undefined) {
        body = encode(message);
      } else {
        const encrypt = encryptPushMessage(decodeEncodingAesKey(config.encodingAesKey), order.appid, encode(message));
        query.set('encrypt_type', 'aes');
        query.set('msg_signature', pushSignature([config.token, timestamp, nonce, encrypt]));
        // Compatible mode carries the plaintext fields beside Encrypt; safe mode only the addressee and Encrypt.
        body = encode(config.mode === 'compatible' ? { ...message, Encrypt: encrypt } : { ToUserName: message.ToUserName, Encrypt: encrypt });
      }
      const contentType = config.format === 'xml' ? 'text/xml; charset=utf-8' : 'application/json; charset=utf-8';
      const url = `${config.url}${config.url.includes('?') ? '&' : '?'}${query.toString()}`;
      return { body, headers: { 'Content-Type': contentType, 'User-Agent': 'Mozilla/4.0 (wxpay-sandbox)' }, url };
    },
  };
}
