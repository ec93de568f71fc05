import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../src/index.js';

const T0 = 1_800_000_000_000;

test('virtual time = base + real elapsed × scale + advances', async () => {
  let real = T0;
  const clock = new VirtualClock({ now: () => real, timeScale: 60 });
  assert.equal(clock.now(), T0);
  real += 1000;
  assert.equal(clock.now(), T0 + 60_000);
  await clock.advance(30);
  assert.equal(clock.now(), T0 + 90_000);
  clock.close();
  assert.throws(() => new VirtualClock({ timeScale: -1 }), RangeError);
  await assert.rejects(new VirtualClock({ now: () => T0 }).advance(-1), RangeError);
});

test('advance runs due tasks in order, each at its own due time, including tasks they schedule', async () => {
  const clock = new VirtualClock({ now: () => T0 });
  const seen: [string, number][] = [];
  clock.at(T0 + 20_000, () => { seen.push(['b', clock.now() - T0]); });
  clock.at(T0 + 10_000, () => {
    seen.push(['a', clock.now() - T0]);
    clock.after(5_000, () => { seen.push(['a+5', clock.now() - T0]); });
  });
  clock.at(T0 + 20_000, async () => {
    await new Promise((resolve) => setImmediate(resolve));
    seen.push(['c', clock.now() - T0]);
  });
  const late = clock.at(T0 + 60_000, () => { seen.push(['late', clock.now() - T0]); });
  await clock.advance(30);
  assert.deepEqual(seen, [['a', 10_000], ['a+5', 15_000], ['b', 20_000], ['c', 20_000]]);
  assert.equal(clock.now(), T0 + 30_000);
  assert.equal(clock.pending, 1);
  clock.cancel(late);
  await clock.advance(60);
  assert.equal(seen.length, 4);
  clock.close();
});

test('a failing task does not stop the clock', async () => {
  const clock = new VirtualClock({ now: () => T0 });
  let ran = false;
  clock.after(1000, () => { throw new Error('boom'); });
  clock.after(2000, () => { ran = true; });
  await clock.advance(5);
  assert.equal(ran, true);
  assert.equal(clock.errors.length, 1);
  clock.close();
});

test('runDue starts due tasks concurrently; advance waits for them first', async () => {
  const clock = new VirtualClock({ now: () => T0, timeScale: 0 });
  const order: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  clock.at(T0, async () => {
    order.push('slow start');
    await gate;
    order.push('slow end');
  });
  clock.at(T0, () => { order.push('fast'); });
  const running = clock.runDue();
  assert.deepEqual(order, ['slow start', 'fast'], 'the fast task did not wait for the slow one');
  const advanced = clock.advance(1).then(() => order.push('advanced'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['slow start', 'fast']);
  release();
  await Promise.all([running, advanced]);
  assert.deepEqual(order, ['slow start', 'fast', 'slow end', 'advanced']);
  clock.close();
});

test('restored clocks never go back in time', () => {
  const clock = new VirtualClock({ now: () => T0, startAt: T0 + 3_600_000 });
  assert.equal(clock.now(), T0 + 3_600_000);
  const older = new VirtualClock({ now: () => T0, startAt: T0 - 1000 });
  assert.equal(older.now(), T0);
  clock.close();
  older.close();
});
