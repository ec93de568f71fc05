import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WxPayConfigError } from '../../src/errors.js';
import { createNotifyHandler } from '../../src/notify/index.js';
import { API_KEY, APPID, MCH_ID, recordingHandler, rowsFor, v2Payment, v3Payment } from './samples.js';

for (const version of ['v2', 'v3'] as const) {
  test(`${version} handler: the whole table, called directly with the raw bytes`, async () => {
    const recorder = recordingHandler(version);
    for (const row of rowsFor(version)) {
      const before = recorder.notices.length;
      const sample = row.sample();
      const reply = await recorder.handler.handle({ headers: sample.headers, body: Buffer.from(sample.body) });
      assert.equal(reply.status, row.expect.status, row.name);
      if (version === 'v2') assert.ok(reply.body.includes(`[${row.expect.returnCode}]`), row.name);
      assert.equal(recorder.notices.length - before, row.expect.notice === undefined ? 0 : 1, row.name);
    }
  });

  test(`${version} handler: answers only after onNotice resolves`, async () => {
    let release!: () => void;
    const recorder = recordingHandler(version, { gate: new Promise<void>((resolve) => { release = resolve; }) });
    const sample = version === 'v2' ? v2Payment() : v3Payment();
    let done = false;
    const pending = recorder.handler.handle({ headers: sample.headers, body: sample.body }).then((r) => { done = true; return r; });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(recorder.notices.length, 1, 'the application has the notice');
    assert.equal(done, false, 'no answer while the application is still recording');
    release();
    assert.equal((await pending).status, version === 'v2' ? 200 : 204);
  });

  test(`${version} handler: a body a parser consumed fails closed with 500 and the fix in the report`, () => {
    const recorder = recordingHandler(version);
    const reply = recorder.handler.refuse('body_consumed', 'mount it before the parser');
    assert.equal(reply.status, 500);
    assert.equal(recorder.problems.at(-1)?.reason, 'body_consumed');
    assert.equal(recorder.problems.at(-1)?.message, 'mount it before the parser');
    assert.equal(recorder.handler.refuse('too_large').status, 413);
  });
}

test('v2 handler: signType pins the algorithm (an MD5 signature is refused when HMAC-SHA256 is pinned)', async () => {
  const pinned = recordingHandler('v2', { signType: 'HMAC-SHA256' });
  const md5 = v2Payment({}, API_KEY, 'MD5');
  assert.ok((await pinned.handler.handle({ headers: md5.headers, body: md5.body })).body.includes('FAIL'));
  const hmac = v2Payment({}, API_KEY, 'HMAC-SHA256');
  assert.ok((await pinned.handler.handle({ headers: hmac.headers, body: hmac.body })).body.includes('SUCCESS'));
  assert.equal(pinned.notices.length, 1);
  assert.equal(pinned.notices[0]?.kind === 'payment' && pinned.notices[0].version === 'v2' ? pinned.notices[0].payment.signType : '', 'HMAC-SHA256');
});

test('handler options are checked at construction, and no key appears in the errors', () => {
  const onNotice = (): void => {};
  const rows: [string, () => unknown][] = [
    ['no apiKey', () => createNotifyHandler({ version: 'v2', apiKey: '', appid: APPID, mchId: MCH_ID, onNotice })],
    ['no mchId', () => createNotifyHandler({ version: 'v2', apiKey: API_KEY, appid: APPID, mchId: '', onNotice })],
    ['bad signType', () => createNotifyHandler({ version: 'v2', apiKey: API_KEY, appid: APPID, mchId: MCH_ID, signType: 'SHA1' as never, onNotice })],
    ['bad maxBodyBytes', () => createNotifyHandler({ version: 'v2', apiKey: API_KEY, appid: APPID, mchId: MCH_ID, maxBodyBytes: 0, onNotice })],
    ['short APIv3 key', () => createNotifyHandler({ version: 'v3', apiV3Key: 'short', verifier: { has: () => false, verify: () => false }, mchid: MCH_ID, onNotice })],
    ['no verifier', () => createNotifyHandler({ version: 'v3', apiV3Key: 'x'.repeat(32), verifier: undefined as never, mchid: MCH_ID, onNotice })],
  ];
  for (const [name, build] of rows) {
    assert.throws(build, (e: unknown) => e instanceof WxPayConfigError && !e.message.includes(API_KEY), name);
  }
});
