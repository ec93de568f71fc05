'use strict';
const os = require('node:os');
const path = require('node:path');

// Configuration from the environment, with the same names as the wxpay-kit server (see the repository README).
// Defaults are the sandbox's demo merchant: worthless anywhere but the sandbox.
const env = process.env;
const tmp = path.join(os.tmpdir(), `egg-shop-${process.pid}`);

module.exports = {
  keys: env.EGG_KEYS || 'egg-shop-example-cookie-key',
  wxpay: {
    appid: env.WECHAT_APPID || 'wx8888888888888888',
    secret: env.WECHAT_SECRET || 'sandbox0demo0app0secret000000001',
    mchId: env.WXPAY_MCHID || '1900000001',
    apiKey: env.WXPAY_KEY || 'sandbox0demo0apiv2key00000000001',
    // The algorithm orders are placed with; the notify handler is pinned to it.
    signType: 'HMAC-SHA256',
    // WeChat's hosts; the sandbox sets both to itself.
    wechatApiBase: env.WECHAT_API_BASE || 'https://api.weixin.qq.com',
    payApiBase: env.WXPAY_API_BASE || 'https://api.mch.weixin.qq.com',
    // Base of notify_url as WeChat reaches us; default: the origin of the request that created the order.
    publicUrl: env.PUBLIC_URL || '',
  },
  security: {
    // Bearer tokens, not cookies, authenticate the API, and WeChat's notification carries no CSRF token.
    csrf: { ignore: ['/api', '/wxpay/notify'] },
  },
  rundir: path.join(tmp, 'run'),
  logger: { dir: path.join(tmp, 'logs'), consoleLevel: env.EGG_LOG_LEVEL || 'INFO' },
  customLogger: {},
};
