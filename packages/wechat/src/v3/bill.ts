import { WxPayProtocolError } from '../errors.js';

/**
 * WeChat bills (v3 tradebill / fundflowbill, same layout as v2 downloadbill): a header line, detail rows whose every
 * value starts with a backtick (so spreadsheets keep long numbers as text), then a summary header and one summary
 * row. Amounts are in yuan with two decimals, kept as text; convert with the exact yuanToFen (v2 bill module).
 */
export type V3Bill = {
  header: string[];
  rows: Record<string, string>[];
  summaryHeader: string[];
  summary: Record<string, string>;
};

function splitRow(line: string): string[] {
  // Values start with a backtick; splitting on ",`" keeps commas inside product names intact.
  if (!line.startsWith('`')) return line.split(',');
  return line.slice(1).split(',`');
}

function zip(header: readonly string[], values: readonly string[], what: string): Record<string, string> {
  if (values.length !== header.length) throw new WxPayProtocolError(`bill ${what} has ${values.length} values for ${header.length} columns`);
  const row: Record<string, string> = {};
  header.forEach((name, i) => { row[name] = values[i]!; });
  return row;
}

export function parseBill(text: string): V3Bill {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim().length > 0);
  const headerLine = lines[0];
  if (headerLine === undefined || headerLine.startsWith('`')) throw new WxPayProtocolError('bill has no header line');
  const header = splitRow(headerLine).map((h) => h.trim());
  const rows: Record<string, string>[] = [];
  let i = 1;
  for (; i < lines.length && lines[i]!.startsWith('`'); i++) rows.push(zip(header, splitRow(lines[i]!), `row ${i}`));
  const summaryHeaderLine = lines[i];
  const summaryLine = lines[i + 1];
  if (summaryHeaderLine === undefined || summaryLine === undefined || lines.length !== i + 2) {
    throw new WxPayProtocolError('bill summary section is missing or malformed');
  }
  const summaryHeader = splitRow(summaryHeaderLine).map((h) => h.trim());
  return { header, rows, summaryHeader, summary: zip(summaryHeader, splitRow(summaryLine), 'summary') };
}
