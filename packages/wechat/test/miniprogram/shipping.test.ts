import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createMiniProgramClient, MiniProgramApiError, SHIPPING_ERRCODES, formatUploadTime, type MiniProgramClient, type ShippingOrder } from '../../src/miniprogram/index.js';
import { createAccessTokenManager } from '../../src/login/access-token.js';
import { WxPayValidationError } from '../../src/errors.js';
import { FakeWeixin, type Answer, type SeenRequest } from '../login/fake-weixin.js';

const appid = 'wx8888888888888888';
let wx: FakeWeixin;
let baseUrl: string;
let issued: number;
let api: (req: SeenRequest) => Answer;
const NOW = Date.UTC(2022, 11, 15, 5, 29, 35, 120); // 2022-12-15T13:29:35.120+08:00

before(async () => {
  wx = new FakeWeixin();
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.seen.length = 0;
  issued = 0;
  api = () => ({ json: { errcode: 0, errmsg: 'ok' } });
  wx.handler = (req) => (req.path === '/cgi-bin/token' ? { json: { access_token: `TOKEN-${++issued}`, expires_in: 7200 } } : api(req));
});

function client(): MiniProgramClient {
  const accessTokens = createAccessTokenManager({ appid, secret: 'app-secret-value', baseUrl, clock: () => NOW });
  return createMiniProgramClient({ appid, accessTokens, baseUrl, clock: () => NOW, sleep: async () => {} });
}

/** The API calls (not the token fetches) as path, token, parsed body. */
function calls() {
  return wx.seen.filter((s) => s.path !== '/cgi-bin/token').map((s) => ({ method: s.method, path: s.path, token: s.query.get('access_token'), body: JSON.parse(s.body) as unknown }));
}

test('uploadShippingInfo sends the official sample exactly', async () => {
  await client().shipping.uploadShippingInfo({
    orderKey: { transactionId: 'fake-transid-20221214190427-1' },
    deliveryMode: 'unified',
    logisticsType: 'express',
    packages: [{ trackingNo: 'fake-trackingno-2022121419042711', expressCompany: 'STO', itemDesc: '微信气泡狗集线器*1', contact: { consignorContact: '+86-177****1234' } }],
    uploadTime: '2022-12-15T13:29:35.120+08:00',
    payerOpenid: 'ogqztkPsejM9MQAFfwCQSCi4oNg3',
  });
  const [call] = calls();
  assert.equal(call?.method, 'POST');
  assert.equal(call?.path, '/wxa/sec/order/upload_shipping_info');
  assert.equal(call?.token, 'TOKEN-1');
  const raw = wx.seen.find((s) => s.path === '/wxa/sec/order/upload_shipping_info')?.body;
  // The sample as the documentation prints it (field order is not significant in JSON).
  assert.deepEqual(JSON.parse(raw ?? ''), {
    order_key: { order_number_type: 2, transaction_id: 'fake-transid-20221214190427-1' },
    delivery_mode: 1,
    logistics_type: 1,
    shipping_list: [{ tracking_no: 'fake-trackingno-2022121419042711', express_company: 'STO', item_desc: '微信气泡狗集线器*1', contact: { consignor_contact: '+86-177****1234' } }],
    upload_time: '2022-12-15T13:29:35.120+08:00',
    payer: { openid: 'ogqztkPsejM9MQAFfwCQSCi4oNg3' },
  });
});

test('split express upload by merchant order number; default upload_time from the clock in +08:00', async () => {
  await client().shipping.uploadShippingInfo({
    orderKey: { mchid: '1230000109', outTradeNo: 'T20221215-1' },
    deliveryMode: 'split',
    isAllDelivered: false,
    logisticsType: 'express',
    packages: [
      { trackingNo: 'SF1', expressCompany: 'SF', itemDesc: 'A*1', contact: { receiverContact: '189****1234' } },
      { trackingNo: 'YT2', expressCompany: 'YTO', itemDesc: 'B*2' },
    ],
    payerOpenid: 'o-payer',
  });
  assert.deepEqual(calls()[0]?.body, {
    order_key: { order_number_type: 1, mchid: '1230000109', out_trade_no: 'T20221215-1' },
    logistics_type: 1,
    delivery_mode: 2,
    is_all_delivered: false,
    shipping_list: [
      { tracking_no: 'SF1', express_company: 'SF', item_desc: 'A*1', contact: { receiver_contact: '189****1234' } },
      { tracking_no: 'YT2', express_company: 'YTO', item_desc: 'B*2' },
    ],
    upload_time: '2022-12-15T13:29:35.120+08:00',
    payer: { openid: 'o-payer' },
  });
  assert.equal(formatUploadTime(Date.UTC(2024, 5, 10, 12, 32, 5)), '2024-06-10T20:32:05+08:00', 'no .000 when ms are 0');
});

test('virtual goods: only item_desc in the package', async () => {
  await client().shipping.uploadShippingInfo({
    orderKey: { transactionId: '4200001' }, deliveryMode: 'unified', logisticsType: 'virtual', packages: [{ itemDesc: '话费充值 100 元' }], payerOpenid: 'o1',
    uploadTime: new Date(Date.UTC(2023, 0, 1, 0, 0, 0, 5)),
  });
  assert.deepEqual(calls()[0]?.body, {
    order_key: { order_number_type: 2, transaction_id: '4200001' }, logistics_type: 3, delivery_mode: 1,
    shipping_list: [{ item_desc: '话费充值 100 元' }], upload_time: '2023-01-01T08:00:00.005+08:00', payer: { openid: 'o1' },
  });
});

test('requests are validated before anything is sent', async () => {
  const c = client();
  const ok = { orderKey: { transactionId: 't1' }, deliveryMode: 'unified', logisticsType: 'express', payerOpenid: 'o1', packages: [{ trackingNo: 'n', expressCompany: 'YTO', itemDesc: 'x' }] } as const;
  const pkg = (over: object) => ({ ...ok.packages[0], ...over });
  const rows: Array<[string, object]> = [
    ['logisticsType', { logisticsType: 'drone' }],
    ['deliveryMode', { deliveryMode: 'UNIFIED_DELIVERY' }],
    ['packages', { packages: [] }],
    ['packages', { packages: [pkg({}), pkg({})] }],
    ['packages', { deliveryMode: 'split', isAllDelivered: true, packages: Array.from({ length: 16 }, () => pkg({})) }],
    ['isAllDelivered', { deliveryMode: 'split', packages: [pkg({}), pkg({})] }],
    ['isAllDelivered', { isAllDelivered: true }],
    ['deliveryMode', { deliveryMode: 'split', isAllDelivered: true, logisticsType: 'same_city', packages: [{ itemDesc: 'x' }] }],
    ['packages[0].itemDesc', { packages: [pkg({ itemDesc: '字'.repeat(121) })] }],
    ['packages[0].itemDesc', { packages: [pkg({ itemDesc: '' })] }],
    ['packages[0].trackingNo', { packages: [pkg({ trackingNo: undefined })] }],
    ['packages[0].expressCompany', { packages: [pkg({ expressCompany: undefined })] }],
    ['packages[0].contact', { packages: [pkg({ expressCompany: 'SF' })] }],
    ['packages[0].contact.receiverContact', { packages: [pkg({ expressCompany: 'SF', contact: { receiverContact: '18912341234' } })] }],
    ['packages[0].contact', { packages: [pkg({ expressCompany: 'SF', contact: {} })] }],
    ['uploadTime', { uploadTime: '2022-12-15 13:29:35' }],
    ['uploadTime', { uploadTime: '2024-06-10T20:32:05+0800' }],
    ['uploadTime', { uploadTime: '2022-13-15T13:29:35+08:00' }],
    ['orderKey.mchid', { orderKey: { mchid: 'abc', outTradeNo: 'T1' } }],
    ['orderKey.outTradeNo', { orderKey: { mchid: '123', outTradeNo: 'bad no' } }],
    ['payerOpenid', { payerOpenid: '' }],
  ];
  for (const [field, override] of rows) {
    await assert.rejects(
      c.shipping.uploadShippingInfo({ ...ok, ...override } as never),
      (e: unknown) => e instanceof WxPayValidationError && e.field === field,
      `${field} ${JSON.stringify(override)}`,
    );
  }
  // 120 characters (not bytes) is fine.
  await c.shipping.uploadShippingInfo({ ...ok, packages: [pkg({ itemDesc: '字'.repeat(120) })] } as never);
  assert.equal(calls().length, 1);
});

test('combined upload: sub-orders use the same key kind as the combined order', async () => {
  const c = client();
  await c.shipping.uploadCombinedShippingInfo({
    orderKey: { mchid: '1230000109', outTradeNo: 'C1' },
    subOrders: [{ orderKey: { mchid: '1230000110', outTradeNo: 'S1' }, deliveryMode: 'unified', logisticsType: 'self_pickup', packages: [{ itemDesc: '自提 A' }] }],
    payerOpenid: 'o1',
    uploadTime: '2022-12-15T13:29:35Z',
  });
  assert.deepEqual(calls()[0], {
    method: 'POST', path: '/wxa/sec/order/upload_combined_shipping_info', token: 'TOKEN-1',
    body: {
      order_key: { order_number_type: 1, mchid: '1230000109', out_trade_no: 'C1' },
      sub_orders: [{ order_key: { order_number_type: 1, mchid: '1230000110', out_trade_no: 'S1' }, logistics_type: 4, delivery_mode: 1, shipping_list: [{ item_desc: '自提 A' }] }],
      upload_time: '2022-12-15T13:29:35Z',
      payer: { openid: 'o1' },
    },
  });
  await assert.rejects(c.shipping.uploadCombinedShippingInfo({
    orderKey: { mchid: '1230000109', outTradeNo: 'C1' },
    subOrders: [{ orderKey: { transactionId: 't' }, deliveryMode: 'unified', logisticsType: 'virtual', packages: [{ itemDesc: 'x' }] }],
    payerOpenid: 'o1',
  }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'subOrders[0].orderKey');
});

const ORDER = {
  transaction_id: '42000020212023112332159214xx', merchant_id: '1230000109', sub_merchant_id: '', merchant_trade_no: 'T1',
  description: '微信气泡狗集线器*1', paid_amount: 1199, openid: 'o1', trade_create_time: 1700000000, pay_time: 1700000010,
  order_state: 2, in_complaint: false,
  shipping: {
    delivery_mode: 1, logistics_type: 1, finish_shipping: true, goods_desc: '', finish_shipping_count: 1, upload_scene: 1,
    shipping_list: [{ tracking_no: 'N1', express_company: 'STO', goods_desc: '微信气泡狗集线器*1', upload_time: 1700000100, contact: { consignor_contact: '', receiver_contact: '' } }],
  },
};

test('getOrder uses get_order names and reads the order into typed fields', async () => {
  api = () => ({ json: { errcode: 0, errmsg: 'ok', order: ORDER } });
  const c = client();
  const order = await c.shipping.getOrder({ merchantId: '1230000109', merchantTradeNo: 'T1' });
  assert.deepEqual(calls()[0]?.body, { merchant_id: '1230000109', merchant_trade_no: 'T1' });
  assert.deepEqual({ ...order, raw: undefined } satisfies Omit<ShippingOrder, 'raw'> & { raw: undefined }, {
    transactionId: ORDER.transaction_id, merchantId: '1230000109', subMerchantId: '', merchantTradeNo: 'T1', description: ORDER.description,
    paidAmountFen: 1199, openid: 'o1', tradeCreateTime: 1700000000, payTime: 1700000010, orderState: 2, inComplaint: false,
    shipping: {
      deliveryMode: 1, logisticsType: 1, finishShipping: true, goodsDesc: '', finishShippingCount: 1,
      packages: [{ trackingNo: 'N1', expressCompany: 'STO', goodsDesc: ORDER.description, uploadTime: 1700000100, contact: { consignorContact: '', receiverContact: '' } }],
    },
    raw: undefined,
  });
  assert.equal((order.raw.shipping as { upload_scene?: number }).upload_scene, 1, 'unread fields stay available');
  api = () => ({ json: { errcode: 0, errmsg: 'ok', order: { ...ORDER, shipping: {} } } });
  assert.equal((await c.shipping.getOrder({ transactionId: 't' })).shipping, undefined);
  api = () => ({ json: { errcode: 0, errmsg: 'ok', order: { ...ORDER, paid_amount: '1199' } } });
  await assert.rejects(c.shipping.getOrder({ transactionId: 't' }), /paid_amount is not an integer/);
});

test('listOrders pages by last_index until has_more is false', async () => {
  const pages: Record<string, unknown> = {
    '': { errcode: 0, errmsg: 'ok', order_list: [ORDER, { ...ORDER, transaction_id: 'b' }], last_index: '092dd3cecbc6926301', has_more: true },
    '092dd3cecbc6926301': { errcode: 0, errmsg: 'ok', order_list: [{ ...ORDER, transaction_id: 'c' }], last_index: '092dd3cecbc6926302', has_more: false },
  };
  api = (req) => ({ json: pages[(JSON.parse(req.body) as { last_index?: string }).last_index ?? ''] });
  const ids: string[] = [];
  for await (const o of client().shipping.listOrders({ orderState: 1, payTimeRange: { beginTime: 1700000000 }, pageSize: 2 })) ids.push(o.transactionId);
  assert.deepEqual(ids, [ORDER.transaction_id, 'b', 'c']);
  assert.deepEqual(calls().map((c) => c.body), [
    { pay_time_range: { begin_time: 1700000000 }, order_state: 1, page_size: 2 },
    { pay_time_range: { begin_time: 1700000000 }, order_state: 1, last_index: '092dd3cecbc6926301', page_size: 2 },
  ]);
});

test('the other shipping calls: wire names and answers', async () => {
  const c = client();
  const answers: Record<string, unknown> = {
    '/wxa/sec/order/is_trade_managed': { errcode: 0, errmsg: 'ok', is_trade_managed: true },
    '/wxa/sec/order/is_trade_management_confirmation_completed': { errcode: 0, errmsg: 'ok', completed: false },
    '/cgi-bin/express/delivery/open_msg/get_delivery_list': { errcode: 0, delivery_list: [{ delivery_id: 'SF', delivery_name: '顺丰速运' }], count: 1 },
  };
  api = (req) => ({ json: answers[req.path] ?? { errcode: 0, errmsg: 'ok' } });
  await c.shipping.notifyConfirmReceive({ transactionId: '42', receivedTime: new Date(1700000500_000) });
  await c.shipping.setMsgJumpPath('pages/order/detail?from=wechat');
  assert.equal(await c.shipping.isTradeManaged(), true);
  assert.equal(await c.shipping.isTradeManagementConfirmationCompleted('wx0000000000000001'), false);
  await c.shipping.reportSpecialOrder({ orderId: 'T1', type: 'presale', delayTo: 1702000000 });
  await c.shipping.reportSpecialOrder({ orderId: '42', type: 'test' });
  assert.deepEqual(await c.shipping.getDeliveryList(), [{ deliveryId: 'SF', deliveryName: '顺丰速运' }]);
  assert.deepEqual(calls().map((x) => [x.path, x.body]), [
    ['/wxa/sec/order/notify_confirm_receive', { transaction_id: '42', received_time: 1700000500 }],
    ['/wxa/sec/order/set_msg_jump_path', { path: 'pages/order/detail?from=wechat' }],
    ['/wxa/sec/order/is_trade_managed', { appid }],
    ['/wxa/sec/order/is_trade_management_confirmation_completed', { appid: 'wx0000000000000001' }],
    ['/wxa/sec/order/opspecialorder', { order_id: 'T1', type: 1, delay_to: 1702000000 }],
    ['/wxa/sec/order/opspecialorder', { order_id: '42', type: 2 }],
    ['/cgi-bin/express/delivery/open_msg/get_delivery_list', {}],
  ]);
  await assert.rejects(c.shipping.setMsgJumpPath('/pages/x'), WxPayValidationError);
  await assert.rejects(c.shipping.reportSpecialOrder({ orderId: 'T1', type: 'later' } as never), WxPayValidationError);
});

test('errcodes become MiniProgramApiError; 10060001 is retriable, 10060003 is not', async () => {
  const c = client();
  const upload = () => c.shipping.uploadShippingInfo({ orderKey: { transactionId: 't' }, deliveryMode: 'unified', logisticsType: 'virtual', packages: [{ itemDesc: 'x' }], payerOpenid: 'o' });
  api = () => ({ json: { errcode: 10060001, errmsg: '支付单不存在 rid: 650a4efa-79ed4280-651d9c91' } });
  await assert.rejects(upload(), (e: unknown) => e instanceof MiniProgramApiError && e.errcode === SHIPPING_ERRCODES.PAYMENT_NOT_FOUND && e.code === '10060001' && e.retriable && e.errmsg.startsWith('支付单不存在'));
  api = () => ({ json: { errcode: 10060003, errmsg: '支付单已使用重新发货机会' } });
  await assert.rejects(upload(), (e: unknown) => e instanceof MiniProgramApiError && e.errcode === SHIPPING_ERRCODES.RESHIP_CHANCE_USED && !e.retriable);
  assert.equal(calls().length, 2, 'an errcode answer is never resent on our own');
});

test('an expired token (42001) is refreshed by force and the call sent once more', async () => {
  const c = client();
  api = (req) => (req.query.get('access_token') === 'TOKEN-1' ? { json: { errcode: 42001, errmsg: 'access_token expired' } } : { json: { errcode: 0, errmsg: 'ok' } });
  await c.shipping.setMsgJumpPath('pages/a');
  assert.deepEqual(calls().map((x) => x.token), ['TOKEN-1', 'TOKEN-2']);
  assert.equal(wx.seen.filter((s) => s.path === '/cgi-bin/token').length, 2);
  // A second rejection is not retried again.
  api = () => ({ json: { errcode: 40001, errmsg: 'invalid credential' } });
  await assert.rejects(c.shipping.setMsgJumpPath('pages/a'), (e: unknown) => e instanceof MiniProgramApiError && e.errcode === 40001);
});
