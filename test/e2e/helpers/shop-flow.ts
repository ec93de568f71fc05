/**
 * The mini-program payment flow every example app under examples/ must pass, against the sandbox over real HTTP:
 * wx.login → the example's login → an order priced on the server → the sandbox cashier pays → WeChat's notification
 * is verified and the order paid once; a duplicate is answered success and changes nothing; a forged one and an
 * oversized one are refused and change nothing.
 */
import assert from 'node:assert/strict';
import { createSandbox, type Sandbox } from '@wxpay-kit/sandbox';
import { SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM } from '@wxpay-kit/wechat/testing';

export type ExampleVersion = 'v2' | 'v3';

export type ShopSandbox = {
  sandbox: Sandbox;
  url: string;
  /** The environment an example reads (the same names as the wxpay-kit server). */
  env: Record<string, string>;
  close(): Promise<void>;
};

/** A sandbox on a free port with its clock frozen: time (and so each notification delivery) moves by advance(). */
export async function startShopSandbox(): Promise<ShopSandbox> {
  const start = Date.now();
  const sandbox = await createSandbox({ now: () => start });
  const url = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const m = sandbox.demoMerchant;
  const env: Record<string, string> = {
    WECHAT_APPID: m.appid,
    WECHAT_SECRET: m.secret,
    WXPAY_MCHID: m.mchid,
    WXPAY_KEY: m.apiKey,
    WXPAY_APIV3_KEY: m.apiV3Key,
    WECHAT_API_BASE: url,
    WXPAY_API_BASE: url,
    // The sandbox signs v3 answers and notifications in public-key mode with its published test key.
    WXPAY_PUBLIC_KEY_ID: SANDBOX_PUBLIC_KEY_ID,
    WXPAY_PUBLIC_KEY: SANDBOX_PUBLIC_KEY_PEM,
  };
  if (m.merchantPrivateKey !== undefined) env.WXPAY_PRIVATE_KEY = m.merchantPrivateKey;
  if (m.merchantCertSerial !== undefined) env.WXPAY_CERT_SERIAL = m.merchantCertSerial;
  return { sandbox, url, env, close: () => sandbox.close() };
}

export type ShopUnderTest = {
  version: ExampleVersion;
  /** The example's base URL. */
  url: string;
  /** Its notify path (where it told WeChat to send notifications). */
  notifyPath: string;
  /** The outcomes the example recorded for verified notifications of this order ('paid', 'duplicate', …). */
  outcomes(outTradeNo: string): string[];
};

type PayParams = { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };
type Created = { orderId: string; outTradeNo: string; amount: number; status: string; payParams: PayParams };
type Attempt = { status?: number; answer?: string; verdict?: string };

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

function acknowledged(version: ExampleVersion, a: Attempt | undefined): boolean {
  if (a === undefined) return false;
  return version === 'v2' ? a.status === 200 && (a.answer ?? '').includes('<![CDATA[SUCCESS]]>') : a.status === 204;
}

export async function runShopFlow(box: ShopSandbox, shop: ShopUnderTest): Promise<void> {
  const { sandbox } = box;
  const appid = sandbox.demoMerchant.appid;

  // 1. wx.login() (the sandbox plays it) → the example's login route → its own bearer token.
  const wx = (await (await postJson(`${box.url}/sandbox/wx/login`, { appid, user: 'example-user' })).json()) as { code: string; openid: string };
  const loginRes = await postJson(`${shop.url}/api/login`, { code: wx.code });
  assert.equal(loginRes.status, 200, 'login');
  const { token } = (await loginRes.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}` };
  // A code is single-use: the same code again is refused.
  assert.notEqual((await postJson(`${shop.url}/api/login`, { code: wx.code })).status, 200, 'a used code is refused');

  const products = (await (await fetch(`${shop.url}/api/products`)).json()) as { products: { sku: string; price: number }[] };
  const tea = products.products.find((p) => p.sku === 'tea-oolong');
  assert.ok(tea !== undefined && Number.isSafeInteger(tea.price) && tea.price > 0, 'catalogue in integer fen');

  const order = async (): Promise<Created> => {
    const res = await postJson(`${shop.url}/api/orders`, { items: [{ sku: 'tea-oolong', quantity: 2 }], amount: 1 }, auth);
    assert.equal(res.status, 201, 'order created');
    const created = (await res.json()) as Created;
    assert.equal(created.amount, tea.price * 2, 'priced on the server (the client amount is ignored)');
    assert.ok(created.payParams.paySign.length > 0 && created.payParams.package.startsWith('prepay_id='), 'wx.requestPayment params');
    return created;
  };
  const pay = async (created: Created): Promise<void> => {
    const res = await postJson(`${box.url}/sandbox/wx/requestPayment`, { ...created.payParams, openid: wx.openid, action: 'pay' });
    assert.equal(((await res.json()) as { errMsg: string }).errMsg, 'requestPayment:ok', 'the cashier accepts the pay params');
    // Deliveries due now run here; advance waits for the example's answers.
    await sandbox.clock.advance(0);
  };
  const status = async (orderId: string): Promise<{ status: string; paidAt?: string }> =>
    (await (await fetch(`${shop.url}/api/orders/${orderId}`, { headers: auth })).json()) as { status: string; paidAt?: string };
  const attempts = async (outTradeNo: string): Promise<Attempt[]> => {
    const res = await fetch(`${box.url}/sandbox/notifications?outTradeNo=${outTradeNo}`);
    return ((await res.json()) as { notifications: { attempts: Attempt[] }[] }).notifications.flatMap((n) => n.attempts);
  };
  const fault = async (body: object): Promise<void> => {
    const res = await postJson(`${box.url}/sandbox/faults`, body);
    assert.equal(res.status, 201, 'fault accepted');
  };

  // 2. An order, paid at the cashier: the notification is verified, acknowledged and the order paid once.
  const first = await order();
  assert.notEqual((await status(first.orderId)).status, 'PAID');
  await pay(first);
  const firstAttempts = await attempts(first.outTradeNo);
  assert.equal(firstAttempts.length, 1, 'one delivery');
  assert.ok(acknowledged(shop.version, firstAttempts[0]), `acknowledged: ${JSON.stringify(firstAttempts[0])}`);
  const paid = await status(first.orderId);
  assert.equal(paid.status, 'PAID');
  assert.deepEqual(shop.outcomes(first.outTradeNo), ['paid']);

  // 3. WeChat sends the same notification twice: both acknowledged, the order paid once.
  const second = await order();
  await fault({ outTradeNo: second.outTradeNo, notify: { duplicates: 1 } });
  await pay(second);
  const secondAttempts = await attempts(second.outTradeNo);
  assert.equal(secondAttempts.length, 2, 'the original and its duplicate');
  assert.ok(secondAttempts.every((a) => acknowledged(shop.version, a)), 'the duplicate is answered success too');
  assert.deepEqual(shop.outcomes(second.outTradeNo), ['paid', 'duplicate']);
  assert.equal((await status(second.orderId)).status, 'PAID');

  // 4. A forged notification (signed or encrypted with the wrong key) is refused; the order stays unpaid.
  const third = await order();
  await fault({ outTradeNo: third.outTradeNo, notify: { badSignature: true } });
  await pay(third);
  const thirdAttempts = await attempts(third.outTradeNo);
  assert.equal(thirdAttempts.length, 1);
  assert.ok(!acknowledged(shop.version, thirdAttempts[0]), 'a forged notification is not acknowledged');
  if (shop.version === 'v2') assert.match(thirdAttempts[0]?.answer ?? '', /FAIL/);
  else assert.equal(thirdAttempts[0]?.status, 401);
  assert.notEqual((await status(third.orderId)).status, 'PAID');
  assert.deepEqual(shop.outcomes(third.outTradeNo), []);

  // 5. An oversized body is refused before anything reads it as a notification.
  const pad = 'x'.repeat(200 * 1024);
  const huge = shop.version === 'v2'
    ? `<xml><out_trade_no>${third.outTradeNo}</out_trade_no><pad>${pad}</pad></xml>`
    : JSON.stringify({ id: third.outTradeNo, pad });
  const oversized = await fetch(`${shop.url}${shop.notifyPath}`, {
    method: 'POST',
    headers: { 'content-type': shop.version === 'v2' ? 'text/xml' : 'application/json' },
    body: huge,
  });
  const answer = await oversized.text();
  assert.ok(oversized.status === 413 || (shop.version === 'v2' && answer.includes('FAIL')), `oversized refused (${oversized.status})`);
  assert.notEqual((await status(third.orderId)).status, 'PAID');
  assert.deepEqual(shop.outcomes(third.outTradeNo), []);
}
