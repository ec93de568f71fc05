/**
 * Group commit for SQLite. With `synchronous = FULL` every COMMIT is an fsync, and one connection commits one
 * transaction at a time, so a handler that commits once per request can never answer faster than the disk syncs.
 * Here concurrent units of work share one transaction: each runs in its own SAVEPOINT, in arrival order, and the batch
 * commits once. A unit that throws is rolled back to its savepoint alone (the others keep their writes) and its caller
 * gets the error; every caller is answered only after the shared COMMIT returned, so nothing is reported done that is
 * not on disk. If the transaction or its COMMIT fails, every unit of the batch gets that error: none of it was kept.
 *
 * A unit must use only the Repos it is given (the connection is held by the batch) and must not wait for anything
 * else (no network): the batch holds SQLite's write lock while it runs.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Repos } from '../ports/store.js';
import type { Database } from './schema.js';

type Unit = { work: (tx: Repos) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Units per shared transaction: enough to amortise an fsync, few enough that one batch holds the lock briefly. */
export const GROUP_COMMIT_MAX = 64;

export class GroupCommitter {
  private queue: Unit[] = [];
  private draining = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly repos: (trx: Kysely<Database>) => Repos,
    private readonly maxBatch = GROUP_COMMIT_MAX,
  ) {}

  /** Runs `work` in a savepoint of a transaction shared with concurrent callers; resolves after that commit. */
  run<T>(work: (tx: Repos) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // Let the rest of this turn of the event loop (other requests already read) join the first batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
        // Between batches, let requests that arrived during the commit (an fsync blocks the event loop) reach the
        // queue, so the next batch carries them all rather than one at a time.
        if (this.queue.length < this.maxBatch) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(batch: readonly Unit[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        const tx = this.repos(trx);
        for (const unit of batch) {
          await sql`savepoint unit`.execute(trx);
          try {
            const value = await unit.work(tx);
            await sql`release savepoint unit`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            // Undo this unit only. If SQLite already rolled back the whole transaction (an I/O error, a full disk),
            // this throws too and the batch fails as a whole, which is the truth.
            await sql`rollback to savepoint unit`.execute(trx);
            await sql`release savepoint unit`.execute(trx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const unit of batch) unit.reject(error);
      return;
    }
    batch.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === true) unit.resolve(outcome.value);
      else unit.reject(outcome?.error);
    });
  }
}
