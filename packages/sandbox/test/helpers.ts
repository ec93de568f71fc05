import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { buildXml, parseXml, signV2, verifyV2Sign, type V2SignType } from '@wxpay-kit/wechat';
import { createSandbox, type Sandbox, type SandboxOptions } from '../src/index.js';

/** 2026-11-26 10:00:00 Beijing time. A frozen source: virtual time moves only by advance(). */
export const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);

export async function startSandbox(t: TestContext, options: SandboxOptions = {}): Promise<Sandbox & { base: string }> {
  const sandbox = await createSandbox({ now: () => T0, ...options });
  const base = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => sandbox.close());
  return Object.assign(sandbox, { base });
}

export type Received = { body: string; headers: IncomingMessage['headers'] };

export type MerchantServer = {
  url: string;
  received: Received[];
  /** Replace how the server answers. */
  answer: (req: Received) => { status: number; body: string } | Promise<{ status: number; body: string }>;
};

export const V2_SUCCESS_REPLY = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';
export const V2_FAIL_REPLY = '<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[busy]]></return_msg></xml>';

/** A tiny merchant notify endpoint on 127.0.0.1:0 that records what it receives. */
export async function startMerchant(t: TestContext): Promise<MerchantServer> {
  const merchant: MerchantServer = {
    url: '',
    received: [],
    answer: () => ({ status: 200, body: V2_SUCCESS_REPLY }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { body: Buffer.concat(chunks).toString('utf8'), headers: req.headers };
      merchant.received.push(received);
      void Promise.resolve(merchant.answer(received)).then((a) => {
        res.writeHead(a.status, { 'content-type': 'text/xml' });
        res.end(a.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  merchant.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wxpay/notify`;
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return merchant;
}

export type V2Answer = { status: number; text: string; fields: Record<string, string> };

/** POST signed v2 fields (adds appid, mch_id, nonce_str, sign_type unless given) and parse the answer. */
export async function v2(
  sandbox: Sandbox & { base: string },
  path: string,
  params: Record<string, string | number | undefined>,
  options: { signType?: V2SignType; apiKey?: string; omitSignType?: boolean } = {},
): Promise<V2Answer> {
  const m = sandbox.demoMerchant;
  const signType = options.signType ?? 'MD5';
  const fields: Record<string, string | number | undefined> = {
    appid: m.appid,
    mch_id: m.mchid,
    nonce_str: 'n0nce',
    ...(options.omitSignType === true ? {} : { sign_type: signType }),
    ...params,
  };
  const body = buildXml({ ...fields, sign: signV2(fields, options.apiKey ?? m.apiKey, signType) });
  return postRaw(sandbox, path, body);
}

export async function postRaw(sandbox: { base: string }, path: string, body: string): Promise<V2Answer> {
  const res = await fetch(`${sandbox.base}${path}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
  const text = await res.text();
  let fields: Record<string, string> = {};
  try {
    fields = parseXml(text);
  } catch {
    fields = {};
  }
  return { status: res.status, text, fields };
}

/** The answer is signed with the merchant key by the given algorithm. */
export function answerVerifies(answer: V2Answer, apiKey: string, signType: V2SignType): boolean {
  return verifyV2Sign(answer.fields, apiKey, signType);
}

export async function json(sandbox: { base: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.base}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function login(sandbox: Sandbox & { base: string }, user = 'alice'): Promise<{ code: string; openid: string }> {
  const r = await json(sandbox, 'POST', '/sandbox/wx/login', { appid: sandbox.demoMerchant.appid, user });
  return r.body as { code: string; openid: string };
}

let orderSeq = 0;
export function newOutTradeNo(): string {
  orderSeq += 1;
  return `T${Date.now()}${orderSeq}`;
}

/** unifiedorder with sensible defaults; returns the answer. */
export async function unifiedOrder(
  sandbox: Sandbox & { base: string },
  params: Record<string, string | number | undefined>,
  options: { signType?: V2SignType } = {},
): Promise<V2Answer> {
  return v2(sandbox, '/pay/unifiedorder', {
    body: 'Sandbox tea',
    out_trade_no: newOutTradeNo(),
    total_fee: 100,
    spbill_create_ip: '127.0.0.1',
    notify_url: 'http://127.0.0.1:9/notify',
    trade_type: 'JSAPI',
    ...params,
  }, options);
}

/** wx.requestPayment params for a prepay, signed as a merchant backend would. */
export function payParams(sandbox: Sandbox, prepayId: string, signType: V2SignType = 'MD5', apiKey?: string): Record<string, string> {
  const p = {
    appId: sandbox.demoMerchant.appid,
    timeStamp: String(Math.floor(T0 / 1000)),
    nonceStr: 'abc123',
    package: `prepay_id=${prepayId}`,
    signType,
  };
  return {
    timeStamp: p.timeStamp,
    nonceStr: p.nonceStr,
    package: p.package,
    signType,
    paySign: signV2(p, apiKey ?? sandbox.demoMerchant.apiKey, signType),
  };
}

export async function pay(
  sandbox: Sandbox & { base: string },
  prepayId: string,
  openid: string,
  action: 'pay' | 'cancel' | 'fail' = 'pay',
  signType: V2SignType = 'MD5',
): Promise<string> {
  const r = await json(sandbox, 'POST', '/sandbox/wx/requestPayment', { ...payParams(sandbox, prepayId, signType), openid, action });
  return String(r.body.errMsg);
}

/** Create an order for a fresh user and pay it; returns its identifiers. */
export async function paidOrder(
  sandbox: Sandbox & { base: string },
  notifyUrl: string,
  params: Record<string, string | number | undefined> = {},
  signType: V2SignType = 'MD5',
): Promise<{ outTradeNo: string; openid: string; prepayId: string }> {
  const { openid } = await login(sandbox);
  const outTradeNo = newOutTradeNo();
  const order = await unifiedOrder(sandbox, { openid, out_trade_no: outTradeNo, notify_url: notifyUrl, ...params }, { signType });
  const prepayId = order.fields.prepay_id ?? '';
  const errMsg = await pay(sandbox, prepayId, openid, 'pay', signType);
  if (errMsg !== 'requestPayment:ok') throw new Error(`payment failed: ${errMsg} / ${order.text}`);
  return { outTradeNo, openid, prepayId };
}

export { parseXml };
