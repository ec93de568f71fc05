// Runs the bare limit of our work (bench/limit/same-work-server.mjs; same-work-postgres.mjs on PostgreSQL) against exactly the notifications our server and
// the seed handler get, on the same core and storage, on a copy of our server's database taken before any of them was
// applied.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { runLoad } from './cannon.js';
import type { LoadResult } from './cannon.js';
import { startTarget } from './child.js';
import type { Merchant } from './notifications.js';
import { benchSchemaName, dropSchema } from './postgres.js';

const LIMIT_SERVER = fileURLToPath(new URL('../limit/same-work-server.mjs', import.meta.url));

/**
 * A page-for-page copy of our server's live database (SQLite's online backup: consistent while the server runs, its
 * WAL included), into a new directory beside it, so the copy is on the same storage. Returns the copy's path.
 */
export async function snapshotDatabase(path: string, dir: string): Promise<string> {
  const target = join(mkdtempSync(join(dir, 'wxpay-bench-limit-')), 'snapshot.db');
  const source = new BetterSqlite3(path, { readonly: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
  return target;
}

/** Notifications to send: bodies, and for v3 each body's own headers (its signature). */
export type NotificationSet = { bodies: readonly string[]; headers?: readonly Record<string, string>[] | undefined };

/** What the v3 bare limit verifies and decrypts with. */
export type LimitV3Keys = { apiV3Key: string; platformPublicKeyPem: string; serial: string };

type RunOptions = { notifications: NotificationSet; followUp: NotificationSet; connections: number; cpus?: string | undefined; log: (line: string) => void };

/** Starts a bare limit server, sends it the warm-up, then measures the follow-up; stops it whatever happens. */
async function measureLimit(script: string, env: Record<string, string>, contentType: string, opts: RunOptions): Promise<LoadResult> {
  const target = await startTarget({ script, env, log: opts.log, ...(opts.cpus === undefined ? {} : { cpus: opts.cpus }) });
  try {
    const send = (set: NotificationSet) => runLoad({
      label: 'bare limit of our work', url: target.url, connections: opts.connections,
      amount: set.bodies.length, method: 'POST', path: '/wxpay/notify/payment', headers: { 'content-type': contentType }, bodies: set.bodies,
      ...(set.headers === undefined ? {} : { perRequestHeaders: set.headers }),
    });
    await send(opts.notifications);
    const result = await send(opts.followUp);
    result.peakRssBytes = target.peakRssBytes();
    return result;
  } finally {
    await target.stop();
  }
}

export async function runSameWorkLimit(opts: RunOptions & {
  /** From snapshotDatabase: our server's database with every order of the run still unpaid. */
  snapshot: string;
  merchant: Merchant;
  /** API v3 notifications (verified and decrypted with these); v2 without. */
  v3?: LimitV3Keys | undefined;
}): Promise<{ result: LoadResult; paid: number }> {
  const dir = mkdtempSync(join(opts.snapshot, '..', 'round-'));
  const dbPath = join(dir, 'limit.db');
  try {
    copyFileSync(opts.snapshot, dbPath);
    const result = await measureLimit(LIMIT_SERVER, {
      LIMIT_DB: dbPath, LIMIT_API_KEY: opts.merchant.apiKey, LIMIT_APPID: opts.merchant.appid, LIMIT_MCHID: opts.merchant.mchid,
      ...(opts.v3 === undefined ? {} : { LIMIT_API: 'v3', LIMIT_APIV3_KEY: opts.v3.apiV3Key, LIMIT_PLATFORM_PUBLIC_KEY: opts.v3.platformPublicKeyPem, LIMIT_PLATFORM_SERIAL: opts.v3.serial }),
    }, opts.v3 === undefined ? 'text/xml' : 'application/json', opts);
    const db = new BetterSqlite3(dbPath, { readonly: true });
    try {
      const paid = (db.prepare("select count(*) as n from orders where status = 'PAID'").get() as { n: number }).n;
      return { result, paid };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LIMIT_POSTGRES = fileURLToPath(new URL('../limit/same-work-postgres.mjs', import.meta.url));

/** The tables a notification writes (and the attempt it reads): what the PostgreSQL bare limit needs of ours. */
const NOTIFICATION_TABLES = ['orders', 'payment_attempts', 'outbox', 'notification_events', 'notification_log'] as const;

/** Copies those tables of `from` into the new schema `to`, with their indexes and constraints (LIKE … INCLUDING ALL). */
export async function copyPostgresTables(url: string, from: string, to: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`create schema "${to}"`);
    for (const table of NOTIFICATION_TABLES) {
      await client.query(`create table "${to}"."${table}" (like "${from}"."${table}" including all)`);
      await client.query(`insert into "${to}"."${table}" select * from "${from}"."${table}"`);
    }
    await client.query('commit');
    // Fresh statistics, as our server's tables have after its own traffic: the planner must not guess.
    for (const table of NOTIFICATION_TABLES) await client.query(`analyze "${to}"."${table}"`);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export async function runSameWorkLimitPostgres(opts: RunOptions & {
  url: string;
  /** From copyPostgresTables: our server's tables with every order of the run still unpaid. */
  snapshotSchema: string;
  merchant: Merchant;
}): Promise<{ result: LoadResult; paid: number }> {
  const schema = benchSchemaName();
  try {
    await copyPostgresTables(opts.url, opts.snapshotSchema, schema);
    const result = await measureLimit(LIMIT_POSTGRES, {
      LIMIT_PG_URL: opts.url, LIMIT_PG_SCHEMA: schema, LIMIT_API_KEY: opts.merchant.apiKey, LIMIT_APPID: opts.merchant.appid, LIMIT_MCHID: opts.merchant.mchid,
    }, 'text/xml', opts);
    const client = new pg.Client({ connectionString: opts.url, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(`select count(*)::integer as n from "${schema}".orders where status = 'PAID'`);
      return { result, paid: rows[0]?.n ?? 0 };
    } finally {
      await client.end();
    }
  } finally {
    await dropSchema(opts.url, schema);
  }
}
