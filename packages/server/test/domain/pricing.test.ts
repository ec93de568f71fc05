import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESCRIPTION_MAX_BYTES, priceCart, truncateUtf8 } from '../../src/domain/pricing.js';
import type { Product } from '../../src/domain/pricing.js';
import { assertFen, formatYuan, isFen, multiplyFen, sumFen } from '../../src/domain/money.js';

const catalogue = new Map<string, Product>([
  ['tea', { sku: 'tea', name: 'Tea', priceFen: 4800, active: true }],
  ['mug', { sku: 'mug', name: 'Mug', priceFen: 3900, active: true }],
  ['old', { sku: 'old', name: 'Old', priceFen: 100, active: false }],
  ['huge', { sku: 'huge', name: 'Huge', priceFen: Number.MAX_SAFE_INTEGER, active: true }],
]);

test('prices come from the catalogue, summed in integer fen', () => {
  const r = priceCart([{ sku: 'tea', quantity: 2 }, { sku: 'mug', quantity: 1 }], catalogue);
  assert.ok(r.ok);
  assert.equal(r.amountFen, 13500);
  assert.deepEqual(r.items.map((i) => [i.sku, i.unitPriceFen, i.quantity]), [['tea', 4800, 2], ['mug', 3900, 1]]);
  assert.equal(r.description, 'Tea and 1 more');
});

test('pricing refusals', () => {
  const rows: [string, { sku: string; quantity: number }[], string][] = [
    ['empty', [], 'empty_cart'],
    ['zero', [{ sku: 'tea', quantity: 0 }], 'bad_quantity'],
    ['negative', [{ sku: 'tea', quantity: -1 }], 'bad_quantity'],
    ['fraction', [{ sku: 'tea', quantity: 0.5 }], 'bad_quantity'],
    ['too many', [{ sku: 'tea', quantity: 100 }], 'bad_quantity'],
    ['unknown', [{ sku: 'nope', quantity: 1 }], 'unknown_sku'],
    ['inactive', [{ sku: 'old', quantity: 1 }], 'product_inactive'],
    ['duplicate', [{ sku: 'tea', quantity: 1 }, { sku: 'tea', quantity: 1 }], 'duplicate_sku'],
    ['lines', Array.from({ length: 21 }, (_, i) => ({ sku: `s${i}`, quantity: 1 })), 'too_many_lines'],
  ];
  for (const [name, lines, reason] of rows) {
    const r = priceCart(lines, catalogue);
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.equal(r.reason, reason, name);
  }
});

test('overflow is an error, never a wrapped amount', () => {
  assert.throws(() => priceCart([{ sku: 'huge', quantity: 2 }], catalogue), RangeError);
});

test('money guards', () => {
  assert.equal(isFen(1), true);
  for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '1']) assert.equal(isFen(bad), false, String(bad));
  assert.throws(() => assertFen(0.1 + 0.2, 'x'));
  assert.equal(multiplyFen(4800, 3), 14400);
  assert.equal(sumFen([1, 2, 3]), 6);
  assert.throws(() => sumFen([Number.MAX_SAFE_INTEGER, 1]));
  assert.equal(formatYuan(4800), '48.00');
  assert.equal(formatYuan(1), '0.01');
});

test('a long Chinese product name becomes a description within WeChat\'s 127 UTF-8 bytes, cut on a character', () => {
  const name = '云南普洱古树熟茶饼'.repeat(6).slice(0, 50); // 50 characters, 150 bytes
  const r = priceCart([{ sku: 'cn', quantity: 1 }], new Map([['cn', { sku: 'cn', name, priceFen: 100, active: true }]]));
  assert.ok(r.ok);
  assert.ok(Buffer.byteLength(r.description, 'utf8') <= DESCRIPTION_MAX_BYTES, `${Buffer.byteLength(r.description, 'utf8')} bytes`);
  assert.equal(r.description, name.slice(0, 42), '42 three-byte characters = 126 bytes; a 43rd would make 129');
});

test('truncateUtf8 never splits a multi-byte character or a surrogate pair', () => {
  const rows: [string, number, string][] = [
    ['abc', 3, 'abc'],
    ['abc', 2, 'ab'],
    ['茶茶', 5, '茶'],
    ['茶茶', 6, '茶茶'],
    ['é!', 1, ''],
    ['a😀b', 4, 'a'],
    ['a😀b', 5, 'a😀'],
    ['😀😀', 7, '😀'],
  ];
  for (const [text, max, expected] of rows) {
    const cut = truncateUtf8(text, max);
    assert.equal(cut, expected, `${text} / ${max}`);
    assert.ok(Buffer.byteLength(cut, 'utf8') <= max);
    assert.equal(Buffer.from(cut, 'utf8').toString('utf8'), cut, 'round-trips: no lone surrogate');
  }
});
