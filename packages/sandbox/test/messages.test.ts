import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WxPayDecryptError } from '@wxpay-kit/wechat';
import { SubscribeMessageError } from '@wxpay-kit/wechat/miniprogram';
import { json, login } from './helpers.js';
import { errcodeOf, withMiniProgramClient } from './mini-program-client.js';

/** Subscribe messages and phone numbers: the user's choices on the control API, the sends through the SDK over HTTP. */

const TEMPLATE = 'zun-LzcQyW-edafCVvzPkK4de2Rllr1fFpw2A_x0oXE';
const SHIPPED = 'shippedTemplate_0001';

async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SubscribeMessageError) return error.failure;
    throw error;
  }
  return 'sent';
}

test('subscribeMessage.send: refused (43101) without acceptance; one accept allows one send; a reject withdraws it; all recorded', async (t) => {
  const { sandbox, client, appid } = await withMiniProgramClient(t);
  const alice = await login(sandbox, 'alice');
  const send = () => client.subscribeMessage.send({ toUser: alice.openid, templateId: TEMPLATE, page: 'pages/order/detail?id=1', data: { thing1: '绿茶', amount2: '19.90元' } });
  assert.equal(await failureOf(send()), 'user_refused');

  const chosen = await json(sandbox, 'POST', '/sandbox/wx/requestSubscribeMessage', { appid, openid: alice.openid, tmplIds: [TEMPLATE, SHIPPED], choice: { [SHIPPED]: 'reject' } });
  assert.deepEqual(chosen.body, { errMsg: 'requestSubscribeMessage:ok', [TEMPLATE]: 'accept', [SHIPPED]: 'reject' });
  const sent = await send();
  // The msgid is larger than 2^53: the SDK reads its digits, not a rounded number.
  assert.match(sent.msgId ?? '', /^19\d{17}$/);
  assert.equal(await failureOf(send()), 'user_refused');
  assert.equal(await failureOf(client.subscribeMessage.send({ toUser: alice.openid, templateId: SHIPPED, data: { thing1: 'x' } })), 'user_refused');

  // Two accepts, then a reject: nothing left.
  await json(sandbox, 'POST', '/sandbox/wx/requestSubscribeMessage', { appid, openid: alice.openid, tmplIds: [TEMPLATE] });
  await json(sandbox, 'POST', '/sandbox/wx/requestSubscribeMessage', { appid, openid: alice.openid, tmplIds: [TEMPLATE] });
  await json(sandbox, 'POST', '/sandbox/wx/requestSubscribeMessage', { appid, openid: alice.openid, tmplIds: [TEMPLATE], choice: 'reject' });
  assert.equal(await failureOf(send()), 'user_refused');

  const seen = (await json(sandbox, 'GET', `/sandbox/messages?openid=${alice.openid}`)).body;
  const messages = seen.messages as Record<string, unknown>[];
  assert.deepEqual(messages.map((m) => [m.templateId, m.errcode]), [
    [TEMPLATE, 43101], [TEMPLATE, 0], [TEMPLATE, 43101], [SHIPPED, 43101], [TEMPLATE, 43101],
  ]);
  assert.deepEqual(messages[1]?.data, { thing1: '绿茶', amount2: '19.90元' });
  assert.equal(messages[1]?.page, 'pages/order/detail?id=1');
  assert.equal(messages[1]?.msgid, sent.msgId);
  const subscriptions = seen.subscriptions as Record<string, unknown>[];
  assert.deepEqual(subscriptions.map((s) => [s.templateId, s.choice, s.remaining]).sort(), [[SHIPPED, 'reject', 0], [TEMPLATE, 'reject', 0]]);
});

test('subscribeMessage.send: unknown openid 40003, bad template id 40037, bad data 47003 naming the field (raw: the SDK checks first)', async (t) => {
  const { sandbox, raw, appid } = await withMiniProgramClient(t);
  const alice = await login(sandbox, 'alice');
  await json(sandbox, 'POST', '/sandbox/wx/requestSubscribeMessage', { appid, openid: alice.openid, tmplIds: [TEMPLATE] });
  const path = '/cgi-bin/message/subscribe/send';
  const good = { touser: alice.openid, template_id: TEMPLATE, data: { thing1: { value: '绿茶' } } };
  assert.equal((await raw(path, { ...good, touser: 'o-nobody' })).errcode, 40003);
  assert.equal((await raw(path, { ...good, template_id: '' })).errcode, 40037);
  const tooLong = await raw(path, { ...good, data: { thing3: { value: '字'.repeat(21) } } });
  assert.equal(tooLong.errcode, 47003);
  assert.match(tooLong.errmsg, /data\.thing3\.value invalid/);
  assert.equal((await raw(path, { ...good, data: { thing1: {} } })).errcode, 47003);
  assert.equal((await raw(path, { ...good, lang: 'fr_FR' })).errcode, 47001);
  // None of those spent the acceptance.
  assert.equal((await raw(path, good)).errcode, 0);
});

test('phone number by code: the user allows, the merchant exchanges the code once within 5 minutes; inspectable', async (t) => {
  const { sandbox, client, appid } = await withMiniProgramClient(t);
  const alice = await login(sandbox, 'alice');
  const bob = await login(sandbox, 'bob');
  const tap = async (openid: string, extra: Record<string, unknown> = {}) => (await json(sandbox, 'POST', '/sandbox/wx/getPhoneNumber', { appid, openid, ...extra })).body;

  const allowed = await tap(alice.openid);
  assert.equal(allowed.errMsg, 'getPhoneNumber:ok');
  const phone = await client.phoneNumber.getPhoneNumber(String(allowed.code), { openid: alice.openid });
  assert.match(phone.purePhoneNumber, /^138\d{8}$/);
  assert.equal(phone.phoneNumber, phone.purePhoneNumber);
  assert.equal(phone.countryCode, '86');
  assert.equal(phone.watermark.appid, appid);
  assert.equal(phone.watermark.timestamp, Math.floor(sandbox.clock.now() / 1000));
  // Single use.
  assert.equal(await errcodeOf(client.phoneNumber.getPhoneNumber(String(allowed.code))), 40029);

  const foreign = await tap(bob.openid, { countryCode: '1', purePhoneNumber: '4155550100' });
  assert.equal(await errcodeOf(client.phoneNumber.getPhoneNumber(String(foreign.code), { openid: alice.openid })), 40029);
  assert.deepEqual(await client.phoneNumber.getPhoneNumber(String(foreign.code), { openid: bob.openid }), {
    phoneNumber: '+1 4155550100', purePhoneNumber: '4155550100', countryCode: '1', watermark: { appid, timestamp: Math.floor(sandbox.clock.now() / 1000) },
  });

  const stale = await tap(alice.openid);
  await sandbox.clock.advance(300);
  assert.equal(await errcodeOf(client.phoneNumber.getPhoneNumber(String(stale.code))), 40029);
  assert.deepEqual(await tap(alice.openid, { action: 'deny' }), { errMsg: 'getPhoneNumber:fail user deny' });
  assert.equal((await json(sandbox, 'POST', '/sandbox/wx/getPhoneNumber', { appid, openid: 'o-nobody' })).status, 404);

  const numbers = (await json(sandbox, 'GET', '/sandbox/messages')).body.phoneNumbers as Record<string, unknown>[];
  assert.equal(numbers.length, 3);
  assert.equal(numbers.filter((n) => n.usedAt !== undefined).length, 2);
  // The codes themselves are not shown (they are credentials until used).
  assert.ok(numbers.every((n) => !('code' in n)));
});

test('a watermark for another appid is refused by the SDK even when WeChat answers ok', async (t) => {
  // The sandbox always names the caller's appid; the SDK's check is what keeps a misrouted answer out.
  const { sandbox, appid } = await withMiniProgramClient(t);
  const alice = await login(sandbox, 'alice');
  const { createMiniProgramClient } = await import('@wxpay-kit/wechat/miniprogram');
  const { createAccessTokenManager } = await import('@wxpay-kit/wechat/login');
  const m = sandbox.demoMerchant;
  const wrong = createMiniProgramClient({ appid: 'wx0000000000000000', accessTokens: createAccessTokenManager({ appid: m.appid, secret: m.secret, baseUrl: sandbox.base }), baseUrl: sandbox.base });
  const code = String((await json(sandbox, 'POST', '/sandbox/wx/getPhoneNumber', { appid, openid: alice.openid })).body.code);
  await assert.rejects(wrong.phoneNumber.getPhoneNumber(code), WxPayDecryptError);
});
