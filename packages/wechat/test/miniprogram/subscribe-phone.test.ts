import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { createMiniProgramClient, decryptPhoneNumber, decryptUserData, MiniProgramApiError, SubscribeMessageError, type MiniProgramClient } from '../../src/miniprogram/index.js';
import { createAccessTokenManager } from '../../src/login/access-token.js';
import { WxPayDecryptError, WxPayValidationError } from '../../src/errors.js';
import { FakeWeixin, type Answer, type SeenRequest } from '../login/fake-weixin.js';

const appid = 'wx8888888888888888';
let wx: FakeWeixin;
let baseUrl: string;
let api: (req: SeenRequest) => Answer;

before(async () => {
  wx = new FakeWeixin();
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.seen.length = 0;
  api = () => ({ json: { errcode: 0, errmsg: 'ok' } });
  let issued = 0;
  wx.handler = (req) => (req.path === '/cgi-bin/token' ? { json: { access_token: `TOKEN-${++issued}`, expires_in: 7200 } } : api(req));
});

function client(): MiniProgramClient {
  const accessTokens = createAccessTokenManager({ appid, secret: 'app-secret-value', baseUrl });
  return createMiniProgramClient({ appid, accessTokens, baseUrl, sleep: async () => {} });
}
const sent = () => wx.seen.filter((s) => s.path !== '/cgi-bin/token').map((s) => ({ path: s.path, body: JSON.parse(s.body) as unknown }));

test('subscribeMessage.send: wire body, msgid kept exact as a string', async () => {
  api = () => ({ text: '{"errcode":0,"errmsg":"ok","msgid":1988810812324364291}' });
  const result = await client().subscribeMessage.send({
    toUser: 'o-user', templateId: 'KMHKsZ2tg0jHi5p5joVewkbQwM0WLq7E-RqF4fFJSyY', page: 'pages/order/detail?id=5',
    data: { character_string1: '2022120853531009', time2: '2022-12-08 16:13:16', amount4: '0.01元', thing3: '荣耀80新品5G手机' },
    miniprogramState: 'trial', lang: 'zh_CN',
  });
  assert.deepEqual(result, { msgId: '1988810812324364291' });
  assert.deepEqual(sent(), [{
    path: '/cgi-bin/message/subscribe/send',
    body: {
      touser: 'o-user', template_id: 'KMHKsZ2tg0jHi5p5joVewkbQwM0WLq7E-RqF4fFJSyY', page: 'pages/order/detail?id=5',
      data: { character_string1: { value: '2022120853531009' }, time2: { value: '2022-12-08 16:13:16' }, amount4: { value: '0.01元' }, thing3: { value: '荣耀80新品5G手机' } },
      miniprogram_state: 'trial', lang: 'zh_CN',
    },
  }]);
});

test('subscribeMessage.send: errcodes become SubscribeMessageError with a failure kind', async () => {
  const c = client();
  const send = () => c.subscribeMessage.send({ toUser: 'o', templateId: 'tpl', data: { thing1: 'x' } });
  for (const [errcode, failure] of [[43101, 'user_refused'], [47003, 'bad_template_data'], [40037, 'bad_template_id'], [40003, 'bad_openid'], [41030, 'bad_page'], [45009, 'other']] as const) {
    api = () => ({ json: { errcode, errmsg: `msg rid: 64229bc2-48d0e8b1-2008ed9b` } });
    await assert.rejects(send(), (e: unknown) => e instanceof SubscribeMessageError && e instanceof MiniProgramApiError && e.errcode === errcode && e.failure === failure);
  }
});

test('subscribeMessage.send: template values checked by key prefix before sending', async () => {
  const c = client();
  const rows: Array<[string, Record<string, string | number>]> = [
    ['data.thing1', { thing1: '一二三四五六七八九十一二三四五六七八九十一' }],
    ['data.thing1', { thing1: '' }],
    ['data.phrase2', { phrase2: '六个汉字的词' }],
    ['data.number3', { number3: '12a' }],
    ['data.letter4', { letter4: 'abc1' }],
    ['data.character_string5', { character_string5: '中文' }],
    ['data.Thing1', { Thing1: 'x' }],
    ['data', {}],
  ];
  for (const [field, data] of rows) {
    await assert.rejects(c.subscribeMessage.send({ toUser: 'o', templateId: 'tpl', data }), (e: unknown) => e instanceof WxPayValidationError && e.field === field, field);
  }
  await assert.rejects(c.subscribeMessage.send({ toUser: 'o', templateId: 'tpl', data: { thing1: 'x' }, miniprogramState: 'prod' as never }), WxPayValidationError);
  assert.equal(sent().length, 0);
  // Exactly 20 characters of thing and a numeric number value are fine.
  await c.subscribeMessage.send({ toUser: 'o', templateId: 'tpl', data: { thing1: '一二三四五六七八九十一二三四五六七八九十', number2: 0 } });
  assert.deepEqual((sent()[0]?.body as { data: unknown }).data, { thing1: { value: '一二三四五六七八九十一二三四五六七八九十' }, number2: { value: '0' } });
});

test('getPhoneNumber by code: body, typed answer, countryCode as number or string, watermark appid checked', async () => {
  const c = client();
  api = () => ({ json: { errcode: 0, errmsg: 'ok', phone_info: { phoneNumber: '+1 4155550100', purePhoneNumber: '4155550100', countryCode: 1, watermark: { timestamp: 1637744274, appid } } } });
  assert.deepEqual(await c.phoneNumber.getPhoneNumber('e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144', { openid: 'o-user' }), {
    phoneNumber: '+1 4155550100', purePhoneNumber: '4155550100', countryCode: '1', watermark: { timestamp: 1637744274, appid },
  });
  assert.deepEqual(sent()[0], { path: '/wxa/business/getuserphonenumber', body: { code: 'e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144', openid: 'o-user' } });
  api = () => ({ json: { errcode: 0, errmsg: 'ok', phone_info: { phoneNumber: '13800000000', purePhoneNumber: '13800000000', countryCode: '86', watermark: { timestamp: 1637744274, appid: 'wx0000000000000000' } } } });
  await assert.rejects(c.phoneNumber.getPhoneNumber('code'), (e: unknown) => e instanceof WxPayDecryptError && e.code === 'WATERMARK_APPID');
  api = () => ({ json: { errcode: 40029, errmsg: 'invalid code' } });
  await assert.rejects(c.phoneNumber.getPhoneNumber('code'), (e: unknown) => e instanceof MiniProgramApiError && e.errcode === 40029 && !e.retriable);
});

// The official open-data decryption sample (PROTOCOL-AFTER-PAYMENT.md §4.2).
const VECTOR = {
  appid: 'wx4f4bc4dec97d474b',
  sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
  iv: 'r7BXXKkLb8qrSNn05n0qiA==',
  encryptedData: 'CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==',
  timestamp: 1477314187,
};

test('official vector: encryptedData decrypts to the user info with a checked watermark', () => {
  const data = decryptUserData({ ...VECTOR, clock: () => (VECTOR.timestamp + 10) * 1000 });
  assert.equal(data.openId, 'oGZUI0egBJY1zhBYw2KhdUfwVJJE');
  assert.equal(data.unionId, 'ocMvos6NjeKLIBqg5Mr9QjxrP1FA');
  assert.deepEqual(data.watermark, { timestamp: 1477314187, appid: 'wx4f4bc4dec97d474b' });
});

test('encryptedData fails closed: other appid, stale or future watermark, wrong session_key, tampering, bad inputs', () => {
  const at = (seconds: number) => () => seconds * 1000;
  const ok = { ...VECTOR, clock: at(VECTOR.timestamp) };
  assert.throws(() => decryptUserData({ ...ok, appid: 'wx0000000000000000' }), (e: unknown) => e instanceof WxPayDecryptError && e.code === 'WATERMARK_APPID');
  assert.throws(() => decryptUserData({ ...ok, clock: at(VECTOR.timestamp + 301) }), (e: unknown) => e instanceof WxPayDecryptError && e.code === 'WATERMARK_STALE');
  assert.doesNotThrow(() => decryptUserData({ ...ok, clock: at(VECTOR.timestamp + 300) }));
  assert.doesNotThrow(() => decryptUserData({ ...ok, clock: at(VECTOR.timestamp + 3600), maxAgeSeconds: 3600 }));
  assert.throws(() => decryptUserData({ ...ok, clock: at(VECTOR.timestamp - 61) }), (e: unknown) => e instanceof WxPayDecryptError && e.code === 'WATERMARK_STALE');
  const wrongKey = (() => { const k = Buffer.from(VECTOR.sessionKey, 'base64'); k[0] = (k[0] ?? 0) ^ 1; return k.toString('base64'); })();
  assert.throws(() => decryptUserData({ ...ok, sessionKey: wrongKey }), (e: unknown) => e instanceof WxPayDecryptError && !String(e.message).includes(wrongKey));
  const tampered = Buffer.from(VECTOR.encryptedData, 'base64');
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x55;
  assert.throws(() => decryptUserData({ ...ok, encryptedData: tampered.toString('base64') }), WxPayDecryptError);
  assert.throws(() => decryptUserData({ ...ok, iv: 'AAAA' }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'iv');
  assert.throws(() => decryptUserData({ ...ok, sessionKey: 'not base64!' }), (e: unknown) => e instanceof WxPayValidationError && e.field === 'sessionKey');
});

test('decryptPhoneNumber reads the legacy phone payload', () => {
  const key = Buffer.from('0123456789abcdef');
  const iv = Buffer.from('fedcba9876543210');
  const payload = { phoneNumber: '13580006666', purePhoneNumber: '13580006666', countryCode: '86', watermark: { appid, timestamp: 1700000000 } };
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const encryptedData = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final()]).toString('base64');
  const input = { appid, sessionKey: key.toString('base64'), iv: iv.toString('base64'), encryptedData, clock: () => 1700000030_000 };
  assert.deepEqual(decryptPhoneNumber(input), payload);
});
