// Full-jitter backoff: each wait lies between the floor and min(cap, base × 2^(n−1)); injected randomness picks the
// point, so the bounds are checked exactly, without sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffDelay, checkRetryPolicy, withRetries, type RetryPolicy } from '../../src/transport/retry.js';
import { WxPayConfigError, WxPayNetworkError } from '../../src/errors.js';

const policy: RetryPolicy = { attempts: 10, baseDelayMs: 200, minDelayMs: 50, maxDelayMs: 5_000 };

test('jitter bounds: the floor at randomness 0, the exponential ceiling at the top, never past the cap', () => {
  const ceilings = [200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000];
  ceilings.forEach((ceiling, i) => {
    assert.equal(backoffDelay(i + 1, policy, () => 0), 50, `retry ${i + 1} floor`);
    assert.equal(backoffDelay(i + 1, policy, () => 0.999999), ceiling, `retry ${i + 1} ceiling`);
    assert.equal(backoffDelay(i + 1, policy, () => 0.5), Math.round(50 + 0.5 * (ceiling - 50)), `retry ${i + 1} midpoint`);
  });
  fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, r) => {
    const wait = backoffDelay(retry, policy, () => r);
    const ceiling = Math.min(5_000, 200 * 2 ** (retry - 1));
    return Number.isInteger(wait) && wait >= 50 && wait <= ceiling;
  }));
  // A base below the floor: the floor gives way (never a wait above the ceiling).
  assert.equal(backoffDelay(1, { ...policy, baseDelayMs: 10 }, () => 0), 10);
  // Out-of-range randomness is clamped, not trusted.
  assert.equal(backoffDelay(1, policy, () => 7), 200);
  assert.equal(backoffDelay(1, policy, () => -1), 50);
});

test('the retry loop waits the drawn delays, stops on a non-retriable error, and honours the attempts', async () => {
  const sleeps: number[] = [];
  let calls = 0;
  const draws = [0, 0.5, 0.999999];
  const result = await withRetries(async () => {
    if (++calls < 4) throw new Error('busy');
    return 'ok';
  }, { policy: { ...policy, attempts: 4 }, retriable: () => true, sleep: async (ms) => { sleeps.push(ms); }, random: () => draws.shift() ?? 0 });
  assert.equal(result, 'ok');
  assert.deepEqual(sleeps, [50, Math.round(50 + 0.5 * 350), 800]);
  calls = 0;
  await assert.rejects(withRetries(async () => { calls++; throw new Error('final'); }, {
    policy: { ...policy, attempts: 3 }, retriable: (e) => (e as Error).message !== 'final', sleep: async () => {}, random: () => 0,
  }), /final/);
  assert.equal(calls, 1);
});

test('an abort during the backoff stops the loop before the next try', async () => {
  const controller = new AbortController();
  let calls = 0;
  await assert.rejects(withRetries(async () => {
    calls++;
    throw new WxPayNetworkError('refused', { outcomeUnknown: false, code: 'ECONNREFUSED' });
  }, {
    policy, retriable: () => true, random: () => 0, signal: controller.signal,
    sleep: async () => { controller.abort(); },
  }), (e: unknown) => e instanceof WxPayNetworkError && e.code === 'ABORTED' && !e.retriable && e.outcomeUnknown === false);
  assert.equal(calls, 1);
});

test('client retry settings are checked at construction', () => {
  assert.deepEqual(checkRetryPolicy(undefined), { attempts: 3, baseDelayMs: 200, minDelayMs: 50, maxDelayMs: 5_000 });
  assert.deepEqual(checkRetryPolicy({ backoffMs: 20 }), { attempts: 3, baseDelayMs: 20, minDelayMs: 20, maxDelayMs: 5_000 });
  for (const bad of [{ attempts: 0 }, { attempts: 11 }, { backoffMs: -1 }, { maxBackoffMs: 1.5 }, { minBackoffMs: 100, maxBackoffMs: 10 }]) {
    assert.throws(() => checkRetryPolicy(bad), WxPayConfigError, JSON.stringify(bad));
  }
});
