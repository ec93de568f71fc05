/**
 * Opens the database named by DATABASE_URL and applies the migrations. SQLite: better-sqlite3 with WAL (readers never
 * wait for the writer) and a busy timeout. PostgreSQL: a pg pool (store/postgres.ts), migrated under an advisory lock.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDatabase, SqliteDialectConfig, SqliteStatement } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import { openPostgres, preparePostgres } from './postgres.js';
import { SqliteHotStatements } from './sqlite-hot.js';
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

/** Distinct statements kept prepared: every query of ours, with room for the IN-lists of different lengths. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The database as Kysely's SQLite driver sees it, with its statements prepared once per SQL text. The driver calls
 * `prepare` for every query it runs; compiling SQL is most of what a short statement costs, and the server runs the
 * same few dozen statements all the time. Reusing a better-sqlite3 statement is safe here: it runs synchronously to
 * completion (`all`/`run`) before the next one starts, and SQLite re-prepares it by itself after a schema change.
 * Least recently used statements are dropped past the bound (queries with IN-lists have one text per list length).
 */
export function withStatementCache(sqlite: BetterSqlite3.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (sql: string): SqliteStatement => {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        // Map order is insertion order: moving a hit to the end keeps the first key the least recently used.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > size) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}

export function openSqlite(path: string): Kysely<Database> {
  return openSqliteConnection(path).db;
}

/** The database through Kysely, and the better-sqlite3 connection under it (for the compiled hot-path statements). */
export function openSqliteConnection(path: string): { db: Kysely<Database>; sqlite: BetterSqlite3.Database } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // FULL: a payment is on disk before we answer WeChat SUCCESS. NORMAL (WAL) could lose the last commits on power loss.
  sqlite.pragma('synchronous = FULL');
  return { db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }) }), sqlite };
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
  const { db, sqlite } = openSqliteConnection(database.path);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // Compiled after the migrations: the statements name the tables they created.
  return new KyselyStore(db, 'sqlite', new SqliteHotStatements(sqlite));
}
