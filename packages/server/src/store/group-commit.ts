/**
 * Group commit for SQLite. With `synchronous = FULL` every COMMIT is an fsync, and one connection commits one
 * transaction at a time, so a handler that commits once per request can never answer faster than the disk syncs.
 * Here concurrent units of work share one transaction, in arrival order, and the batch commits once. A unit that throws
 * is undone alone (the batch is run again with each unit in its own SAVEPOINT; see commit) and its caller gets the
 * error; every caller is answered only after the shared COMMIT returned, so nothing is reported done that is
 * not on disk. If the transaction or its COMMIT fails, every unit of the batch gets that error: none of it was kept.
 *
 * A unit must use only the Repos it is given (the connection is held by the batch) and must not wait for anything
 * else (no network): the batch holds SQLite's write lock while it runs.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Repos } from '../ports/store.js';
import type { Database } from './schema.js';
import type { SqliteHotStatements } from './sqlite-hot.js';
import type { DurableSync } from './wal-sync.js';

type Unit = { work: (tx: Repos) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Units per shared transaction: enough to amortise an fsync, few enough that one batch holds the lock briefly. */
export const GROUP_COMMIT_MAX = 64;

/** How a batch's transaction control statements run: compiled once on better-sqlite3, or through Kysely. */
type Control = { begin(): Promise<void> | void; commit(): Promise<void> | void; rollback(): Promise<void> | void; savepoint(): Promise<void> | void; release(): Promise<void> | void; rollbackToSavepoint(): Promise<void> | void };

function kyselyControl(conn: Kysely<Database>): Control {
  return {
    begin: async () => { await sql`begin immediate`.execute(conn); },
    commit: async () => { await sql`commit`.execute(conn); },
    rollback: async () => { await sql`rollback`.execute(conn); },
    savepoint: async () => { await sql`savepoint unit`.execute(conn); },
    release: async () => { await sql`release savepoint unit`.execute(conn); },
    rollbackToSavepoint: async () => { await sql`rollback to savepoint unit`.execute(conn); },
  };
}

function compiledControl(hot: SqliteHotStatements, deferSync: boolean): Control {
  return {
    begin: () => {
      // The WAL sync is WalSync's, after COMMIT, off the event loop (set outside the transaction, restored after it).
      if (deferSync) hot.synchronousNormal.run();
      hot.beginImmediate.run();
    },
    commit: () => {
      hot.commit.run();
      if (deferSync) hot.synchronousFull.run();
    },
    // After an error SQLite may already have rolled back by itself (I/O error, full disk): nothing left to undo.
    rollback: () => {
      if (hot.db.inTransaction) hot.rollback.run();
      if (deferSync) hot.synchronousFull.run();
    },
    savepoint: () => { hot.savepoint.run(); },
    release: () => { hot.release.run(); },
    rollbackToSavepoint: () => { hot.rollbackTo.run(); },
  };
}

export class GroupCommitter {
  private queue: Unit[] = [];
  private draining = false;

  constructor(
    private readonly db: Kysely<Database>,
    /** The repos a batch's units get, over the connection the batch holds. */
    private readonly repos: (conn: Kysely<Database>) => Repos,
    /** SQLite's compiled statements (store/sqlite-hot.ts); without them the control statements go through Kysely. */
    private readonly hot?: SqliteHotStatements,
    private readonly maxBatch = GROUP_COMMIT_MAX,
    /** A file database in WAL mode: batches commit without the fsync, which this then does off the event loop. */
    private readonly walSync?: DurableSync,
  ) {}

  /** Waits for the WAL syncs in flight (their units are answered) and closes the WAL file. */
  async close(): Promise<void> {
    await this.walSync?.close();
  }

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
        // With a WalSync this waits for the batch's fsync on the thread pool: meanwhile the event loop reads and
        // verifies the requests that arrive, and they form the next batch, which then shares the next fsync.
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
    let outcomes: Outcome[];
    try {
      // Units do not throw in the normal course (a refusal or a duplicate is a value), so the batch first runs with no
      // savepoints at all: writes inside a savepoint cost SQLite a copy of every page they touch (its statement
      // journal), and two statements per unit. Should a unit throw, that transaction is rolled back whole and the
      // batch runs again with each unit in its own savepoint, so only the failing one is undone. Nothing was
      // committed the first time, and units touch only the database, so running them again is safe.
      outcomes = await this.runBatch(batch, false);
    } catch (error) {
      if (!(error instanceof UnitThrew) || batch.length === 1) {
        const reason = error instanceof UnitThrew ? error.cause : error;
        for (const unit of batch) unit.reject(reason);
        return;
      }
      try {
        outcomes = await this.runBatch(batch, true);
      } catch (again) {
        for (const unit of batch) unit.reject(again);
        return;
      }
    }
    const settle = (): void => {
      batch.forEach((unit, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok === true) unit.resolve(outcome.value);
        else unit.reject(outcome?.error);
      });
    };
    if (this.walSync === undefined) {
      settle();
      return;
    }
    // Committed but not yet known to be on disk: nobody is answered before the sync; if it fails, nobody is told the
    // work is done (WeChat retries, and the redelivery finds whatever did reach the disk).
    try {
      await this.walSync.sync();
    } catch (error) {
      for (const unit of batch) unit.reject(error);
      return;
    }
    settle();
  }

  /**
   * One transaction for the batch, committed once. With `savepoints`, a unit that throws is undone alone and its error
   * is its outcome; without, the first unit that throws ends the transaction (rolled back) with UnitThrew.
   */
  private async runBatch(batch: readonly Unit[], savepoints: boolean): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    // One connection held for the whole batch (Kysely's connection lock), so nothing else runs inside its
    // transaction; BEGIN IMMEDIATE as every transaction of ours (store/open.ts says why).
    await this.db.connection().execute(async (conn) => {
      const control = this.hot === undefined ? kyselyControl(conn) : compiledControl(this.hot, this.walSync !== undefined);
      const tx = this.repos(conn);
      await control.begin();
      try {
        for (const unit of batch) {
          if (!savepoints) {
            try {
              outcomes.push({ ok: true, value: await unit.work(tx) });
            } catch (error) {
              throw new UnitThrew(error);
            }
            continue;
          }
          await control.savepoint();
          try {
            const value = await unit.work(tx);
            await control.release();
            outcomes.push({ ok: true, value });
          } catch (error) {
            // Undo this unit only. If SQLite already rolled back the whole transaction (an I/O error, a full disk),
            // this throws too and the batch fails as a whole, which is the truth.
            await control.rollbackToSavepoint();
            await control.release();
            outcomes.push({ ok: false, error });
          }
        }
        await control.commit();
      } catch (error) {
        // The error that ended the batch is what every unit hears, not a failure of the rollback after it.
        await Promise.resolve(control.rollback()).catch(() => undefined);
        throw error;
      }
    });
    return outcomes;
  }
}

/** A unit threw in a batch run without savepoints: the transaction was rolled back, nothing of the batch kept. */
class UnitThrew extends Error {
  constructor(override readonly cause: unknown) {
    super('a unit of the shared transaction threw');
  }
}
