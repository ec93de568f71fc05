/**
 * packages/wechat's TokenStore on our database (PostgreSQL, or a SQLite file shared by processes on one host): every
 * instance reads the one access token, and the refresh lock is a row lease taken by a conditional upsert, so exactly
 * one instance refreshes while the others wait for its token. A lock holder that dies lets the lease run out.
 * Times are the instances' clocks (keep them in sync, as NTP does); the TTLs involved are seconds to hours.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoredToken, TokenLockRelease, TokenStore } from '@wxpay-kit/wechat';
import type { Database } from '../store/schema.js';

function isStoredToken(value: unknown): value is StoredToken {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.token === 'string' && typeof v.expiresAt === 'number';
}

export class SqlTokenStore implements TokenStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(key: string): Promise<StoredToken | undefined> {
    const row = await this.db
      .selectFrom('token_store')
      .select(['value_json', 'value_until'])
      .where('key', '=', key)
      .executeTakeFirst();
    if (row?.value_json == null || row.value_until == null || Number(row.value_until) <= this.clock()) return undefined;
    const parsed: unknown = JSON.parse(row.value_json);
    return isStoredToken(parsed) ? parsed : undefined;
  }

  async set(key: string, value: StoredToken, ttlSeconds: number): Promise<void> {
    const valueJson = JSON.stringify({ token: value.token, expiresAt: value.expiresAt });
    const until = this.clock() + ttlSeconds * 1000;
    await this.db
      .insertInto('token_store')
      .values({ key, value_json: valueJson, value_until: until, lock_owner: null, lock_until: null })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value_json: valueJson, value_until: until }))
      .execute();
  }

  async lock(key: string, ttlMs: number): Promise<TokenLockRelease | undefined> {
    const owner = randomUUID();
    const now = this.clock();
    const result = await this.db
      .insertInto('token_store')
      .values({ key, value_json: null, value_until: null, lock_owner: owner, lock_until: now + ttlMs })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ lock_owner: owner, lock_until: now + ttlMs })
          .where((eb) => eb.or([eb('token_store.lock_until', 'is', null), eb('token_store.lock_until', '<=', now)])),
      )
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1) return undefined;
    return async () => {
      // Only our own hold: after it ran out someone else may have taken the lock.
      await this.db.updateTable('token_store').set({ lock_owner: null, lock_until: null }).where('key', '=', key).where('lock_owner', '=', owner).execute();
    };
  }
}
