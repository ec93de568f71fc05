import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MissLimiter } from '../src/http/plugins/miss-limiter.js';

test('MissLimiter: blocks a key after max misses until its window ends; other keys are independent', () => {
  let now = 1_000_000;
  const limiter = new MissLimiter({ max: 3, timeWindow: 60_000 }, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.blockedFor('a'), 0);
    limiter.miss('a');
  }
  assert.equal(limiter.blockedFor('a'), 60_000);
  assert.equal(limiter.blockedFor('b'), 0);
  now += 59_999;
  assert.equal(limiter.blockedFor('a'), 1);
  now += 1;
  assert.equal(limiter.blockedFor('a'), 0, 'a new window');
});

test('MissLimiter: memory is bounded; the oldest keys are forgotten first', () => {
  const limiter = new MissLimiter({ max: 1, timeWindow: 60_000 }, () => 0, 3);
  for (const key of ['a', 'b', 'c', 'd']) limiter.miss(key);
  assert.equal(limiter.blockedFor('a'), 0, 'evicted');
  for (const key of ['b', 'c', 'd']) assert.equal(limiter.blockedFor(key), 60_000, key);
});
