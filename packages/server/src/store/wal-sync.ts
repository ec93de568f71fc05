/**
 * The durable half of a group commit, off the event loop (ADR 0017). With `synchronous = FULL`, SQLite fsyncs the WAL
 * inside COMMIT, and better-sqlite3 runs COMMIT on the JavaScript thread: every shared commit stopped the whole server
 * for one fsync (0.2–0.8 ms on the disks measured, more under load), time in which no request was read or verified.
 * A shared commit instead commits with `synchronous = NORMAL` (the WAL frames are written to the file, not synced)
 * and then asks this class for an fdatasync of the WAL file on libuv's thread pool; its units are answered only when
 * that returns. An fdatasync makes durable every byte written to the file before it began, whoever wrote it, so a
 * unit is acknowledged only after everything it committed is on disk, exactly as with FULL.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

/** What a group commit needs of it (tests hand the committer their own). */
export type DurableSync = {
  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
};

export class WalSync implements DurableSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly walPath: string) {}

  /** Resolves once everything written to the WAL before this call is on disk; rejects if the sync failed. */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.flush().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // The sync in flight may have begun before the caller's commit was written: one more, started after it ends,
    // covers every caller that arrives meanwhile.
    this.next ??= this.running.then(noop, noop).then(() => {
      this.next = undefined;
      return this.sync();
    });
    return this.next;
  }

  /** Waits for the syncs in flight, then closes the file. */
  async close(): Promise<void> {
    await this.next?.catch(noop);
    await this.running?.catch(noop);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        // Opened on first use: the WAL file exists once the first commit wrote to it. Read-only is enough to sync.
        this.fd ??= openSync(this.walPath, 'r');
      } catch (error) {
        reject(error);
        return;
      }
      fdatasync(this.fd, (error) => (error === null ? resolve() : reject(error)));
    });
  }
}

function noop(): void {}
