/**
 * The whole stack for end-to-end tests: the sandbox (an offline WeChat, its clock frozen so time moves only by
 * advance) and the real server app on ephemeral ports, talking HTTP to each other exactly as in production. The
 * server's clock is a hand-driven TestClock starting at the sandbox's time.
 *
 * Parameterised by API version: API_VERSIONS lists what the suite runs for; adding 'v3' there (and its branch in
 * startStack) runs every test for v3 too.
 */
import type { TestContext } from 'node:test';
import { createSandbox } from '@wxpay-kit/sandbox';
import type { Sandbox, SandboxMerchant } from '@wxpay-kit/sandbox';
import { pino } from 'pino';
import { buildApp } from '../../../packages/server/src/app.js';
import type { AppDeps, WxPayApp } from '../../../packages/server/src/app.js';
import { loadConfig } from '../../../packages/server/src/config.js';
import type { Env } from '../../../packages/server/src/config.js';
import type { FulfilmentEvent } from '../../../packages/server/src/jobs/jobs.js';
import { startSandboxMode } from '../../../packages/server/src/sandbox-mode.js';

export type ApiVersion = 'v2' | 'v3';
export const API_VERSIONS: readonly ApiVersion[] = ['v2', 'v3'];

export class TestClock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** One delivery attempt as GET /sandbox/notifications shows it. */
export type Attempt = { status?: number; answer?: string };

/**
 * What WeChat hears back, per version: v2 answers HTTP 200 with XML return_code SUCCESS/FAIL; v3 answers 204 for
 * success and 4xx/5xx with {"code":"FAIL"} for failure (401: not authentic).
 */
export function acknowledged(version: ApiVersion, attempt: Attempt | undefined): boolean {
  if (attempt === undefined) return false;
  return version === 'v2' ? attempt.status === 200 && (attempt.answer ?? '').includes('<![CDATA[SUCCESS]]>') : attempt.status === 204;
}

export function refusedAsForged(version: ApiVersion, attempt: Attempt | undefined): boolean {
  if (attempt === undefined) return false;
  return version === 'v2' ? (attempt.answer ?? '').includes('FAIL') : attempt.status === 401 && (attempt.answer ?? '').includes('"FAIL"');
}

export type PayParams = { timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string };
export type CreatedOrder = { orderId: string; outTradeNo: string; amount: number; status: string; payParams: PayParams };
export type User = { token: string; openid: string };

export type Stack = {
  version: ApiVersion;
  app: WxPayApp;
  url: string;
  sandbox: Sandbox;
  merchant: SandboxMerchant;
  clock: TestClock;
  events: FulfilmentEvent[];
  /** Move both clocks: the server's and the sandbox's (which runs every notification that falls due). */
  advance(seconds: number): Promise<void>;
  login(user?: string): Promise<User>;
  createOrder(user: User, items?: { sku: string; quantity: number }[], headers?: Record<string, string>): Promise<{ status: number; body: CreatedOrder & { error?: { code: string } } }>;
  order(user: User, orderId: string): Promise<{ status: string; paidAt?: string; outTradeNo: string }>;
  pay(user: User, payParams: PayParams, action?: 'pay' | 'cancel' | 'fail', appid?: string): Promise<string>;
  fault(body: Record<string, unknown>): Promise<void>;
  sandboxNotifications(outTradeNo: string): Promise<{ status: string; attempts: Attempt[] }[]>;
  /**
   * Outcomes in the server's audit log for notifications about this order, sorted. A rejected v3 notification cannot
   * be tied to an order (its resource is encrypted and was never opened), so for v3 unattributed rows count too:
   * each test has its own stack, so they are this test's.
   */
  outcomes(outTradeNo: string): Promise<string[]>;
};

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/**
 * Noon, China time, of the China day `ms` falls in: a start time for tests about calendar days (the daily bill), so
 * the minutes a test moves the clocks never cross China midnight, whatever the real time of the run.
 */
export function chinaNoon(ms: number): number {
  const chinaDay = new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
  return Date.parse(`${chinaDay}T12:00:00+08:00`);
}

export async function startStack(t: TestContext, version: ApiVersion, options: { env?: Env; deps?: AppDeps; merchants?: SandboxMerchant[]; startAt?: number } = {}): Promise<Stack> {
  // Both clocks start here and move only by advance(); startAt pins them (e.g. chinaNoon) for tests about dates.
  const base = options.startAt ?? Date.now();
  // The TestClock is this world's real time: the server runs on it and the sandbox signs and checks v3 timestamps
  // with it; the sandbox's virtual clock (frozen at base) moves only by advance().
  const clock = new TestClock(base);
  const sandbox = await createSandbox({ now: () => base, wallClock: clock.now, ...(options.merchants === undefined ? {} : { merchants: options.merchants }) });
  t.after(() => sandbox.close());
  const sandboxUrl = await sandbox.listen({ port: 0, host: '127.0.0.1' });
  const events: FulfilmentEvent[] = [];
  const config = loadConfig({
    WXPAY_MODE: 'sandbox',
    WXPAY_API_VERSION: version,
    WXPAY_API_BASE: sandboxUrl,
    DATABASE_URL: 'sqlite::memory:',
    SESSION_SECRET: 's'.repeat(40),
    ADMIN_TOKEN: 'e2e-admin-token-0123456789',
    ...options.env,
  });
  // The external-sandbox path of sandbox mode: credentials come from the sandbox's control API.
  const runtime = await startSandboxMode(config, {});
  let url = '';
  const app = await buildApp(runtime.config, {
    clock,
    logger: pino({ level: 'silent' }),
    sandboxUrl,
    publicUrl: () => url,
    gatewayExtras: { clientCert: runtime.clientCert, clock: clock.now, sleep: async () => {} },
    onEvent: (event) => {
      events.push(event);
    },
    rateLimits: { login: { max: 10_000, timeWindow: 60_000 }, orders: { max: 10_000, timeWindow: 60_000 } },
    ...options.deps,
  });
  t.after(() => app.close());
  url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  // As server.ts does once it listens: the sandbox learns the message push URL, Token and EncodingAESKey.
  await app.wx.announceMessagePush();

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  const stack: Stack = {
    version,
    app,
    url,
    sandbox,
    merchant: runtime.merchant,
    clock,
    events,
    async advance(seconds) {
      clock.advance(seconds * 1000);
      await sandbox.clock.advance(seconds);
    },
    async login(user = 'alice') {
      // The sandbox plays wx.login(); through the server's same-origin proxy, as the web demo does.
      const wx = await json<{ code: string; openid: string }>(await post('/sandbox/wx/login', { appid: runtime.merchant.appid, user }));
      const res = await post('/api/login', { code: wx.code });
      if (res.status !== 200) throw new Error(`login: ${res.status}`);
      return { token: (await json<{ token: string }>(res)).token, openid: wx.openid };
    },
    async createOrder(user, items = [{ sku: 'tea-oolong', quantity: 1 }], headers = {}) {
      const res = await post('/api/orders', { items }, { authorization: `Bearer ${user.token}`, ...headers });
      return { status: res.status, body: await json(res) };
    },
    async order(user, orderId) {
      const res = await fetch(`${url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${user.token}` } });
      if (res.status !== 200) throw new Error(`order: ${res.status}`);
      return json(res);
    },
    async pay(user, payParams, action = 'pay', appid) {
      const res = await post('/sandbox/wx/requestPayment', { ...payParams, openid: user.openid, action, ...(appid === undefined ? {} : { appid }) });
      const { errMsg } = await json<{ errMsg: string }>(res);
      // Deliveries the cashier scheduled for "now" run here, and we wait for their answers.
      await sandbox.clock.advance(0);
      return errMsg;
    },
    async fault(body) {
      const res = await fetch(`${sandboxUrl}/sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`fault: ${res.status} ${await res.text()}`);
    },
    async sandboxNotifications(outTradeNo) {
      const res = await fetch(`${sandboxUrl}/sandbox/notifications?outTradeNo=${outTradeNo}`);
      return (await json<{ notifications: { status: string; attempts: Attempt[] }[] }>(res)).notifications;
    },
    async outcomes(outTradeNo) {
      const log = await app.wx.store.listNotifications(1000);
      return log
        .filter((n) => n.outTradeNo === outTradeNo || n.rawBody.includes(outTradeNo) || (version === 'v3' && n.outTradeNo === undefined))
        .map((n) => n.outcome)
        .sort();
    },
  };
  return stack;
}
