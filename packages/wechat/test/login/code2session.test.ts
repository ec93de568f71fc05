import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createLoginClient } from '../../src/login/code2session.js';
import { WxPayApiError, WxPayConfigError, WxPayNetworkError, WxPayProtocolError, WxPayValidationError } from '../../src/errors.js';
import { FakeWeixin, type Answer } from './fake-weixin.js';

const appid = 'wx8888888888888888';
const secret = 'a-very-secret-app-secret-value-00';
let wx: FakeWeixin;
let baseUrl: string;

before(async () => {
  wx = new FakeWeixin();
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.seen.length = 0;
});

test('code2Session: exact request, typed session (unionid only when bound)', async () => {
  wx.handler = () => ({ json: { openid: 'orWy35UBNFZyReiUYVZvtPrqht-0', session_key: 'tiihtNczf5v6AKRyjwEUhQ==' } });
  const login = createLoginClient({ appid, secret, baseUrl });
  assert.deepEqual(await login.code2Session('081Kq4Ga1MSox41ufGa1elXm4a3Kq4Gr'), {
    openid: 'orWy35UBNFZyReiUYVZvtPrqht-0',
    sessionKey: 'tiihtNczf5v6AKRyjwEUhQ==',
    unionid: undefined,
  });
  const req = wx.seen[0]!;
  assert.equal(req.method, 'GET');
  assert.equal(req.path, '/sns/jscode2session');
  assert.deepEqual(Object.fromEntries(req.query), { appid, secret, js_code: '081Kq4Ga1MSox41ufGa1elXm4a3Kq4Gr', grant_type: 'authorization_code' });
  wx.handler = () => ({ json: { errcode: 0, errmsg: 'ok', openid: 'o2', session_key: 'k2', unionid: 'u2' } });
  assert.equal((await login.code2Session('c')).unionid, 'u2');
});

test("code2Session: WeChat's errcodes become typed errors; secret and session_key never in messages", async () => {
  const rows: [number, string, boolean][] = [
    [40029, 'invalid code', false],
    [40163, 'code been used', false],
    [45011, 'api minute-quota reach limit mustslower retry next minute', true],
    [40226, 'code blocked', false],
    [-1, 'system error', true],
    [40013, 'invalid appid', false],
    [40125, 'invalid appsecret', false],
  ];
  const login = createLoginClient({ appid, secret, baseUrl });
  for (const [errcode, errmsg, retriable] of rows) {
    wx.handler = () => ({ json: { errcode, errmsg } });
    await assert.rejects(login.code2Session('the-code'), (e: unknown) => {
      assert.ok(e instanceof WxPayApiError);
      assert.equal(e.code, String(errcode));
      assert.equal(e.description, errmsg);
      assert.equal(e.retriable, retriable, String(errcode));
      assert.equal(e.message.includes(secret), false);
      return true;
    });
  }
  assert.equal(wx.seen.length, rows.length, 'never retried: a code is single-use');
});

test('code2Session: malformed answers, HTTP errors and timeouts', async () => {
  const login = createLoginClient({ appid, secret, baseUrl, timeoutMs: 1000 });
  const rows: [Answer, (e: unknown) => boolean][] = [
    [{ text: 'not json' }, (e) => e instanceof WxPayProtocolError],
    [{ json: [1, 2] }, (e) => e instanceof WxPayProtocolError],
    [{ json: { session_key: 'k' } }, (e) => e instanceof WxPayProtocolError && /openid/.test(e.message)],
    [{ json: { openid: 'o' } }, (e) => e instanceof WxPayProtocolError && /session_key/.test(e.message)],
    [{ json: { openid: 'o', session_key: 'k', unionid: 5 } }, (e) => e instanceof WxPayProtocolError],
    [{ status: 502, text: 'bad gateway' }, (e) => e instanceof WxPayApiError && e.status === 502 && e.retriable],
    ['hang', (e) => e instanceof WxPayNetworkError && e.outcomeUnknown && e.code === 'TIMEOUT'],
  ];
  for (const [answer, check] of rows) {
    wx.handler = () => answer;
    await assert.rejects(login.code2Session('c'), (e: unknown) => {
      assert.ok(check(e), String(e));
      assert.equal((e as Error).message.includes(secret), false);
      assert.equal((e as Error).message.includes('"k"'), false);
      return true;
    });
  }
});

test('code2Session: bad codes and bad configuration are refused before any call', async () => {
  const login = createLoginClient({ appid, secret, baseUrl });
  for (const code of ['', 'has space', 'x'.repeat(129), '中文', 'tab\there']) {
    await assert.rejects(login.code2Session(code), WxPayValidationError);
  }
  assert.equal(wx.seen.length, 0);
  // Printable specials are URL-encoded, never able to add a parameter.
  wx.handler = () => ({ json: { openid: 'o', session_key: 'k' } });
  await login.code2Session('a&secret=x');
  assert.equal(wx.seen[0]?.query.get('js_code'), 'a&secret=x');
  assert.equal(wx.seen[0]?.query.getAll('secret').length, 1);
  assert.throws(() => createLoginClient({ appid: '', secret }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'appid');
  assert.throws(() => createLoginClient({ appid, secret: '' }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'secret');
  assert.throws(() => createLoginClient({ appid, secret, baseUrl: 'nope' }), (e: unknown) => e instanceof WxPayConfigError && e.field === 'baseUrl');
});
