/**
 * `wxpay-kit products import <file.csv|file.json>`: a catalogue from a file, all or nothing. Every row is checked
 * with the admin API's own product schema (sku alphabet, name, price) before anything is written; one bad row, or a
 * sku twice, and nothing changes. Then one transaction adds the new skus and updates the existing ones (name, price,
 * back on sale).
 *   CSV:  a header `sku,name,price` (any order; extra columns refused), prices in yuan as people write them (12.50).
 *   JSON: `[{"sku","name","price"}]` or `{"products":[…]}` (what GET /admin/products answers), prices in fen.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Product } from '../domain/pricing.js';
import { createProductBody } from '../http/schemas/admin-products.js';
import { CommandFailed, UsageError } from './commands.js';
import type { CommandOptions } from './commands.js';
import type { Operator } from './operate.js';
import { formatFen, parseYuan } from '../domain/yuan.js';

type Out = (text: string) => void;

const CSV_COLUMNS = ['sku', 'name', 'price'];

/** Rows of the file as the API would receive them (price in fen); a UsageError names the first bad row. */
export function parseCatalogue(file: string, text: string): Array<{ sku: string; name: string; price: number }> {
  const ext = extname(file).toLowerCase();
  let rows: Array<{ where: string; value: unknown }>;
  if (ext === '.csv') {
    let records: Record<string, string>[];
    try {
      records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
    } catch (error) {
      throw new UsageError(`${file}: not CSV (${error instanceof Error ? error.message : 'parse error'})`);
    }
    const header = Object.keys(records[0] ?? {});
    const unknown = header.filter((c) => !CSV_COLUMNS.includes(c));
    if (records.length > 0 && (unknown.length > 0 || CSV_COLUMNS.some((c) => !header.includes(c)))) {
      throw new UsageError(`${file}: the header must be exactly sku,name,price (got ${header.join(',')})`);
    }
    rows = records.map((r, i) => {
      const fen = parseYuan(r.price ?? '');
      if (fen === undefined) throw new UsageError(`${file} line ${i + 2}: price ${JSON.stringify(r.price ?? '')} is not an amount in yuan with at most two decimals (e.g. 12.50)`);
      return { where: `line ${i + 2}`, value: { sku: r.sku, name: r.name, price: fen } };
    });
  } else if (ext === '.json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new UsageError(`${file}: not valid JSON`);
    }
    const list = Array.isArray(data) ? data : z.object({ products: z.array(z.unknown()) }).safeParse(data).data?.products;
    if (list === undefined) throw new UsageError(`${file}: expected an array of {sku, name, price} (price in fen) or {"products": [...]}`);
    // The listing's `active` is not ours to import: an imported product is on sale.
    rows = list.map((value, i) => ({ where: `item ${i + 1}`, value: typeof value === 'object' && value !== null ? { ...(value as object), active: undefined } : value }));
  } else {
    throw new UsageError(`${file}: a .csv (prices in yuan) or .json (prices in fen) file`);
  }
  const products: Array<{ sku: string; name: string; price: number }> = [];
  const seen = new Set<string>();
  for (const { where, value } of rows) {
    const clean = typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) : value;
    const parsed = createProductBody.safeParse(clean);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`${file} ${where}: ${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid'}`);
    }
    if (seen.has(parsed.data.sku)) throw new UsageError(`${file} ${where}: sku ${parsed.data.sku} appears twice`);
    seen.add(parsed.data.sku);
    products.push(parsed.data);
  }
  if (products.length === 0) throw new UsageError(`${file}: no products`);
  return products;
}

export async function importProducts(op: Operator, file: string, o: CommandOptions, out: Out): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const rows = parseCatalogue(file, text);
  const admin = op.app.wxpay.adminStore;
  if (admin === undefined) throw new CommandFailed('the catalogue needs the SQL store');
  const products: Product[] = rows.map((r) => ({ sku: r.sku, name: r.name, priceFen: r.price, active: true }));
  const result = await admin.importProducts(products, op.app.wxpay.clock.now());
  op.app.log.info({ who: 'admin', what: 'products.imported', file, created: result.created, updated: result.updated }, 'admin: products imported');
  if (o.json) return out(JSON.stringify({ created: result.created, updated: result.updated, products: rows }));
  const lines = rows.map((r) => `${result.created.includes(r.sku) ? 'added  ' : 'updated'} ${r.sku.padEnd(20)} ${formatFen(r.price).padStart(10)} yuan  ${r.name}`);
  lines.push(`${result.created.length} added, ${result.updated.length} updated`);
  return out(lines.join('\n'));
}
