/**
 * The shared access-token stores (database on SQLite and PostgreSQL, Redis) against the real services, and the point
 * of them: several access-token managers (several instances) sharing one store make ONE refresh at WeChat.
 * PostgreSQL and Redis are required under CI=true; elsewhere their rows skip with a loud message.
 */
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createAccessTokenManager } from '@wxpay-kit/wechat';
import type { LoginFetch, TokenStore } from '@wxpay-kit/wechat';
import { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open.js';
import { RedisTokenStore } from '../src/token-store/redis.js';
import { SqlTokenStore } from '../src/token-store/sql.js';
import { REQUIRE_POSTGRES, requirePostgres, testSchema } from './helpers/postgres.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

class Clock {
  constructor(public ms = 1_800_000_000_000) {}
  now = (): number => this.ms;
}

type Backend = { name: string; open(t: TestContext, clock: Clock): Promise<TokenStore | undefined> };

async function sqlStore(t: TestContext, clock: Clock, database: Parameters<typeof openStore>[0]): Promise<TokenStore> {
  const store = await openStore(database);
  t.after(() => store.close());
  assert.ok(store instanceof KyselyStore);
  return new SqlTokenStore(store.database, clock.now);
}

async function redisStore(t: TestContext): Promise<TokenStore | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    redis.disconnect();
    const message = `Redis is not reachable at ${REDIS_URL}`;
    if (REQUIRE_POSTGRES) throw new Error(`${message}; CI=true requires it`);
    process.stderr.write(`\n!!! SKIPPING Redis test "${t.name}": ${message} (set CI=true to make this a failure)\n\n`);
    t.skip(message);
    return undefined;
  }
  // A fresh prefix per test: runs never see each other's keys. Redis expires by its own clock, so TTLs here are real.
  const prefix = `wxpay-kit-test:${randomBytes(6).toString('hex')}:`;
  t.after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return new RedisTokenStore(redis, prefix);
}

const BACKENDS: Backend[] = [
  { name: 'sqlite', open: (t, clock) => sqlStore(t, clock, { kind: 'sqlite', path: ':memory:' }) },
  {
    name: 'postgres',
    open: async (t, clock) => {
      const url = await requirePostgres(t);
      if (url === undefined) return undefined;
      return sqlStore(t, clock, { kind: 'postgres', url, schema: await testSchema(t, url, 'tok'), poolMax: 4 });
    },
  },
  { name: 'redis', open: (t) => redisStore(t) },
];

/** A fake cgi-bin/token: counts calls, answers a new token each time after `delayMs` of (real) latency. */
function fakeWeChat(delayMs = 30) {
  const state = { calls: 0 };
  const fetch: LoginFetch = async (url) => {
    assert.ok(url.includes('/cgi-bin/token'));
    state.calls++;
    const n = state.calls;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { status: 200, text: async () => JSON.stringify({ access_token: `token-${n}`, expires_in: 7200 }) };
  };
  return { state, fetch };
}

for (const backend of BACKENDS) {
  describe(`token store (${backend.name})`, () => {
    test('get/set round trip; a missing key is undefined', async (t) => {
      const clock = new Clock();
      const store = await backend.open(t, clock);
      if (store === undefined) return;
      assert.equal(await store.get('k'), undefined);
      await store.set('k', { token: 'abc', expiresAt: clock.ms + 7_200_000 }, 7200);
      assert.deepEqual(await store.get('k'), { token: 'abc', expiresAt: clock.ms + 7_200_000 });
      await store.set('k', { token: 'def', expiresAt: clock.ms + 7_200_000 }, 7200);
      assert.equal((await store.get('k'))?.token, 'def');
      assert.equal(await store.get('other'), undefined);
    });

    test('the lock: one holder at a time, released only by its holder, and it expires', async (t) => {
      const clock = new Clock();
      const store = await backend.open(t, clock);
      if (store === undefined || store.lock === undefined) return;
      // Only the second hold is meant to run out. Redis expires it by its own (real) clock, so that one TTL is short
      // and real; every hold that must still be there when checked gets a minute, so a slow (loaded) machine cannot
      // expire it between two commands. The database stores by the injected clock.
      const held = 60_000;
      const short = backend.name === 'redis' ? 300 : 5_000;
      const first = await store.lock('k', held);
      assert.ok(first);
      assert.equal(await store.lock('k', held), undefined, 'held');
      await first();
      const second = await store.lock('k', short);
      assert.ok(second, 'free again after release');
      // Let the second hold run out; a third takes the lock; the second's late release must not free the third's.
      if (backend.name === 'redis') await new Promise((resolve) => setTimeout(resolve, short + 100));
      else clock.ms += short;
      const third = await store.lock('k', held);
      assert.ok(third, 'an expired hold is taken over');
      await second();
      assert.equal(await store.lock('k', held), undefined, "a stale release does not free someone else's lock");
      await third();
      // Locking never touches the token itself.
      await store.set('k', { token: 'abc', expiresAt: clock.ms + 60_000 }, 60);
      const fourth = await store.lock('k', held);
      assert.equal((await store.get('k'))?.token, 'abc');
      await fourth?.();
    });

    test('a value past its TTL is gone', async (t) => {
      const clock = new Clock();
      const store = await backend.open(t, clock);
      if (store === undefined || backend.name === 'redis') return; // Redis' own TTL: covered by the manager test below
      await store.set('k', { token: 'abc', expiresAt: clock.ms + 10_000 }, 10);
      clock.ms += 9_999;
      assert.equal((await store.get('k'))?.token, 'abc');
      clock.ms += 1;
      assert.equal(await store.get('k'), undefined);
    });

    test('five managers (five instances) sharing the store refresh once and all use that token', async (t) => {
      const clock = new Clock(Date.now());
      const store = await backend.open(t, clock);
      if (store === undefined) return;
      const wechat = fakeWeChat();
      const managers = Array.from({ length: 5 }, () =>
        createAccessTokenManager({
          appid: 'wx8888888888888888',
          secret: 'secret',
          baseUrl: 'http://127.0.0.1:9',
          store,
          clock: clock.now,
          fetch: wechat.fetch,
          // The waiters poll the store for the holder's token; real sleeps of a few ms keep this test honest and short.
          lockWait: { pollMs: 10, maxMs: 5_000 },
        }),
      );
      const tokens = await Promise.all(managers.flatMap((m) => [m.getToken(), m.getToken()]));
      assert.equal(wechat.state.calls, 1, 'one refresh at WeChat');
      assert.deepEqual(new Set(tokens), new Set(['token-1']));
      // One instance sees WeChat reject the token (40001): the next refresh happens once, and everyone adopts it.
      await managers[0]?.invalidate('token-1');
      assert.equal(await managers[0]?.getToken(), 'token-2');
      assert.equal(wechat.state.calls, 2);
      assert.equal((await store.get('wechat:access_token:wx8888888888888888'))?.token, 'token-2');
    });
  });
}

test('REDIS_URL selects the Redis store; otherwise the database store', async (t) => {
  const { createSharedTokenStore } = await import('../src/token-store/create.js');
  const clock = new Clock();
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  t.after(() => store.close());
  const db = createSharedTokenStore({ redisUrl: undefined }, store, clock);
  assert.equal(db.kind, 'database');
  assert.ok(db.tokenStore instanceof SqlTokenStore);
  const viaRedis = await redisStore(t); // skips (or fails under CI) when Redis is down
  if (viaRedis === undefined) return;
  const shared = createSharedTokenStore({ redisUrl: REDIS_URL }, store, clock);
  t.after(() => shared.close());
  assert.equal(shared.kind, 'redis');
  const key = `test:${randomBytes(6).toString('hex')}`;
  // A real Redis TTL: long enough that a loaded machine cannot expire it before the read, short enough to clean up.
  await shared.tokenStore.set(key, { token: 'abc', expiresAt: Date.now() + 60_000 }, 30);
  assert.equal((await shared.tokenStore.get(key))?.token, 'abc');
  const release = await shared.tokenStore.lock?.(key, 1000);
  assert.ok(release);
  await release();
});
