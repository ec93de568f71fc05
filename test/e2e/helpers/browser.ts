/**
 * A headless Chromium for the browser tests, with no system package needed: the system's /usr/bin/chromium when it
 * is there (preferred), otherwise the one from the npm registry, @sparticuz/chromium (a compressed
 * chrome-headless-shell, unpacked on first use to os.tmpdir()/chromium), driven by playwright-core either way.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for a quiet, offline headless browser in a container (root, no GPU, no background traffic). */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** chrome-headless-shell as @sparticuz/chromium builds it also needs no zygote process when run as root. */
const NPM_FLAGS = ['--no-zygote'];

export type ChromiumExecutable = { path: string; source: 'system' | 'npm' };

/**
 * Unpacks the npm Chromium once per machine. Several test processes may ask at the same time; a lock directory keeps
 * a second one from running a half-written binary.
 */
async function npmChromium(): Promise<string> {
  const { default: packaged } = await import('@sparticuz/chromium');
  const lock = join(tmpdir(), 'wxpay-kit-chromium.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for two minutes: remove it if no test is running`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await packaged.executablePath();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function chromiumExecutable(): Promise<ChromiumExecutable> {
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: 'system' };
  return { path: await npmChromium(), source: 'npm' };
}

export async function launchChromium(): Promise<{ browser: Browser; executable: ChromiumExecutable }> {
  const executable = await chromiumExecutable();
  const args = executable.source === 'npm' ? [...FLAGS, ...NPM_FLAGS] : FLAGS;
  const browser = await chromium.launch({ executablePath: executable.path, headless: true, args });
  return { browser, executable };
}
