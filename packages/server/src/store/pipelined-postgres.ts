/**
 * A PostgreSQL transaction whose statements need nothing from each other's answers, sent at once: BEGIN, the
 * statements, COMMIT, written on one connection without waiting between them (the pool's clients run in pg's pipeline
 * mode, store/postgres.ts), so the whole transaction is one round trip instead of one per statement. On PostgreSQL the
 * round trip, not the statement, is the cost (ADR 18).
 *
 * Atomic as any transaction: when a statement fails, PostgreSQL refuses the ones after it ("current transaction is
 * aborted") and turns the COMMIT into a rollback; the first failure is thrown and nothing was kept. Through Kysely
 * every statement would wait for the one before it: its connection runs one query at a time.
 */
import { CompiledQuery } from 'kysely';
import type { Compilable, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

export async function pipelinedTransaction(db: Kysely<Database>, statements: readonly Compilable[]): Promise<QueryResult<unknown>[]> {
  const compiled = statements.map((statement) => statement.compile());
  return db.getExecutor().provideConnection(async (connection) => {
    const sent = [
      connection.executeQuery(CompiledQuery.raw('begin')),
      ...compiled.map((query) => connection.executeQuery(query)),
      connection.executeQuery(CompiledQuery.raw('commit')),
    ];
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed !== undefined) {
      // The COMMIT has already ended the aborted transaction (as a rollback), unless the BEGIN or the COMMIT itself
      // is what failed: then make sure the connection goes back to the pool with no transaction open.
      await connection.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
      throw failed.reason;
    }
    return settled.slice(1, -1).map((outcome) => (outcome as PromiseFulfilledResult<QueryResult<unknown>>).value);
  });
}
