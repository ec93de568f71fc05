// Per-call { timeoutMs, signal, retries } (stripe-node's RequestOptions shape) override the client's defaults, on
// the v2, v3 and login clients, against real local servers.
import { test, before, after, beforeEach, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createV2Client, type V2ClientOptions } from '../../src/v2/client.js';
import { defaultFetch, type V2Fetch } from '../../src/v2/transport.js';
import { buildV2Response } from '../../src/v2/testing.js';
import { createV3Client } from '../../src/v3/client.js';
import { createLoginClient } from '../../src/login/code2session.js';
import { WxPayApiError, WxPayNetworkError, WxPayValidationError } from '../../src/errors.js';
import { FakeWeChat, type Recorded } from '../v2/fake-wechat.js';
import { FakeWechat as FakeWechatV3 } from '../v3/fake-wechat.js';
import { FakeWeixin } from '../login/fake-weixin.js';
import { API_V3_KEY, APPID, MCHID, MERCHANT_KEY_PEM, MERCHANT_PUBLIC_KEY_PEM, MERCHANT_SERIAL, fixedClock } from '../v3/helpers.js';

const apiKey = '192006250b4c09247ec02edce69f6a2d';
const appid = 'wx8888888888888888';
const mchid = '1900000001';

let wx: FakeWeChat;
let baseUrl: string;
let sleeps: number[];
before(async () => {
  wx = new FakeWeChat(apiKey);
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.requests.length = 0;
  sleeps = [];
});

function v2(overrides: Partial<V2ClientOptions> = {}) {
  return createV2Client({
    appid, mchid, apiKey, baseUrl, clock: () => Date.UTC(2024, 0, 1), random: () => 0,
    sleep: async (ms) => { sleeps.push(ms); },
    ...overrides,
  });
}

function answer(req: Recorded, extra: Record<string, string>) {
  const type = req.fields.sign_type === 'HMAC-SHA256' ? 'HMAC-SHA256' : 'MD5';
  return { body: buildV2Response({ return_code: 'SUCCESS', appid, mch_id: mchid, nonce_str: 'srv', result_code: 'SUCCESS', ...extra }, apiKey, type) };
}
const notPaid = (req: Recorded) => answer(req, { trade_state: 'NOTPAY', out_trade_no: 'ORDER1' });
const busy = (req: Recorded) => answer(req, { result_code: 'FAIL', err_code: 'SYSTEMERROR', err_code_des: 'busy' });

/** The real fetch, answering only after `ms` (or failing as fetch does when aborted first). */
function slowFetch(ms: number): V2Fetch {
  return (url, init) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(defaultFetch(url, init)), ms);
    init.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(init.signal.reason);
    }, { once: true });
  });
}

test('v2 timeoutMs: the call overrides the client default, both ways', async () => {
  wx.handler = notPaid;
  // Client default 30 ms is too short for an answer that takes 300 ms; the call allows 20 s.
  const short = v2({ timeoutMs: 30, fetch: slowFetch(300) });
  await assert.rejects(short.orderQuery({ out_trade_no: 'ORDER1' }), (e: unknown) => e instanceof WxPayNetworkError && e.code === 'TIMEOUT');
  assert.equal((await short.orderQuery({ out_trade_no: 'ORDER1' }, { timeoutMs: 20_000 })).trade_state, 'NOTPAY');
  // Client default 20 s; the call allows 30 ms against a server that never answers.
  wx.handler = () => 'hang';
  await assert.rejects(v2({ timeoutMs: 20_000 }).orderQuery({ out_trade_no: 'ORDER1' }, { timeoutMs: 30, sign_type: 'MD5' }),
    (e: unknown) => e instanceof WxPayNetworkError && e.code === 'TIMEOUT' && e.outcomeUnknown);
});

// Each test names its own order, and counts only its requests: a request the previous test timed out on may still
// reach the server late on a busy machine.
const requestsFor = (outTradeNo: string) => wx.requests.filter((r) => r.fields.out_trade_no === outTradeNo);

test('v2 retries: the call overrides the client default, both ways; the same bytes are resent', async () => {
  wx.handler = busy;
  await assert.rejects(v2({ retry: { attempts: 3 } }).orderQuery({ out_trade_no: 'RETRY1' }, { retries: 0 }), (e: unknown) => e instanceof WxPayApiError && e.code === 'SYSTEMERROR');
  assert.equal(requestsFor('RETRY1').length, 1);
  let n = 0;
  wx.handler = (req) => (++n < 3 ? busy(req) : notPaid(req));
  assert.equal((await v2({ retry: { attempts: 1 } }).orderQuery({ out_trade_no: 'RETRY2' }, { retries: 2 })).trade_state, 'NOTPAY');
  assert.equal(requestsFor('RETRY2').length, 3);
  assert.equal(new Set(requestsFor('RETRY2').map((r) => r.body)).size, 1, 'same nonce_str and sign on every try');
  assert.deepEqual(sleeps, [50, 50], 'jittered waits from the injected randomness');
});

test('v2 signal: abort in flight, abort before sending, and bad per-call values send nothing', async () => {
  wx.handler = () => 'hang';
  const controller = new AbortController();
  const pending = v2().orderQuery({ out_trade_no: 'ABORT1' }, { signal: controller.signal });
  while (requestsFor('ABORT1').length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof WxPayNetworkError && e.code === 'ABORTED' && e.outcomeUnknown && !e.retriable);
  assert.equal(requestsFor('ABORT1').length, 1, 'an aborted call is not retried');
  await assert.rejects(v2().orderQuery({ out_trade_no: 'ABORT2' }, { signal: AbortSignal.abort() }),
    (e: unknown) => e instanceof WxPayNetworkError && e.code === 'ABORTED' && e.outcomeUnknown === false);
  for (const bad of [{ timeoutMs: 0 }, { timeoutMs: 1.5 }, { retries: -1 }, { retries: 10 }]) {
    await assert.rejects(v2().orderQuery({ out_trade_no: 'ABORT2' }, bad), WxPayValidationError, JSON.stringify(bad));
  }
  assert.equal(requestsFor('ABORT2').length, 0);
});

async function v3Setup(t: TestContext, retry = { attempts: 3 }) {
  const clock = fixedClock(Date.parse('2026-11-26T12:00:00Z'));
  const fake = new FakeWechatV3({ merchantPublicKey: MERCHANT_PUBLIC_KEY_PEM, apiV3Key: API_V3_KEY, now: clock.now });
  const url = await fake.listen();
  t.after(() => fake.close());
  const client = createV3Client({
    mchid: MCHID, appid: APPID, serialNo: MERCHANT_SERIAL, privateKey: MERCHANT_KEY_PEM, apiV3Key: API_V3_KEY,
    platformCertificates: true, baseUrl: url, clock: clock.now, retry, sleep: async () => {}, random: () => 0,
  });
  const tries = () => fake.seen.filter((r) => r.url.startsWith('/v3/pay/transactions/out-trade-no/ORDER000001')).length;
  return { client, fake, tries };
}

test('v3 retries and signal per call', async (t) => {
  const { client, fake, tries } = await v3Setup(t, { attempts: 3 });
  fake.queued.push({ status: 500, body: '{"code":"SYSTEM_ERROR","message":"x"}', unsigned: true });
  await assert.rejects(client.queryByOutTradeNo('ORDER000001', { retries: 0 }), (e: unknown) => e instanceof WxPayApiError && e.code === 'SYSTEM_ERROR');
  assert.equal(tries(), 1);
  fake.queued.push({ status: 500, body: '{"code":"SYSTEM_ERROR","message":"x"}', unsigned: true });
  assert.equal((await client.queryByOutTradeNo('ORDER000001')).trade_state, 'NOTPAY', 'the client default still retries');
  assert.equal(tries(), 3);
  await assert.rejects(client.queryByOutTradeNo('ORDER000001', { signal: AbortSignal.abort() }),
    (e: unknown) => e instanceof WxPayNetworkError && e.code === 'ABORTED' && !e.outcomeUnknown);
  assert.equal(tries(), 3, 'nothing sent');
});

test('login: retries per call, only for a request that never left; timeout and signal per call', async (t) => {
  const weixin = new FakeWeixin();
  const url = await weixin.listen();
  t.after(() => weixin.close());
  let attempts = 0;
  const refusedTwice = (async (u: string, init: Parameters<typeof fetch>[1]) => {
    if (++attempts <= 2) throw new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
    return fetch(u, init);
  }) as unknown as NonNullable<Parameters<typeof createLoginClient>[0]['fetch']>;
  weixin.handler = () => ({ json: { openid: 'o1', session_key: 'k1' } });
  const login = createLoginClient({ appid: APPID, secret: 's3cret', baseUrl: url, fetch: refusedTwice, sleep: async () => {}, random: () => 0 });
  // By default a login call is not retried at all.
  await assert.rejects(login.code2Session('CODE1'), (e: unknown) => e instanceof WxPayNetworkError && e.outcomeUnknown === false);
  attempts = 0;
  assert.equal((await login.code2Session('CODE1', { retries: 2 })).openid, 'o1');
  assert.equal(attempts, 3);
  weixin.handler = () => 'hang';
  const plain = createLoginClient({ appid: APPID, secret: 's3cret', baseUrl: url, timeoutMs: 20_000 });
  await assert.rejects(plain.code2Session('CODE2', { timeoutMs: 30, retries: 3 }), (e: unknown) =>
    e instanceof WxPayNetworkError && e.code === 'TIMEOUT' && e.outcomeUnknown && !e.message.includes('s3cret'));
  // (On a busy machine the timed-out request may not even have reached the fake yet: at most one.)
  assert.ok(weixin.seen.filter((r) => r.query.get('js_code') === 'CODE2').length <= 1, 'a request that may have landed is not resent');
  // The same rule, deterministically: a reset (outcome unknown) is not retried even when the call asks for retries.
  let resets = 0;
  const resetting = (async () => {
    resets++;
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
  }) as unknown as NonNullable<Parameters<typeof createLoginClient>[0]['fetch']>;
  await assert.rejects(createLoginClient({ appid: APPID, secret: 's3cret', baseUrl: url, fetch: resetting, sleep: async () => {} }).code2Session('CODE4', { retries: 3 }),
    (e: unknown) => e instanceof WxPayNetworkError && e.outcomeUnknown && e.code === 'ECONNRESET');
  assert.equal(resets, 1);
  const controller = new AbortController();
  const pending = plain.code2Session('CODE3', { signal: controller.signal });
  while (!weixin.seen.some((r) => r.query.get('js_code') === 'CODE3')) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof WxPayNetworkError && e.code === 'ABORTED');
});
