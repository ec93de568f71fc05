// PostgreSQL for the load benchmark: 127.0.0.1:5432, database `test` (BENCH_DATABASE_URL overrides), in a schema of
// its own (DATABASE_SCHEMA, which the server creates), dropped afterwards so runs never collide with tests.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const CANDIDATES = process.env.BENCH_DATABASE_URL !== undefined
  ? [process.env.BENCH_DATABASE_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function findPostgres(): Promise<string | undefined> {
  for (const url of CANDIDATES) if (await answers(url)) return url;
  return undefined;
}

export function benchSchemaName(): string {
  return `bench_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!/^bench_[0-9a-f]+$/.test(schema)) throw new Error('refusing to drop a schema the benchmark did not make');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
