/**
 * PostgreSQL through `pg`. The same Kysely migrations and queries as SQLite; what differs is set up here:
 * - int8 (bigint: money in fen, epoch-ms times) comes back as a JS number, checked to be a safe integer, never a string;
 * - an optional schema of our own (DATABASE_SCHEMA / ?schema=), created when missing and first on every connection's
 *   search_path, so test runs and tenants never collide;
 * - migrations run under a session advisory lock, so N instances starting at once migrate exactly once.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { DatabaseIntrospector, DatabaseMetadata, SchemaMetadata, TableMetadata } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type PostgresOptions = { url: string; schema?: string | undefined; poolMax?: number };

/** A fixed key: every instance of this server serialises its migrations on it (any 64-bit number of ours works). */
const MIGRATION_LOCK_KEY = 7_787_061_796_040;

const INT8_OID = 20;

function parseInt8(value: string): number {
  const n = Number(value);
  // A value past 2^53 would silently lose precision; for money that is a bug to stop on, not to round.
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} is outside the safe integer range`);
  return n;
}

/** Per-pool type parsers (not pg's global registry, which other code in the process may rely on). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return (pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown)(oid, format);
  },
} as pg.CustomTypesConfig;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function createPostgresPool(options: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    types,
    // A dead database must fail fast (readiness, notifications answered FAIL) rather than hang requests.
    connectionTimeoutMillis: 5_000,
    pipeline: true,
    idleTimeoutMillis: 30_000,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(options.schema)},public` }),
  });
  // An idle client losing its connection (PostgreSQL restarted) emits 'error' on the pool; without a listener that
  // would crash the process. The pool drops the client and the next query opens a new connection.
  pool.on('error', () => {});
  // A checked-out client whose connection dies also emits 'error' (the running query is rejected as well, and that is
  // where we handle it). With no listener that event would be an uncaught exception: one database restart would take
  // every instance down with it.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/**
 * What Kysely's migrator asks the database ("does the migration table exist?"), answered for our own schema only.
 * Kysely's stock PostgreSQL introspector reads every schema of the database and calls has_schema_privilege() on each
 * name, which fails with "schema … does not exist" when another schema is dropped at that moment (parallel test runs,
 * other tenants): a start-up must not depend on what happens in someone else's schema.
 */
class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const result = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(this.db);
    return result.rows.map((r) => ({ name: r.name }));
  }

  async getTables(): Promise<TableMetadata[]> {
    const result = await sql<{ schema: string; name: string; type: string }>`
      select table_schema as schema, table_name as name, table_type as type
      from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return result.rows.map((r) => ({ schema: r.schema, name: r.name, isView: r.type === 'VIEW', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}

export function openPostgres(options: PostgresOptions): Kysely<Database> {
  return new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool: createPostgresPool(options) }) });
}

/**
 * Creates the schema (if any) and runs `migrate` on one connection holding a session advisory lock: concurrent
 * CREATE SCHEMA / CREATE TABLE IF NOT EXISTS race in PostgreSQL's catalogue, the lock makes them take turns.
 */
export async function preparePostgres(
  db: Kysely<Database>,
  schema: string | undefined,
  migrate: (db: Kysely<Database>, migrationSchema: string) => Promise<void>,
): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(conn);
    try {
      if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(conn);
      const current = await sql<{ name: string | null }>`select current_schema() as name`.execute(conn);
      const target = current.rows[0]?.name ?? undefined;
      if (target === undefined) throw new Error('PostgreSQL: no schema on the search_path to create the tables in');
      await migrate(conn, target);
    } finally {
      await sql`select pg_advisory_unlock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(conn);
    }
  });
}

/** Drops a schema and everything in it (test clean-up). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${quoteIdent(schema)} cascade`);
  } finally {
    await client.end();
  }
}
