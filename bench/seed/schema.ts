// The seed comparator's database: the one table a tutorial keeps, filled with the same orders our server has.
import Database from 'better-sqlite3';

export function createSeedDatabase(path: string, orders: readonly { outTradeNo: string; totalFee: number }[]): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS orders (
      out_trade_no TEXT PRIMARY KEY, total_fee INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'NOTPAY', transaction_id TEXT
    )`);
    const insert = db.prepare('INSERT INTO orders (out_trade_no, total_fee) VALUES (?, ?)');
    db.transaction(() => { for (const o of orders) insert.run(o.outTradeNo, o.totalFee); })();
  } finally {
    db.close();
  }
}

export function countPaid(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM orders WHERE status = 'PAID'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}
