// Small statistics helpers for the report: medians across runs and a least-squares slope for the memory check.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Ordinary least squares y = a + b·x; returns the slope b, its standard error and r². */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number; slopeStdErr: number } {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: 0, intercept: ys[0] ?? 0, r2: 0, slopeStdErr: Number.NaN };
  let sx = 0, sy = 0;
  for (let i = 0; i < n; i++) { sx += xs[i] ?? 0; sy += ys[i] ?? 0; }
  const mx = sx / n, my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx, dy = (ys[i] ?? 0) - my;
    sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += ((ys[i] ?? 0) - intercept - slope * (xs[i] ?? 0)) ** 2;
  const slopeStdErr = n > 2 && sxx > 0 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.NaN;
  return { slope, intercept, r2: sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy), slopeStdErr };
}

export function formatOps(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return 'n/a';
  if (opsPerSec >= 100_000) return `${Math.round(opsPerSec / 1000)}k`;
  if (opsPerSec >= 10_000) return `${(opsPerSec / 1000).toFixed(1)}k`;
  return String(Math.round(opsPerSec));
}
