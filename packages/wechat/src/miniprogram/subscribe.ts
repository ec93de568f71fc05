import { WxPayValidationError } from '../errors.js';
import type { WxPayRequestOptions } from '../transport/options.js';
import { MiniProgramApiError, type ApiCaller } from './api.js';

/** subscribeMessage.send (发送订阅消息). The user must have accepted the template with wx.requestSubscribeMessage first. */

export type SubscribeMessageRequest = {
  /** The recipient's openid. */
  toUser: string;
  templateId: string;
  /** Page opened from the message, may carry a query (`pages/order/detail?id=1`); none = no jump. */
  page?: string | undefined;
  /** The template's keys and their values: `{ thing1: '…', time2: '2019年10月1日 15:01' }`. */
  data: Readonly<Record<string, string | number>>;
  /** developer / trial / formal (WeChat's default: formal). */
  miniprogramState?: 'developer' | 'trial' | 'formal' | undefined;
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW' | undefined;
};

/** Why a send was refused, for the errcodes a caller reacts to differently. */
export type SubscribeSendFailure = 'user_refused' | 'bad_template_data' | 'bad_template_id' | 'bad_openid' | 'bad_page' | 'other';

const FAILURES: ReadonlyMap<number, SubscribeSendFailure> = new Map([
  [43101, 'user_refused'], // no (remaining) acceptance: one accept = one send; ask again with wx.requestSubscribeMessage
  [47003, 'bad_template_data'], // errmsg names the field, e.g. data.thing3.value invalid
  [40037, 'bad_template_id'],
  [40003, 'bad_openid'],
  [41030, 'bad_page'], // page not in the released version
]);

/** A refused send: `failure` says which; `errcode` / `errmsg` as WeChat sent them. */
export class SubscribeMessageError extends MiniProgramApiError {
  readonly failure: SubscribeSendFailure;
  constructor(source: MiniProgramApiError) {
    super('subscribeMessage.send', source.errcode, source.errmsg);
    this.failure = FAILURES.get(source.errcode) ?? 'other';
  }
}

export type SubscribeMessageApi = {
  /** Resolves with WeChat's msgid (a string: it exceeds 2^53) when the answer carries one. */
  send(request: SubscribeMessageRequest, options?: WxPayRequestOptions): Promise<{ msgId: string | undefined }>;
};

// Value rules by key prefix, as the documentation lists them (length in characters).
const RULES: ReadonlyArray<[prefix: string, max: number, pattern?: RegExp]> = [
  ['character_string', 32, /^[\x21-\x7e]+$/],
  ['phone_number', 17, /^[0-9+\-() ]+$/],
  ['car_number', 8],
  ['thing', 20],
  ['number', 32, /^[0-9.]+$/],
  ['letter', 32, /^[A-Za-z]+$/],
  ['symbol', 5],
  ['phrase', 5],
  ['name', 20],
  ['amount', 32],
];
const KEY = /^([a-z_]+)([0-9]+)$/;

/**
 * The template data rules (keys such as `thing1`, values by key prefix: `thing` ≤20 characters, `number` digits, …),
 * as WeChat's documentation lists them: WxPayValidationError naming `data.<key>` when one is broken (WeChat answers
 * 47003 then). Returns the wire form `{ key: { value } }`. The sandbox checks sends with this same function.
 */
export function checkSubscribeMessageData(data: Readonly<Record<string, string | number>>): Record<string, { value: string }> {
  if (typeof data !== 'object' || data === null || Object.keys(data).length === 0) throw new WxPayValidationError('data', 'must hold the template keys');
  const wire: Record<string, { value: string }> = {};
  for (const [key, raw] of Object.entries(data)) {
    const m = KEY.exec(key);
    if (m === null) throw new WxPayValidationError(`data.${key}`, 'is not a template key such as thing1 or time2');
    if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) throw new WxPayValidationError(`data.${key}`, 'must be a string');
    const value = String(raw);
    if (value === '') throw new WxPayValidationError(`data.${key}`, 'must not be empty (WeChat: 47003)');
    const rule = RULES.find(([prefix]) => prefix === m[1]);
    if (rule !== undefined) {
      const [prefix, max, pattern] = rule;
      if ([...value].length > max) throw new WxPayValidationError(`data.${key}`, `${prefix} values take at most ${max} characters (WeChat: 47003)`);
      if (pattern !== undefined && !pattern.test(value)) throw new WxPayValidationError(`data.${key}`, `is not a valid ${prefix} value (WeChat: 47003)`);
    }
    wire[key] = { value };
  }
  return wire;
}

export function createSubscribeMessageApi(api: ApiCaller): SubscribeMessageApi {
  return {
    async send(request, options) {
      const { toUser, templateId } = request;
      if (typeof toUser !== 'string' || toUser === '' || toUser.length > 128) throw new WxPayValidationError('toUser', 'must be an openid');
      if (typeof templateId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(templateId)) throw new WxPayValidationError('templateId', 'must be a template id');
      const body: Record<string, unknown> = { touser: toUser, template_id: templateId };
      if (request.page !== undefined) {
        if (typeof request.page !== 'string' || request.page === '' || request.page.length > 1024) throw new WxPayValidationError('page', 'must be a page path');
        body.page = request.page;
      }
      body.data = checkSubscribeMessageData(request.data);
      if (request.miniprogramState !== undefined) {
        if (!['developer', 'trial', 'formal'].includes(request.miniprogramState)) throw new WxPayValidationError('miniprogramState', 'must be developer, trial or formal');
        body.miniprogram_state = request.miniprogramState;
      }
      if (request.lang !== undefined) {
        if (!['zh_CN', 'en_US', 'zh_HK', 'zh_TW'].includes(request.lang)) throw new WxPayValidationError('lang', 'must be zh_CN, en_US, zh_HK or zh_TW');
        body.lang = request.lang;
      }
      try {
        const { raw } = await api.post('subscribeMessage.send', '/cgi-bin/message/subscribe/send', body, options);
        // msgid is larger than 2^53: read its digits from the text, not from the parsed number.
        const m = /"msgid"\s*:\s*"?([0-9]{1,32})"?/.exec(raw);
        return { msgId: m?.[1] };
      } catch (error) {
        // Token rejections were already handled (and are not a send failure); everything else becomes typed.
        if (error instanceof MiniProgramApiError && !['40001', '42001', '40014'].includes(error.code ?? '')) throw new SubscribeMessageError(error);
        throw error;
      }
    },
  };
}
