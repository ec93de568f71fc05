'use strict';
const { createLoginClient, createV2Client } = require('@wxpay-kit/wechat');
const { createNotifyHandler } = require('@wxpay-kit/wechat/egg');
const { ShopStore } = require('./app/lib/store');

/** Boots the WeChat clients, the store and the notification handler once, when the app starts. */
class AppBootHook {
  constructor(app) {
    this.app = app;
  }

  // After the configuration is final and before the router is loaded (the router mounts app.shop.notify).
  configDidLoad() {
    const app = this.app;
    const cfg = app.config.wxpay;
    const store = new ShopStore();
    app.shop = {
      store,
      login: createLoginClient({ appid: cfg.appid, secret: cfg.secret, baseUrl: cfg.wechatApiBase }),
      pay: createV2Client({ appid: cfg.appid, mchid: cfg.mchId, apiKey: cfg.apiKey, signType: cfg.signType, baseUrl: cfg.payApiBase }),
      // Every rule about notifications (size, signature, our appid and mch_id) is in this one handler.
      notify: createNotifyHandler({
        version: 'v2',
        apiKey: cfg.apiKey,
        appid: cfg.appid,
        mchId: cfg.mchId,
        signType: cfg.signType,
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
          if (outcome !== 'paid' && outcome !== 'duplicate') app.logger.warn('[egg-shop] payment notification for %s: %s', p.out_trade_no, outcome);
        },
        onProblem: (problem) => app.logger.warn('[egg-shop] notification refused: %s (%s)', problem.reason, problem.message),
      }),
    };
  }
}

module.exports = AppBootHook;
