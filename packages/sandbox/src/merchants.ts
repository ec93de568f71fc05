import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { generateV3MerchantIdentity } from '@wxpay-kit/wechat/testing';
import { messagePushSchema } from './message-push.js';
import type { SandboxMerchant } from './state/types.js';
import { DEMO_MERCHANT_CERT_SERIAL, DEMO_MERCHANT_PRIVATE_KEY_PEM, DEMO_MERCHANT_PUBLIC_KEY_PEM } from './v3-demo-key.js';

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
    // v3 (all optional: a merchant without a key pair gets a fresh one, see withV3Keys).
    merchantCertSerial: z.string().regex(/^[0-9A-Fa-f]{8,64}$/).optional(),
    merchantPublicKey: z.string().includes('-----BEGIN').optional(),
    merchantPrivateKey: z.string().includes('-----BEGIN').optional(),
    v3KeyMode: z.enum(['certificate', 'publicKey', 'migrating']).optional(),
    kind: z.enum(['direct', 'provider', 'sub']).optional(),
    providerId: z.string().regex(/^\d{1,32}$/).optional(),
    apiVersions: z.array(z.enum(['v2', 'v3'])).min(1).optional(),
    messagePush: messagePushSchema.optional(),
  })
  .passthrough()
  .refine((m) => (m.merchantPublicKey === undefined) === (m.merchantCertSerial === undefined), {
    message: 'merchantPublicKey and merchantCertSerial go together',
  })
  .refine((m) => (m.kind === 'sub') === (m.providerId !== undefined), { message: 'providerId is required for, and only for, kind sub' });

/**
 * Gives a merchant its v3 identity when it has none: the demo merchant the published test key pair (so a sandbox
 * started on its own has a usable v3 demo merchant), any other a fresh key pair whose private key is listed by
 * GET /sandbox/merchants (fresh on every start unless configured). A configured public key must parse.
 */
export function withV3Keys(m: SandboxMerchant): SandboxMerchant {
  const keyMode = m.v3KeyMode ?? 'publicKey';
  if (m.merchantPublicKey !== undefined && m.merchantCertSerial !== undefined) {
    createPublicKey(m.merchantPublicKey);
    return { ...m, merchantCertSerial: m.merchantCertSerial.toUpperCase(), v3KeyMode: keyMode };
  }
  if (m.mchid === DEMO_MERCHANT.mchid) {
    return {
      ...m,
      merchantCertSerial: DEMO_MERCHANT_CERT_SERIAL,
      merchantPublicKey: DEMO_MERCHANT_PUBLIC_KEY_PEM,
      merchantPrivateKey: DEMO_MERCHANT_PRIVATE_KEY_PEM,
      v3KeyMode: keyMode,
    };
  }
  const identity = generateV3MerchantIdentity();
  return {
    ...m,
    merchantCertSerial: identity.serialNo,
    merchantPublicKey: identity.publicKeyPem,
    merchantPrivateKey: identity.privateKeyPem,
    v3KeyMode: keyMode,
  };
}

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
  return (demoReplaced ? list : [{ ...DEMO_MERCHANT }, ...list]).map(withV3Keys);
}

export function kindOf(m: SandboxMerchant): 'direct' | 'provider' | 'sub' {
  return m.kind ?? 'direct';
}

export function supportsApi(m: SandboxMerchant, protocol: 'v2' | 'v3'): boolean {
  return m.apiVersions === undefined || m.apiVersions.includes(protocol);
}
