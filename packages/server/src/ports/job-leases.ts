/**
 * A named lease: at most one holder at a time, until it releases or its time runs out. Singleton background jobs take
 * one per run, so N instances do not all page through the same rows and call WeChat for them; a holder that dies
 * (kill -9) simply lets the lease run out and another instance takes over.
 */
export interface JobLeases {
  /** Take `name` until `now + ttlMs` when it is free, expired, or already `holder`'s. */
  acquire(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Give it back (only when still `holder`'s). */
  release(name: string, holder: string): Promise<void>;
}
