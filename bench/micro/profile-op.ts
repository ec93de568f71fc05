// Runs one micro operation of one implementation in a loop for a few seconds, so `node --cpu-prof` can show what
// bounds it. Usage: node --cpu-prof --import tsx bench/micro/profile-op.ts <case index> <implementation> [seconds]
import { makeCases } from './cases.js';
import type { ImplName } from './cases.js';
import { makeFixtures } from './fixtures.js';

const index = Number(process.argv[2]);
const impl = (process.argv[3] ?? 'wxpay-kit') as ImplName;
const seconds = Number(process.argv[4] ?? '3');
const c = makeCases(makeFixtures())[index];
const fn = c?.impls[impl];
if (fn === undefined) throw new Error(`no case ${index} for ${impl}`);
// Samples before this point (start-up, fixtures, key generation) are left out of the summary.
const loopStartMs = performance.now();
const until = Date.now() + seconds * 1000;
let calls = 0;
while (Date.now() < until) {
  for (let i = 0; i < 200; i++) {
    const out = fn();
    if (out instanceof Promise) await out;
  }
  calls += 200;
}
process.stdout.write(`${JSON.stringify({ calls, loopStartMs })}\n`);
