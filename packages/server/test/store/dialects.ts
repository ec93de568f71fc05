/**
 * The storage suite runs once per dialect. Adding PostgreSQL is one entry here (open a fresh schema, return a Store).
 */
import type { Store } from '../../src/ports/store.js';
import { openStore } from '../../src/store/open.js';
import { postgresDialectEntry } from '../helpers/postgres.js';

export type Dialect = { name: string; open(): Promise<Store> };

// PostgreSQL: a fresh schema per store, dropped on close. Required under CI=true (see helpers/postgres.ts).
const postgres = await postgresDialectEntry();

export const DIALECTS: Dialect[] = [
  { name: 'sqlite', open: () => openStore({ kind: 'sqlite', path: ':memory:' }) },
  ...(postgres === undefined ? [] : [postgres]),
];
