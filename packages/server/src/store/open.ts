/**
 * Opens the database named by DATABASE_URL and applies the migrations. SQLite: better-sqlite3 with WAL (readers never
 * wait for the writer) and a busy timeout. PostgreSQL arrives with its own issue; until then it is refused clearly.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new Error(`database migration failed${failed === undefined ? '' : ` at ${failed.migrationName}`}`, { cause: error });
  }
}

export function openSqlite(path: string): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // FULL: a payment is on disk before we answer WeChat SUCCESS. NORMAL (WAL) could lose the last commits on power loss.
  sqlite.pragma('synchronous = FULL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

export async function openStore(database: DatabaseConfig): Promise<KyselyStore> {
  if (database.kind === 'postgres') {
    throw new ConfigError('DATABASE_URL', 'postgres:// is not yet supported by this build; use sqlite:PATH for now');
  }
  const db = openSqlite(database.path);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, 'sqlite');
}
