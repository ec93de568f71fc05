// Runs the seed-style handler (bench/seed) against exactly the notifications our server gets, on the same core.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countPaid, createSeedDatabase } from '../seed/schema.js';
import { runLoad } from './cannon.js';
import type { LoadResult } from './cannon.js';
import { startTarget } from './child.js';
import type { PreparedOrder } from './notifications.js';
import { V2_NOTIFY_SIGN_TYPE } from './scenarios.js';

const SEED_SERVER = fileURLToPath(new URL('../seed/seed-server.mjs', import.meta.url));

export async function runSeedComparator(opts: {
  orders: readonly PreparedOrder[];
  /** Sent first (warm-up, not measured) ... */
  notifications: readonly string[];
  /** ... then these, measured. Without them the first set is measured. */
  followUp?: readonly string[];
  apiKey: string;
  connections: number;
  cpus?: string;
  /** Where the SQLite file lives: a disk directory (fsync-bound) or tmpfs (code-bound). */
  dataDir?: string;
  log: (line: string) => void;
}): Promise<{ result: LoadResult; paid: number }> {
  const dir = mkdtempSync(join(opts.dataDir ?? tmpdir(), 'wxpay-bench-seed-'));
  const dbPath = join(dir, 'seed.db');
  try {
    createSeedDatabase(dbPath, opts.orders.map((o) => ({ outTradeNo: o.outTradeNo, totalFee: o.totalFee })));
    const target = await startTarget({
      script: SEED_SERVER, env: { SEED_DB: dbPath, SEED_API_KEY: opts.apiKey, SEED_SIGN_TYPE: V2_NOTIFY_SIGN_TYPE }, log: opts.log,
      ...(opts.cpus === undefined ? {} : { cpus: opts.cpus }),
    });
    try {
      const send = (bodies: readonly string[]) => runLoad({
        label: 'seed-style handler (Koa + xml-js + MD5 + one UPDATE)', url: target.url, connections: opts.connections,
        amount: bodies.length, method: 'POST', path: '/wxpay/notify',
        headers: { 'content-type': 'text/xml' }, bodies,
      });
      let result = await send(opts.notifications);
      if (opts.followUp !== undefined) result = await send(opts.followUp);
      result.peakRssBytes = target.peakRssBytes();
      return { result, paid: countPaid(dbPath) };
    } finally {
      await target.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
