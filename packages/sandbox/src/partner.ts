import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { kindOf, merchantSchema, withV3Keys } from './merchants.js';
import { randomDigits } from './state/ids.js';
import type { SandboxStore } from './state/store.js';
import type { PartnerOf, SandboxMerchant, SandboxOrder, V3KeyMode } from './state/types.js';

/**
 * Partner (服务商) mode in the sandbox. A provider is a merchant whose keys sign partner calls; a sub-merchant (特约商户)
 * belongs to one provider and is bound to one mini program (its sub_appid). Partner orders are stored under the
 * sub-merchant's mchid (so per-sub-merchant lookups, bills and the control API's filters work as for direct orders)
 * and remember the provider in `partner`; everything WeChat signs or encrypts for them uses the provider's keys.
 */

export const addMerchantSchema = z
  .object({
    kind: z.enum(['direct', 'provider', 'sub']),
    name: z.string().min(1).max(64),
    apiVersions: z.array(z.enum(['v2', 'v3'])).min(1).max(2).optional(),
    /** kind 'sub': the provider's id as GET /sandbox/merchants lists it. */
    providerId: z.string().min(1).max(32).optional(),
    /** The mini program's appid (default: a fresh one). For a sub-merchant: its sub_appid. */
    appid: z.string().regex(/^[A-Za-z0-9_]{1,32}$/).optional(),
  })
  .strict()
  .refine((b) => (b.kind === 'sub') === (b.providerId !== undefined), {
    message: 'providerId is required for kind sub, and only for it',
    path: ['providerId'],
  });

export type AddMerchantInput = z.infer<typeof addMerchantSchema>;

function key32(): string {
  return randomBytes(16).toString('hex');
}

export type CreateMerchantResult =
  | { ok: true; merchant: SandboxMerchant }
  | { ok: false; status: number; code: string; message: string };

export function createMerchant(store: SandboxStore, input: AddMerchantInput): CreateMerchantResult {
  if (input.kind === 'sub') {
    const provider = store.merchantByMchid(input.providerId ?? '');
    if (provider === undefined || kindOf(provider) !== 'provider') {
      return { ok: false, status: 404, code: 'UNKNOWN_PROVIDER', message: 'providerId names no provider merchant' };
    }
  }
  if (input.appid !== undefined && store.merchantByAppid(input.appid) !== undefined) {
    return { ok: false, status: 409, code: 'APPID_TAKEN', message: 'a merchant with this appid exists already' };
  }
  let mchid = `16${randomDigits(8)}`;
  while (store.merchantByMchid(mchid) !== undefined) mchid = `16${randomDigits(8)}`;
  let appid = input.appid ?? `wx${randomBytes(8).toString('hex')}`;
  while (input.appid === undefined && store.merchantByAppid(appid) !== undefined) appid = `wx${randomBytes(8).toString('hex')}`;
  const merchant = merchantSchema.parse({
    name: input.name,
    kind: input.kind,
    ...(input.providerId === undefined ? {} : { providerId: input.providerId }),
    ...(input.apiVersions === undefined ? {} : { apiVersions: [...new Set(input.apiVersions)] }),
    appid,
    secret: key32(),
    mchid,
    apiKey: key32(),
    apiV3Key: key32(),
  }) as SandboxMerchant;
  return { ok: true, merchant: withV3Keys(merchant) };
}

/** One merchant as GET /sandbox/merchants lists it: the stored credentials plus id, kind and API versions. */
export function merchantView(m: SandboxMerchant, v3KeyMode: V3KeyMode, wechatpaySerials: string[]): Record<string, unknown> {
  return {
    ...m,
    id: m.mchid,
    kind: kindOf(m),
    apiVersions: m.apiVersions ?? ['v2', 'v3'],
    v3KeyMode,
    wechatpaySerials,
  };
}

/** A partner call's refusal: WeChat's code (v2 err_code, v3 code) and message. Mapped to each protocol by its caller. */
export class PartnerRefusal extends Error {
  constructor(
    readonly v2Code: string,
    readonly v3Status: number,
    readonly v3Code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a partner call resolved to: the provider that signed it and the sub-merchant it is for. */
export type PartnerCall = { provider: SandboxMerchant; sub: SandboxMerchant; subAppid: string | undefined };

/**
 * The checks WeChat makes on a partner call's identities, in this order: the caller is a provider, the sub-merchant
 * exists and is bound to it, and a sub_appid given is the sub-merchant's mini program. Codes marked UNCONFIRMED in
 * the README where no official table was found.
 */
export function resolvePartner(
  store: SandboxStore,
  provider: SandboxMerchant,
  subMchid: string | undefined,
  subAppid: string | undefined,
): PartnerCall {
  if (kindOf(provider) !== 'provider') {
    throw new PartnerRefusal('NOAUTH', 403, 'NO_AUTH', '商户号不是服务商，无服务商模式权限');
  }
  if (subMchid === undefined || subMchid === '') throw new PartnerRefusal('LACK_PARAMS', 400, 'PARAM_ERROR', '缺少参数sub_mch_id');
  const sub = store.merchantByMchid(subMchid);
  if (sub === undefined || kindOf(sub) !== 'sub' || sub.providerId !== provider.mchid) {
    throw new PartnerRefusal('NOAUTH', 403, 'NO_AUTH', '特约子商户商户号未授权服务商的产品权限');
  }
  if (subAppid !== undefined && subAppid !== sub.appid) {
    throw new PartnerRefusal('INVALID_REQUEST', 400, 'INVALID_REQUEST', 'sub_mch_id与sub_appid不匹配');
  }
  return { provider, sub, subAppid };
}

/** A partner order is visible to a call only through its own provider and sub-merchant. */
export function belongsTo(order: { partner?: PartnerOf; mchid: string }, call: PartnerCall): boolean {
  return order.partner !== undefined && order.partner.spMchid === call.provider.mchid && order.mchid === call.sub.mchid;
}

/** A direct call must not reach partner orders, and a sub-merchant cannot call WeChat Pay itself. */
export function refuseNonDirect(merchant: SandboxMerchant): void {
  if (kindOf(merchant) === 'provider') throw new PartnerRefusal('LACK_PARAMS', 400, 'PARAM_ERROR', '服务商模式下缺少参数sub_mch_id');
  if (kindOf(merchant) === 'sub') throw new PartnerRefusal('NOAUTH', 403, 'NO_AUTH', '特约商户请通过服务商调用支付接口');
}

/** The merchant whose keys WeChat uses for an order: the provider for partner orders, else the order's merchant. */
export function signingMerchantOf(store: SandboxStore, order: Pick<SandboxOrder, 'mchid' | 'partner'>): SandboxMerchant | undefined {
  return store.merchantByMchid(order.partner?.spMchid ?? order.mchid);
}
