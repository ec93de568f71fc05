/**
 * build(t): the real app on a throw-away SQLite database, with a fake WeChat and a hand-driven clock. Closed when the
 * test ends.
 */
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import type { AppDeps, WxPayApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Env } from '../../src/config.js';
import type { FulfilmentEvent } from '../../src/jobs/jobs.js';
import { FakeGateway, FakeLogin } from './fake-gateway.js';
import { testDatabaseEnv } from './postgres.js';

export class TestClock {
  constructor(public ms = Date.UTC(2026, 10, 26, 12, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export type Built = { app: WxPayApp; gateway: FakeGateway; login: FakeLogin; clock: TestClock; events: FulfilmentEvent[] };

export async function build(t: TestContext, options: { env?: Env; deps?: AppDeps } = {}): Promise<Built> {
  // TEST_DATABASE=postgres: the same tests on a fresh PostgreSQL schema (helpers/postgres.ts).
  const database = await testDatabaseEnv(t);
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SESSION_SECRET: 'x'.repeat(40), ADMIN_TOKEN: 'admin-token-0123456789', ...database, ...options.env });
  const gateway = new FakeGateway();
  const login = new FakeLogin();
  const clock = new TestClock();
  const events: FulfilmentEvent[] = [];
  const app = await buildApp(config, {
    gateway,
    login,
    clock,
    logger: silentPino(),
    onEvent: (event) => {
      events.push(event);
    },
    seedDemoProducts: true,
    rateLimits: { login: { max: 1000, timeWindow: 60_000 }, orders: { max: 1000, timeWindow: 60_000 } },
    ...options.deps,
  });
  t.after(() => app.close());
  return { app, gateway, login, clock, events };
}

export function silentPino() {
  return pino({ level: 'silent' });
}

let codes = 0;
export async function loginAs(app: WxPayApp, user = 'alice'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/login', payload: { code: `code-${user}.${++codes}` } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return (res.json() as { token: string }).token;
}

/**
 * Makes every way a notification is written fail as a database would ("database is locked"): the shared transaction,
 * and PostgreSQL's one-statement path. Returns the function that puts them back.
 */
export function failNotificationWrites(store: WxPayApp['wx']['store']): () => void {
  const original = { sharedTransaction: store.sharedTransaction, recordFirstPayment: store.recordFirstPayment };
  const fail = () => Promise.reject(new Error('database is locked'));
  Object.assign(store, { sharedTransaction: fail, ...(original.recordFirstPayment === undefined ? {} : { recordFirstPayment: fail }) });
  return () => {
    Object.assign(store, original);
  };
}
