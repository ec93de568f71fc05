// Compares two V8 heap snapshots (v8.writeHeapSnapshot, each taken after a full GC) by what the retained objects are:
// self size per type and constructor, largest growth first. Used only when the memory target is missed, to say what
// grew.
import { readFileSync } from 'node:fs';

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

export type HeapGrowth = { what: string; countDelta: number; bytesDelta: number };

function aggregate(path: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] ?? 0] ?? '?';
    // Strings and code are grouped by type; objects and closures by constructor or function name.
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt] ?? 0] ?? '?' : '';
    const key = name === '' ? `(${type})` : `${name} (${type})`;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt] ?? 0;
    out.set(key, entry);
  }
  return out;
}

export function heapGrowth(before: string, after: string, top = 10): HeapGrowth[] {
  const a = aggregate(before);
  const b = aggregate(after);
  const rows: HeapGrowth[] = [];
  for (const [what, end] of b) {
    const start = a.get(what) ?? { count: 0, bytes: 0 };
    rows.push({ what, countDelta: end.count - start.count, bytesDelta: end.bytes - start.bytes });
  }
  return rows.sort((x, y) => y.bytesDelta - x.bytesDelta).slice(0, top);
}
