/**
 * packages/wechat's TokenStore on Redis (REDIS_URL): the token under its key with a TTL (PX), the refresh lock under
 * `<key>:lock` taken with SET NX PX (expires by itself if the holder dies) and released by a compare-and-delete script,
 * so a holder whose lock ran out never releases someone else's.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { StoredToken, TokenLockRelease, TokenStore } from '@wxpay-kit/wechat';

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class RedisTokenStore implements TokenStore {
  constructor(
    private readonly redis: Redis,
    /** Prefix of every key, e.g. per environment. */
    private readonly prefix = 'wxpay-kit:',
  ) {}

  async get(key: string): Promise<StoredToken | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const v = parsed as Record<string, unknown>;
    return typeof v.token === 'string' && typeof v.expiresAt === 'number' ? { token: v.token, expiresAt: v.expiresAt } : undefined;
  }

  async set(key: string, value: StoredToken, ttlSeconds: number): Promise<void> {
    const ttlMs = Math.max(1, Math.floor(ttlSeconds * 1000));
    await this.redis.set(this.prefix + key, JSON.stringify({ token: value.token, expiresAt: value.expiresAt }), 'PX', ttlMs);
  }

  async lock(key: string, ttlMs: number): Promise<TokenLockRelease | undefined> {
    const lockKey = `${this.prefix}${key}:lock`;
    const owner = randomUUID();
    const ok = await this.redis.set(lockKey, owner, 'PX', Math.max(1, Math.floor(ttlMs)), 'NX');
    if (ok !== 'OK') return undefined;
    return async () => {
      await this.redis.eval(RELEASE, 1, lockKey, owner);
    };
  }
}
