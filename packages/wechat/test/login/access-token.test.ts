import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessTokenManager, type AccessTokenManagerOptions } from '../../src/login/access-token.js';
import { MemoryTokenStore, type TokenStore } from '../../src/login/token-store.js';
import { WxPayApiError, WxPayNetworkError, WxPayProtocolError } from '../../src/errors.js';
import { FakeWeixin } from './fake-weixin.js';

const appid = 'wx8888888888888888';
const secret = 'a-very-secret-app-secret-value-00';
let wx: FakeWeixin;
let baseUrl: string;
let now: number;
let issued: number;

before(async () => {
  wx = new FakeWeixin();
  baseUrl = await wx.listen();
});
after(() => wx.close());
beforeEach(() => {
  wx.seen.length = 0;
  now = Date.UTC(2024, 0, 1);
  issued = 0;
  wx.handler = () => ({ json: { access_token: `TOKEN-${++issued}`, expires_in: 7200 } });
});

const clock = () => now;
function manager(overrides: Partial<AccessTokenManagerOptions> = {}) {
  return createAccessTokenManager({ appid, secret, baseUrl, clock, sleep: async () => {}, ...overrides });
}

test('fetches once, caches, and refreshes before expiry by the injected clock', async () => {
  const m = manager({ refreshMarginSeconds: 300 });
  assert.equal(await m.getToken(), 'TOKEN-1');
  assert.equal(await m.getToken(), 'TOKEN-1');
  assert.equal(wx.seen.length, 1);
  assert.equal(wx.seen[0]?.path, '/cgi-bin/token');
  assert.deepEqual(Object.fromEntries(wx.seen[0]?.query ?? []), { grant_type: 'client_credential', appid, secret });
  now += (7200 - 300 - 1) * 1000;
  assert.equal(await m.getToken(), 'TOKEN-1', 'still outside the margin');
  now += 2000;
  assert.equal(await m.getToken(), 'TOKEN-2', 'inside the margin: refreshed early');
  assert.equal(wx.seen.length, 2);
});

test('single flight: many concurrent callers share one refresh', async () => {
  const m = manager();
  const tokens = await Promise.all(Array.from({ length: 20 }, () => m.getToken()));
  assert.deepEqual(new Set(tokens), new Set(['TOKEN-1']));
  assert.equal(wx.seen.length, 1);
});

test('a shared store: a second process reuses the first one’s token', async () => {
  const store = new MemoryTokenStore(clock);
  const a = manager({ store });
  const b = manager({ store });
  assert.equal(await a.getToken(), 'TOKEN-1');
  assert.equal(await b.getToken(), 'TOKEN-1');
  assert.equal(wx.seen.length, 1);
});

test('while another process holds the refresh lock, wait for its token instead of fetching', async () => {
  const store = new MemoryTokenStore(clock);
  const otherRelease = await store.lock('wechat:access_token:' + appid, 60_000);
  assert.ok(otherRelease);
  let polls = 0;
  const m = manager({
    store,
    lockWait: { pollMs: 100, maxMs: 1000 },
    sleep: async () => {
      if (++polls === 3) await store.set('wechat:access_token:' + appid, { token: 'FROM-OTHER', expiresAt: now + 7_200_000 }, 7200);
    },
  });
  assert.equal(await m.getToken(), 'FROM-OTHER');
  assert.equal(wx.seen.length, 0);
  assert.equal(polls, 3);
});

test('a lock that is never released ends in a typed, retriable error', async () => {
  const store = new MemoryTokenStore(clock);
  await store.lock('wechat:access_token:' + appid, 60_000);
  const m = manager({ store, lockWait: { pollMs: 100, maxMs: 500 } });
  await assert.rejects(m.getToken(), (e: unknown) => e instanceof WxPayNetworkError && e.code === 'TOKEN_LOCK_TIMEOUT' && e.retriable);
  assert.equal(wx.seen.length, 0);
});

test('invalidate(current) forces a new token; invalidating an old token does not', async () => {
  const store = new MemoryTokenStore(clock);
  const a = manager({ store });
  const b = manager({ store });
  const t1 = await a.getToken();
  await a.invalidate(t1);
  const t2 = await a.getToken();
  assert.equal(t2, 'TOKEN-2');
  // b reads the store: the replacement is shared.
  assert.equal(await b.getToken(), 'TOKEN-2');
  await b.invalidate(t1); // stale report: TOKEN-1 is not current any more
  assert.equal(await b.getToken(), 'TOKEN-2');
  assert.equal(wx.seen.length, 2);
});

test('withToken: on 40001/42001 invalidate and retry once; other errors pass through', async () => {
  const m = manager();
  const used: string[] = [];
  const result = await m.withToken(async (token) => {
    used.push(token);
    if (used.length === 1) throw new WxPayApiError('expired', { code: '42001' });
    return 'done';
  });
  assert.equal(result, 'done');
  assert.deepEqual(used, ['TOKEN-1', 'TOKEN-2']);
  await assert.rejects(
    m.withToken(async () => {
      throw new WxPayApiError('other', { code: '40003' });
    }),
    (e: unknown) => e instanceof WxPayApiError && e.code === '40003',
  );
});

test('stable_token mode: POST JSON, force_refresh only after an invalidation', async () => {
  const m = manager({ stable: true });
  const t1 = await m.getToken();
  await m.invalidate(t1);
  await m.getToken();
  assert.deepEqual(
    wx.seen.map((r) => [r.method, r.path, JSON.parse(r.body) as unknown]),
    [
      ['POST', '/cgi-bin/stable_token', { grant_type: 'client_credential', appid, secret, force_refresh: false }],
      ['POST', '/cgi-bin/stable_token', { grant_type: 'client_credential', appid, secret, force_refresh: true }],
    ],
  );
});

test('errors: WeChat errcodes typed, malformed answers refused, secret never in messages, failed refresh not cached', async () => {
  const m = manager();
  wx.handler = () => ({ json: { errcode: 40013, errmsg: 'invalid appid' } });
  await assert.rejects(m.getToken(), (e: unknown) => e instanceof WxPayApiError && e.code === '40013' && !e.message.includes(secret));
  wx.handler = () => ({ json: { errcode: -1, errmsg: 'system error' } });
  await assert.rejects(m.getToken(), (e: unknown) => e instanceof WxPayApiError && e.retriable);
  wx.handler = () => ({ json: { access_token: 'T', expires_in: '7200' } });
  await assert.rejects(m.getToken(), WxPayProtocolError);
  wx.handler = () => ({ json: { expires_in: 7200 } });
  await assert.rejects(m.getToken(), WxPayProtocolError);
  wx.handler = () => ({ json: { access_token: 'GOOD', expires_in: 7200 } });
  assert.equal(await m.getToken(), 'GOOD');
});

test('a store without lock still works (single flight within the process)', async () => {
  const inner = new MemoryTokenStore(clock);
  const store: TokenStore = { get: (k) => inner.get(k), set: (k, v, ttl) => inner.set(k, v, ttl) };
  const m = manager({ store });
  await Promise.all([m.getToken(), m.getToken()]);
  assert.equal(wx.seen.length, 1);
});

test('MemoryTokenStore: expiry by clock, lock exclusive until released or expired', async () => {
  const store = new MemoryTokenStore(clock);
  await store.set('k', { token: 't', expiresAt: now + 10_000 }, 10);
  assert.equal((await store.get('k'))?.token, 't');
  now += 10_000;
  assert.equal(await store.get('k'), undefined);
  const release = await store.lock('k', 1000);
  assert.ok(release);
  assert.equal(await store.lock('k', 1000), undefined);
  await release();
  const again = await store.lock('k', 1000);
  assert.ok(again);
  now += 1001;
  const stolen = await store.lock('k', 1000);
  assert.ok(stolen, 'an expired hold can be taken over');
  await again(); // releasing the expired hold must not free the new one
  assert.equal(await store.lock('k', 1000), undefined);
});
