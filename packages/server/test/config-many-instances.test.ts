/** Configuration for PostgreSQL, the jobs, the webhook and Redis: parsed exactly, refused with the variable's name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config.js';

function refused(env: Record<string, string>, variable: string): void {
  assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable, JSON.stringify(env));
}

test('postgres URL: ?schema= is ours (taken off the URL), DATABASE_SCHEMA wins, pool size defaults to 10', () => {
  const fromUrl = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/shop?schema=tenant_1&sslmode=require' }).database;
  assert.deepEqual(fromUrl, { kind: 'postgres', url: 'postgres://u:p@db:5432/shop?sslmode=require', schema: 'tenant_1', poolMax: 10 });
  const fromEnv = loadConfig({ DATABASE_URL: 'postgresql://u@db/shop?schema=a', DATABASE_SCHEMA: 'b', DATABASE_POOL_MAX: '25' }).database;
  assert.deepEqual(fromEnv, { kind: 'postgres', url: 'postgresql://u@db/shop', schema: 'b', poolMax: 25 });
  const plain = loadConfig({ DATABASE_URL: 'postgres://u@db/shop' }).database;
  assert.equal(plain.kind === 'postgres' ? plain.schema : 'x', undefined);
});

test('bad database settings name their variable', () => {
  refused({ DATABASE_URL: 'postgres://u@db/shop', DATABASE_SCHEMA: 'x; drop table orders' }, 'DATABASE_SCHEMA');
  refused({ DATABASE_URL: 'postgres://u@db/shop?schema=1abc' }, 'DATABASE_URL');
  refused({ DATABASE_URL: 'postgres://u@db/shop', DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX');
  refused({ DATABASE_URL: 'postgres://u@db/shop', DATABASE_POOL_MAX: 'ten' }, 'DATABASE_POOL_MAX');
});

test('jobs, webhook and Redis settings', () => {
  const defaults = loadConfig({});
  assert.deepEqual(
    [defaults.jobsIntervalMs, defaults.jobsLeaseMs, defaults.jobsRetryBaseMs, defaults.reconcileAfterSeconds, defaults.webhook, defaults.redisUrl],
    [15_000, 60_000, 5_000, 60, undefined, undefined],
  );
  const set = loadConfig({
    JOBS_INTERVAL_MS: '200', JOBS_LEASE_MS: '2000', JOBS_RETRY_BASE_MS: '250', RECONCILE_AFTER_SECONDS: '5',
    WEBHOOK_URL: 'https://shop.example.com/hooks/wxpay/', WEBHOOK_SECRET: 's'.repeat(32), REDIS_URL: 'redis://127.0.0.1:6379/2',
  });
  assert.deepEqual(
    [set.jobsIntervalMs, set.jobsLeaseMs, set.jobsRetryBaseMs, set.reconcileAfterSeconds, set.webhook, set.redisUrl],
    [200, 2000, 250, 5, { url: 'https://shop.example.com/hooks/wxpay', secret: 's'.repeat(32) }, 'redis://127.0.0.1:6379/2'],
  );
  refused({ JOBS_LEASE_MS: '10' }, 'JOBS_LEASE_MS');
  refused({ JOBS_INTERVAL_MS: '-1' }, 'JOBS_INTERVAL_MS');
  refused({ WEBHOOK_URL: 'ftp://x/y', WEBHOOK_SECRET: 's'.repeat(32) }, 'WEBHOOK_URL');
  refused({ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL');
});
