/**
 * Notifications as WeChat sends them (signed and encrypted with the SDK's testing helpers), the ones it must never
 * accept, and one table of what each must get back. Every adapter test posts this table through a real framework.
 */
import assert from 'node:assert/strict';
import { buildXml } from '../../src/v2/xml.js';
import { encryptV2RefundReqInfo, signV2Notification } from '../../src/v2/testing.js';
import type { V2SignType } from '../../src/v2/sign.js';
import {
  buildV3Notification,
  SANDBOX_PUBLIC_KEY_ID,
  SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
  SANDBOX_PUBLIC_KEY_PEM,
  generateRsaKeyPair,
} from '../../src/v3/testing.js';
import { PublicKeyVerifier } from '../../src/v3/verifier.js';
import { createNotifyHandler, type Notice, type NotifyHandler, type NotifyProblem } from '../../src/notify/index.js';

export const APPID = 'wx8888888888888888';
export const MCH_ID = '1900000001';
export const API_KEY = 'test0notify0apiv2key000000000001';
export const API_V3_KEY = 'test0notify0apiv3key000000000001';
/** Any out_trade_no with this prefix makes the recording handler throw (a database down, say). */
export const THROW_PREFIX = 'THROW';

export type Recorder = { notices: Notice[]; problems: NotifyProblem[]; handler: NotifyHandler };

/** A handler for our test merchant that records what reaches the application and what was refused. */
export function recordingHandler(version: 'v2' | 'v3', extra: { maxBodyBytes?: number; signType?: V2SignType; gate?: Promise<void> } = {}): Recorder {
  const notices: Notice[] = [];
  const problems: NotifyProblem[] = [];
  const onNotice = async (notice: Notice): Promise<void> => {
    const outTradeNo = notice.kind === 'payment'
      ? notice.payment.out_trade_no
      : notice.kind === 'refund' ? notice.refund.out_trade_no : '';
    if (outTradeNo.startsWith(THROW_PREFIX)) throw new Error('order store unavailable');
    notices.push(notice);
    await extra.gate;
  };
  const common = { onProblem: (p: NotifyProblem) => problems.push(p), ...(extra.maxBodyBytes === undefined ? {} : { maxBodyBytes: extra.maxBodyBytes }) };
  const handler = version === 'v2'
    ? createNotifyHandler({ version, apiKey: API_KEY, appid: APPID, mchId: MCH_ID, onNotice, ...common, ...(extra.signType === undefined ? {} : { signType: extra.signType }) })
    : createNotifyHandler({
        version,
        apiV3Key: API_V3_KEY,
        verifier: new PublicKeyVerifier(SANDBOX_PUBLIC_KEY_ID, SANDBOX_PUBLIC_KEY_PEM),
        mchid: MCH_ID,
        appid: APPID,
        onNotice,
        ...common,
      });
  return { notices, problems, handler };
}

export type Sample = { headers: Record<string, string>; body: string };

export function v2Payment(patch: Record<string, string | number | undefined> = {}, apiKey = API_KEY, signType: V2SignType = 'MD5'): Sample {
  const fields = {
    appid: APPID,
    mch_id: MCH_ID,
    nonce_str: 'n0nce5tr1ng',
    result_code: 'SUCCESS',
    return_code: 'SUCCESS',
    openid: 'oUser0001',
    trade_type: 'JSAPI',
    bank_type: 'OTHERS',
    total_fee: 1999,
    cash_fee: 1999,
    fee_type: 'CNY',
    transaction_id: '4200000000202611270000000001',
    out_trade_no: 'ORDER0001',
    time_end: '20261127120000',
    ...patch,
  };
  return { headers: { 'content-type': 'text/xml' }, body: signV2Notification(fields, apiKey, signType) };
}

export function v2Refund(patch: Record<string, string> = {}, apiKey = API_KEY): Sample {
  const reqInfo = buildXml(
    {
      transaction_id: '4200000000202611270000000001',
      out_trade_no: 'ORDER0001',
      refund_id: '50000000002026112700000001',
      out_refund_no: 'REFUND0001',
      total_fee: 1999,
      refund_fee: 500,
      refund_status: 'SUCCESS',
      success_time: '2026-11-27 12:05:00',
      refund_recv_accout: '支付用户零钱',
      refund_account: 'REFUND_SOURCE_RECHARGE_FUNDS',
      refund_request_source: 'API',
    },
    { root: 'root' },
  );
  const body = buildXml({ return_code: 'SUCCESS', appid: APPID, mch_id: MCH_ID, nonce_str: 'n0nce', req_info: encryptV2RefundReqInfo(reqInfo, apiKey), ...patch });
  return { headers: { 'content-type': 'text/xml' }, body };
}

function transaction(patch: Record<string, unknown> = {}): object {
  return {
    appid: APPID,
    mchid: MCH_ID,
    out_trade_no: 'ORDER0001',
    transaction_id: '4200000000202611270000000001',
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    success_time: '2026-11-27T20:00:00+08:00',
    payer: { openid: 'oUser0001' },
    amount: { total: 1999, payer_total: 1999, currency: 'CNY', payer_currency: 'CNY' },
    ...patch,
  };
}

export function v3Payment(patch: Record<string, unknown> = {}, options: { platformKey?: string; clock?: () => number } = {}): Sample {
  const n = buildV3Notification({
    eventType: 'TRANSACTION.SUCCESS',
    plaintext: transaction(patch),
    apiV3Key: API_V3_KEY,
    platformKey: options.platformKey ?? SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
    serial: SANDBOX_PUBLIC_KEY_ID,
    clock: options.clock,
  });
  return { headers: { ...n.headers }, body: n.body };
}

export function v3Refund(): Sample {
  const n = buildV3Notification({
    eventType: 'REFUND.SUCCESS',
    plaintext: {
      mchid: MCH_ID,
      out_trade_no: 'ORDER0001',
      transaction_id: '4200000000202611270000000001',
      out_refund_no: 'REFUND0001',
      refund_id: '50000000002026112700000001',
      refund_status: 'SUCCESS',
      success_time: '2026-11-27T20:05:00+08:00',
      user_received_account: '支付用户零钱',
      amount: { total: 1999, refund: 500, payer_total: 1999, payer_refund: 500 },
    },
    apiV3Key: API_V3_KEY,
    platformKey: SANDBOX_PUBLIC_KEY_MODE_PRIVATE_KEY_PEM,
    serial: SANDBOX_PUBLIC_KEY_ID,
  });
  return { headers: { ...n.headers }, body: n.body };
}

let otherKey: string | undefined;
function attackerKey(): string {
  otherKey ??= generateRsaKeyPair().privateKeyPem;
  return otherKey;
}

/** A body over the 64 KiB default that is otherwise a genuine notification's shape. */
function oversized(sample: Sample): Sample {
  return { headers: sample.headers, body: sample.body + ' '.repeat(70 * 1024) };
}

export type Expectation = {
  status: number;
  /** v2: the XML return_code; v3: undefined. */
  returnCode?: 'SUCCESS' | 'FAIL';
  /** What reaches the application: the kind, or nothing. */
  notice: 'payment' | 'refund' | undefined;
};

export type Row = { name: string; sample: () => Sample; expect: Expectation };

const V2_FAIL = (status: number): Expectation => ({ status, returnCode: 'FAIL', notice: undefined });

export const V2_ROWS: readonly Row[] = [
  { name: 'genuine payment (MD5)', sample: () => v2Payment(), expect: { status: 200, returnCode: 'SUCCESS', notice: 'payment' } },
  { name: 'genuine payment (HMAC-SHA256)', sample: () => v2Payment({}, API_KEY, 'HMAC-SHA256'), expect: { status: 200, returnCode: 'SUCCESS', notice: 'payment' } },
  { name: 'genuine refund', sample: () => v2Refund(), expect: { status: 200, returnCode: 'SUCCESS', notice: 'refund' } },
  { name: 'forged payment (other key)', sample: () => v2Payment({}, 'attacker0key0000000000000000000x'), expect: V2_FAIL(200) },
  { name: 'tampered payment (amount changed after signing)', sample: () => { const s = v2Payment(); return { ...s, body: s.body.replace('<total_fee>1999</total_fee>', '<total_fee>1</total_fee>') }; }, expect: V2_FAIL(200) },
  { name: 'forged refund (other key)', sample: () => v2Refund({}, 'attacker0key0000000000000000000x'), expect: V2_FAIL(200) },
  { name: 'wrong merchant (signed with our key)', sample: () => v2Payment({ mch_id: '1900009999' }), expect: V2_FAIL(200) },
  { name: 'wrong appid (signed with our key)', sample: () => v2Payment({ appid: 'wx0000000000000000' }), expect: V2_FAIL(200) },
  { name: 'oversized', sample: () => oversized(v2Payment()), expect: V2_FAIL(413) },
  { name: 'DOCTYPE', sample: () => ({ headers: { 'content-type': 'text/xml' }, body: `<!DOCTYPE x [<!ENTITY e "x">]>${v2Payment().body}` }), expect: V2_FAIL(200) },
  { name: 'handler throws', sample: () => v2Payment({ out_trade_no: `${THROW_PREFIX}0001` }), expect: V2_FAIL(500) },
];

export const V3_ROWS: readonly Row[] = [
  { name: 'genuine payment', sample: () => v3Payment(), expect: { status: 204, notice: 'payment' } },
  { name: 'genuine refund', sample: () => v3Refund(), expect: { status: 204, notice: 'refund' } },
  { name: 'forged (other platform key)', sample: () => v3Payment({}, { platformKey: attackerKey() }), expect: { status: 401, notice: undefined } },
  { name: 'tampered body', sample: () => { const s = v3Payment(); return { ...s, body: s.body.replace('"id":"', '"id":"x') }; }, expect: { status: 401, notice: undefined } },
  { name: 'stale (10 minutes old)', sample: () => v3Payment({}, { clock: () => Date.now() - 10 * 60_000 }), expect: { status: 401, notice: undefined } },
  { name: 'missing signature headers', sample: () => ({ headers: { 'content-type': 'application/json' }, body: v3Payment().body }), expect: { status: 401, notice: undefined } },
  { name: 'wrong merchant', sample: () => v3Payment({ mchid: '1900009999' }), expect: { status: 400, notice: undefined } },
  { name: 'oversized', sample: () => oversized(v3Payment()), expect: { status: 413, notice: undefined } },
  { name: 'handler throws', sample: () => v3Payment({ out_trade_no: `${THROW_PREFIX}0001` }), expect: { status: 500, notice: undefined } },
];

export function rowsFor(version: 'v2' | 'v3'): readonly Row[] {
  return version === 'v2' ? V2_ROWS : V3_ROWS;
}

/**
 * Posts every row of the table to `url` and checks the answer and what reached the application: a genuine
 * notification exactly once with the right typed notice, anything else nothing.
 */
export async function assertTable(version: 'v2' | 'v3', url: string, recorder: Recorder): Promise<void> {
  for (const row of rowsFor(version)) {
    const before = recorder.notices.length;
    const sample = row.sample();
    const res = await fetch(url, { method: 'POST', headers: sample.headers, body: sample.body });
    const text = await res.text();
    const label = `${version} ${row.name}`;
    assert.equal(res.status, row.expect.status, `${label}: status (answer ${text.slice(0, 200)})`);
    if (version === 'v2') {
      assert.match(text, new RegExp(`<return_code><!\\[CDATA\\[${row.expect.returnCode}\\]\\]></return_code>`), `${label}: return_code`);
    } else if (row.expect.status === 204) {
      assert.equal(text, '', `${label}: empty 204`);
    } else {
      assert.equal((JSON.parse(text) as { code: string }).code, 'FAIL', `${label}: FAIL body`);
    }
    const added = recorder.notices.slice(before);
    if (row.expect.notice === undefined) {
      assert.equal(added.length, 0, `${label}: nothing reaches the handler`);
    } else {
      assert.equal(added.length, 1, `${label}: reaches the handler once`);
      const notice = added[0]!;
      assert.equal(notice.version, version, `${label}: version`);
      assert.equal(notice.kind, row.expect.notice, `${label}: kind`);
      if (notice.kind === 'payment') {
        const total = notice.version === 'v2' ? notice.payment.total_fee : notice.payment.amount.total;
        assert.equal(total, 1999, `${label}: order total in fen`);
        assert.equal(notice.payment.out_trade_no, 'ORDER0001');
      } else if (notice.kind === 'refund') {
        const refund = notice.version === 'v2' ? notice.refund.refund_fee : notice.refund.amount.refund;
        assert.equal(refund, 500, `${label}: refund in fen`);
      }
    }
  }
  // Nothing of a key or a body in what was reported.
  for (const problem of recorder.problems) {
    assert.ok(!problem.message.includes(API_KEY) && !problem.message.includes(API_V3_KEY), 'no key in a problem message');
    assert.ok(!problem.message.includes('<xml>') && !problem.message.includes('"resource"'), 'no body in a problem message');
  }
}
