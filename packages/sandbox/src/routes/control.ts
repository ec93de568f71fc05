import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requestPayment, requestPaymentSchema } from '../cashier.js';
import type { SandboxContext } from '../context.js';
import { faultBodySchema } from '../faults.js';
import { newLoginCode, newTransactionId, openidFor } from '../state/ids.js';
import type { CombinedPayment, DeliveryAttempt, SandboxOrder } from '../state/types.js';
import { messagePushSchema } from '../message-push.js';
import { confirmReceipt, isPaid, orderState } from '../trade.js';
import { keyModeOf, PLATFORM_PUBLIC_MATERIAL } from '../v3-platform.js';
import { serialsFor } from '../v3-wire.js';
import { LOGIN_CODE_TTL_MS } from './login.js';
import { addMerchantSchema, createMerchant, merchantView } from '../partner.js';

/**
 * The sandbox's own API under /sandbox: it stands in for the WeChat client (login, the cashier), moves the virtual
 * clock, injects faults and shows what happened. Not part of WeChat; never point a production backend at it.
 */

const loginSchema = z.object({ appid: z.string().min(1).max(32), user: z.string().min(1).max(64).optional() }).strict();
const advanceSchema = z.object({ seconds: z.number().min(0).max(366 * 24 * 3600) }).strict();
const confirmReceiveSchema = z.union([
  z.object({ openid: z.string().min(1).max(128), transactionId: z.string().min(1).max(64) }).strict(),
  z.object({ openid: z.string().min(1).max(128), outTradeNo: z.string().min(1).max(32), mchid: z.string().min(1).max(32).optional() }).strict(),
]);
const messagePushBodySchema = z.object({ appid: z.string().min(1).max(32), messagePush: messagePushSchema.nullable() }).strict();
const combinedPaymentSchema = z
  .object({
    mchid: z.string().min(1).max(32),
    combineOutTradeNo: z.string().regex(/^[0-9A-Za-z_\-|*]{6,32}$/),
    /** The paid orders (of this merchant, one payer, one mini program) the 合单 payment covers: 2-10, as for direct merchants. */
    outTradeNos: z.array(z.string().min(1).max(32)).min(2).max(10),
  })
  .strict();
const filterSchema = z.object({ mchid: z.string().optional(), outTradeNo: z.string().optional() }).strict();

/** The default user of `POST /sandbox/wx/login` when none is named. */
export const DEFAULT_USER = 'sandbox-user';

function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: z.prettifyError(error) } });
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function orderView(ctx: SandboxContext, o: SandboxOrder): Record<string, unknown> {
  return {
    protocol: o.protocol,
    appid: o.appid,
    mchid: o.mchid,
    // Partner orders: mchid is the sub-merchant's, appid the paying mini program's; the provider is here.
    ...(o.partner === undefined ? {} : { partner: o.partner }),
    outTradeNo: o.outTradeNo,
    description: o.description,
    attach: o.attach,
    totalFee: o.totalFee,
    tradeType: o.tradeType,
    openid: o.openid,
    notifyUrl: o.notifyUrl,
    signType: o.signType,
    state: o.state,
    prepayId: o.prepayId,
    prepayExpiresAt: iso(o.prepayExpiresAt),
    createdAt: iso(o.createdAt),
    expiresAt: iso(o.expiresAt),
    transactionId: o.transactionId,
    paidAt: iso(o.paidAt),
    bankType: o.bankType,
    closedAt: iso(o.closedAt),
    refundedFee: o.refundedFee,
    lastPaymentError: o.lastPaymentError,
    // 发货信息管理, paid orders only: WeChat's order_state (1-6) and what was shipped (null before the first upload).
    ...(isPaid(o) ? { orderState: orderState(ctx, o), shipping: shippingView(o), specialOrder: specialOrderView(o) } : {}),
    refunds: ctx.store.refundsOf(o.mchid, o.outTradeNo).map((r) => ({
      outRefundNo: r.outRefundNo,
      refundId: r.refundId,
      refundFee: r.refundFee,
      status: r.status,
      createdAt: iso(r.createdAt),
      successAt: iso(r.successAt),
      notifyUrl: r.notifyUrl,
    })),
  };
}

function shippingView(o: SandboxOrder): Record<string, unknown> | null {
  const t = o.trade;
  if (t === undefined) return null;
  return {
    logisticsType: t.logisticsType,
    deliveryMode: t.deliveryMode,
    finishShipping: t.finishShipping,
    finishShippingCount: t.finishShipping ? (t.reshipped ? 2 : 1) : 0,
    reshipped: t.reshipped,
    packages: t.packages.map((p) => ({ ...p, uploadTime: iso(p.uploadTime) })),
    lastUploadTime: iso(t.lastUploadTime),
    shippedAt: iso(t.shippedAt),
    confirmedAt: iso(t.confirmedAt),
    confirmReceiveMethod: t.confirmReceiveMethod,
    settledAt: iso(t.settledAt),
    reminded: t.reminded,
  };
}

/** opspecialorder's report, or null. */
function specialOrderView(o: SandboxOrder): Record<string, unknown> | null {
  const s = o.specialOrder;
  return s === undefined ? null : { type: s.type === 1 ? 'presale' : 'test', delayTo: iso(s.delayTo), reportedAt: iso(s.reportedAt) };
}

function attemptView(a: DeliveryAttempt): Record<string, unknown> {
  return { ...a, at: iso(a.at), atMs: a.at };
}

export function registerControlRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  // Credentials included: it is a sandbox. v3: each merchant's key mode and the serials it will see (platform
  // certificate and/or WeChat Pay public key); `wechatpay` holds WeChat's public material to configure a verifier.
  app.get('/sandbox/merchants', async () => ({
    merchants: ctx.store.merchants().map((m) => merchantView(m, keyModeOf(m), serialsFor(m))),
    wechatpay: PLATFORM_PUBLIC_MATERIAL,
  }));

  // Add a direct merchant, a 服务商 (provider), or a sub-merchant of a provider bound to a mini program. Answers the
  // new merchant exactly as GET /sandbox/merchants lists it (credentials included: it is a sandbox).
  app.post('/sandbox/merchants', async (request, reply) => {
    const parsed = addMerchantSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const created = createMerchant(ctx.store, parsed.data);
    if (!created.ok) return reply.code(created.status).send({ error: { code: created.code, message: created.message } });
    ctx.store.addMerchant(created.merchant);
    const m = created.merchant;
    return reply.code(201).send(merchantView(m, keyModeOf(m), serialsFor(m)));
  });

  app.post('/sandbox/wx/login', async (request, reply) => {
    const parsed = loginSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { appid } = parsed.data;
    if (ctx.store.merchantByAppid(appid) === undefined) {
      return reply.code(404).send({ error: { code: 'UNKNOWN_APPID', message: 'no mini program with this appid' } });
    }
    const user = parsed.data.user ?? DEFAULT_USER;
    let openid = ctx.store.userOpenid(appid, user);
    if (openid === undefined) {
      openid = openidFor(appid, user);
      ctx.store.setUserOpenid(appid, user, openid);
    }
    const now = ctx.clock.now();
    // Forget codes that can no longer be exchanged, so the state does not grow with every login.
    for (const [k, c] of Object.entries(ctx.store.data.codes)) {
      if (now - c.issuedAt >= LOGIN_CODE_TTL_MS) delete ctx.store.data.codes[k];
    }
    const code = newLoginCode();
    ctx.store.data.codes[code] = { code, appid, openid, issuedAt: now, used: false };
    ctx.store.commit();
    return { code, openid };
  });

  app.post('/sandbox/wx/requestPayment', async (request, reply) => {
    const parsed = requestPaymentSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    return requestPayment(ctx, parsed.data);
  });

  // The buyer presses 确认收货 in the confirm-receipt component (wx.openBusinessView weappOrderConfirm): answers the
  // errMsg the mini program sees, and `extraData` as navigateBackMiniProgram hands it to App.onShow.
  app.post('/sandbox/wx/confirmReceive', async (request, reply) => {
    const parsed = confirmReceiveSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const input = parsed.data;
    const order = 'transactionId' in input
      ? ctx.store.orders().find((o) => o.transactionId === input.transactionId)
      : ctx.store.orders().find((o) => o.outTradeNo === input.outTradeNo && (input.mchid === undefined || o.mchid === input.mchid) && isPaid(o));
    const reqExtraData = 'transactionId' in input
      ? { transaction_id: input.transactionId }
      : { merchant_id: order?.mchid ?? input.mchid ?? '', merchant_trade_no: input.outTradeNo };
    if (order === undefined || !isPaid(order)) {
      return { errMsg: 'openBusinessView:fail order not found', extraData: { status: 'fail', errormsg: 'order not found', req_extradata: reqExtraData } };
    }
    const result = confirmReceipt(ctx, order, input.openid);
    if (result.ok) return { errMsg: 'openBusinessView:ok', extraData: { status: 'success', req_extradata: reqExtraData } };
    return { errMsg: `openBusinessView:fail ${result.reason}`, extraData: { status: result.status, errormsg: result.reason, req_extradata: reqExtraData } };
  });

  // A 合单 payment over orders that were paid one by one (the sandbox has no /v3/combine-transactions): what
  // upload_combined_shipping_info addresses, by mchid + combineOutTradeNo or the combineTransactionId answered here.
  app.post('/sandbox/combinedPayments', async (request, reply) => {
    const parsed = combinedPaymentSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { mchid, combineOutTradeNo, outTradeNos } = parsed.data;
    const conflict = (message: string) => reply.code(409).send({ error: { code: 'CONFLICT', message } });
    if (new Set(outTradeNos).size !== outTradeNos.length) return conflict('an order is named twice');
    const orders = outTradeNos.map((no) => ctx.store.order(mchid, no));
    if (orders.some((o) => o === undefined || !isPaid(o))) return conflict('every order must be a paid order of this merchant');
    const paid = orders as SandboxOrder[];
    const first = paid[0] as SandboxOrder;
    if (paid.some((o) => o.openid !== first.openid || o.appid !== first.appid)) return conflict('the orders must have one payer in one mini program');
    const key = `${mchid}\n${combineOutTradeNo}`;
    const all = ctx.store.data.combinedPayments ?? {};
    if (all[key] !== undefined) return conflict('combineOutTradeNo is used');
    const taken = new Set(Object.values(all).flatMap((c) => c.subOrders.map((s) => `${s.mchid}\n${s.outTradeNo}`)));
    if (outTradeNos.some((no) => taken.has(`${mchid}\n${no}`))) return conflict('an order already belongs to a combined payment');
    const combined: CombinedPayment = {
      appid: first.appid,
      mchid,
      combineOutTradeNo,
      combineTransactionId: newTransactionId(),
      openid: first.openid,
      subOrders: outTradeNos.map((outTradeNo) => ({ mchid, outTradeNo })),
      createdAt: ctx.clock.now(),
    };
    ctx.store.data.combinedPayments = { ...all, [key]: combined };
    ctx.store.commit();
    return reply.code(201).send({ ...combined, createdAt: iso(combined.createdAt) });
  });

  // 消息推送配置 of a mini program (null removes it). Pushes go through the notifier: see GET /sandbox/notifications.
  app.put('/sandbox/messagePush', async (request, reply) => {
    const parsed = messagePushBodySchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { appid, messagePush } = parsed.data;
    if (ctx.store.merchantByAppid(appid) === undefined) {
      return reply.code(404).send({ error: { code: 'UNKNOWN_APPID', message: 'no mini program with this appid' } });
    }
    const configs = { ...(ctx.store.data.messagePush ?? {}) };
    if (messagePush === null) delete configs[appid];
    else configs[appid] = messagePush;
    ctx.store.data.messagePush = configs;
    ctx.store.commit();
    return { appid, messagePush };
  });

  app.get('/sandbox/clock', async () => ({ now: iso(ctx.clock.now()), nowMs: ctx.clock.now(), timeScale: ctx.clock.timeScale, pendingTasks: ctx.clock.pending }));

  app.post('/sandbox/clock/advance', async (request, reply) => {
    const parsed = advanceSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    await ctx.clock.advance(parsed.data.seconds);
    // Remember the new virtual time even if nothing else changed, so a restart does not move time back.
    ctx.store.commit();
    return { now: iso(ctx.clock.now()), nowMs: ctx.clock.now() };
  });

  app.get('/sandbox/faults', async () => ({ faults: ctx.faults.list() }));

  app.post('/sandbox/faults', async (request, reply) => {
    const parsed = faultBodySchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    return reply.code(201).send({ fault: ctx.faults.add(parsed.data) });
  });

  app.delete('/sandbox/faults', async () => {
    ctx.faults.clear();
    return { faults: [] };
  });

  app.get('/sandbox/orders', async (request, reply) => {
    const parsed = filterSchema.safeParse(request.query ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { mchid, outTradeNo } = parsed.data;
    const orders = ctx.store
      .orders()
      .filter((o) => (mchid === undefined || o.mchid === mchid) && (outTradeNo === undefined || o.outTradeNo === outTradeNo))
      .map((o) => ctx.orders.refresh(o))
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((o) => orderView(ctx, o));
    return { orders };
  });

  app.get('/sandbox/notifications', async (request, reply) => {
    const parsed = filterSchema.safeParse(request.query ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { mchid, outTradeNo } = parsed.data;
    const attemptsByJob = new Map<string, DeliveryAttempt[]>();
    for (const a of ctx.store.attempts()) {
      const list = attemptsByJob.get(a.jobId) ?? [];
      list.push(a);
      attemptsByJob.set(a.jobId, list);
    }
    const notifications = ctx.store
      .jobs()
      .filter((j) => (mchid === undefined || j.mchid === mchid) && (outTradeNo === undefined || j.outTradeNo === outTradeNo))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((j) => ({
        id: j.id,
        protocol: j.protocol,
        kind: j.kind,
        mchid: j.mchid,
        outTradeNo: j.outTradeNo,
        outRefundNo: j.outRefundNo,
        url: j.url,
        status: j.status,
        createdAt: iso(j.createdAt),
        nextAttemptAt: iso(j.nextAt),
        attempts: (attemptsByJob.get(j.id) ?? []).map(attemptView),
      }));
    return { notifications };
  });
}
