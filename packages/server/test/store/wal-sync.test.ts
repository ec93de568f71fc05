/**
 * Shared commits synced off the event loop (store/wal-sync.ts, ADR 0017): a unit is answered only after the sync that
 * follows its commit; units arriving meanwhile form the next batch; a failed sync answers no unit as done; the connection is back
 * to synchronous = FULL for every other transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { KyselyRepos, inMemoryFileSystem, walSyncFor } from '../../src/store/kysely-store.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { migrate, openSqliteConnection } from '../../src/store/open.js';
import { SqliteHotStatements } from '../../src/store/sqlite-hot.js';
import { WalSync } from '../../src/store/wal-sync.js';
import type { DurableSync } from '../../src/store/wal-sync.js';
import { NOW } from './sample-rows.js';

async function open(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-walsync-'));
  const path = join(dir, 'shop.db');
  const { db, sqlite } = openSqliteConnection(path);
  await migrate(db);
  t.after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, sqlite, path, hot: new SqliteHotStatements(sqlite) };
}

/** A sync the test completes by hand, recording when it was asked for. */
function manualSync(): DurableSync & { asked: number; release(error?: Error): void } {
  let pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const s = {
    asked: 0,
    sync() {
      s.asked++;
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    async close() {},
    release(error?: Error) {
      const now = pending;
      pending = [];
      for (const p of now) {
        if (error === undefined) p.resolve();
        else p.reject(error);
      }
    },
  };
  return s;
}

const event = (i: number) => ({ id: `ev${i}`, topic: 'order.paid', orderId: `o${i}`, payload: { i }, now: NOW });

test('a unit is answered only after the sync following its commit; units arriving meanwhile form the next batch', async (t) => {
  if (process.env.TEST_DATABASE === 'postgres') return;
  const { db, hot, path } = await open(t);
  const sync = manualSync();
  const committer = new GroupCommitter(db, (conn) => new KyselyRepos(conn, 'sqlite', { statements: hot, ready: () => true }), hot, 64, sync);
  const other = new BetterSqlite3(path, { readonly: true });
  t.after(() => other.close());
  const count = () => (other.prepare('select count(*) as n from outbox').get() as { n: number }).n;
  const answered: number[] = [];
  const first = committer.run(async (tx) => tx.addEvent(event(1))).then(() => answered.push(1));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(count(), 1, 'committed');
  assert.equal(answered.length, 0, 'but not answered before its sync');
  assert.equal(sync.asked, 1);
  // While the first sync runs, the event loop is free: these are taken in, and wait to share the next commit.
  const later = [2, 3, 4].map((i) => committer.run(async (tx) => tx.addEvent(event(i))).then(() => answered.push(i)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(count(), 1, 'the next batch waits for the sync in flight');
  sync.release();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(count(), 4, 'then commits all three at once');
  assert.equal(sync.asked, 2, 'and one sync covers them');
  assert.deepEqual(answered, [1]);
  sync.release();
  await Promise.all(later);
  assert.deepEqual([...answered].sort(), [1, 2, 3, 4]);
  assert.equal(Number(hot.db.pragma('synchronous', { simple: true })), 2, 'the connection is back to FULL for other transactions');
});

test('a failed sync answers no unit of its batch as done', async (t) => {
  if (process.env.TEST_DATABASE === 'postgres') return;
  const { db, hot } = await open(t);
  const sync = manualSync();
  const committer = new GroupCommitter(db, (conn) => new KyselyRepos(conn, 'sqlite', { statements: hot, ready: () => true }), hot, 64, sync);
  const units = [1, 2, 3].map((i) => committer.run(async (tx) => tx.addEvent(event(i))));
  await new Promise((resolve) => setTimeout(resolve, 50));
  sync.release(new Error('EIO'));
  for (const unit of units) await assert.rejects(unit, /EIO/);
});

test('WalSync: syncs a real WAL file, concurrent callers all resolve, and a missing file is an error', async (t) => {
  const { db, hot, path } = await open(t);
  await db.insertInto('outbox').values({ id: 'x', topic: 't', order_id: 'o', payload_json: '{}', created_at: NOW, available_at: NOW, attempts: 0, lease_until: null, delivered_at: null, last_error: null }).execute();
  assert.equal(hot.db.pragma('journal_mode', { simple: true }), 'wal');
  const sync = new WalSync(`${path}-wal`);
  t.after(() => sync.close());
  await Promise.all([sync.sync(), sync.sync(), sync.sync()]);
  await sync.sync();
  const missing = new WalSync(join(tmpdir(), 'no-such-dir-wxpay', 'x.db-wal'));
  await assert.rejects(missing.sync(), /ENOENT/);
  await missing.close();
});

test('a WAL database on disk gets its shared commits synced off the event loop; one in memory (tmpfs) syncs inline', async (t) => {
  const onDisk = await open(t);
  const diskIsMemory = inMemoryFileSystem(tmpdir());
  const chosen = walSyncFor(onDisk.hot);
  // Where the temporary directory is itself tmpfs (some CI machines), it is the in-memory case.
  assert.equal(chosen instanceof WalSync, !diskIsMemory);
  await chosen?.close();
  if (process.platform !== 'linux' || !existsSync('/dev/shm')) return;
  assert.equal(inMemoryFileSystem('/dev/shm'), true);
  const dir = mkdtempSync(join('/dev/shm', 'wxpay-walsync-'));
  const { db, sqlite } = openSqliteConnection(join(dir, 'shop.db'));
  t.after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrate(db);
  assert.equal(sqlite.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(walSyncFor(new SqliteHotStatements(sqlite)), undefined);
  // Not a directory statfs can read: treated as a disk.
  assert.equal(inMemoryFileSystem(join(dir, 'no', 'such', 'dir')), false);
});
