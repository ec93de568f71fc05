/** Production ids: row ids are UUIDs version 7, ordered by the injected clock's time (index locality), still random. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoIdsFor, uuidV7 } from '../src/ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('a row id is a version-7 UUID whose first 48 bits are the clock\'s milliseconds', () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0, 123);
  const id = uuidV7(now);
  assert.match(id, V7);
  assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), now);
});

test('row ids sort by the time of the clock they come from, and never repeat', () => {
  let t = Date.UTC(2026, 0, 1);
  const ids = cryptoIdsFor({ now: () => t });
  const made: string[] = [];
  for (let i = 0; i < 200; i++) {
    t += 1;
    made.push(ids.rowId());
  }
  assert.deepEqual([...made].sort(), made, 'later rows sort after earlier ones');
  assert.equal(new Set(made).size, made.length);
  // The same millisecond: still unique (74 random bits).
  const same = new Set(Array.from({ length: 1000 }, () => ids.rowId()));
  assert.equal(same.size, 1000);
  for (const id of same) assert.match(id, V7);
});
