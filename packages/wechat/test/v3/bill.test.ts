import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WxPayProtocolError } from '../../src/errors.js';
import { formatRfc3339Beijing, parseRfc3339, parseV3Bill } from '../../src/v3/index.js';
import { BILL_TEXT } from './fake-wechat.js';

test('bill: header, backtick rows (commas inside values kept), summary', () => {
  const bill = parseV3Bill(`\uFEFF${BILL_TEXT}`);
  assert.equal(bill.header[0], '交易时间');
  assert.equal(bill.rows.length, 2);
  assert.equal(bill.rows[0]!['商品名称'], 'T-shirt, blue');
  assert.equal(bill.rows[1]!['应结订单金额'], '1.00');
  assert.equal(bill.summary['应结订单总金额'], '20.99');
});

test('bill: an empty day has a header, no rows and a zero summary', () => {
  const bill = parseV3Bill('交易时间,商户订单号\n总交易单数,应结订单总金额\n`0,`0.00\n');
  assert.deepEqual(bill.rows, []);
  assert.deepEqual(bill.summary, { 总交易单数: '0', 应结订单总金额: '0.00' });
});

test('bill: malformed files are refused', () => {
  for (const text of ['', '`1,`2\n', 'a,b\n`1\nx,y\n`1,`2\n', 'a,b\n`1,`2\n', 'a,b\n`1,`2\nx\n`1\n`2\n']) {
    assert.throws(() => parseV3Bill(text), WxPayProtocolError, JSON.stringify(text));
  }
});

test('RFC 3339: offsets required, impossible dates refused; Beijing formatting', () => {
  assert.equal(parseRfc3339('2018-06-08T10:34:56+08:00'), Date.parse('2018-06-08T02:34:56Z'));
  assert.equal(parseRfc3339('2018-06-08T02:34:56Z'), Date.parse('2018-06-08T02:34:56Z'));
  assert.equal(parseRfc3339('2018-06-08T10:34:56.123-05:30'), Date.parse('2018-06-08T16:04:56.123Z'));
  for (const bad of ['2018-06-08T10:34:56', '2018-06-08 10:34:56+08:00', '2018-02-30T10:34:56+08:00', '2018-06-08T24:00:00+08:00', '20180608103456']) {
    assert.equal(parseRfc3339(bad), undefined, bad);
  }
  assert.equal(formatRfc3339Beijing(Date.parse('2026-11-26T18:00:00.999Z')), '2026-11-27T02:00:00+08:00');
});
