'use strict';
const { eggNotify } = require('@wxpay-kit/wechat/egg');

module.exports = (app) => {
  const { router, controller } = app;
  router.post('/api/login', controller.shop.login);
  router.get('/api/products', controller.shop.products);
  router.post('/api/orders', controller.shop.createOrder);
  router.get('/api/orders/:orderId', controller.shop.order);
  // WeChat's payment notification: the adapter reads the raw XML (egg's bodyParser leaves text/xml alone) and
  // answers SUCCESS only after the store recorded it. CSRF is exempt for this path in config.default.js.
  router.post('/wxpay/notify', eggNotify(app.shop.notify));
};
