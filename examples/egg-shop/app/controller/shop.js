'use strict';
const { Controller } = require('egg');
const { WxPayError } = require('@wxpay-kit/wechat');
const { PRODUCTS, priceCart } = require('../lib/catalogue');

function fail(ctx, status, code, message) {
  ctx.status = status;
  ctx.body = { error: { code, message } };
}

class ShopController extends Controller {
  /** POST /api/login {code}: wx.login() code → code2Session → our own token. session_key stays here. */
  async login() {
    const { ctx, app } = this;
    const code = ctx.request.body && ctx.request.body.code;
    if (typeof code !== 'string' || code === '') return fail(ctx, 400, 'BAD_REQUEST', 'code is required');
    try {
      const session = await app.shop.login.code2Session(code);
      ctx.body = { token: app.shop.store.createSession(session.openid) };
    } catch (error) {
      if (error instanceof WxPayError) return fail(ctx, 401, 'LOGIN_FAILED', 'wx.login code was not accepted');
      throw error;
    }
  }

  async products() {
    this.ctx.body = { products: PRODUCTS };
  }

  /** POST /api/orders {items}: price on the server, unifiedorder, and the exact wx.requestPayment parameters. */
  async createOrder() {
    const { ctx, app } = this;
    const session = this.session();
    if (!session) return fail(ctx, 401, 'UNAUTHORIZED', 'bearer token required');
    const priced = priceCart(ctx.request.body && ctx.request.body.items);
    if (!priced.ok) return fail(ctx, 400, 'BAD_REQUEST', priced.message);
    const order = app.shop.store.createOrder({ openid: session.openid, amount: priced.amount, lines: priced.lines, now: Date.now() });
    const base = app.config.wxpay.publicUrl || ctx.origin;
    try {
      const prepay = await app.shop.pay.unifiedOrder({
        body: 'egg-shop order',
        out_trade_no: order.outTradeNo,
        total_fee: order.amount,
        spbill_create_ip: '127.0.0.1',
        notify_url: `${base}/wxpay/notify`,
        openid: session.openid,
      });
      ctx.status = 201;
      ctx.body = { ...present(order), payParams: app.shop.pay.payParams(prepay.prepay_id, { signType: prepay.sign_type }) };
    } catch (error) {
      if (error instanceof WxPayError) return fail(ctx, 502, 'WXPAY_UNAVAILABLE', 'WeChat Pay did not accept the order; try again');
      throw error;
    }
  }

  /** GET /api/orders/:orderId: only its owner may read it. */
  async order() {
    const { ctx, app } = this;
    const session = this.session();
    if (!session) return fail(ctx, 401, 'UNAUTHORIZED', 'bearer token required');
    const order = app.shop.store.order(ctx.params.orderId);
    if (!order || order.openid !== session.openid) return fail(ctx, 404, 'NOT_FOUND', 'no such order');
    ctx.body = present(order);
  }

  session() {
    const header = this.ctx.get('authorization');
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    return token === '' ? undefined : this.app.shop.store.session(token);
  }
}

function present(order) {
  const { orderId, outTradeNo, amount, status, items, createdAt, paidAt } = order;
  return { orderId, outTradeNo, amount, status, items, createdAt, ...(paidAt ? { paidAt } : {}) };
}

module.exports = ShopController;
