/**
 * Which TokenStore the access-token manager shares: Redis when REDIS_URL is set, otherwise our database (every
 * instance on one PostgreSQL shares it), otherwise (an injected store of another kind) this process only.
 */
import { Redis } from 'ioredis';
import { MemoryTokenStore } from '@wxpay-kit/wechat';
import type { TokenStore } from '@wxpay-kit/wechat';
import type { AppConfig } from '../config.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { KyselyStore } from '../store/kysely-store.js';
import { RedisTokenStore } from './redis.js';
import { SqlTokenStore } from './sql.js';

export type SharedTokenStore = { tokenStore: TokenStore; kind: 'redis' | 'database' | 'memory'; close(): Promise<void> };

export function createSharedTokenStore(config: Pick<AppConfig, 'redisUrl'>, store: Store, clock: Clock): SharedTokenStore {
  if (config.redisUrl !== undefined) {
    // Commands fail after a few reconnect attempts instead of queueing forever: a token refresh must not hang a request.
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true });
    redis.on('error', () => {});
    return {
      tokenStore: new RedisTokenStore(redis),
      kind: 'redis',
      close: async () => {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  if (store instanceof KyselyStore) return { tokenStore: new SqlTokenStore(store.database, clock.now), kind: 'database', close: async () => {} };
  return { tokenStore: new MemoryTokenStore(clock.now), kind: 'memory', close: async () => {} };
}
