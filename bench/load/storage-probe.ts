// The storage's own floor, measured once per storage: what one durable commit costs on this machine (SQLite in WAL
// with synchronous=FULL, as the server and the seed handler run it; PostgreSQL with its defaults), and a PostgreSQL
// round trip. A request that commits N times cannot be faster than N commits, whatever the code does.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { median } from '../lib/stats.js';

export type StorageFloor = { commitMs: number; roundTripMs?: number; samples: number };

export function sqliteFloor(dir: string, commits = 200): StorageFloor {
  const scratch = mkdtempSync(join(dir, 'probe-'));
  const db = new Database(join(scratch, 'probe.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const times: number[] = [];
    for (let i = 0; i < commits; i++) {
      const start = performance.now();
      insert.run(`row ${i}`);
      times.push(performance.now() - start);
    }
    return { commitMs: median(times), samples: commits };
  } finally {
    db.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function postgresFloor(url: string, schema: string, commits = 200): Promise<StorageFloor> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create schema if not exists "${schema}"`);
    await client.query(`create table "${schema}".probe (id serial primary key, v text)`);
    const commitTimes: number[] = [];
    const trips: number[] = [];
    for (let i = 0; i < commits; i++) {
      let start = performance.now();
      await client.query(`insert into "${schema}".probe (v) values ($1)`, [`row ${i}`]);
      commitTimes.push(performance.now() - start);
      start = performance.now();
      await client.query('select 1');
      trips.push(performance.now() - start);
    }
    return { commitMs: median(commitTimes), roundTripMs: median(trips), samples: commits };
  } finally {
    await client.end();
  }
}
