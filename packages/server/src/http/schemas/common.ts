import { z } from 'zod';

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).describe('Error');

export const payParamsSchema = z
  .object({ timeStamp: z.string(), nonceStr: z.string(), package: z.string(), signType: z.string(), paySign: z.string() })
  .describe('Exactly what wx.requestPayment takes');
