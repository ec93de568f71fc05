import { verifyV2Sign } from '@wxpay-kit/wechat';
import { verifyV3PaySign } from '@wxpay-kit/wechat/testing';
import { z } from 'zod';
import type { PaySignCheck, PaySignVerifier, SandboxContext } from './context.js';
import { signingMerchantOf } from './partner.js';

/**
 * The cashier: what happens between wx.requestPayment and the user's fingerprint. It takes exactly the parameters
 * wx.requestPayment takes plus the payer, checks what WeChat's client and cashier check (paySign, the prepay belongs
 * to this payer and this mini program and is still valid, the order is payable) and answers the errMsg the mini
 * program would see. "requestPayment:ok" is not proof of payment for the merchant; the notification and orderquery are.
 */

/**
 * Unknown keys are accepted and ignored, as wx.requestPayment ignores what it does not use (clients send `appId`,
 * which is part of the signed string, or callbacks and extras); only the keys below are read.
 */
export const requestPaymentSchema = z
  .object({
    timeStamp: z.string().min(1).max(32),
    nonceStr: z.string().min(1).max(64),
    package: z.string().min(1).max(128),
    signType: z.string().min(1).max(32),
    paySign: z.string().min(1).max(1024),
    /** The mini program that calls wx.requestPayment (defaults to the order's). */
    appid: z.string().min(1).max(32).optional(),
    /** The same, as many clients send it (the paySign's own spelling); when present it must be the prepay's appid. */
    appId: z.string().min(1).max(32).optional(),
    /** The user at the phone. */
    openid: z.string().min(1).max(128),
    /** What the user does: pay, close the cashier, or have the payment fail (e.g. insufficient balance). */
    action: z.enum(['pay', 'cancel', 'fail']),
  })
  .strip();

export type RequestPaymentInput = z.infer<typeof requestPaymentSchema>;

export type CashierAnswer = { errMsg: string };

const ok: CashierAnswer = { errMsg: 'requestPayment:ok' };
const fail = (reason: string): CashierAnswer => ({ errMsg: `requestPayment:fail ${reason}` });

/** paySign for v2 orders: WeChat's v2 signature over appId, nonceStr, package, signType, timeStamp. */
export const v2PaySignVerifier: PaySignVerifier = (params: PaySignCheck, merchant) =>
  (params.signType === 'MD5' || params.signType === 'HMAC-SHA256') &&
  verifyV2Sign(
    {
      appId: params.appid,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      timeStamp: params.timeStamp,
      sign: params.paySign,
    },
    merchant.apiKey,
    params.signType,
  );

/** paySign for v3 orders: RSA-SHA256 over `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant's key. */
export const v3PaySignVerifier: PaySignVerifier = (params: PaySignCheck, merchant) => {
  if (merchant.merchantPublicKey === undefined) return false;
  try {
    return verifyV3PaySign(params, merchant.merchantPublicKey);
  } catch {
    return false;
  }
};

export function requestPayment(ctx: SandboxContext, input: RequestPaymentInput): CashierAnswer {
  const prefix = 'prepay_id=';
  if (!input.package.startsWith(prefix)) return fail('package参数格式错误');
  if (!/^\d{1,13}$/.test(input.timeStamp)) return fail('timeStamp参数格式错误');
  const found = ctx.store.orderByPrepayId(input.package.slice(prefix.length));
  if (found === undefined) return fail('prepay_id不存在');
  const order = ctx.orders.refresh(found);
  // Partner orders: paySign is made with the provider's key, for the paying mini program (order.appid: sub_appid
  // when the order named one, else the provider's appid).
  const merchant = signingMerchantOf(ctx.store, order);
  if (merchant === undefined) return fail('商户不存在');
  const appid = input.appid ?? input.appId ?? order.appid;
  if (appid !== order.appid || (input.appId !== undefined && input.appId !== order.appid)) return fail('appid和订单不匹配');
  // v2 orders are paid with a v2 paySign (MD5/HMAC-SHA256); v3 orders with RSA.
  const expectedFamily = order.protocol === 'v3' ? ['RSA'] : ['MD5', 'HMAC-SHA256'];
  const verifier = ctx.paySignVerifiers.get(input.signType);
  if (!expectedFamily.includes(input.signType) || verifier === undefined) return fail('签名类型错误');
  const check: PaySignCheck = {
    appid,
    timeStamp: input.timeStamp,
    nonceStr: input.nonceStr,
    package: input.package,
    signType: input.signType,
    paySign: input.paySign,
  };
  if (!verifier(check, merchant, order)) return fail('支付验证签名失败');
  if (input.openid !== order.openid) return fail('该订单不属于当前用户');
  if (order.state === 'SUCCESS' || order.state === 'REFUND') return fail('该订单已支付');
  if (order.state === 'CLOSED') return fail('该订单已关闭');
  if (ctx.clock.now() >= order.prepayExpiresAt) return fail('prepay_id已过期');
  if (input.action === 'cancel') return fail('cancel');
  if (input.action === 'fail') {
    order.lastPaymentError = '余额不足';
    ctx.store.commit();
    return fail('余额不足');
  }
  ctx.orders.markPaid(order);
  return ok;
}
