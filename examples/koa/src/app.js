import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { createLoginClient, createV3Client, PublicKeyVerifier, WxPayError } from '@wxpay-kit/wechat';
import { createNotifyHandler, koaNotify } from '@wxpay-kit/wechat/koa';
import { PRODUCTS, priceCart } from './catalogue.js';
import { ShopStore } from './store.js';

/** The Koa app: mini-program login, orders priced on the server, WeChat Pay API v3, and its notifications. */
export function createApp(config, { logger = console } = {}) {
  const store = new ShopStore();
  const verifier = new PublicKeyVerifier(config.publicKeyId, config.publicKey);
  const login = createLoginClient({ appid: config.appid, secret: config.secret, ...(config.wechatApiBase ? { baseUrl: config.wechatApiBase } : {}) });
  const pay = createV3Client({
    appid: config.appid,
    mchid: config.mchid,
    serialNo: config.certSerial,
    privateKey: config.privateKey,
    apiV3Key: config.apiV3Key,
    verifier,
    ...(config.payApiBase ? { baseUrl: config.payApiBase } : {}),
  });
  // Every rule about notifications (size, headers, ±5 minutes, the serial's key, AES-GCM, our mchid) is in here.
  const notify = createNotifyHandler({
    version: 'v3',
    apiV3Key: config.apiV3Key,
    verifier,
    mchid: config.mchid,
    appid: config.appid,
    onNotice: async (notice) => {
      if (notice.kind !== 'payment') return; // this shop does not refund
      const t = notice.payment;
      const outcome = store.applyPayment({
        outTradeNo: t.out_trade_no,
        transactionId: t.transaction_id,
        totalFee: t.amount.total,
        resultCode: t.trade_state,
        now: Date.now(),
      });
      if (outcome !== 'paid' && outcome !== 'duplicate') logger.warn(`[koa-shop] payment notification for ${t.out_trade_no}: ${outcome}`);
    },
    onProblem: (problem) => logger.warn(`[koa-shop] notification refused: ${problem.reason} (${problem.message})`),
  });

  const router = new Router();
  const fail = (ctx, status, code, message) => {
    ctx.status = status;
    ctx.body = { error: { code, message } };
  };
  const session = (ctx) => {
    const header = ctx.get('authorization');
    return header.startsWith('Bearer ') ? store.session(header.slice(7)) : undefined;
  };
  const present = ({ orderId, outTradeNo, amount, status, items, createdAt, paidAt }) =>
    ({ orderId, outTradeNo, amount, status, items, createdAt, ...(paidAt ? { paidAt } : {}) });

  router.post('/api/login', async (ctx) => {
    const code = ctx.request.body?.code;
    if (typeof code !== 'string' || code === '') return fail(ctx, 400, 'BAD_REQUEST', 'code is required');
    try {
      const { openid } = await login.code2Session(code);
      ctx.body = { token: store.createSession(openid) };
    } catch (error) {
      if (error instanceof WxPayError) return fail(ctx, 401, 'LOGIN_FAILED', 'wx.login code was not accepted');
      throw error;
    }
  });

  router.get('/api/products', (ctx) => {
    ctx.body = { products: PRODUCTS };
  });

  router.post('/api/orders', async (ctx) => {
    const user = session(ctx);
    if (!user) return fail(ctx, 401, 'UNAUTHORIZED', 'bearer token required');
    const priced = priceCart(ctx.request.body?.items);
    if (!priced.ok) return fail(ctx, 400, 'BAD_REQUEST', priced.message);
    const order = store.createOrder({ openid: user.openid, amount: priced.amount, lines: priced.lines, now: Date.now() });
    try {
      const { prepay_id: prepayId } = await pay.jsapiPrepay({
        description: 'koa-shop order',
        out_trade_no: order.outTradeNo,
        notify_url: `${config.publicUrl || `${ctx.protocol}://${ctx.host}`}/wxpay/notify`,
        amount: { total: order.amount, currency: 'CNY' },
        payer: { openid: user.openid },
      });
      ctx.status = 201;
      ctx.body = { ...present(order), payParams: pay.payParams(prepayId) };
    } catch (error) {
      if (error instanceof WxPayError) return fail(ctx, 502, 'WXPAY_UNAVAILABLE', 'WeChat Pay did not accept the order; try again');
      throw error;
    }
  });

  router.get('/api/orders/:orderId', (ctx) => {
    const user = session(ctx);
    if (!user) return fail(ctx, 401, 'UNAUTHORIZED', 'bearer token required');
    const order = store.order(ctx.params.orderId);
    if (!order || order.openid !== user.openid) return fail(ctx, 404, 'NOT_FOUND', 'no such order');
    ctx.body = present(order);
  });

  // The JSON body parser is global; koaNotify takes the exact bytes it kept (ctx.request.rawBody), since the v3
  // signature is over them, and answers 204 only after onNotice resolved.
  router.post('/wxpay/notify', koaNotify(notify));

  const app = new Koa();
  app.use(bodyParser());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, store };
}
