// Shared fixtures for the v3 tests: a fixed merchant key (test/fixtures/v3/merchant-key.pem, a public test key)
// and the sandbox platform key/certificate from src/v3/fixtures.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';

export const MERCHANT_KEY_PEM = readFileSync(new URL('../fixtures/v3/merchant-key.pem', import.meta.url), 'utf8');
export const MERCHANT_PUBLIC_KEY_PEM = createPublicKey(MERCHANT_KEY_PEM).export({ type: 'spki', format: 'pem' }).toString();
export const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
export const MCHID = '1900000001';
export const APPID = 'wx8888888888888888';
export const API_V3_KEY = '0123456789abcdef0123456789abcdef';

export function loadVector<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/v3/${name}`, import.meta.url), 'utf8')) as T;
}

/** A settable clock in milliseconds. */
export function fixedClock(ms: number): { now: () => number; set: (v: number) => void; advance: (s: number) => void } {
  let t = ms;
  return { now: () => t, set: (v) => { t = v; }, advance: (s) => { t += s * 1000; } };
}
