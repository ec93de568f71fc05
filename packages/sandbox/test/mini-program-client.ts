import type { TestContext } from 'node:test';
import { createAccessTokenManager } from '@wxpay-kit/wechat/login';
import { createMiniProgramClient, MiniProgramApiError, type MiniProgramClient } from '@wxpay-kit/wechat/miniprogram';
import type { SandboxOptions } from '../src/index.js';
import { json, paidOrder, startSandbox } from './helpers.js';

/** A sandbox with the SDK's mini-program client (shipping, subscribe messages, phone number) pointed at it over HTTP. */
export async function withMiniProgramClient(t: TestContext, options: SandboxOptions = {}) {
  const sandbox = await startSandbox(t, options);
  const m = sandbox.demoMerchant;
  const accessTokens = createAccessTokenManager({ appid: m.appid, secret: m.secret, baseUrl: sandbox.base, clock: () => sandbox.clock.now() });
  const client: MiniProgramClient = createMiniProgramClient({ appid: m.appid, accessTokens, baseUrl: sandbox.base, clock: () => sandbox.clock.now(), sleep: async () => {} });
  /** A paid order of user `alice`, past the index delay unless `indexed` is false. */
  const paid = async (indexed = true) => {
    const { outTradeNo, openid } = await paidOrder(sandbox, 'http://127.0.0.1:9/notify');
    const listed = await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`);
    const transactionId = String((listed.body.orders as Record<string, unknown>[])[0]?.transactionId);
    if (indexed) await sandbox.clock.advance(10);
    return { outTradeNo, openid, transactionId };
  };
  /** Raw POST with a valid token (for bodies the SDK would never send). */
  const raw = async (path: string, body: unknown) => {
    const token = await accessTokens.getToken();
    const res = await fetch(`${sandbox.base}${path}?access_token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { errcode: number; errmsg: string } & Record<string, unknown>;
  };
  const sandboxOrder = async (outTradeNo: string) =>
    ((await json(sandbox, 'GET', `/sandbox/orders?outTradeNo=${outTradeNo}`)).body.orders as Record<string, unknown>[])[0] ?? {};
  return { sandbox, client, paid, raw, sandboxOrder, mchid: m.mchid, appid: m.appid };
}

/** The errcode a call was refused with, 0 when it succeeded. */
export async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MiniProgramApiError) return error.errcode;
    throw error;
  }
  return 0;
}
