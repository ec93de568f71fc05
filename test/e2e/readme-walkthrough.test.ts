/**
 * The README's curl walk-through ("The whole flow with curl") as a new user runs it: copied from README.md, run by
 * bash against `npm start` (dist/server.js, sandbox mode, its own ./data), then run again on the same ./data. Both
 * runs must end with the order PAID and never print an error: every copy-paste block is re-runnable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bannerUrl } from './helpers/instances.js';

function walkThrough(): string {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The whole flow with curl'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined && block.includes('B=http://127.0.0.1:3000'), 'the walk-through block');
  return block;
}

function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

test('the README curl walk-through runs twice on the same ./data, paying a fresh order each time', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const server = spawn(process.execPath, [join(process.cwd(), 'packages/server/dist/server.js')], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'warn' },
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => server.kill('SIGKILL'));
  const url = await bannerUrl(server);
  const script = walkThrough().replace('B=http://127.0.0.1:3000', `B=${url}`);

  const orderIds: string[] = [];
  for (const run of [1, 2]) {
    const result = await bash(script, dir);
    assert.equal(result.code, 0, `run ${run}: ${result.stderr}\n${result.stdout}`);
    assert.doesNotMatch(result.stdout, /"error"/, `run ${run} printed an error:\n${result.stdout}`);
    assert.match(result.stdout, /"status": "PAYING"/, `run ${run}: step 4 created an order`);
    assert.match(result.stdout, /requestPayment:ok/, `run ${run}: step 5 paid`);
    assert.match(result.stdout, /"status": "PAID"/, `run ${run}: step 6 shows it PAID`);
    orderIds.push(/"orderId": "([^"]+)"/.exec(result.stdout)?.[1] ?? '');
  }
  assert.notEqual(orderIds[0], orderIds[1], 'the second run made an order of its own');
});
