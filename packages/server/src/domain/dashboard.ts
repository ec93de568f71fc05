/**
 * The console's dashboard: which instants make up "the last N days, China time" (Asia/Shanghai has no daylight saving
 * time, so a China day is a fixed UTC+8 window), and the store's sparse day buckets turned into a complete series.
 * Everything is integer fen and counts; the clock is the injected one, passed in as `now`.
 */
import { chinaDate, chinaDayRange } from '../jobs/bill-reconciliation.js';
import type { AdminStats, StatsWindow } from '../ports/admin-store.js';

export const CHINA_UTC_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** The China days ending today (inclusive): `days` of them, oldest first, with their [start, end) in ms. */
export function chinaWindow(now: number, days: number): StatsWindow & { dates: string[] } {
  const today = chinaDate(now);
  const first = chinaDate(chinaDayRange(today).start - (days - 1) * DAY_MS);
  const start = chinaDayRange(first).start;
  const end = chinaDayRange(today).end;
  const dates: string[] = [];
  for (let t = start; t < end; t += DAY_MS) dates.push(chinaDate(t));
  return { start, end, utcOffsetMs: CHINA_UTC_OFFSET_MS, dates };
}

/** The `YYYY-MM-DD` of a store day index (floor((ms + offset) / day)). */
export function dateOfDayIndex(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Nearest-rank percentile of an ascending list; undefined when it is empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export type DaySeries = { date: string; created: number; paid: number; revenueFen: number; refundedFen: number }[];

/** Every date of the window, zeros where the store had nothing. */
export function fillDays(dates: readonly string[], days: AdminStats['days']): DaySeries {
  const byDate = new Map(days.map((d) => [dateOfDayIndex(d.day), d]));
  return dates.map((date) => {
    const d = byDate.get(date);
    return { date, created: d?.created ?? 0, paid: d?.paid ?? 0, revenueFen: d?.revenueFen ?? 0, refundedFen: d?.refundedFen ?? 0 };
  });
}
