/**
 * A merchant as data (issue 16, docs/adr/0015): one mini program and the WeChat Pay account it is paid to, direct or as
 * a sub-merchant of a service provider (服务商), on API v2 or v3. Public fields and secrets are kept apart from the
 * start: `secrets` is sealed at rest (merchant-vault.ts) and never leaves the server; `summary()` is all any API shows.
 */
import { z } from 'zod';

export type PayMode = 'direct' | 'partner';

/** Everything secret about a merchant: sealed as one value, never returned, never logged. */
export type MerchantSecrets = {
  /** The mini program's AppSecret (code2Session, access tokens). */
  appSecret: string;
  /** v2 API key (partner: the provider's). */
  apiKey?: string | undefined;
  /** v3 APIv3 key (partner: the provider's). */
  apiV3Key?: string | undefined;
  /** v3 merchant API private key, PEM (partner: the provider's). */
  privateKeyPem?: string | undefined;
  /** v2 refunds: the API client certificate and key, PEM. */
  clientCertPem?: string | undefined;
  clientKeyPem?: string | undefined;
};

/** Public, non-secret settings of the keys (serials, public keys, modes). */
export type MerchantSettings = {
  /** v3: the merchant API certificate serial (partner: the provider's). */
  certSerial?: string | undefined;
  /** v3 public-key mode: PUB_KEY_ID_… and the WeChat Pay public key, PEM. */
  publicKeyId?: string | undefined;
  publicKeyPem?: string | undefined;
  /** v3: verify with downloaded platform certificates. */
  platformCertificates?: boolean | undefined;
  /** Partner: the provider's own appid (sp_appid). */
  spAppid?: string | undefined;
};

export type Merchant = {
  id: string;
  name: string;
  /** The mini program users pay in (direct: appid; partner: sub_appid); POST /api/login {appid} names it. */
  appid: string;
  /** The account that signs (direct: the merchant's mchid; partner: the provider's sp_mchid). */
  mchid: string;
  apiVersion: 'v2' | 'v3';
  payMode: PayMode;
  /** Partner only: the sub-merchant's mchid. */
  subMchid?: string | undefined;
  settings: MerchantSettings;
  secrets: MerchantSecrets;
  createdAt: number;
};

/** What GET /admin/merchants shows: no secret, not even whether one is set beyond what the mode requires. */
export type MerchantSummary = Pick<Merchant, 'id' | 'name' | 'appid' | 'mchid' | 'apiVersion' | 'payMode' | 'subMchid'> & {
  spAppid?: string | undefined;
  /** Where WeChat sends this merchant's notifications (paths under PUBLIC_URL). */
  notifyPaths: { payment: string; refund: string };
  /** The merchant of the environment variables. */
  isDefault: boolean;
};

const id = z.string().min(1).max(32).regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -');
const appid = z.string().regex(/^wx[0-9a-f]{16}$/i, 'a mini-program appid: wx + 16 hex characters');
const mchid = z.string().regex(/^\d{6,20}$/, 'digits');
const pem = (what: string) => z.string().min(64).max(16_384).includes('-----BEGIN', { message: `${what}: a PEM` });

/**
 * POST /admin/merchants. The credentials a mode and version need are required here, not discovered at the first
 * payment: a v2 merchant needs its API key, a v3 one its APIv3 key, private key and serial, and a public key or
 * platform certificates; a partner needs the provider's sp_appid and the sub_mchid.
 */
export const merchantInput = z
  .strictObject({
    id,
    name: z.string().trim().min(1).max(80),
    appid,
    appSecret: z.string().min(16).max(64),
    mchid,
    apiVersion: z.enum(['v2', 'v3']),
    payMode: z.enum(['direct', 'partner']).default('direct'),
    spAppid: appid.optional().describe('partner: the provider\'s appid (sp_appid)'),
    subMchid: mchid.optional().describe('partner: the sub-merchant'),
    apiKey: z.string().length(32).optional().describe('v2'),
    apiV3Key: z.string().length(32).optional().describe('v3'),
    privateKeyPem: pem('privateKeyPem').optional().describe('v3'),
    certSerial: z.string().regex(/^[0-9A-Fa-f]{8,40}$/).optional().describe('v3'),
    publicKeyId: z.string().min(1).max(64).optional().describe('v3 public-key mode'),
    publicKeyPem: pem('publicKeyPem').optional().describe('v3 public-key mode'),
    platformCertificates: z.boolean().optional().describe('v3: download platform certificates'),
    clientCertPem: pem('clientCertPem').optional().describe('v2 refunds'),
    clientKeyPem: pem('clientKeyPem').optional().describe('v2 refunds'),
  })
  .superRefine((m, ctx) => {
    const need = (field: keyof typeof m, why: string) => {
      if (m[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required ${why}` });
    };
    if (m.apiVersion === 'v2') need('apiKey', 'for apiVersion v2');
    if (m.apiVersion === 'v3') {
      need('apiV3Key', 'for apiVersion v3');
      need('privateKeyPem', 'for apiVersion v3');
      need('certSerial', 'for apiVersion v3');
      if ((m.publicKeyId === undefined) !== (m.publicKeyPem === undefined)) ctx.addIssue({ code: 'custom', path: ['publicKeyPem'], message: 'publicKeyId and publicKeyPem go together' });
      if (m.publicKeyId === undefined && m.platformCertificates !== true) ctx.addIssue({ code: 'custom', path: ['publicKeyId'], message: 'v3 needs publicKeyId + publicKeyPem or platformCertificates: true' });
    }
    if (m.payMode === 'partner') {
      need('spAppid', 'for payMode partner');
      need('subMchid', 'for payMode partner');
    } else if (m.subMchid !== undefined || m.spAppid !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['subMchid'], message: 'subMchid and spAppid are for payMode partner only' });
    }
  });

export type MerchantInput = z.infer<typeof merchantInput>;

export function merchantFromInput(input: MerchantInput, now: number): Merchant {
  return {
    id: input.id,
    name: input.name,
    appid: input.appid,
    mchid: input.mchid,
    apiVersion: input.apiVersion,
    payMode: input.payMode,
    subMchid: input.subMchid,
    settings: { certSerial: input.certSerial?.toUpperCase(), publicKeyId: input.publicKeyId, publicKeyPem: input.publicKeyPem, platformCertificates: input.platformCertificates, spAppid: input.spAppid },
    secrets: { appSecret: input.appSecret, apiKey: input.apiKey, apiV3Key: input.apiV3Key, privateKeyPem: input.privateKeyPem, clientCertPem: input.clientCertPem, clientKeyPem: input.clientKeyPem },
    createdAt: now,
  };
}

/** The notify paths of a merchant; the default merchant keeps the paths of the one-merchant setup. */
export function notifyPaths(merchantId: string, isDefault: boolean): { payment: string; refund: string } {
  const base = isDefault ? '/wxpay/notify' : `/wxpay/notify/${merchantId}`;
  return { payment: `${base}/payment`, refund: `${base}/refund` };
}

export function summarize(m: Pick<Merchant, 'id' | 'name' | 'appid' | 'mchid' | 'apiVersion' | 'payMode' | 'subMchid' | 'settings'>, isDefault: boolean): MerchantSummary {
  return {
    id: m.id,
    name: m.name,
    appid: m.appid,
    mchid: m.mchid,
    apiVersion: m.apiVersion,
    payMode: m.payMode,
    ...(m.subMchid === undefined ? {} : { subMchid: m.subMchid }),
    ...(m.settings.spAppid === undefined ? {} : { spAppid: m.settings.spAppid }),
    notifyPaths: notifyPaths(m.id, isDefault),
    isDefault,
  };
}
