/**
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past `wal_autocheckpoint` pages, on the
 * connection that committed: for us the JavaScript thread. It copies the WAL's pages into the database file and
 * fsyncs it, while no request is read and no batch commits (measured on a disk file: ~3 ms each, one every ~100
 * notifications, 25–35 µs per notification of event-loop time, and the slowest commits of all).
 *
 * Here the server's connection does not checkpoint (`wal_autocheckpoint = 0`); a worker thread with a connection of its
 * own runs a PASSIVE checkpoint every `intervalMs`. PASSIVE takes no lock a writer waits for: it copies what no reader
 * still needs and leaves the rest for the next round, and the writer keeps appending meanwhile. It is SQLite's own
 * checkpoint, from another connection, so it is exactly as durable. Should the worker fail or exit, the connection
 * checkpoints itself again, as before.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** SQLite's default, restored when the worker is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

// A script, not a module file: it runs the same from the TypeScript source (tests) and from the bundled dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
// Never wait for a lock: a busy round is simply skipped.
db.pragma('busy_timeout = 0');
let timer;
let stopped = false;
const round = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    if (!/busy|locked/i.test(String(error && error.message))) throw error;
  }
  if (!stopped) timer = setTimeout(round, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
round();
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopping = false;
  private readonly stopped: Promise<void>;

  constructor(private readonly db: BetterSqlite3.Database, intervalMs = 100) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: db.name, intervalMs } });
    // The server's lifetime is its HTTP server's and its jobs': the checkpointer alone keeps no process alive.
    this.worker.unref();
    this.worker.on('error', () => this.selfCheckpoint());
    this.stopped = new Promise<void>((resolve) => {
      this.worker.once('exit', () => {
        if (!this.stopping) this.selfCheckpoint();
        resolve();
      });
    });
  }

  /** Whether the worker still checkpoints (else the connection does, every AUTOCHECKPOINT_PAGES). */
  get running(): boolean {
    return this.worker.threadId !== -1 && !this.stopping;
  }

  /** Stops the worker (its connection closed); the server's connection then checkpoints itself. */
  async close(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      // Held open while it stops, so that waiting for it keeps the event loop alive.
      this.worker.ref();
      this.worker.postMessage('stop');
    }
    await this.stopped;
    this.selfCheckpoint();
  }

  private selfCheckpoint(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }
}
