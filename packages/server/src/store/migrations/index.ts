/** Numbered migrations, applied in order at start-up. Add a file, add a line; never edit a released one. */
import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './0001-initial.js';
import { leasesAndTokens } from './0002-leases-and-tokens.js';
import { oneOpenAttempt } from './0003-one-open-attempt.js';
import { reconciliation } from './0004-reconciliation.js';
import { notificationRetention } from './0005-notification-retention.js';
import { shipping } from './0006-shipping.js';
import { refusalSamples } from './0007-refusal-samples.js';
import { adminActions } from './0008-admin-actions.js';
import { merchants } from './0009-merchants.js';
import { unpaidOrdersIndex } from './0010-unpaid-orders-index.js';

export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-leases-and-tokens': leasesAndTokens,
  '0003-one-open-attempt': oneOpenAttempt,
  '0004-reconciliation': reconciliation,
  '0005-notification-retention': notificationRetention,
  '0006-shipping': shipping,
  '0007-refusal-samples': refusalSamples,
  '0008-admin-actions': adminActions,
  '0009-merchants': merchants,
  '0010-unpaid-orders-index': unpaidOrdersIndex,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
