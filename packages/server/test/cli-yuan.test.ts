import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFen, parseYuan } from '../src/domain/yuan.js';

test('parseYuan: yuan as people write them → integer fen; anything else is refused', () => {
  assert.equal(parseYuan('12.50'), 1250);
  assert.equal(parseYuan('12.5'), 1250);
  assert.equal(parseYuan('3'), 300);
  assert.equal(parseYuan('0.01'), 1);
  assert.equal(parseYuan('0.29'), 29, 'no floating point: 0.29 * 100 is 28.999…');
  assert.equal(parseYuan(' 7.05 '), 705);
  for (const bad of ['', '-1', '1.234', '1e3', '.5', '1.', '12,50', 'NaN', '0x10', '99999999999999']) assert.equal(parseYuan(bad), undefined, bad);
});

test('formatFen: integer fen → yuan with two decimals', () => {
  assert.equal(formatFen(1250), '12.50');
  assert.equal(formatFen(1), '0.01');
  assert.equal(formatFen(0), '0.00');
  assert.equal(formatFen(-305), '-3.05');
});
