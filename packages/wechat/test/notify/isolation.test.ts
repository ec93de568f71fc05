import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildXml, createV3Client, parseV2RefundNotification, WxPayProtocolError, WxPayDecryptError } from '@wxpay-kit/wechat';
import { createNotifyHandler, type Notice, type NotifyProblem } from '@wxpay-kit/wechat/notify';
import {
  buildV3Notification, encryptV2RefundReqInfo, generateRsaKeyPair, generateV3MerchantIdentity, signV2Notification,
} from '@wxpay-kit/wechat/testing';

/**
 * Many merchants in one process: each merchant's clients and handlers hold their own keys, WeChat Pay public key and
 * caches. Two merchants run concurrently; each accepts its own notifications and refuses the other's, although those
 * are validly signed and encrypted under the other merchant's keys.
 */

const NOW = Date.UTC(2026, 10, 27, 2, 0, 0);

function merchant(n: number) {
  const wechatpay = generateRsaKeyPair();
  const identity = generateV3MerchantIdentity();
  return {
    mchid: `19000000${n}0`,
    appid: `wx00000000000000${n}0`,
    apiKey: `merchant${n}apiv2key`.padEnd(32, '0'),
    apiV3Key: `merchant${n}apiv3key`.padEnd(32, '0'),
    publicKeyId: `PUB_KEY_ID_0${n}00000000000000000000000000000000000`,
    wechatpay,
    identity,
  };
}

type M = ReturnType<typeof merchant>;

function v3Payment(m: M, outTradeNo: string) {
  return buildV3Notification({
    eventType: 'TRANSACTION.SUCCESS',
    plaintext: {
      appid: m.appid, mchid: m.mchid, out_trade_no: outTradeNo, transaction_id: `4200${outTradeNo}`, trade_type: 'JSAPI',
      trade_state: 'SUCCESS', payer: { openid: 'o1' }, amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    },
    apiV3Key: m.apiV3Key, platformKey: m.wechatpay.privateKeyPem, serial: m.publicKeyId, clock: () => NOW,
  });
}

function v2Payment(m: M, outTradeNo: string): string {
  return signV2Notification({
    return_code: 'SUCCESS', result_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: outTradeNo, out_trade_no: outTradeNo,
    transaction_id: `4200${outTradeNo}`, total_fee: 100, openid: 'o1', trade_type: 'JSAPI', time_end: '20261127100000',
  }, m.apiKey, 'HMAC-SHA256');
}

function v2Refund(m: M, outRefundNo: string): string {
  const inner = buildXml({
    transaction_id: '4200x', out_trade_no: 'T1', refund_id: '5000x', out_refund_no: outRefundNo, total_fee: 100, refund_fee: 100,
    refund_status: 'SUCCESS', success_time: '2026-11-27 10:00:00',
  }, { root: 'root' });
  return buildXml({ return_code: 'SUCCESS', appid: m.appid, mch_id: m.mchid, nonce_str: 'n', req_info: encryptV2RefundReqInfo(inner, m.apiKey) });
}

test('two merchants in one process: clients and handlers share no key, and each refuses the other\'s valid notifications', async () => {
  const a = merchant(1);
  const b = merchant(2);
  // Clients built side by side, as a multi-merchant server does: each verifier knows only its own WeChat Pay key.
  const clients = [a, b].map((m) => createV3Client({
    mchid: m.mchid, appid: m.appid, serialNo: m.identity.serialNo, privateKey: m.identity.privateKeyPem, apiV3Key: m.apiV3Key,
    publicKey: { id: m.publicKeyId, key: m.wechatpay.publicKeyPem }, baseUrl: 'http://127.0.0.1:9', clock: () => NOW,
  }));
  const [clientA, clientB] = clients as [ReturnType<typeof createV3Client>, ReturnType<typeof createV3Client>];
  assert.ok(clientA.verifier.has(a.publicKeyId) && !clientA.verifier.has(b.publicKeyId));
  assert.ok(clientB.verifier.has(b.publicKeyId) && !clientB.verifier.has(a.publicKeyId));

  const accepted: Record<string, string[]> = { a: [], b: [] };
  const refused: Record<string, NotifyProblem['reason'][]> = { a: [], b: [] };
  const handlers = (m: M, client: typeof clientA, name: 'a' | 'b') => ({
    v3: createNotifyHandler({
      version: 'v3', apiV3Key: m.apiV3Key, verifier: client.verifier, mchid: m.mchid, appid: m.appid, clock: () => NOW,
      onNotice: (n: Notice) => void accepted[name]?.push(n.kind === 'payment' ? n.payment.out_trade_no : n.kind),
      onProblem: (p) => void refused[name]?.push(p.reason),
    }),
    v2: createNotifyHandler({
      version: 'v2', apiKey: m.apiKey, appid: m.appid, mchId: m.mchid,
      onNotice: (n: Notice) => void accepted[name]?.push(n.kind === 'payment' && n.version === 'v2' ? n.payment.out_trade_no : n.kind === 'refund' && n.version === 'v2' ? n.refund.out_refund_no : n.kind),
      onProblem: (p) => void refused[name]?.push(p.reason),
    }),
  });
  const hA = handlers(a, clientA, 'a');
  const hB = handlers(b, clientB, 'b');

  const rounds = Array.from({ length: 20 }, (_, i) => i);
  await Promise.all(rounds.flatMap((i) => {
    const nA = v3Payment(a, `A3${i}`);
    const nB = v3Payment(b, `B3${i}`);
    return [
      hA.v3.handle({ headers: nA.headers, body: nA.body }).then((r) => assert.equal(r.status, 204)),
      hB.v3.handle({ headers: nB.headers, body: nB.body }).then((r) => assert.equal(r.status, 204)),
      // The other merchant's notification: authentic under its own keys, not ours.
      hA.v3.handle({ headers: nB.headers, body: nB.body }).then((r) => assert.equal(r.status, 401)),
      hB.v3.handle({ headers: nA.headers, body: nA.body }).then((r) => assert.equal(r.status, 401)),
      hA.v2.handle({ headers: {}, body: v2Payment(a, `A2${i}`) }).then((r) => assert.match(r.body, /SUCCESS/)),
      hB.v2.handle({ headers: {}, body: v2Payment(b, `B2${i}`) }).then((r) => assert.match(r.body, /SUCCESS/)),
      hA.v2.handle({ headers: {}, body: v2Payment(b, `B2x${i}`) }).then((r) => assert.match(r.body, /FAIL/)),
      hB.v2.handle({ headers: {}, body: v2Refund(a, `RA${i}`) }).then((r) => assert.match(r.body, /FAIL/)),
      hA.v2.handle({ headers: {}, body: v2Refund(a, `RA${i}`) }).then((r) => assert.match(r.body, /SUCCESS/)),
    ];
  }));
  assert.equal(accepted.a?.length, 60);
  assert.equal(accepted.b?.length, 40);
  assert.ok(accepted.a?.every((x) => x.startsWith('A') || x.startsWith('RA')));
  assert.ok(accepted.b?.every((x) => x.startsWith('B')));
  assert.equal(refused.a?.length, 40);
  assert.equal(refused.b?.length, 40);
  assert.ok([...(refused.a ?? []), ...(refused.b ?? [])].every((r) => r === 'not_authentic'));

  // The function-style refund parser memoises derived keys per APIv2 key: merchant A's key never opens B's req_info.
  parseV2RefundNotification(v2Refund(a, 'R1'), { apiKey: a.apiKey });
  assert.throws(
    () => parseV2RefundNotification(v2Refund(b, 'R2'), { apiKey: a.apiKey }),
    (e: unknown) => e instanceof WxPayProtocolError || e instanceof WxPayDecryptError,
  );
  assert.equal(parseV2RefundNotification(v2Refund(b, 'R3'), { apiKey: b.apiKey }).out_refund_no, 'R3');
});
