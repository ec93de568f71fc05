import { z } from 'zod';
import type { SandboxMerchant } from './state/types.js';

/**
 * The demo merchant every sandbox knows. Fixed values, so docs, the web demo and a developer's .env can name them;
 * they are sandbox credentials and worthless anywhere else.
 */
export const DEMO_MERCHANT: Readonly<SandboxMerchant> = Object.freeze({
  name: 'demo',
  appid: 'wx8888888888888888',
  secret: 'sandbox0demo0app0secret000000001',
  mchid: '1900000001',
  apiKey: 'sandbox0demo0apiv2key00000000001',
  apiV3Key: 'sandbox0demo0apiv3key00000000001',
});

export const merchantSchema = z
  .object({
    name: z.string().max(64).optional(),
    appid: z.string().regex(/^[A-Za-z0-9_]{1,32}$/),
    secret: z.string().min(1).max(64),
    mchid: z.string().regex(/^\d{1,32}$/),
    apiKey: z.string().min(1).max(64),
    // The APIv3 key is used as an AES-256 key: exactly 32 ASCII bytes.
    apiV3Key: z.string().regex(/^[\x21-\x7e]{32}$/),
  })
  .passthrough();

export const merchantsFileSchema = z.union([z.array(merchantSchema), z.object({ merchants: z.array(merchantSchema) })]);

/** The demo merchant plus the configured ones; a configured merchant replaces one with the same mchid or appid. */
export function resolveMerchants(configured: readonly SandboxMerchant[] | undefined): SandboxMerchant[] {
  const list = (configured ?? []).map((m) => merchantSchema.parse(m) as SandboxMerchant);
  const seen = new Set<string>();
  for (const m of list) {
    if (seen.has(`mch:${m.mchid}`) || seen.has(`app:${m.appid}`)) {
      throw new Error(`duplicate merchant mchid ${m.mchid} or appid ${m.appid}`);
    }
    seen.add(`mch:${m.mchid}`);
    seen.add(`app:${m.appid}`);
  }
  const demoReplaced = list.some((m) => m.mchid === DEMO_MERCHANT.mchid || m.appid === DEMO_MERCHANT.appid);
  return demoReplaced ? list : [{ ...DEMO_MERCHANT }, ...list];
}
