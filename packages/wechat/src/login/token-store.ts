/** A token and the moment (epoch ms) WeChat stops honouring it. */
export type StoredToken = { token: string; expiresAt: number };

/** Releases a lock taken with TokenStore.lock. */
export type TokenLockRelease = () => Promise<void>;

/**
 * Where access tokens are shared between processes. WeChat invalidates the previous token whenever a new one is
 * fetched, so every process of one appid must read the same token, and only one may refresh it at a time.
 * Implement it over Redis or PostgreSQL; MemoryTokenStore serves one process.
 */
export interface TokenStore {
  get(key: string): Promise<StoredToken | undefined>;
  set(key: string, value: StoredToken, ttlSeconds: number): Promise<void>;
  /**
   * Take the refresh lock for `key` for at most `ttlMs` (so a crashed holder cannot block forever). Resolve to a
   * release function, or to undefined when another holder has it. Without `lock`, refreshes are single-flight only
   * within this process.
   */
  lock?(key: string, ttlMs: number): Promise<TokenLockRelease | undefined>;
}

/** An in-process TokenStore (one process per appid, or tests). Expiry is by the injected clock. */
export class MemoryTokenStore implements TokenStore {
  private readonly values = new Map<string, { value: StoredToken; until: number }>();
  private readonly locks = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  async get(key: string): Promise<StoredToken | undefined> {
    const entry = this.values.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.clock()) {
      this.values.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: StoredToken, ttlSeconds: number): Promise<void> {
    this.values.set(key, { value, until: this.clock() + ttlSeconds * 1000 });
  }

  async lock(key: string, ttlMs: number): Promise<TokenLockRelease | undefined> {
    const now = this.clock();
    const heldUntil = this.locks.get(key);
    if (heldUntil !== undefined && heldUntil > now) return undefined;
    const until = now + ttlMs;
    this.locks.set(key, until);
    return async () => {
      // Only release our own hold, not one taken after ours expired.
      if (this.locks.get(key) === until) this.locks.delete(key);
    };
  }
}
