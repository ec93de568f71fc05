/**
 * Opens the database named by DATABASE_URL and applies the migrations. SQLite: better-sqlite3 with WAL (readers never
 * wait for the writer) and a busy timeout. PostgreSQL: a pg pool (store/postgres.ts), migrated under an advisory lock.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDialectConfig } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import { openPostgres, preparePostgres } from './postgres.js';
import type { Database } from './schema.js';

/**
 * `migrationSchema` (PostgreSQL) pins Kysely's bookkeeping tables to our schema: without it Kysely looks for them in
 * every schema of the database, and another schema's tables would be taken for ours.
 */
export async function migrate(db: Kysely<Database>, migrationSchema?: string): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider, ...(migrationSchema === undefined ? {} : { migrationTableSchema: migrationSchema }) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new Error(`database migration failed${failed === undefined ? '' : ` at ${failed.migrationName}`}`, { cause: error });
  }
}

/**
 * Every transaction of ours writes, so it starts as a writer: BEGIN IMMEDIATE takes the write lock up front and waits
 * for it under busy_timeout. A plain BEGIN reads first and upgrades to a writer later; in WAL mode that upgrade fails
 * with SQLITE_BUSY at once whenever another connection (another process, an operator's sqlite3 shell) holds the lock,
 * because waiting could deadlock, so busy_timeout never applied and a notification failed in that instant.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
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
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
}

export async function openStore(database: DatabaseConfig): Promise<KyselyStore> {
  if (database.kind === 'postgres') {
    const pgdb = openPostgres({ url: database.url, schema: database.schema, poolMax: database.poolMax });
    try {
      await preparePostgres(pgdb, database.schema, migrate);
    } catch (error) {
      await pgdb.destroy();
      throw error;
    }
    return new KyselyStore(pgdb, 'postgres');
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
