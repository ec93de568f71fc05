import { test } from 'node:test';
import assert from 'node:assert/strict';
import { json, login, startSandbox } from './helpers.js';

async function get(base: string, path: string, q: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, v);
  const res = await fetch(`${base}${path}?${params.toString()}`);
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

test('wx.login stand-in: stable openid per appid and user, a new code every call', async (t) => {
  const sandbox = await startSandbox(t);
  const a1 = await login(sandbox, 'alice');
  const a2 = await login(sandbox, 'alice');
  const b = await login(sandbox, 'bob');
  assert.equal(a1.openid, a2.openid);
  assert.notEqual(a1.code, a2.code);
  assert.notEqual(a1.openid, b.openid);
  assert.match(a1.openid, /^o[A-Za-z0-9_-]{27}$/);
  const unknown = await json(sandbox, 'POST', '/sandbox/wx/login', { appid: 'wx0000000000000000' });
  assert.equal(unknown.status, 404);
  assert.equal((await json(sandbox, 'POST', '/sandbox/wx/login', { user: 'x' })).status, 400);
});

test('jscode2session: a code works once, within 5 minutes, with the right appid and secret', async (t) => {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const base = { appid: m.appid, secret: m.secret, grant_type: 'authorization_code' };
  const { code, openid } = await login(sandbox);
  const session = await get(sandbox.base, '/sns/jscode2session', { ...base, js_code: code });
  assert.equal(session.openid, openid);
  assert.match(String(session.session_key), /^[A-Za-z0-9+/]{22}==$/);
  assert.equal(session.errcode, undefined);
  assert.equal((await get(sandbox.base, '/sns/jscode2session', { ...base, js_code: code })).errcode, 40163);

  const late = await login(sandbox);
  await sandbox.clock.advance(300);
  assert.equal((await get(sandbox.base, '/sns/jscode2session', { ...base, js_code: late.code })).errcode, 40029);

  const fresh = await login(sandbox);
  const rows: [Record<string, string | undefined>, number][] = [
    [{ js_code: 'made-up' }, 40029],
    [{ js_code: fresh.code, secret: 'wrong' }, 40125],
    [{ js_code: fresh.code, appid: 'wx0000000000000000' }, 40013],
    [{ js_code: fresh.code, grant_type: 'client_credential' }, 40002],
    [{ js_code: undefined }, 41008],
    [{ js_code: fresh.code, appid: undefined }, 41002],
    [{ js_code: fresh.code, secret: undefined }, 41004],
  ];
  for (const [override, errcode] of rows) {
    const answer = await get(sandbox.base, '/sns/jscode2session', { ...base, ...override });
    assert.equal(answer.errcode, errcode, JSON.stringify(override));
    assert.equal(typeof answer.errmsg, 'string');
    assert.ok(!String(answer.errmsg).includes(m.secret), 'no secret in errors');
  }
  // The failed attempts did not use up the fresh code.
  assert.equal((await get(sandbox.base, '/sns/jscode2session', { ...base, js_code: fresh.code })).openid, fresh.openid);
});

test('cgi-bin/token: a new token invalidates the previous one after a 5-minute grace', async (t) => {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const q = { grant_type: 'client_credential', appid: m.appid, secret: m.secret };
  const first = await get(sandbox.base, '/cgi-bin/token', q);
  assert.equal(first.expires_in, 7200);
  const valid = async (token: unknown): Promise<unknown> =>
    (await get(sandbox.base, '/cgi-bin/getcallbackip', { access_token: String(token) })).errcode;
  assert.equal(await valid(first.access_token), undefined);
  await sandbox.clock.advance(10);
  const second = await get(sandbox.base, '/cgi-bin/token', q);
  assert.notEqual(second.access_token, first.access_token);
  assert.equal(await valid(first.access_token), undefined, 'still inside the grace period');
  await sandbox.clock.advance(300);
  assert.equal(await valid(first.access_token), 40001);
  assert.equal(await valid(second.access_token), undefined);
  await sandbox.clock.advance(7200);
  assert.equal(await valid(second.access_token), 42001);
  assert.equal((await get(sandbox.base, '/cgi-bin/token', { ...q, secret: 'bad' })).errcode, 40001);
  assert.equal((await get(sandbox.base, '/cgi-bin/token', { ...q, appid: 'wx0000000000000000' })).errcode, 40013);
  assert.equal((await get(sandbox.base, '/cgi-bin/token', { ...q, grant_type: 'x' })).errcode, 40002);
});

test('cgi-bin/stable_token: same token while fresh, roll-over in the last 5 minutes, force_refresh rules', async (t) => {
  const sandbox = await startSandbox(t);
  const m = sandbox.demoMerchant;
  const body = { grant_type: 'client_credential', appid: m.appid, secret: m.secret };
  const call = async (extra: Record<string, unknown> = {}) => (await json(sandbox, 'POST', '/cgi-bin/stable_token', { ...body, ...extra })).body;
  const valid = async (token: unknown): Promise<unknown> =>
    (await get(sandbox.base, '/cgi-bin/getcallbackip', { access_token: String(token) })).errcode;
  const a = await call();
  assert.equal(a.expires_in, 7200);
  await sandbox.clock.advance(1000);
  const same = await call();
  assert.equal(same.access_token, a.access_token);
  assert.equal(same.expires_in, 6200);
  // Isolated from cgi-bin/token: fetching one does not invalidate the other.
  await get(sandbox.base, '/cgi-bin/token', { grant_type: 'client_credential', appid: m.appid, secret: m.secret });
  await sandbox.clock.advance(6000);
  const rolled = await call();
  assert.notEqual(rolled.access_token, a.access_token);
  assert.equal(await valid(a.access_token), undefined, 'old one valid until its own expiry');
  assert.ok(Number(rolled.expires_in) >= 300);
  await sandbox.clock.advance(200);
  assert.equal(await valid(a.access_token), 42001);

  const forced = await call({ force_refresh: true });
  assert.notEqual(forced.access_token, rolled.access_token);
  assert.equal(await valid(rolled.access_token), 40001, 'force_refresh invalidates at once');
  const tooSoon = await call({ force_refresh: true });
  assert.equal(tooSoon.access_token, forced.access_token, 'no second refresh within 30 s');
  for (let i = 0; i < 19; i++) {
    await sandbox.clock.advance(31);
    assert.equal((await call({ force_refresh: true })).errcode, undefined);
  }
  await sandbox.clock.advance(31);
  assert.equal((await call({ force_refresh: true })).errcode, 45009, '20 forced refreshes a day');
  assert.equal((await call({ secret: 'bad' })).errcode, 40125);
  assert.equal((await call({ grant_type: 'authorization_code' })).errcode, 40002);
  assert.equal((await call({ force_refresh: 'yes' })).errcode, 40097);
});
