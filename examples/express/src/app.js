import express from 'express';
import { createLoginClient, createV2Client, WxPayError } from '@wxpay-kit/wechat';
import { createNotifyHandler, expressNotify, keepRawBody } from '@wxpay-kit/wechat/express';
import { PRODUCTS, priceCart } from './catalogue.js';
import { ShopStore } from './store.js';

const SIGN_TYPE = 'HMAC-SHA256';

/** The Express app: mini-program login, orders priced on the server, WeChat Pay API v2, and its notifications. */
export function createApp(config, { logger = console } = {}) {
  const store = new ShopStore();
  const login = createLoginClient({ appid: config.appid, secret: config.secret, ...(config.wechatApiBase ? { baseUrl: config.wechatApiBase } : {}) });
  const pay = createV2Client({
    appid: config.appid,
    mchid: config.mchId,
    apiKey: config.apiKey,
    signType: SIGN_TYPE,
    ...(config.payApiBase ? { baseUrl: config.payApiBase } : {}),
  });
  // Every rule about notifications (size, signature pinned to the order's algorithm, our appid and mch_id) is here.
  const notify = createNotifyHandler({
    version: 'v2',
    apiKey: config.apiKey,
    appid: config.appid,
    mchId: config.mchId,
    signType: SIGN_TYPE,
    onNotice: async (notice) => {
      if (notice.kind !== 'payment') return; // this shop does not refund
      const p = notice.payment;
      const outcome = store.applyPayment({
        outTradeNo: p.out_trade_no,
        transactionId: p.transaction_id,
        totalFee: p.total_fee,
        resultCode: p.result_code,
        now: Date.now(),
      });
      if (outcome !== 'paid' && outcome !== 'duplicate') logger.warn(`[express-shop] payment notification for ${p.out_trade_no}: ${outcome}`);
    },
    onProblem: (problem) => logger.warn(`[express-shop] notification refused: ${problem.reason} (${problem.message})`),
  });

  const app = express();
  // Global parsers, as most apps have them. The XML one would eat WeChat's notification; `verify: keepRawBody`
  // keeps the exact bytes as req.rawBody for expressNotify.
  app.use(express.json({ verify: keepRawBody }));
  app.use(express.text({ type: ['text/xml', 'application/xml'], verify: keepRawBody }));

  const fail = (res, status, code, message) => res.status(status).json({ error: { code, message } });
  const session = (req) => {
    const header = req.get('authorization') ?? '';
    return header.startsWith('Bearer ') ? store.session(header.slice(7)) : undefined;
  };
  const present = ({ orderId, outTradeNo, amount, status, items, createdAt, paidAt }) =>
    ({ orderId, outTradeNo, amount, status, items, createdAt, ...(paidAt ? { paidAt } : {}) });

  app.post('/api/login', async (req, res) => {
    const code = req.body?.code;
    if (typeof code !== 'string' || code === '') return fail(res, 400, 'BAD_REQUEST', 'code is required');
    try {
      const { openid } = await login.code2Session(code);
      res.json({ token: store.createSession(openid) });
    } catch (error) {
      if (error instanceof WxPayError) return fail(res, 401, 'LOGIN_FAILED', 'wx.login code was not accepted');
      throw error;
    }
  });

  app.get('/api/products', (_req, res) => res.json({ products: PRODUCTS }));

  app.post('/api/orders', async (req, res) => {
    const user = session(req);
    if (!user) return fail(res, 401, 'UNAUTHORIZED', 'bearer token required');
    const priced = priceCart(req.body?.items);
    if (!priced.ok) return fail(res, 400, 'BAD_REQUEST', priced.message);
    const order = store.createOrder({ openid: user.openid, amount: priced.amount, lines: priced.lines, now: Date.now() });
    try {
      const prepay = await pay.unifiedOrder({
        body: 'express-shop order',
        out_trade_no: order.outTradeNo,
        total_fee: order.amount,
        spbill_create_ip: '127.0.0.1',
        notify_url: `${config.publicUrl || `${req.protocol}://${req.get('host')}`}/wxpay/notify`,
        openid: user.openid,
      });
      res.status(201).json({ ...present(order), payParams: pay.payParams(prepay.prepay_id, { signType: prepay.sign_type }) });
    } catch (error) {
      if (error instanceof WxPayError) return fail(res, 502, 'WXPAY_UNAVAILABLE', 'WeChat Pay did not accept the order; try again');
      throw error;
    }
  });

  app.get('/api/orders/:orderId', (req, res) => {
    const user = session(req);
    if (!user) return fail(res, 401, 'UNAUTHORIZED', 'bearer token required');
    const order = store.order(req.params.orderId);
    if (!order || order.openid !== user.openid) return fail(res, 404, 'NOT_FOUND', 'no such order');
    res.json(present(order));
  });

  // SUCCESS only after onNotice resolved; FAIL (so WeChat retries) for anything not authentic or not recorded.
  app.post('/wxpay/notify', expressNotify(notify));

  // One error shape; a body over a parser's limit (413) is refused before any route, the notify route included.
  app.use((error, _req, res, _next) => {
    const status = Number.isInteger(error.status) && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error(error);
    fail(res, status, status === 500 ? 'INTERNAL' : 'BAD_REQUEST', status === 500 ? 'internal error' : error.message);
  });

  return { app, store };
}
