/**
 * The sandbox's data model. Plain JSON-serialisable records (times are virtual ms since the epoch, money integer fen)
 * so the whole state can be snapshotted to SQLite and restored. Protocol-neutral where it can be: v2 (XML) and v3
 * (JSON) routes work on the same orders, keyed by mchid + out_trade_no.
 */

/** A merchant the sandbox knows: a mini program (appid, secret) bound to a WeChat Pay merchant (mchid, keys). */
export type SandboxMerchant = {
  /** A label for people ("demo"). */
  name?: string;
  /**
   * direct: an ordinary merchant (the default); provider: a 服务商, whose keys sign partner calls for its
   * sub-merchants; sub: a 特约商户 of `providerId`, bound to its mini program `appid` (sub_appid). A sub-merchant's
   * own keys are listed for shape only: partner calls are signed with the provider's.
   */
  kind?: MerchantKind;
  /** kind 'sub': the provider's id (its mchid). */
  providerId?: string;
  /** Which WeChat Pay APIs the merchant may call (default both). */
  apiVersions?: Protocol[];
  appid: string;
  secret: string;
  mchid: string;
  /** APIv2 key (32 characters): signs v2 XML, and its MD5 encrypts refund req_info. */
  apiKey: string;
  /** APIv3 key (32 ASCII bytes): AES-256-GCM for v3 notifications. */
  apiV3Key: string;
  /** v3: serial of the merchant API certificate (the Authorization header's serial_no), upper-case hex. */
  merchantCertSerial?: string;
  /** v3: the merchant API public key (SPKI PEM): the sandbox checks Authorization headers and RSA paySigns with it. */
  merchantPublicKey?: string;
  /**
   * v3: the merchant's private key, present only when the sandbox made it or ships it (the demo merchant's published
   * test key), so a backend can be configured from GET /sandbox/merchants. A real merchant's key never leaves it.
   */
  merchantPrivateKey?: string;
  /**
   * v3: how WeChat signs answers and notifications for this merchant: with the platform certificate, with the WeChat
   * Pay public key (`PUB_KEY_ID_…`, merchants since 2024; the default), or either, per message (migration).
   */
  v3KeyMode?: V3KeyMode;
  /** 消息推送: where and how WeChat pushes this mini program's events (trade management). None: no pushes. */
  messagePush?: MessagePushConfig;
};

/** The console's 消息推送配置 of a mini program. */
export type MessagePushConfig = {
  url: string;
  /** 3-32 letters and digits. */
  token: string;
  /** 43 letters and digits; required for the compatible and safe modes. */
  encodingAesKey?: string;
  mode: 'plain' | 'compatible' | 'safe';
  format: 'json' | 'xml';
  /** The mini program's 原始ID (ToUserName); default derived from the appid. */
  originalId?: string;
};

export type V3KeyMode = 'certificate' | 'publicKey' | 'migrating';

export type MerchantKind = 'direct' | 'provider' | 'sub';

/** Partner (服务商) mode: who an order or refund belongs to. The record's own mchid is then the sub-merchant's. */
export type PartnerOf = {
  spMchid: string;
  spAppid: string;
  subMchid: string;
  /** Present when the order named sub_appid. */
  subAppid?: string;
  spOpenid?: string;
  subOpenid?: string;
};

export type Protocol = 'v2' | 'v3';

/** How a v2 order was signed; its notifications are signed the same way. v3 orders use RSA. */
export type OrderSignType = 'MD5' | 'HMAC-SHA256' | 'RSA';

/** WeChat's trade states that the sandbox produces (micropay's REVOKED/USERPAYING are not modelled). */
export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND' | 'PAYERROR';

export type SandboxOrder = {
  protocol: Protocol;
  /** Partner orders: the provider and sub-merchant; `mchid` is the sub-merchant's, `appid` the paying mini program's. */
  partner?: PartnerOf;
  appid: string;
  mchid: string;
  outTradeNo: string;
  /** `body` (v2) / `description` (v3). */
  description: string;
  attach?: string;
  /** Order total, integer fen. */
  totalFee: number;
  feeType: string;
  tradeType: string;
  openid: string;
  notifyUrl: string;
  signType: OrderSignType;
  deviceInfo?: string;
  spbillCreateIp?: string;
  /** The parameters that must match for a repeated unifiedorder to be "the same order" (else OUT_TRADE_NO_USED). */
  fingerprint: string;
  createdAt: number;
  /** time_expire, if the merchant set one. */
  expiresAt?: number;
  prepayId: string;
  prepayExpiresAt: number;
  state: TradeState;
  /** Set when the user's payment failed (action 'fail'); the order stays payable. */
  lastPaymentError?: string;
  transactionId?: string;
  /** Payment time (time_end / success_time). */
  paidAt?: number;
  bankType?: string;
  closedAt?: number;
  /** Sum of accepted refunds (PROCESSING or SUCCESS), fen. */
  refundedFee: number;
  /** When the trade_manage_remind_shipping push was queued (unshipped 48 h after payment). */
  shippingRemindedAt?: number;
  /** opspecialorder (特殊发货报备): 1 presale (shipping expected at `delayTo`, virtual ms), 2 test order. */
  specialOrder?: { type: 1 | 2; delayTo?: number; reportedAt: number };
  /** 发货信息管理: what the merchant uploaded and how the buyer / settlement moved (absent until the first upload). */
  trade?: TradeRecord;
};

/** One package as upload_shipping_info sent it, with the upload that added it. */
export type ShippedPackageRecord = {
  trackingNo?: string;
  expressCompany?: string;
  itemDesc: string;
  contact?: { consignorContact?: string; receiverContact?: string };
  /** Virtual ms of the upload's upload_time. */
  uploadTime: number;
};

/** Trade management (发货信息管理) of one paid order. Times are virtual ms. */
export type TradeRecord = {
  logisticsType: number;
  deliveryMode: number;
  packages: ShippedPackageRecord[];
  /** All shipped (unified upload, or a split upload with is_all_delivered). */
  finishShipping: boolean;
  /** Uploads that changed the shipping after it was first complete (WeChat allows one). */
  reshipped: boolean;
  /** upload_time of the latest accepted upload; a new one must be later. */
  lastUploadTime: number;
  /** When shipping became complete (virtual time of the accepting request). */
  shippedAt?: number;
  /** Buyer confirmed receipt: 2 by the confirm-receipt component, 1 automatically (fact sheet 1.14, UNCONFIRMED values). */
  confirmedAt?: number;
  confirmReceiveMethod?: 1 | 2;
  settledAt?: number;
  /** notify_confirm_receive used (once per order). */
  reminded: boolean;
};

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'REFUNDCLOSE' | 'CHANGE';

export type SandboxRefund = {
  protocol: Protocol;
  /** Copied from the order (partner orders). */
  partner?: PartnerOf;
  mchid: string;
  appid: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId: string;
  totalFee: number;
  refundFee: number;
  refundDesc?: string;
  notifyUrl?: string;
  /** The request's sign type, used for answers; the refund notification itself is encrypted, not signed (v2). */
  signType: OrderSignType;
  status: RefundStatus;
  createdAt: number;
  /** When a PROCESSING refund becomes SUCCESS. */
  settlesAt: number;
  successAt?: number;
};

/** What a notification is about; the protocol's builder turns it into bytes. */
export type NotificationKind = 'payment' | 'refund' | 'trade_manage_order_settlement' | 'trade_manage_remind_shipping';

/** Who is told what, and where: the part a notification, each of its delivery attempts and an enqueue share. */
export type NotificationSubject = {
  protocol: Protocol;
  kind: NotificationKind;
  mchid: string;
  outTradeNo: string;
  outRefundNo?: string;
  url: string;
};

/** A notification WeChat owes a merchant, with its place in the retry schedule. */
export type NotificationJob = NotificationSubject & {
  id: string;
  createdAt: number;
  /** Scheduled attempts made so far (dropped ones count: WeChat's schedule does not care why an attempt failed). */
  attempts: number;
  nextAt?: number;
  status: 'pending' | 'delivered' | 'abandoned';
  /** Fixed per notification so every retry carries the same bytes (v2); v3 re-signs each attempt. */
  nonce: string;
  /** Fault effects fixed when the notification was created (so retries repeat the same content). */
  tamper: { badSignature: boolean; amountDelta: number; expiredTimestamp?: boolean; unknownSerial?: boolean; signTest?: boolean };
  /** Extra copies to send with the first attempt that is actually sent (duplicates fault). */
  duplicates: number;
  concurrent: boolean;
  sentOnce?: boolean;
};

export type AttemptVerdict = 'success' | 'failure' | 'dropped' | 'error';

/** One delivery attempt, as `GET /sandbox/notifications` shows it. */
export type DeliveryAttempt = NotificationSubject & {
  jobId: string;
  /** 1-based position in the schedule. */
  attempt: number;
  /** Copies beyond the first within one attempt (the duplicates fault). */
  copy: number;
  at: number;
  status?: number;
  answer?: string;
  error?: string;
  verdict: AttemptVerdict;
  tampered?: string;
};

export type LoginCode = {
  code: string;
  appid: string;
  openid: string;
  issuedAt: number;
  used: boolean;
};

export type AccessTokenRecord = {
  token: string;
  issuedAt: number;
  expiresAt: number;
  /** When a newer token replaced this one, it stays valid until this time (the grace period). */
  graceUntil?: number;
};

export type StableTokenState = {
  tokens: AccessTokenRecord[];
  forceRefreshTimes: number[];
};

export type StateData = {
  version: 1;
  /** Virtual time at the last save, so a restart never moves time backwards. */
  savedAt: number;
  merchants: SandboxMerchant[];
  /** appid + "\n" + user name → openid. */
  users: Record<string, string>;
  /** appid + "\n" + openid → current session_key. */
  sessionKeys: Record<string, string>;
  codes: Record<string, LoginCode>;
  /** appid → tokens from cgi-bin/token, newest last. */
  accessTokens: Record<string, AccessTokenRecord[]>;
  stableTokens: Record<string, StableTokenState>;
  /** mchid + "\n" + out_trade_no → order. */
  orders: Record<string, SandboxOrder>;
  /** mchid + "\n" + out_refund_no → refund. */
  refunds: Record<string, SandboxRefund>;
  jobs: Record<string, NotificationJob>;
  attempts: DeliveryAttempt[];
  /** appid → set_msg_jump_path's path (absent in states saved before trade management). */
  msgJumpPaths?: Record<string, string>;
  /** Merchants added with POST /sandbox/merchants (kept across restarts; configured merchants come first). */
  addedMerchants?: SandboxMerchant[];
  /** appid → 消息推送 configuration set through the control API (wins over the merchant's configured one). */
  messagePush?: Record<string, MessagePushConfig>;
  /** mchid + "\n" + combine_out_trade_no → a 合单 payment declared through the control API (absent in older states). */
  combinedPayments?: Record<string, CombinedPayment>;
  /** subscribeMessage: the users' choices and what was sent (absent in older states). */
  subscriptions?: Record<string, SubscriptionRecord>;
  subscribeMessages?: SentSubscribeMessage[];
  /** getPhoneNumber codes and the phone numbers they stand for (absent in older states). */
  phoneCodes?: Record<string, PhoneCodeRecord>;
};

/**
 * A 合单 (combined) payment: one payment covering several paid orders of one payer. The sandbox has no
 * /v3/combine-transactions; `POST /sandbox/combinedPayments` groups orders that were paid one by one, so
 * upload_combined_shipping_info has something to address.
 */
export type CombinedPayment = {
  appid: string;
  mchid: string;
  combineOutTradeNo: string;
  combineTransactionId: string;
  openid: string;
  /** The sub-orders, by mchid + out_trade_no. */
  subOrders: { mchid: string; outTradeNo: string }[];
  createdAt: number;
};

/** One user's choice for one template (wx.requestSubscribeMessage): each accept allows one send. */
export type SubscriptionRecord = {
  appid: string;
  openid: string;
  templateId: string;
  /** Sends still allowed (one-time subscriptions: one per accept). */
  remaining: number;
  /** The latest choice. */
  choice: 'accept' | 'reject';
  updatedAt: number;
};

/** A subscribeMessage.send call, sent or refused. */
export type SentSubscribeMessage = {
  appid: string;
  touser: string;
  templateId: string;
  page?: string;
  data: Record<string, string>;
  miniprogramState?: string;
  lang?: string;
  at: number;
  /** 0 when sent; else the errcode WeChat answered (43101 refused, 47003 bad data, ...). */
  errcode: number;
  msgid?: string;
};

/** A getPhoneNumber code (single use, 5 minutes) and the number it stands for. */
export type PhoneCodeRecord = {
  code: string;
  appid: string;
  openid: string;
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  issuedAt: number;
  /** When the merchant exchanged it (getuserphonenumber). */
  usedAt?: number;
};
