/** GET/POST /admin/merchants (issue 16): credentials go in, never come out. */
import { z } from 'zod';

export const adminMerchant = z
  .object({
    id: z.string(),
    name: z.string(),
    appid: z.string().describe('the mini program (partner: sub_appid)'),
    mchid: z.string().describe('direct: the merchant; partner: the provider (sp_mchid)'),
    apiVersion: z.enum(['v2', 'v3']),
    payMode: z.enum(['direct', 'partner']),
    subMchid: z.string().optional(),
    spAppid: z.string().optional(),
    notifyPaths: z.object({ payment: z.string(), refund: z.string() }),
    isDefault: z.boolean().describe('the merchant of the environment variables'),
  })
  .describe('AdminMerchant');

export const adminMerchantList = z.object({ merchants: z.array(adminMerchant) });
export const adminMerchantResponse = z.object({ merchant: adminMerchant });
