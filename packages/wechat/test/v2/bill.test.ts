import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseV2Bill, yuanToFen } from '../../src/v2/bill.js';
import { formatChinaTime, parseChinaTime } from '../../src/v2/validate.js';
import { WxPayProtocolError } from '../../src/errors.js';

test('yuanToFen: exact decimal conversion, no floating point', () => {
  const rows: [string, number][] = [
    ['0', 0], ['0.01', 1], ['0.1', 10], ['1.00', 100], ['12.3', 1230], ['0.29', 29], ['-0.30', -30],
    ['-0.00', 0], ['90071992547409.91', 9007199254740991], ['1.10000', 110],
  ];
  for (const [text, fen] of rows) assert.equal(yuanToFen(text), fen, text);
  // 0.29 * 100 is 28.999999999999996 in floating point; the conversion must not go through it.
  assert.equal(yuanToFen('0.29'), 29);
  for (const bad of ['', '1.', '.5', '1,00', '1e2', '+1', '0.001', '1.005000', '1.2.3', ' 1', '¥1', '90071992547409.92', 'NaN']) {
    assert.throws(() => yuanToFen(bad), WxPayProtocolError, bad);
  }
});

test('yuanToFen property: formatting any fen amount as yuan converts back exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: -1e12, max: 1e12 }), (fen) => {
      const abs = Math.abs(fen);
      const text = `${fen < 0 ? '-' : ''}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
      assert.equal(yuanToFen(text), fen === 0 ? 0 : fen);
    }),
  );
});

const header = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注';
const summaryHeader = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';

test('SUCCESS bill: header-driven columns, commas inside values survive, BOM and CRLF tolerated', () => {
  const text = '\uFEFF' + [
    header,
    '`2024-01-01 12:05:00,`wx1,`1900000001,`0,`,`4200000000000000000000000001,`ORDER1,`o1,`JSAPI,`SUCCESS,`CMB_CREDIT,`CNY,`0.29,`0.00,`苹果, 红色,`{"a":1},`0.00,`0.60%,`0.29,`',
    summaryHeader,
    '`1,`0.29,`0.00,`0.00,`0.00,`0.29,`0.00',
  ].join('\r\n');
  const bill = parseV2Bill(text);
  assert.equal(bill.rows.length, 1);
  const row = bill.rows[0]!;
  assert.equal(row.body, '苹果, 红色');
  assert.equal(row.attach, '{"a":1}');
  assert.equal(row.settlement_total_fee, 29);
  assert.equal(row.total_fee, 29);
  assert.equal(row.refund_fee, undefined, 'no such column in a SUCCESS bill');
  assert.equal(row.rate, '0.60%');
  assert.equal(row.raw['付款银行'], 'CMB_CREDIT');
  assert.equal(bill.summary.trade_count, 1);
  assert.equal(bill.summary.total_fee, 29);
});

test('an empty day: headers and a zero summary', () => {
  const bill = parseV2Bill([header, summaryHeader, '`0,`0.00,`0.00,`0.00,`0.00,`0.00,`0.00'].join('\n'));
  assert.equal(bill.rows.length, 0);
  assert.equal(bill.summary.trade_count, 0);
});

test('malformed bills are protocol errors', () => {
  const row = '`2024-01-01 12:05:00,`wx1,`1900000001,`0,`,`42,`ORDER1,`o1,`JSAPI,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`b,`a,`0.00,`0.60%,`1.00,`';
  const sum = '`1,`1.00,`0.00,`0.00,`0.00,`1.00,`0.00';
  const rows: string[] = [
    '',
    'not a bill',
    [header, row].join('\n'),
    ['a,b', row, summaryHeader, sum].join('\n'),
    [header, row.replace('`1.00', '`1.001'), summaryHeader, sum].join('\n'),
    [header, row.replace(',`o1', ''), summaryHeader, sum].join('\n'),
    [header, row.slice(1), summaryHeader, sum].join('\n'),
    [header, row, 'x,y', sum].join('\n'),
    [header, row, summaryHeader, '`one,`1.00,`0.00,`0.00,`0.00,`1.00,`0.00'].join('\n'),
  ];
  for (const text of rows) assert.throws(() => parseV2Bill(text), WxPayProtocolError, JSON.stringify(text.slice(0, 40)));
});

test('China time: formatting is independent of the host time zone, parsing refuses impossible dates', () => {
  const instant = Date.UTC(2024, 1, 29, 16, 59, 59); // 2024-03-01 00:59:59 in China
  const saved = process.env.TZ;
  try {
    for (const tz of ['UTC', 'America/New_York', 'Asia/Shanghai', 'Pacific/Kiritimati']) {
      process.env.TZ = tz;
      assert.equal(formatChinaTime(instant), '20240301005959', tz);
      assert.equal(formatChinaTime(new Date(instant)), '20240301005959', tz);
      assert.equal(parseChinaTime('20240301005959'), instant, tz);
    }
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
  for (const bad of ['20240230120000', '20240101246000', '2024010112000', '2024-01-01 12:00:00', '20240101120060']) {
    assert.equal(parseChinaTime(bad), undefined, bad);
  }
});
