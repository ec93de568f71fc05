/**
 * Checkpoints off the event loop (store/wal-checkpointer.ts): the server's connection never checkpoints while the
 * worker runs, the worker moves the WAL's pages into the database file, a worker that fails hands checkpointing back
 * to the connection, and closing leaves no WAL behind.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openStore } from '../../src/store/open.js';
import { WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { attempt, order } from './sample-rows.js';

function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'wxpay-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await new Promise((resolve) => setTimeout(resolve, 20))) if (check()) return true;
  return check();
}

test('the worker, not the server\'s connection, moves the WAL into the database file; closing leaves no WAL', async (t) => {
  const path = join(scratch(t), 'shop.db');
  const store = (await openStore({ kind: 'sqlite', path })) as KyselyStore;
  const sqlite = new BetterSqlite3(path, { readonly: true });
  t.after(() => sqlite.close());
  const before = statSync(path).size;
  for (let i = 0; i < 400; i++) {
    await store.transaction(async (tx) => {
      await tx.insertOrder(order(`o${i}`, { description: 'x'.repeat(2_000) }));
      await tx.insertAttempt(attempt(`a${i}`, `o${i}`));
    });
  }
  // ~1 MB written: the WAL has it; the database file gets it only from a checkpoint, and only the worker makes those.
  assert.ok(await until(() => statSync(path).size > before + 500_000), `database file ${statSync(path).size} bytes, was ${before}`);
  await store.close();
  assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close checkpointed and removed the WAL');
  assert.deepEqual(sqlite.prepare('select count(*) as n from orders').get(), { n: 400 });
});

test('the server\'s connection stops checkpointing while the worker runs, and checkpoints again when it fails or stops', async (t) => {
  const path = join(scratch(t), 'shop.db');
  const db = new BetterSqlite3(path);
  t.after(() => db.close());
  db.pragma('journal_mode = WAL');
  db.exec('create table t (x)');
  const checkpointer = new WalCheckpointer(db, 50);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
  assert.equal(checkpointer.running, true);
  await checkpointer.close();
  assert.equal(checkpointer.running, false);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);

  // A worker that cannot open the database fails: the connection is told to checkpoint itself again.
  const elsewhere = new Proxy(db, {
    get: (target, key) => {
      if (key === 'name') return join(tmpdir(), 'wxpay-no-such-dir', 'none.db');
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const failing = new WalCheckpointer(elsewhere, 50);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
  assert.ok(await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 1000), 'checkpointing handed back');
  await failing.close();
});
