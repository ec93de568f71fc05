import { WxPayProtocolError } from '../errors.js';
import { parseWireInt } from '../wire-int.js';

/**
 * Typed messages from the mini program's message push. The fields of every message are read by one rule whichever
 * the format: JSON gives numbers and strings, the flat XML codec gives strings only (integers are then read with the
 * SDK's wire-integer rule). Events this SDK does not know are passed through as `{ type: 'unknown' }` with their raw
 * fields, so a new WeChat event is never refused (a refusal would only make WeChat retry it).
 */

/** What every push carries. Times are Unix seconds. */
export type PushEnvelope = {
  /** The mini program's original id (gh_…). */
  toUserName: string;
  /** The sender: a system openid for events, the user's openid for messages. */
  fromUserName: string;
  createTime: number;
  msgType: string;
  /** Every field as received (JSON values, or XML strings). */
  raw: Readonly<Record<string, unknown>>;
};

/** Sent on 账期授权, on the first transaction, and daily to apps that have transactions but never shipped. */
export type TradeManageRemindAccessApiEvent = PushEnvelope & { type: 'trade_manage_remind_access_api'; msg: string };

/** The payment identifiers the trade-management events carry. */
export type TradeManageOrderRef = {
  transactionId: string;
  merchantId: string;
  subMerchantId: string;
  merchantTradeNo: string;
  /** Unix seconds. */
  payTime: number;
};

/** An order still unshipped 48 h after payment (apps that have shipped before). */
export type TradeManageRemindShippingEvent = PushEnvelope & TradeManageOrderRef & { type: 'trade_manage_remind_shipping'; msg: string };

/**
 * Pushed when an order finishes shipping (with `estimatedSettlementTime`) and when it settles (with
 * `confirmReceiveMethod`, `confirmReceiveTime`, `settlementTime`). `confirmReceiveMethod` is WeChat's number as sent:
 * the documentation says 1 = automatic and 2 = manual confirmation, developers report the reverse — UNCONFIRMED.
 */
export type TradeManageOrderSettlementEvent = PushEnvelope & TradeManageOrderRef & {
  type: 'trade_manage_order_settlement';
  shippedTime: number | undefined;
  estimatedSettlementTime: number | undefined;
  confirmReceiveMethod: number | undefined;
  confirmReceiveTime: number | undefined;
  settlementTime: number | undefined;
};

/** One row of a subscribe_msg_* event (JSON format only: in XML these events are nested and the flat codec refuses them). */
export type SubscribeMessageEventItem = {
  templateId: string;
  /** `accept` / `reject` (popup, change); undefined in the sent event. */
  subscribeStatus: string | undefined;
  popupScene: number | undefined;
  msgId: string | undefined;
  errorCode: number | undefined;
  errorStatus: string | undefined;
};

export type SubscribeMessageEvent = PushEnvelope & {
  type: 'subscribe_msg_popup_event' | 'subscribe_msg_change_event' | 'subscribe_msg_sent_event';
  items: SubscribeMessageEventItem[];
};

/** The debug push the console sends (`debug_str`), handy to check a deployment. */
export type DebugDemoEvent = PushEnvelope & { type: 'debug_demo'; debugStr: string };

/** Anything else: a message (`msgType` ≠ event) or an event this SDK does not model. Read `raw`. */
export type UnknownPushMessage = PushEnvelope & { type: 'unknown'; event: string | undefined };

export type PushMessage =
  | TradeManageRemindAccessApiEvent
  | TradeManageRemindShippingEvent
  | TradeManageOrderSettlementEvent
  | SubscribeMessageEvent
  | DebugDemoEvent
  | UnknownPushMessage;

class Fields {
  constructor(private readonly source: Readonly<Record<string, unknown>>) {}

  string(name: string, required = true): string | undefined {
    const value = this.source[name];
    if (value === undefined && !required) return undefined;
    if (typeof value === 'string') return value;
    // JSON ids are strings, but a numeric id sent as a safe integer reads the same.
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (value === undefined) throw new WxPayProtocolError(`push message has no ${name}`);
    throw new WxPayProtocolError(`push message field ${name} is not a string`);
  }

  requiredString(name: string): string {
    return this.string(name) as string;
  }

  int(name: string, required = true): number | undefined {
    const value = this.source[name];
    if (value === undefined && !required) return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    if (typeof value === 'string') {
      const n = parseWireInt(value);
      if (n !== undefined) return n;
    }
    if (value === undefined) throw new WxPayProtocolError(`push message has no ${name}`);
    throw new WxPayProtocolError(`push message field ${name} is not an integer`);
  }

  requiredInt(name: string): number {
    return this.int(name) as number;
  }
}

/**
 * The reminder text. Documented as a string, but developers report JSON content in it: a non-string is kept as its
 * JSON text (and in `raw`) rather than refused, since a refusal would only make WeChat resend the same push.
 */
function reminderText(raw: Readonly<Record<string, unknown>>): string {
  const msg = raw.msg;
  if (msg === undefined) return '';
  return typeof msg === 'string' ? msg : JSON.stringify(msg);
}

function orderRef(f: Fields): TradeManageOrderRef {
  return {
    transactionId: f.requiredString('transaction_id'),
    merchantId: f.requiredString('merchant_id'),
    // Empty when the payment has no sub-merchant; some pushes omit it.
    subMerchantId: f.string('sub_merchant_id', false) ?? '',
    merchantTradeNo: f.requiredString('merchant_trade_no'),
    payTime: f.requiredInt('pay_time'),
  };
}

function subscribeItems(raw: Readonly<Record<string, unknown>>, container: string): SubscribeMessageEventItem[] {
  const holder = raw[container];
  const list = typeof holder === 'object' && holder !== null && !Array.isArray(holder) ? (holder as Record<string, unknown>).List : undefined;
  // WeChat's JSON renders a one-item List as an object and several as an array.
  const rows = Array.isArray(list) ? list : list === undefined ? [] : [list];
  return rows.map((row) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new WxPayProtocolError(`${container}.List holds a non-object`);
    const f = new Fields(row as Record<string, unknown>);
    return {
      templateId: f.requiredString('TemplateId'),
      subscribeStatus: f.string('SubscribeStatusString', false),
      popupScene: f.int('PopupScene', false),
      msgId: f.string('MsgID', false),
      errorCode: f.int('ErrorCode', false),
      errorStatus: f.string('ErrorStatus', false),
    };
  });
}

const SUBSCRIBE_CONTAINERS = {
  subscribe_msg_popup_event: 'SubscribeMsgPopupEvent',
  subscribe_msg_change_event: 'SubscribeMsgChangeEvent',
  subscribe_msg_sent_event: 'SubscribeMsgSentEvent',
} as const;

/** Read a decoded push (a JSON object or the XML codec's string map) into a typed message. */
export function toPushMessage(raw: Readonly<Record<string, unknown>>): PushMessage {
  const f = new Fields(raw);
  const envelope: PushEnvelope = {
    toUserName: f.requiredString('ToUserName'),
    fromUserName: f.requiredString('FromUserName'),
    createTime: f.requiredInt('CreateTime'),
    msgType: f.requiredString('MsgType'),
    raw,
  };
  const event = envelope.msgType === 'event' ? f.string('Event', false) : undefined;
  switch (event) {
    case 'trade_manage_remind_access_api':
      return { ...envelope, type: event, msg: reminderText(raw) };
    case 'trade_manage_remind_shipping':
      return { ...envelope, ...orderRef(f), type: event, msg: reminderText(raw) };
    case 'trade_manage_order_settlement':
      return {
        ...envelope,
        ...orderRef(f),
        type: event,
        shippedTime: f.int('shipped_time', false),
        estimatedSettlementTime: f.int('estimated_settlement_time', false),
        confirmReceiveMethod: f.int('confirm_receive_method', false),
        confirmReceiveTime: f.int('confirm_receive_time', false),
        settlementTime: f.int('settlement_time', false),
      };
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
    case 'subscribe_msg_sent_event':
      return { ...envelope, type: event, items: subscribeItems(raw, SUBSCRIBE_CONTAINERS[event]) };
    case 'debug_demo':
      return { ...envelope, type: event, debugStr: f.string('debug_str', false) ?? '' };
    default:
      return { ...envelope, type: 'unknown', event };
  }
}
