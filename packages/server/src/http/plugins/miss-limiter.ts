/**
 * Counts one kind of failure per key in fixed windows: GET /api/orders/:orderId answering 404 (an unknown id, or
 * someone else's) is cheap for a prober and says nothing useful to an honest client, so after `max` misses in a window
 * that user gets 429 until the window ends. In memory, per instance (like the other rate limits); the clock is injected.
 */
export type MissLimit = { max: number; timeWindow: number };

export class MissLimiter {
  private readonly windows = new Map<string, { start: number; misses: number }>();

  constructor(
    private readonly limit: MissLimit,
    private readonly now: () => number,
    /** Keys kept at most; the oldest windows are dropped first, so memory stays bounded whatever the traffic. */
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until `key` may try again, or 0 when it is not blocked. */
  blockedFor(key: string): number {
    const window = this.current(key);
    if (window === undefined || window.misses < this.limit.max) return 0;
    return window.start + this.limit.timeWindow - this.now();
  }

  miss(key: string): void {
    const window = this.current(key) ?? { start: this.now(), misses: 0 };
    window.misses += 1;
    this.windows.delete(key);
    this.windows.set(key, window);
    if (this.windows.size > this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }

  private current(key: string): { start: number; misses: number } | undefined {
    const window = this.windows.get(key);
    if (window === undefined) return undefined;
    if (this.now() - window.start >= this.limit.timeWindow) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }
}
