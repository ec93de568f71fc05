/**
 * PostgreSQL for tests: 127.0.0.1:5432, database `test` (TEST_DATABASE_URL overrides). Each call makes a fresh schema
 * of its own, dropped when the test ends, so runs never collide. Under CI=true an unreachable PostgreSQL fails the
 * test; elsewhere the PostgreSQL rows are skipped with a loud message.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { Store } from '../../src/ports/store.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore } from '../../src/store/open.js';
import { dropSchema } from '../../src/store/postgres.js';

const CANDIDATES = process.env.TEST_DATABASE_URL !== undefined
  ? [process.env.TEST_DATABASE_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

let found: Promise<string | undefined> | undefined;

async function tryUrl(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The first URL that answers, or undefined. */
export function postgresUrl(): Promise<string | undefined> {
  found ??= (async () => {
    for (const url of CANDIDATES) if (await tryUrl(url)) return url;
    return undefined;
  })();
  return found;
}

export const REQUIRE_POSTGRES = process.env.CI === 'true';

/**
 * The URL to use, or undefined after marking the test skipped. Under CI=true an unreachable PostgreSQL throws: the
 * PostgreSQL run is required there, never silently skipped.
 */
export async function requirePostgres(t: TestContext): Promise<string | undefined> {
  const url = await postgresUrl();
  if (url !== undefined) return url;
  const message = `PostgreSQL is not reachable at ${CANDIDATES.join(' or ')}`;
  if (REQUIRE_POSTGRES) throw new Error(`${message}; CI=true requires it`);
  process.stderr.write(`\n!!! SKIPPING PostgreSQL test "${t.name}": ${message} (set CI=true to make this a failure)\n\n`);
  t.skip(message);
  return undefined;
}

/** A fresh schema name: letters, digits and _ only. */
export function freshSchema(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A fresh schema for this test, dropped afterwards. */
export async function testSchema(t: TestContext, url: string, prefix?: string): Promise<string> {
  const schema = freshSchema(prefix);
  t.after(() => dropSchema(url, schema));
  return schema;
}

/**
 * A Store on a fresh schema; close() also drops the schema. For suites that loop over dialects with `open()` only.
 */
export async function openPostgresTestStore(url: string, poolMax = 5): Promise<Store> {
  const schema = freshSchema('store');
  const store = await openStore({ kind: 'postgres', url, schema, poolMax });
  const close = store.close.bind(store);
  return Object.assign(store, {
    close: async () => {
      await close();
      await dropSchema(url, schema);
    },
  });
}

/**
 * The PostgreSQL entry of a dialect loop, decided once at load time: present when PostgreSQL answers; under CI=true
 * present even when it does not (so every row fails loudly); otherwise absent, with a loud message.
 */
export async function postgresDialectEntry(): Promise<{ name: string; open(): Promise<Store> } | undefined> {
  const url = await postgresUrl();
  if (url !== undefined) return { name: 'postgres', open: () => openPostgresTestStore(url) };
  const message = `PostgreSQL is not reachable at ${CANDIDATES.join(' or ')}`;
  if (REQUIRE_POSTGRES) return { name: 'postgres', open: () => Promise.reject(new Error(`${message}; CI=true requires it`)) };
  process.stderr.write(`\n!!! SKIPPING the PostgreSQL storage runs: ${message} (set CI=true to make this a failure)\n\n`);
  return undefined;
}

/**
 * TEST_DATABASE=postgres runs the app-level tests (build()) on PostgreSQL, a fresh schema per app:
 * `TEST_DATABASE=postgres node scripts/run-tests.mjs packages/server/test`. Default: SQLite in memory ({}).
 */
export async function testDatabaseEnv(t: TestContext): Promise<Record<string, string>> {
  if (process.env.TEST_DATABASE !== 'postgres') return {};
  const url = await postgresUrl();
  if (url === undefined) throw new Error(`TEST_DATABASE=postgres but PostgreSQL is not reachable at ${CANDIDATES.join(' or ')}`);
  return { DATABASE_URL: url, DATABASE_SCHEMA: await testSchema(t, url, 'app'), DATABASE_POOL_MAX: '3' };
}

/** A KyselyStore on a fresh schema of its own for this test, closed (and the schema dropped) after it; undefined when skipped. */
export async function postgresTestStore(t: TestContext, prefix: string, poolMax: number): Promise<KyselyStore | undefined> {
  const url = await requirePostgres(t);
  if (url === undefined) return undefined;
  const store = await openStore({ kind: 'postgres', url, schema: await testSchema(t, url, prefix), poolMax });
  t.after(() => store.close());
  return store;
}
