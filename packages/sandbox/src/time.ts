/**
 * WeChat Pay v2 speaks Beijing time (UTC+8, no daylight saving) in `yyyyMMddHHmmss`; v3 in RFC 3339 with +08:00.
 * All conversions live here.
 */

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;

function parts(ms: number): { y: string; mo: string; d: string; h: string; mi: string; s: string } {
  const t = new Date(ms + BEIJING_OFFSET_MS);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return {
    y: String(t.getUTCFullYear()),
    mo: pad(t.getUTCMonth() + 1),
    d: pad(t.getUTCDate()),
    h: pad(t.getUTCHours()),
    mi: pad(t.getUTCMinutes()),
    s: pad(t.getUTCSeconds()),
  };
}

/** yyyyMMddHHmmss in Beijing time. */
export function beijingCompact(ms: number): string {
  const p = parts(ms);
  return `${p.y}${p.mo}${p.d}${p.h}${p.mi}${p.s}`;
}

/** yyyy-MM-dd HH:mm:ss in Beijing time (refund success_time, bills). */
export function beijingDateTime(ms: number): string {
  const p = parts(ms);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/** yyyyMMdd in Beijing time (bill dates). */
export function beijingDate(ms: number): string {
  const p = parts(ms);
  return `${p.y}${p.mo}${p.d}`;
}

/** RFC 3339 with +08:00, as v3 writes times. */
export function beijingRfc3339(ms: number): string {
  const p = parts(ms);
  return `${p.y}-${p.mo}-${p.d}T${p.h}:${p.mi}:${p.s}+08:00`;
}

/** Parse yyyyMMddHHmmss (Beijing) strictly; undefined if malformed or not a real date. */
export function parseBeijingCompact(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS;
  // Reject rollovers like month 13 or 31 February.
  return beijingCompact(ms) === value ? ms : undefined;
}

/** Start (inclusive) and end (exclusive) of a Beijing calendar day given as yyyyMMdd. */
export function beijingDayRange(yyyymmdd: string): { start: number; end: number } | undefined {
  const start = parseBeijingCompact(`${yyyymmdd}000000`);
  if (start === undefined) return undefined;
  return { start, end: start + 24 * 3600 * 1000 };
}
