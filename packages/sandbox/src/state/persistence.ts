import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StateData } from './types.js';

/**
 * Keeps the sandbox's state across restarts. The state is small and changes one request at a time, so a single JSON
 * snapshot row rewritten after each change is simple and correct (better-sqlite3 writes synchronously; WAL keeps the
 * write cheap). Not a model of WeChat's storage: only of "WeChat remembers".
 */
export interface StatePersistence {
  load(): StateData | undefined;
  save(data: StateData): void;
  close(): void;
}

export class SqliteStatePersistence implements StatePersistence {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement<[string]>;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS sandbox_state (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL)');
    this.upsert = this.db.prepare(
      'INSERT INTO sandbox_state (id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data',
    );
  }

  load(): StateData | undefined {
    const row = this.db.prepare('SELECT data FROM sandbox_state WHERE id = 1').get() as { data: string } | undefined;
    if (row === undefined) return undefined;
    const parsed = JSON.parse(row.data) as StateData;
    if (parsed.version !== 1) throw new Error('sandbox state file has an unknown version');
    return parsed;
  }

  save(data: StateData): void {
    this.upsert.run(JSON.stringify(data));
  }

  close(): void {
    this.db.close();
  }
}
