/**
 * The app-level tests (HTTP routes, notifications, jobs, sessions) once more on PostgreSQL: the same files, run by
 * node's test runner in a child process with TEST_DATABASE=postgres, which makes build() give every app a fresh
 * PostgreSQL schema. So "same behaviour on both databases" is checked by the very tests that define the behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirePostgres } from './helpers/postgres.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FILES = ['http/orders.test.ts', 'http/notify.test.ts', 'http/notify-v3.test.ts', 'http/notify-flood.test.ts', 'http/refunds.test.ts', 'http/ops.test.ts', 'auth.test.ts', 'jobs.test.ts', 'http/admin-console.test.ts', 'http/admin-products.test.ts', 'bill-reconciliation-job.test.ts'];

test('the HTTP, notification, session and job tests pass on PostgreSQL too', async (t) => {
  if ((await requirePostgres(t)) === undefined) return;
  const args = ['--conditions=@wxpay-kit/source', '--import', 'tsx', '--test', '--test-reporter=dot', ...FILES.map((f) => join(HERE, f))];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    // Without NODE_TEST_CONTEXT: set by our own runner, it would make the child report into us instead of running.
    const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
    const child = spawn(process.execPath, args, { env: { ...env, TEST_DATABASE: 'postgres' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.on('close', (exit) => resolve({ code: exit, output }));
  });
  assert.equal(code, 0, `failures on PostgreSQL:\n${output.slice(-4000)}`);
  assert.match(output, /\./, 'the tests ran');
});
