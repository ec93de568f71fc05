/**
 * What /docs says about each route beyond its zod schemas: a description, request and response examples, and every
 * error status the route can answer, each with the `{error:{code,message}}` schema and an example. Applied by an
 * onRoute hook (documentRoutes) before @fastify/swagger reads the route and before Fastify compiles its serializers,
 * so each error status documented here is also serialized through its schema (http/zod.ts): the reference and the
 * answers cannot part ways. The route files keep their own summary, tags and shapes; this module only adds.
 *
 * Which errors a route can answer follows from what it is: every route can fail (500); a POST/PUT/PATCH/DELETE body can
 * be malformed (400), too large (413) or not JSON (415); parameters and query strings can be invalid (400); a bearer-token route refuses a
 * missing token (401); an admin route does not exist without ADMIN_TOKEN (404); a rate-limited one answers 429. A
 * route's entry in ROUTE_DOCS adds its own (404 not_found, 409 …) and gives examples. test/http/openapi.test.ts checks
 * every route is described, every example fits its schema and every status a route answers is documented.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { z } from 'zod';
import { errorSchema } from './schemas/common.js';

export const API_DESCRIPTION = [
  'The merchant backend of wxpay-kit: a WeChat Mini Program logs in (`/api/login`), reads the catalogue, creates orders',
  'priced on the server and gets the exact parameters of `wx.requestPayment`; WeChat Pay posts its signed notifications',
  'to `/wxpay/notify/*`; the operator works under `/admin` with `Authorization: Bearer $ADMIN_TOKEN`.',
  '',
  'Money is always integer **fen** (1 yuan = 100 fen). Request bodies are JSON (`content-type: application/json`).',
  'Every error is `{"error":{"code","message"}}` with a fitting HTTP status; the codes each route can answer are listed',
  'under it. This document is generated from the routes\' own schemas, and every answer is serialized through the',
  'schema documented for its status.',
].join('\n');

export const API_TAGS = [
  { name: 'session', description: 'Log in with the code of `wx.login()`: a bearer token for the rest of `/api`.' },
  { name: 'catalogue', description: 'What can be bought, prices in fen.' },
  { name: 'orders', description: 'The caller\'s orders: create (priced on the server), read, pay again.' },
  { name: 'admin', description: 'The operator: orders, refunds, reconciliation, the catalogue. `Authorization: Bearer $ADMIN_TOKEN`; absent (404) unless ADMIN_TOKEN is set.' },
  { name: 'wechat', description: 'WeChat Pay\'s notifications to this server (not for clients): answered in WeChat\'s own format.' },
  { name: 'ops', description: 'Health checks for load balancers and orchestrators.' },
];

type ErrorExample = readonly [code: string, message: string];

/** What each error status means, with the example used when a route gives none of its own. */
const STATUS_TEXT: Record<number, { description: string; example: ErrorExample }> = {
  400: { description: 'Invalid request: a parameter or the body does not fit the schema (the message names the field), or the body is not JSON', example: ['invalid_request', 'items.0.quantity: Too small: expected number to be >=1'] },
  401: { description: 'Missing or wrong bearer token', example: ['unauthorized', 'a valid bearer token is required'] },
  404: { description: 'Not found', example: ['not_found', 'no such resource'] },
  409: { description: 'Conflict with the current state', example: ['conflict', 'the current state does not allow this'] },
  413: { description: 'The body is larger than BODY_LIMIT_BYTES', example: ['payload_too_large', 'request body is too large'] },
  415: { description: 'The body is not sent as JSON', example: ['unsupported_media_type', 'unsupported content type: send the body as JSON with the header content-type: application/json'] },
  422: { description: 'Unprocessable', example: ['unprocessable', 'the request cannot be processed'] },
  429: { description: 'Too many requests: wait and retry', example: ['rate_limited', 'too many requests: at most 30 per minute from one address; retry in 1 minute'] },
  500: { description: 'Something failed on our side (details in the server log only)', example: ['internal_error', 'something went wrong on our side'] },
  502: { description: 'WeChat Pay refused the request', example: ['refund_rejected', 'refund refused (NOTENOUGH)'] },
  503: { description: 'WeChat Pay or the database is unavailable right now; retry after the Retry-After seconds', example: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'] },
};

const SUCCESS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted: under way at WeChat Pay' };

export type RouteDoc = {
  description: string;
  /** Example request body (checked against the body schema by the tests). */
  request?: unknown;
  /** Example answers by status (checked against the response schemas by the tests). */
  responses?: Record<number, unknown>;
  /** Errors this route answers beyond those that follow from its shape, with their example code and message. */
  errors?: Record<number, ErrorExample>;
};

const ISO = '2026-11-26T04:00:00.000Z';
const PAY_PARAMS = { timeStamp: '1764129600', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS', package: 'prepay_id=wx2611215250188e9f3a8c2f0b1dd2f1e0000', signType: 'HMAC-SHA256', paySign: 'C380BEC2BFD727A4B6845133519F3AD6' };
const SHIPPING = { status: 'SHIPPED', logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: 'YT9876543210' }], upload: 'UPLOADED', shippedAt: '2026-11-26T06:00:00.000Z' };
const ORDER = { orderId: 'ord_7NQ2cW4x', outTradeNo: 'T20261126K7M2QX9A', amount: 9600, status: 'PAID', items: [{ sku: 'tea-oolong', name: 'Oolong tea, 100 g', price: 4800, quantity: 2 }], createdAt: ISO, paidAt: '2026-11-26T04:00:31.000Z' , shipping: SHIPPING};
const ADMIN_SUMMARY = { orderId: 'ord_7NQ2cW4x', outTradeNo: 'T20261126K7M2QX9A', status: 'PAID', amount: 9600, refunded: 0, createdAt: ISO, updatedAt: '2026-11-26T04:00:31.000Z', paidAt: '2026-11-26T04:00:31.000Z' };
const RUN = { date: '2026-11-25', status: 'differences', runs: 1, startedAt: '2026-11-26T02:05:00.000Z', finishedAt: '2026-11-26T02:05:02.000Z', billPayments: 41, billRefunds: 2, matched: 42, ignored: 0, applied: 1, billPaid: 396_800, billRefunded: 9600, differenceCount: 1 };
const DIFFERENCE = { kind: 'missing_payment', outTradeNo: 'T20261125Q3ZP8M1B', orderId: 'ord_3kLm9pQa', transactionId: '4200002871202611254412345678', billAmount: 1200, detail: 'paid at WeChat, never recorded here', resolution: 'applied:paid', firstSeenAt: '2026-11-26T02:05:01.000Z' };
const MERCHANT_DEFAULT = { id: 'default', name: 'default', appid: 'wxd930ea5d5a258f4f', mchid: '10000100', apiVersion: 'v3', payMode: 'direct', notifyPaths: { payment: '/wxpay/notify/payment', refund: '/wxpay/notify/refund' }, isDefault: true };
const MERCHANT = { id: 'brand-b', name: 'Brand B', appid: 'wx2b3c4d5e6f7a8b9c', mchid: '1900000109', apiVersion: 'v2', payMode: 'direct', notifyPaths: { payment: '/wxpay/notify/brand-b/payment', refund: '/wxpay/notify/brand-b/refund' }, isDefault: false };
const PRODUCT = { sku: 'tea-green', name: 'Green tea, 100 g', price: 2600, active: true, virtual: false };

/** By `METHOD path` as the route is declared (without wxpayKit's mount prefix). */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'POST /api/orders/:orderId/confirm-receipt': {
    description: 'Called after the confirm-receipt component (wx.openBusinessView weappOrderConfirm) said success: the server asks WeChat (get_order) and records CONFIRMED only when WeChat shows order_state 3 or 4 (issue 14). Confirming twice is harmless.',
    responses: { 200: { ...ORDER, shipping: { ...SHIPPING, status: 'CONFIRMED', confirmedAt: '2026-11-28T09:00:00.000Z' } } },
    errors: { 404: ['not_found', 'no such order'], 409: ['not_confirmed', 'WeChat does not show the receipt confirmed (order_state 2)'], 503: ['wechat_unavailable', 'WeChat could not be asked (-1); try again'] },
  },
  'POST /admin/orders/:orderId/shipments': {
    description: 'Ships a PAID order (issue 14): recorded at once (upload PENDING), then uploaded to WeChat (upload_shipping_info) by the outbox with retries; 10060001 right after payment is retried with backoff. The same shipment again is not uploaded twice (`duplicate: true`); a different one is WeChat\'s single re-shipment.',
    request: { logisticsType: 'express', packages: [{ expressCompany: 'YTO', trackingNo: 'YT9876543210' }] },
    responses: { 202: { orderId: 'ord_7NQ2cW4x', shipping: { ...SHIPPING, upload: 'PENDING' }, duplicate: false } },
    errors: { 404: ['not_found', 'no such order'], 409: ['not_paid', 'only a PAID order ships (this one is PAYING)'] },
  },
  'GET /admin/shipping': {
    description: 'Orders by shipping status (toShip: PAID, not shipped yet) and WeChat\'s shipping reminders received at /wechat/message (trade_manage_remind_shipping, trade_manage_remind_access_api), counted by event.',
    responses: { 200: { counts: { toShip: 3, shipped: 5, confirmed: 2, settled: 40, uploadPending: 1, uploadFailed: 0 }, reminders: [{ event: 'trade_manage_remind_shipping', count: 2, lastAt: ISO }] } },
  },
  'POST /admin/shipping/check': {
    description: 'Compares our shipping state with WeChat\'s get_order_list (orders paid in the last 30 days) now; orders that differ are flagged for review. The jobs do it once a China day.',
    responses: { 200: { examined: 12, differences: 1, failed: 0 } },
  },
  'GET /healthz': { description: 'Answers 200 while the process runs; it does not touch the database (use /readyz for that).', responses: { 200: { status: 'ok' } } },
  'GET /readyz': {
    description: 'Answers 200 when the database answers a ping, 503 otherwise: take the instance out of the load balancer while it is 503.',
    responses: { 200: { status: 'ok' } },
    errors: { 503: ['not_ready', 'database unreachable'] },
  },
  'POST /api/login': {
    description: 'The mini program sends the one-time code of `wx.login()`; the server exchanges it with WeChat (code2Session), keeps the session_key encrypted and answers a bearer token for the rest of `/api`. With several merchants, the optional `appid` names the mini program (default: the first merchant\'s); the token then acts for that merchant only. Rate-limited per client address.',
    request: { code: '0a3Xk2Ga1mQW0K0vJ5Ha1t0QkT0Xk2GJ' },
    responses: { 200: { token: 'wxk_8cT1vQpZ0bN4mW7yR2sL5dF9hJ3kX6aE', expiresAt: '2026-12-03T04:00:00.000Z' } },
    errors: { 401: ['invalid_code', 'the login code is invalid, expired or used'], 503: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'] },
  },
  'GET /api/products': {
    description: 'The products on sale (inactive ones are hidden). Prices are integer fen; the client shows them, the server charges them. `?appid=` picks a merchant\'s catalogue (default: the first merchant\'s).',
    responses: { 200: { products: [{ sku: 'tea-oolong', name: 'Oolong tea, 100 g', price: 4800 }, { sku: 'sticker', name: 'Sticker', price: 1 }] } },
  },
  'POST /api/orders': {
    description: 'Prices the cart from the catalogue (any price or amount in the body is refused), records the order and calls WeChat Pay (unifiedorder / v3 JSAPI). `payParams` is exactly what `wx.requestPayment` takes. With an `Idempotency-Key` header, sending the same cart again answers the same order (200) with its current status: fresh `payParams` while it can be paid, none once paid or closed; the same key with another cart is 422.',
    request: { items: [{ sku: 'tea-oolong', quantity: 2 }] },
    responses: { 201: { orderId: 'ord_7NQ2cW4x', outTradeNo: 'T20261126K7M2QX9A', amount: 9600, status: 'PAYING', payParams: PAY_PARAMS }, 200: { orderId: 'ord_7NQ2cW4x', outTradeNo: 'T20261126K7M2QX9A', amount: 9600, status: 'PAID' } },
    errors: {
      400: ['unknown_sku', 'no such product: tea-puer'],
      409: ['already_paid', 'the order is already paid'],
      422: ['idempotency_mismatch', 'this Idempotency-Key was used for a different order'],
      429: ['too_many_open_orders', 'at most 20 unpaid orders per user (OPEN_ORDERS_MAX); pay or wait for one to expire'],
      503: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'],
    },
  },
  'GET /api/orders': { description: 'The orders of the token\'s user, newest first (at most 100).', responses: { 200: { orders: [ORDER] } } },
  'GET /api/orders/:orderId': {
    description: 'One order of the token\'s user; anyone else\'s order is 404, as is a missing one. An unpaid order whose notification is late is checked with WeChat Pay first (orderquery) and the answer applied as a notification would be.',
    responses: { 200: ORDER },
    errors: { 404: ['not_found', 'no such order'], 429: ['rate_limited', 'too many lookups of unknown orders: at most 30 per 60 s per user (ORDER_MISSES_PER_MINUTE); retry in 12 s'] },
  },
  'POST /api/orders/:orderId/payment': {
    description: 'Fresh `wx.requestPayment` parameters for an unpaid order of the caller: a still-valid prepay is reused; otherwise the previous attempt is closed at WeChat and a new one (new out_trade_no) started.',
    responses: { 200: { orderId: 'ord_7NQ2cW4x', outTradeNo: 'T20261126R2D5WQ8C', payParams: PAY_PARAMS } },
    errors: { 404: ['not_found', 'no such order'], 409: ['expired', 'the order has expired; create a new one'], 503: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'] },
  },
  'GET /admin/orders': {
    description: 'Orders newest first; `flagged=true` lists those a person should review (`reviewReason` set: amount mismatch, paid after close, bill differences…). Page with `nextCursor`.',
    responses: { 200: { orders: [ADMIN_SUMMARY, { ...ADMIN_SUMMARY, orderId: 'ord_3kLm9pQa', status: 'PAID', reviewReason: 'bill_amount_mismatch' }], nextCursor: 'MTc2NDEyOTYwMDAwMF9vcmRfM2tMbTlwUWE' } },
    errors: { 400: ['invalid_request', 'cursor: not a cursor from this API'] },
  },
  'GET /admin/orders/:orderId': {
    description: 'Everything about one order: its lines, every payment attempt (out_trade_no, prepay, transaction id), refunds, each notification delivery as received (raw, cut at 8 KiB) with its verdict, and the outbox events.',
    responses: {
      200: {
        order: { ...ADMIN_SUMMARY, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', description: 'Oolong tea, 100 g ×2', items: ORDER.items },
        attempts: [{ outTradeNo: 'T20261126K7M2QX9A', amount: 9600, status: 'PAID', prepayId: 'wx2611215250188e9f3a8c2f0b1dd2f1e0000', prepayAt: ISO, timeExpire: '2026-11-26T04:30:00.000Z', transactionId: '4200002871202611264412345678', createdAt: ISO }],
        refunds: [],
        notifications: [{ id: 'ntf_5Jq8Lw2e', kind: 'payment', apiVersion: 'v2', receivedAt: '2026-11-26T04:00:31.000Z', authentic: true, outcome: 'paid', outTradeNo: 'T20261126K7M2QX9A', headers: { 'content-type': 'text/xml' }, rawBody: '<xml><return_code><![CDATA[SUCCESS]]></return_code>…</xml>' }],
        events: [{ id: 'evt_9Hc2Vb7n', topic: 'order.paid', createdAt: '2026-11-26T04:00:31.000Z', attempts: 1, deliveredAt: '2026-11-26T04:00:32.000Z' }],
        actions: [],
      },
    },
    errors: { 404: ['not_found', 'no such order'] },
  },
  'POST /admin/reconciliations': {
    description: 'Downloads WeChat Pay\'s trade bill of one China day and compares it line by line with the database now: a payment WeChat has and we missed is applied as a notification would be; other differences flag their orders for review. Re-running a date updates its run and never applies anything twice. WeChat makes a day\'s bill after about 10:00 the next day; before that the run is recorded as failed with WeChat\'s reason.',
    request: { date: '2026-11-25' },
    responses: { 200: { reconciliation: { ...RUN, differences: [DIFFERENCE] } } },
    errors: { 400: ['invalid_request', 'date: a day that has not begun has no bill'], 409: ['reconciliation_running', 'another reconciliation is running; try again shortly'] },
  },
  'GET /admin/reconciliations': { description: 'Reconciliation runs, newest bill date first; page with `before`.', responses: { 200: { reconciliations: [RUN] } } },
  'GET /admin/reconciliations/:date': {
    description: 'One China day\'s reconciliation with every difference and what was done about it.',
    responses: { 200: { reconciliation: { ...RUN, differences: [DIFFERENCE] } } },
    errors: { 404: ['not_found', 'no reconciliation for that date'] },
  },
  'GET /admin/products': { description: 'The whole catalogue by sku, inactive products too.', responses: { 200: { products: [PRODUCT, { ...PRODUCT, sku: 'tea-oolong', name: 'Oolong tea, 100 g', price: 4800, active: false }] } } },
  'POST /admin/products': {
    description: 'Adds a product, on sale at once. The price is integer fen (> 0); the sku is letters, digits, `_ . -`, at most 64. Logged with who (admin) and what.',
    request: { sku: 'tea-green', name: 'Green tea, 100 g', price: 2600 },
    responses: { 201: { product: PRODUCT } },
    errors: { 409: ['product_exists', 'a product with sku tea-green exists; change it with PATCH /admin/products/tea-green'] },
  },
  'PATCH /admin/products/:sku': {
    description: 'Changes a product\'s name, price (fen) or `active` flag. There is no DELETE: `active: false` takes it off sale (hidden from /api/products, new orders of it refused) and orders keep the names and prices they were made with.',
    request: { price: 2800 },
    responses: { 200: { product: { ...PRODUCT, price: 2800 } } },
    errors: { 404: ['not_found', 'no product with sku tea-puer'] },
  },
  'POST /admin/orders/:orderId/refunds': {
    description: 'Refunds a paid order: all that is not yet refunded, or `amount` fen. It refunds the payment that paid the order. One refund runs at a time: while one is under way this answers 409 `refund_in_progress` with that refund. The result comes with WeChat\'s refund notification (status REFUNDED / PARTIALLY_REFUNDED).',
    request: { amount: 4800, reason: 'one box arrived damaged' },
    responses: { 202: { refund: { outRefundNo: 'R20261126W4X8P2LK', amount: 4800, status: 'PROCESSING', refundId: '50300608022026112612345678901' } }, 409: { error: { code: 'refund_in_progress', message: 'a refund of this order is under way; it is returned here (repeat it with the same amount, or wait for it)' }, refund: { outRefundNo: 'R20261126W4X8P2LK', amount: 4800, status: 'PROCESSING' } } },
    errors: { 400: ['bad_amount', 'amount must be positive and at most what is left to refund'], 404: ['not_found', 'no such order'], 502: ['refund_rejected', 'refund refused (NOTENOUGH)'], 503: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'] },
  },
  'GET /admin/merchants': {
    description: 'Every merchant this server serves, the environment\'s own (`default`) first: its appid, mchid, API version, pay mode (direct, or partner with the sub-merchant) and the notify paths WeChat must be given. Credentials are never returned.',
    responses: { 200: { merchants: [MERCHANT_DEFAULT, MERCHANT] } },
  },
  'POST /admin/merchants': {
    description: 'Adds a merchant (issue 16). Its credentials are tried against WeChat (or the sandbox) before anything is saved: a made-up login code must be refused as an invalid code, and a query for a made-up order must be answered "does not exist" under its keys — otherwise 422 and nothing is saved. Secrets are stored encrypted (the session_key scheme) and never come back. v2: `apiKey`; v3: `apiV3Key`, `privateKeyPem`, `certSerial` and `publicKeyId` + `publicKeyPem` (or `platformCertificates: true`); partner: `payMode: "partner"` with the provider\'s `mchid`/`spAppid` and the `subMchid`.',
    request: { id: 'brand-b', name: 'Brand B', appid: 'wx2b3c4d5e6f7a8b9c', appSecret: 'd3c4b5a6f7e8d9c0b1a2f3e4d5c6b7a8', mchid: '1900000109', apiVersion: 'v2', apiKey: '192006250b4c09247ec02edce69f6a2d' },
    responses: { 201: { merchant: MERCHANT } },
    errors: { 409: ['merchant_exists', 'a merchant with this id or appid exists'], 422: ['invalid_credentials', 'payment keys: a query for a made-up order was refused; check mchid and the v2 keys'] },
  },
  'POST /wxpay/notify/:merchantId/payment': {
    description: 'One merchant\'s payment notifications (the notify_url its prepays name). Verified with that merchant\'s keys only; an authentic notification naming another merchant or sub-merchant is recorded as `wrong_merchant`, counted with the refusals and never applied. Answered like `/wxpay/notify/payment`.',
  },
  'POST /wxpay/notify/:merchantId/refund': {
    description: 'One merchant\'s refund notifications, verified with its keys; answered like `/wxpay/notify/refund`.',
  },
  'GET /admin/stats': {
    description: 'The console dashboard\'s numbers over the last `days` China days (Asia/Shanghai, default 30), computed from the database: orders created and paid and revenue per day, orders by status now, conversion (created → paid), notification health (deliveries, authentic, rejected, retried, outcomes, time from payment to the first notification), refunds by status and flagged orders.',
    responses: {
      200: {
        window: { from: '2026-10-28', to: '2026-11-26', days: 30, timeZone: 'Asia/Shanghai', generatedAt: ISO },
        days: [{ date: '2026-11-26', created: 12, paid: 9, revenue: 43_200, refunded: 4800 }],
        totals: { created: 12, paid: 9, revenue: 43_200, refunded: 4800 },
        byStatus: { CREATED: 0, PAYING: 0, PAID: 8, REFUNDING: 0, PARTIALLY_REFUNDED: 0, REFUNDED: 1, CLOSED: 3 },
        conversion: { created: 12, paid: 9, rate: 0.75 },
        notifications: { deliveries: 11, authentic: 10, rejected: 1, retried: 1, outcomes: { paid: 9, 'redelivery:duplicate': 1 }, paymentToNotification: { count: 9, medianMs: 800, p90Ms: 2100, maxMs: 15_200 } },
        refunds: { count: 1, amount: 4800, byStatus: { SUCCESS: { count: 1, amount: 4800 } } },
        flagged: { open: 0, reviewed: 1 },
      },
    },
  },
  'POST /admin/orders/:orderId/query': {
    description: 'Asks WeChat about the order now (orderquery of the attempt that paid it, else its latest) and applies the answer through the usual rules, as the late-notification path does. The `reason` is required and audited with who asked (ADMIN_TOKEN_LABEL).',
    request: { reason: 'buyer says they paid' },
    responses: { 200: { action: { id: 'act_1', action: 'query', actor: 'admin', reason: 'buyer says they paid', result: 'ok', detail: { outTradeNo: 'T20261126K7M2QX9A', answer: 'paid' }, createdAt: ISO }, order: { orderId: 'ord_7NQ2cW4x', status: 'PAID' } } },
    errors: { 404: ['not_found', 'no such order'], 409: ['no_attempt', 'the order has no payment attempt to ask WeChat about'], 503: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'] },
  },
  'POST /admin/orders/:orderId/close': {
    description: 'Closes an unpaid order: its open attempt is closed at WeChat first; a payment that raced the close is applied and the answer is 409 `order_paid`. Audited with the reason.',
    request: { reason: 'customer asked to cancel' },
    responses: { 200: { action: { id: 'act_2', action: 'close', actor: 'admin', reason: 'customer asked to cancel', result: 'ok', detail: { from: 'PAYING', outTradeNo: 'T20261126K7M2QX9A' }, createdAt: ISO }, order: { orderId: 'ord_7NQ2cW4x', status: 'CLOSED' } } },
    errors: { 404: ['not_found', 'no such order'], 409: ['not_closable', 'only an unpaid order can be closed (this one is PAID)'], 503: ['payment_unavailable', 'WeChat Pay is unavailable right now; retry shortly'] },
  },
  'POST /admin/orders/:orderId/review': {
    description: 'Marks a flagged order reviewed: it leaves `flagged=true`; its review reason stays on record. Audited with the reason.',
    request: { reason: 'refunded the double payment by hand' },
    responses: { 200: { action: { id: 'act_3', action: 'mark_reviewed', actor: 'admin', reason: 'refunded the double payment by hand', result: 'ok', detail: { reviewReason: 'double_payment' }, createdAt: ISO }, order: { orderId: 'ord_7NQ2cW4x', status: 'PAID' } } },
    errors: { 404: ['not_found', 'no such order'], 409: ['not_flagged', 'the order is not flagged for review'] },
  },
  'POST /wxpay/notify/payment': {
    description: 'WeChat Pay posts the payment result here (the notify_url of each prepay). v2: signed XML, answered `<xml><return_code>SUCCESS</return_code></xml>` once recorded, FAIL when not authentic. v3: a signed JSON envelope (headers Wechatpay-Signature, -Timestamp, -Nonce, -Serial), answered 204 once recorded, 401 when not authentic, 500 when authentic but not recorded (WeChat retries). Authentic deliveries are answered success whatever the verdict (duplicate, wrong amount → flagged): a retry could not change it.',
  },
  'POST /wxpay/notify/refund': {
    description: 'WeChat Pay posts refund results here (v2: `req_info` encrypted with the APIv2 key; v3: the JSON envelope). Answered like the payment notification.',
  },
};

const V2_ANSWER = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

/** WeChat's notification routes answer in WeChat's formats, not ours: documented by hand. */
const NOTIFY_RESPONSES = {
  200: { description: 'v2: the answer WeChat expects (SUCCESS once recorded, FAIL when not authentic)', content: { 'text/xml': { schema: { type: 'string' }, example: V2_ANSWER } } },
  204: { description: 'v3: recorded (whatever the verdict), no body', type: 'null' },
  400: { description: 'v3: malformed notification', content: { 'application/json': { schema: wechatV3Failure(), example: { code: 'FAIL', message: 'malformed notification' } } } },
  401: { description: 'v3: not authentic (signature, timestamp or serial refused); WeChat\'s signature probes land here too', content: { 'application/json': { schema: wechatV3Failure(), example: { code: 'FAIL', message: 'signature verification failed' } } } },
  413: { description: 'v3: larger than 64 KiB', content: { 'application/json': { schema: wechatV3Failure(), example: { code: 'FAIL', message: 'notification too large' } } } },
  500: { description: 'v3: authentic but not recorded (database down, APIv3 key cannot decrypt it): WeChat retries for 24 hours', content: { 'application/json': { schema: wechatV3Failure(), example: { code: 'FAIL', message: 'not recorded, retry later' } } } },
};

function wechatV3Failure() {
  return { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', const: 'FAIL' }, message: { type: 'string' } } };
}

/** The error schema for one status, with its description and an example. */
export function errorResponse(status: number, example?: ErrorExample): z.ZodType {
  const text = STATUS_TEXT[status] ?? { description: `HTTP ${status}`, example: ['error', 'failed'] as const };
  const [code, message] = example ?? text.example;
  return errorSchema.meta({ description: text.description, examples: [{ error: { code, message } }] });
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isZod(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

/** The statuses a route can answer with an error, from its shape (see the module comment) and its ROUTE_DOCS entry. */
export function errorStatusesOf(route: Pick<RouteOptions, 'url' | 'method' | 'schema' | 'config'>, path: string, doc: RouteDoc | undefined): number[] {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const statuses = new Set<number>([500]);
  // Any route that reads a body (with a schema or not) parses it first: not JSON, too large, malformed.
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (schema.body !== undefined || methods.some((m) => BODY_METHODS.has(m))) for (const s of [400, 413, 415]) statuses.add(s);
  if (schema.params !== undefined || schema.querystring !== undefined) statuses.add(400);
  if (Array.isArray(schema.security) && schema.security.length > 0) statuses.add(401);
  if (path === '/admin' || path.startsWith('/admin/')) statuses.add(404);
  const config = route.config as { rateLimit?: unknown } | undefined;
  if (config?.rateLimit !== undefined) statuses.add(429);
  for (const s of Object.keys(doc?.errors ?? {})) statuses.add(Number(s));
  return [...statuses].sort((a, b) => a - b);
}

function withExample(schema: unknown, example: unknown, description?: string): unknown {
  if (!isZod(schema)) return schema;
  const meta = schema.meta() ?? {};
  return schema.meta({ ...meta, ...(description === undefined ? {} : { description }), examples: [example] });
}

/**
 * The onRoute hook: complete each documented route's schema from ROUTE_DOCS and the error rules. `mount` is wxpayKit's
 * prefix (the table is keyed without it). Routes hidden from the docs are left alone.
 */
export function documentRoutes(app: FastifyInstance, mount: string): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (schema === undefined || schema.hide === true) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes('HEAD')) return;
    const path = route.url.startsWith(mount) ? route.url.slice(mount.length) || '/' : route.url;
    const doc = ROUTE_DOCS[`${methods.join(',')} ${path}`];
    // The reference's own text wins over a route's short note (it says the same, and more).
    if (doc !== undefined) schema.description = doc.description;
    if (path.startsWith('/wxpay/notify/')) {
      schema.response = { ...NOTIFY_RESPONSES, ...(schema.response as object | undefined) };
      return;
    }
    if (doc?.request !== undefined && schema.body !== undefined) schema.body = withExample(schema.body, doc.request);
    const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) };
    for (const [status, example] of Object.entries(doc?.responses ?? {})) {
      if (response[status] !== undefined) response[status] = withExample(response[status], example, SUCCESS_TEXT[Number(status)] ?? STATUS_TEXT[Number(status)]?.description);
    }
    const declaredErrors = Object.keys(response).map(Number).filter((s) => s >= 400);
    for (const status of new Set([...errorStatusesOf(route, path, doc), ...declaredErrors])) {
      const current = response[String(status)];
      // A route's own non-error shape for a status (409 with the refund under way) keeps its schema; examples above.
      if (current !== undefined && current !== errorSchema) continue;
      response[String(status)] = errorResponse(status, doc?.errors?.[status]);
    }
    schema.response = response;
  });
}
