/**
 * RFC 3339 times as WeChat Pay v3 writes them: second precision, explicit offset (`2018-06-08T10:34:56+08:00`).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 date-time with a mandatory offset; undefined if it is not one (or not a real date). */
export function parseRfc3339(value: string): number | undefined {
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2024-02-30 over to March; require the fields to survive a round trip.
  const offset = m[8] === 'Z' ? 0 : (m[8]!.startsWith('-') ? -1 : 1) * (Number(m[8]!.slice(1, 3)) * 60 + Number(m[8]!.slice(4, 6)));
  const local = new Date(ms + offset * 60_000);
  if (
    local.getUTCFullYear() !== Number(y) || local.getUTCMonth() + 1 !== Number(mo) || local.getUTCDate() !== Number(d) ||
    local.getUTCHours() !== Number(h) || local.getUTCMinutes() !== Number(mi) || local.getUTCSeconds() !== Number(s)
  ) {
    return undefined;
  }
  return ms;
}

/** Formats epoch milliseconds as WeChat does, in Beijing time: `2026-11-26T18:00:00+08:00`. */
export function formatRfc3339Beijing(ms: number): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + 8 * 3600_000);
  return `${local.toISOString().slice(0, 19)}+08:00`;
}
