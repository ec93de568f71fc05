import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { withStatementCache } from '../../src/store/open.js';

test('a statement is prepared once per SQL text and reused', () => {
  const sqlite = new BetterSqlite3(':memory:');
  const db = withStatementCache(sqlite);
  db.prepare('create table t (id integer primary key, v text)').run([]);
  const insert = db.prepare('insert into t (v) values (?)');
  assert.equal(db.prepare('insert into t (v) values (?)'), insert);
  insert.run(['a']);
  db.prepare('insert into t (v) values (?)').run(['b']);
  assert.deepEqual(db.prepare('select v from t order by id').all([]), [{ v: 'a' }, { v: 'b' }]);
  db.close();
});

test('a cached statement still runs after the schema changed under it', () => {
  const sqlite = new BetterSqlite3(':memory:');
  const db = withStatementCache(sqlite);
  db.prepare('create table t (id integer primary key, v text)').run([]);
  db.prepare('insert into t (v) values (?)').run(['a']);
  const select = db.prepare('select * from t');
  assert.deepEqual(select.all([]), [{ id: 1, v: 'a' }]);
  sqlite.exec("alter table t add column w text default 'x'");
  assert.deepEqual(db.prepare('select * from t').all([]), [{ id: 1, v: 'a', w: 'x' }]);
  db.close();
});

test('the cache is bounded: the least recently used statement is dropped, a recently used one kept', () => {
  const sqlite = new BetterSqlite3(':memory:');
  const db = withStatementCache(sqlite, 3);
  const first = db.prepare('select 1');
  const second = db.prepare('select 2');
  db.prepare('select 3');
  assert.equal(db.prepare('select 1'), first); // touched: now the most recent
  db.prepare('select 4'); // over the bound: 'select 2' goes
  assert.equal(db.prepare('select 1'), first);
  assert.notEqual(db.prepare('select 2'), second);
  db.close();
});
