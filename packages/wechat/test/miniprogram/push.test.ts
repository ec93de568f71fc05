import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMessagePushReceiver,
  decodeEncodingAesKey,
  decryptPushMessage,
  encryptPushMessage,
  pushSignature,
  type MessagePushReceiverOptions,
  type PushMessage,
} from '../../src/miniprogram/index.js';
import { WxPayConfigError, WxPayDecryptError } from '../../src/errors.js';
import { parseXml } from '../../src/v2/xml.js';

// Official vectors of the message-push documentation (PROTOCOL-AFTER-PAYMENT.md §2).
const TOKEN = 'AAAAA';
const AES_KEY_43 = 'A'.repeat(43);
const VECTOR_APPID = 'wxba5fad812f8e6fb9';
const SAFE = {
  timestamp: '1714112445',
  nonce: '415670741',
  msgSignature: '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3',
  encrypt: '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=',
};
const PLAIN_BODY = '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714037059,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}';

function receiver(overrides: Partial<MessagePushReceiverOptions> & { seen?: PushMessage[]; nowSeconds?: number } = {}) {
  const seen = overrides.seen ?? [];
  const now = (overrides.nowSeconds ?? 1714112445) * 1000;
  return createMessagePushReceiver({
    token: TOKEN,
    appid: VECTOR_APPID,
    encodingAesKey: AES_KEY_43,
    clock: () => now,
    onMessage: (m) => {
      seen.push(m);
    },
    ...overrides,
  });
}

test('official vectors: URL-check signature, plaintext-push signature, safe-mode msg_signature', () => {
  assert.equal(pushSignature([TOKEN, '1714036504', '1514711492']), 'f464b24fc39322e44b38aa78f5edd27bd1441696');
  assert.equal(pushSignature([TOKEN, '1714037059', '486452656']), '899cf89e464efb63f54ddac96b0a0a235f53aa78');
  assert.equal(pushSignature([TOKEN, SAFE.timestamp, SAFE.nonce, SAFE.encrypt]), SAFE.msgSignature);
});

test('official vector: safe-mode decryption gives the debug_demo message', () => {
  const aes = decodeEncodingAesKey(AES_KEY_43);
  assert.equal(aes.key.length, 32);
  const text = decryptPushMessage(aes, VECTOR_APPID, SAFE.encrypt);
  assert.equal(Buffer.byteLength(text), 167);
  assert.deepEqual(JSON.parse(text), {
    ToUserName: 'gh_97417a04a28d', FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY', CreateTime: 1714112445,
    MsgType: 'event', Event: 'debug_demo', debug_str: 'hello world',
  });
  // Re-encrypting with the vector's random prefix reproduces the official ciphertext byte for byte.
  assert.equal(encryptPushMessage(aes, VECTOR_APPID, text, Buffer.from('a8eedb185eb2fecf')), SAFE.encrypt);
});

test('official vector: the encrypted reply', () => {
  const aes = decodeEncodingAesKey(AES_KEY_43);
  const encrypt = encryptPushMessage(aes, VECTOR_APPID, '{"demo_resp":"good luck"}', Buffer.from('707722b803182950'));
  assert.equal(encrypt, 'ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==');
  assert.equal(pushSignature([TOKEN, '1713424427', '415670741', encrypt]), '1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
});

test('round trip over message sizes around the 32-byte padding boundary', () => {
  const aes = decodeEncodingAesKey('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG');
  for (let n = 0; n <= 70; n++) {
    const msg = 'é'.repeat(n % 3) + 'x'.repeat(n);
    assert.equal(decryptPushMessage(aes, 'wx1234567890abcdef', encryptPushMessage(aes, 'wx1234567890abcdef', msg)), msg);
  }
});

test('decryption fails closed: other appid, other key, flipped bits, bad Base64, truncation', () => {
  const aes = decodeEncodingAesKey(AES_KEY_43);
  const other = decodeEncodingAesKey('B'.repeat(43));
  assert.throws(() => decryptPushMessage(aes, 'wx0000000000000000', SAFE.encrypt), WxPayDecryptError);
  assert.throws(() => decryptPushMessage(other, VECTOR_APPID, SAFE.encrypt), WxPayDecryptError);
  const bytes = Buffer.from(SAFE.encrypt, 'base64');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  assert.throws(() => decryptPushMessage(aes, VECTOR_APPID, bytes.toString('base64')), WxPayDecryptError);
  assert.throws(() => decryptPushMessage(aes, VECTOR_APPID, 'not base64!'), WxPayDecryptError);
  assert.throws(() => decryptPushMessage(aes, VECTOR_APPID, Buffer.from(SAFE.encrypt, 'base64').subarray(0, 16).toString('base64')), WxPayDecryptError);
});

test('EncodingAESKey and token are checked at construction', () => {
  assert.throws(() => decodeEncodingAesKey('A'.repeat(42)), WxPayConfigError);
  assert.throws(() => decodeEncodingAesKey('A'.repeat(42) + '/'), WxPayConfigError);
  assert.throws(() => receiver({ token: 'a b' }), WxPayConfigError);
  assert.throws(() => receiver({ encodingAesKey: undefined, mode: 'safe' }), WxPayConfigError);
});

test('GET URL check answers echostr only when the signature matches', async () => {
  const r = receiver({ nowSeconds: 1714036504 });
  const query = { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504', nonce: '1514711492', echostr: '4375120948345356249' };
  assert.deepEqual(await r.handle({ method: 'GET', query }), { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '4375120948345356249' });
  const bad = await r.handle({ method: 'GET', query: { ...query, signature: 'f464b24fc39322e44b38aa78f5edd27bd1441697' } });
  assert.equal(bad.status, 401);
  assert.notEqual(bad.body, query.echostr);
  assert.equal((await r.handle({ method: 'GET', query: { ...query, echostr: undefined } })).status, 401);
});

test('plain mode: the official push is verified, typed and answered success', async () => {
  const seen: PushMessage[] = [];
  const r = receiver({ seen, mode: 'plain', nowSeconds: 1714037059 });
  const query = new URLSearchParams({ signature: '899cf89e464efb63f54ddac96b0a0a235f53aa78', timestamp: '1714037059', nonce: '486452656' });
  const res = await r.handle({ method: 'POST', query, body: PLAIN_BODY });
  assert.equal(res.status, 200);
  assert.equal(res.body, 'success');
  assert.equal(seen.length, 1);
  const m = seen[0];
  assert.equal(m?.type, 'debug_demo');
  assert.equal(m?.type === 'debug_demo' ? m.debugStr : '', 'hello world');
  assert.equal(m?.createTime, 1714037059);
  // In plain mode the signature covers token/timestamp/nonce only (not the body): a wrong one is refused.
  const forged = new URLSearchParams({ signature: '0'.repeat(40), timestamp: '1714037059', nonce: '486452656' });
  assert.equal((await r.handle({ method: 'POST', query: forged, body: PLAIN_BODY })).status, 401);
  assert.equal(seen.length, 1);
});

test('safe mode: the official encrypted push (JSON) is verified, decrypted and typed', async () => {
  const seen: PushMessage[] = [];
  const r = receiver({ seen });
  const query = { timestamp: SAFE.timestamp, nonce: SAFE.nonce, encrypt_type: 'aes', msg_signature: SAFE.msgSignature, signature: 'ignored', openid: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY' };
  const res = await r.handle({ method: 'POST', query, body: JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt: SAFE.encrypt }) });
  assert.equal(res.status, 200);
  assert.equal(res.body, 'success');
  assert.equal(seen[0]?.type, 'debug_demo');
  assert.equal(seen[0]?.createTime, 1714112445);
});

test('safe mode refuses: tampered Encrypt, wrong msg_signature, plaintext push, stale timestamp, other appid', async () => {
  const seen: PushMessage[] = [];
  const query = { timestamp: SAFE.timestamp, nonce: SAFE.nonce, encrypt_type: 'aes', msg_signature: SAFE.msgSignature };
  const body = (encrypt: string) => JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt: encrypt });
  const r = receiver({ seen });
  const tampered = 'A' + SAFE.encrypt.slice(1);
  assert.equal((await r.handle({ method: 'POST', query, body: body(tampered) })).status, 401);
  assert.equal((await r.handle({ method: 'POST', query: { ...query, msg_signature: SAFE.msgSignature.toUpperCase() }, body: body(SAFE.encrypt) })).status, 200, 'hex case does not matter');
  assert.equal((await r.handle({ method: 'POST', query: { ...query, nonce: '415670742' }, body: body(SAFE.encrypt) })).status, 401);
  const plain = { signature: pushSignature([TOKEN, SAFE.timestamp, SAFE.nonce]), timestamp: SAFE.timestamp, nonce: SAFE.nonce };
  assert.equal((await r.handle({ method: 'POST', query: plain, body: PLAIN_BODY })).status, 401, 'safe mode takes ciphertext only');
  assert.equal((await receiver({ seen, nowSeconds: 1714112445 + 301 }).handle({ method: 'POST', query, body: body(SAFE.encrypt) })).status, 401);
  assert.equal((await receiver({ seen, appid: 'wx0000000000000000' }).handle({ method: 'POST', query, body: body(SAFE.encrypt) })).status, 400);
  assert.equal((await r.handle({ method: 'POST', query: new URLSearchParams([...Object.entries(query), ['nonce', '1']]), body: body(SAFE.encrypt) })).status, 400, 'repeated parameter');
  assert.equal(seen.length, 1, 'only the valid one was delivered');
});

test('XML format: encrypted envelope, typed settlement event, encrypted XML reply that decrypts back', async () => {
  const appid = 'wx1234567890abcdef';
  const key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  const aes = decodeEncodingAesKey(key);
  const inner = '<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[o_sys]]></FromUserName><CreateTime>1714112445</CreateTime>'
    + '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[trade_manage_order_settlement]]></Event>'
    + '<transaction_id><![CDATA[4200001234]]></transaction_id><merchant_id><![CDATA[1230000109]]></merchant_id><sub_merchant_id><![CDATA[]]></sub_merchant_id>'
    + '<merchant_trade_no><![CDATA[T1]]></merchant_trade_no><pay_time>1714000000</pay_time><shipped_time>1714100000</shipped_time>'
    + '<confirm_receive_method>1</confirm_receive_method><confirm_receive_time>1714110000</confirm_receive_time><settlement_time>1714112000</settlement_time></xml>';
  const encrypt = encryptPushMessage(aes, appid, inner);
  const query = { timestamp: '1714112445', nonce: '99', encrypt_type: 'aes', msg_signature: pushSignature([TOKEN, '1714112445', '99', encrypt]) };
  const seen: PushMessage[] = [];
  const r = receiver({ seen, appid, encodingAesKey: key, format: 'xml', onMessage: (m) => { seen.push(m); return { ok: 'yes' }; } });
  const res = await r.handle({ method: 'POST', query, body: `<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` });
  assert.equal(res.status, 200);
  const m = seen[0];
  assert.ok(m?.type === 'trade_manage_order_settlement');
  assert.deepEqual(
    { t: m.transactionId, mch: m.merchantId, sub: m.subMerchantId, no: m.merchantTradeNo, pay: m.payTime, shipped: m.shippedTime, method: m.confirmReceiveMethod, confirm: m.confirmReceiveTime, settled: m.settlementTime, est: m.estimatedSettlementTime },
    { t: '4200001234', mch: '1230000109', sub: '', no: 'T1', pay: 1714000000, shipped: 1714100000, method: 1, confirm: 1714110000, settled: 1714112000, est: undefined },
  );
  const reply = parseXml(res.body);
  assert.equal(reply.MsgSignature, pushSignature([TOKEN, reply.TimeStamp ?? '', reply.Nonce ?? '', reply.Encrypt ?? '']));
  assert.equal(decryptPushMessage(aes, appid, reply.Encrypt ?? ''), '<xml><ok><![CDATA[yes]]></ok></xml>');
});

test('events: remind_access_api, remind_shipping, subscribe events, unknown ones passed through; onMessage failure is a 500', async () => {
  const seen: PushMessage[] = [];
  const r = receiver({ seen, mode: 'plain', nowSeconds: 1714112445 });
  const post = (body: unknown) => r.handle({
    method: 'POST',
    query: { signature: pushSignature([TOKEN, '1714112445', '7']), timestamp: '1714112445', nonce: '7' },
    body: JSON.stringify(body),
  });
  const base = { ToUserName: 'gh_abc', FromUserName: 'o_sys', CreateTime: 1714112445, MsgType: 'event' };
  assert.equal((await post({ ...base, Event: 'trade_manage_remind_access_api', msg: '请尽快接入' })).status, 200);
  assert.equal((await post({ ...base, Event: 'trade_manage_remind_shipping', transaction_id: '42', merchant_id: '1230000109', sub_merchant_id: '', merchant_trade_no: 'T1', pay_time: 1714000000, msg: '请发货' })).status, 200);
  assert.equal((await post({ ...base, Event: 'subscribe_msg_popup_event', SubscribeMsgPopupEvent: { List: { TemplateId: 'tpl1', SubscribeStatusString: 'accept', PopupScene: '0' } } })).status, 200);
  assert.equal((await post({ ...base, Event: 'subscribe_msg_sent_event', SubscribeMsgSentEvent: { List: [{ TemplateId: 'tpl1', MsgID: '1988810812324364291', ErrorCode: '0', ErrorStatus: 'success' }] } })).status, 200);
  assert.equal((await post({ ...base, Event: 'some_future_event', anything: { nested: true } })).status, 200);
  assert.equal((await post({ ...base, MsgType: 'text', Content: 'hi' })).status, 200);
  assert.deepEqual(seen.map((m) => m.type), ['trade_manage_remind_access_api', 'trade_manage_remind_shipping', 'subscribe_msg_popup_event', 'subscribe_msg_sent_event', 'unknown', 'unknown']);
  const [access, shipping, popup, sent, future] = seen;
  assert.equal(access?.type === 'trade_manage_remind_access_api' ? access.msg : '', '请尽快接入');
  // A msg carrying JSON instead of text is kept, not refused.
  assert.equal((await post({ ...base, Event: 'trade_manage_remind_access_api', msg: { merchant_id: '1900000109' } })).status, 200);
  const objectMsg = seen.pop();
  assert.equal(objectMsg?.type === 'trade_manage_remind_access_api' ? objectMsg.msg : '', '{"merchant_id":"1900000109"}');
  assert.equal(shipping?.type === 'trade_manage_remind_shipping' ? shipping.payTime : 0, 1714000000);
  assert.deepEqual(popup?.type === 'subscribe_msg_popup_event' ? popup.items : [], [{ templateId: 'tpl1', subscribeStatus: 'accept', popupScene: 0, msgId: undefined, errorCode: undefined, errorStatus: undefined }]);
  assert.equal(sent?.type === 'subscribe_msg_sent_event' ? sent.items[0]?.msgId : '', '1988810812324364291');
  assert.equal(future?.type === 'unknown' ? future.event : '', 'some_future_event');
  // A known event missing a field WeChat always sends is malformed: 400, not delivered.
  assert.equal((await post({ ...base, Event: 'trade_manage_remind_shipping', merchant_id: 'x' })).status, 400);
  assert.equal((await post([1, 2])).status, 400);
  const failing = receiver({ mode: 'plain', nowSeconds: 1714112445, onMessage: () => { throw new Error('db down'); } });
  const res = await failing.handle({ method: 'POST', query: { signature: pushSignature([TOKEN, '1714112445', '7']), timestamp: '1714112445', nonce: '7' }, body: JSON.stringify({ ...base, Event: 'x' }) });
  assert.equal(res.status, 500);
  assert.equal((await r.handle({ method: 'PUT', query: {} })).status, 405);
});

test('mounted on node:http: the raw request in, the answer out (how an adapter uses handle)', async () => {
  const { createServer } = await import('node:http');
  const seen: PushMessage[] = [];
  const r = receiver({ seen });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = await r.handle({ method: req.method ?? 'GET', query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const query = new URLSearchParams({ signature: 'x', timestamp: SAFE.timestamp, nonce: SAFE.nonce, encrypt_type: 'aes', msg_signature: SAFE.msgSignature });
    const res = await fetch(`http://127.0.0.1:${port}/wechat/push?${query}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt: SAFE.encrypt }),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'success');
    assert.equal(seen[0]?.type, 'debug_demo');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('compatible mode takes plaintext and encrypted pushes; plain mode refuses encrypted ones', async () => {
  const seen: PushMessage[] = [];
  const compatible = receiver({ seen, mode: 'compatible' });
  const encrypted = { timestamp: SAFE.timestamp, nonce: SAFE.nonce, encrypt_type: 'aes', msg_signature: SAFE.msgSignature };
  const envelope = JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt: SAFE.encrypt });
  assert.equal((await compatible.handle({ method: 'POST', query: encrypted, body: envelope })).status, 200);
  const plainQuery = { signature: pushSignature([TOKEN, SAFE.timestamp, SAFE.nonce]), timestamp: SAFE.timestamp, nonce: SAFE.nonce };
  assert.equal((await compatible.handle({ method: 'POST', query: plainQuery, body: PLAIN_BODY })).status, 200);
  assert.equal((await compatible.handle({ method: 'POST', query: { ...encrypted, encrypt_type: 'des' }, body: envelope })).status, 400);
  assert.equal(seen.length, 2);
  const plainOnly = receiver({ seen, mode: 'plain' });
  assert.equal((await plainOnly.handle({ method: 'POST', query: encrypted, body: envelope })).status, 401);
  assert.equal(seen.length, 2);
});
