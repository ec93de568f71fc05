/**
 * The storage suite runs once per dialect. Adding PostgreSQL is one entry here (open a fresh schema, return a Store).
 */
import type { Store } from '../../src/ports/store.js';
import { openStore } from '../../src/store/open.js';

export type Dialect = { name: string; open(): Promise<Store> };

export const DIALECTS: Dialect[] = [
  { name: 'sqlite', open: () => openStore({ kind: 'sqlite', path: ':memory:' }) },
];
