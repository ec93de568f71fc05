import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WxPayValidationError } from '@wxpay-kit/wechat';
import { checkSubscribeMessageData } from '@wxpay-kit/wechat/miniprogram';
import { z } from 'zod';
import { answerWithFaults, type Answer } from '../api-faults.js';
import type { SandboxContext } from '../context.js';
import { newLoginCode, randomDigits } from '../state/ids.js';
import type { PhoneCodeRecord, SentSubscribeMessage, SubscriptionRecord } from '../state/types.js';
import { checkAccessToken } from './login.js';

/**
 * Subscribe messages and the phone number, both sides:
 * - WeChat's APIs: `POST /cgi-bin/message/subscribe/send` (40003 unknown openid, 40037 bad template id, 47003 bad
 *   data — checked by the SDK's own template rules —, 43101 when the user has no acceptance left: one accept, one
 *   send) and `POST /wxa/business/getuserphonenumber` (40029 for a code that is unknown, used, older than 5 minutes,
 *   another mini program's, or another user's when `openid` is given).
 * - The user's phone (control API): `POST /sandbox/wx/requestSubscribeMessage` (accept or reject per template, as
 *   wx.requestSubscribeMessage answers), `POST /sandbox/wx/getPhoneNumber` (the `<button open-type="getPhoneNumber">`
 *   event's code), and `GET /sandbox/messages` to see what was sent, refused and exchanged.
 */

export const PHONE_CODE_TTL_MS = 5 * 60 * 1000;
/** Sends kept for inspection; older ones are dropped so a long-running sandbox does not grow without bound. */
const MAX_MESSAGES_KEPT = 5000;
const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,128}$/;

const bodySchema = z.record(z.string(), z.unknown());

function json(body: Record<string, unknown>): Answer {
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

function wxError(errcode: number, errmsg: string): Answer {
  return json({ errcode, errmsg: `${errmsg} rid: ${randomUUID().slice(0, 23)}` });
}

const templateIdSchema = z.string().regex(TEMPLATE_ID);
const choiceSchema = z.enum(['accept', 'reject']);
const requestSubscribeSchema = z
  .object({
    appid: z.string().min(1).max(32),
    openid: z.string().min(1).max(128),
    tmplIds: z.array(templateIdSchema).min(1).max(5),
    /** One choice for all templates, or one per template (missing ones: accept). Default accept. */
    choice: z.union([choiceSchema, z.record(z.string(), choiceSchema)]).optional(),
  })
  .strict();
const getPhoneNumberSchema = z
  .object({
    appid: z.string().min(1).max(32),
    openid: z.string().min(1).max(128),
    action: z.enum(['allow', 'deny']).optional(),
    /** Digits without the country code; default a stable number made from the openid. */
    purePhoneNumber: z.string().regex(/^[0-9]{5,15}$/).optional(),
    countryCode: z.string().regex(/^[0-9]{1,4}$/).optional(),
  })
  .strict();
const messagesFilterSchema = z.object({ appid: z.string().optional(), openid: z.string().optional() }).strict();

function subscriptionKey(appid: string, openid: string, templateId: string): string {
  return `${appid}\n${openid}\n${templateId}`;
}

/** A stable mainland mobile number for a sandbox user: 138 and eight digits of a hash of the openid. */
function defaultPhone(openid: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(openid).digest('hex').slice(0, 12)}`) % 100_000_000n;
  return `138${digits.toString().padStart(8, '0')}`;
}

function badRequest(reply: FastifyReply, error: z.ZodError): FastifyReply {
  return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: z.prettifyError(error) } });
}

function unknownUser(ctx: SandboxContext, reply: FastifyReply, appid: string, openid: string): FastifyReply | undefined {
  if (ctx.store.merchantByAppid(appid) === undefined) {
    return reply.code(404).send({ error: { code: 'UNKNOWN_APPID', message: 'no mini program with this appid' } });
  }
  if (!ctx.store.isKnownOpenid(appid, openid)) {
    return reply.code(404).send({ error: { code: 'UNKNOWN_USER', message: 'no user with this openid in this mini program (log in first: POST /sandbox/wx/login)' } });
  }
  return undefined;
}

export function registerMessageRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const wechat = (path: string, handle: (appid: string, body: Record<string, unknown>) => Answer): void => {
    app.post(path, (request: FastifyRequest, reply) =>
      answerWithFaults(ctx, request, reply, {}, () => wxError(-1, 'system error'), () => {
        const token = (request.query as Record<string, unknown> | undefined)?.access_token;
        if (typeof token !== 'string' || token === '') return wxError(41001, 'access_token missing');
        const checked = checkAccessToken(ctx, token);
        if (!checked.ok) return wxError(checked.errcode, checked.errmsg);
        const parsed = bodySchema.safeParse(request.body instanceof Uint8Array ? undefined : request.body);
        if (!parsed.success) return wxError(47001, 'data format error');
        return handle(checked.appid, parsed.data);
      }),
    );
  };

  const record = (message: SentSubscribeMessage): void => {
    const list = ctx.store.data.subscribeMessages ?? [];
    list.push(message);
    if (list.length > MAX_MESSAGES_KEPT) list.splice(0, list.length - MAX_MESSAGES_KEPT);
    ctx.store.data.subscribeMessages = list;
  };

  wechat('/cgi-bin/message/subscribe/send', (appid, body) => {
    const { touser, template_id: templateId, page, data } = body;
    if (typeof touser !== 'string' || !ctx.store.isKnownOpenid(appid, touser)) return wxError(40003, 'invalid openid');
    if (typeof templateId !== 'string' || !TEMPLATE_ID.test(templateId)) return wxError(40037, 'invalid template_id');
    if (page !== undefined && (typeof page !== 'string' || page.length > 1024)) return wxError(47001, 'data format error');
    if (body.miniprogram_state !== undefined && !['developer', 'trial', 'formal'].includes(String(body.miniprogram_state))) {
      return wxError(47001, 'data format error');
    }
    if (body.lang !== undefined && !['zh_CN', 'en_US', 'zh_HK', 'zh_TW'].includes(String(body.lang))) return wxError(47001, 'data format error');
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return wxError(47003, 'argument invalid! data is empty');
    const values: Record<string, string> = {};
    for (const [key, item] of Object.entries(data)) {
      const value = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).value : undefined;
      if (typeof value !== 'string') return wxError(47003, `argument invalid! data.${key}.value is emtpy`);
      values[key] = value;
    }
    try {
      checkSubscribeMessageData(values);
    } catch (error) {
      if (!(error instanceof WxPayValidationError)) throw error;
      return wxError(47003, `argument invalid! ${error.field ?? 'data'}.value invalid`);
    }
    const now = ctx.clock.now();
    const message: SentSubscribeMessage = {
      appid,
      touser,
      templateId,
      data: values,
      at: now,
      errcode: 0,
      ...(page === undefined ? {} : { page: page as string }),
      ...(body.miniprogram_state === undefined ? {} : { miniprogramState: String(body.miniprogram_state) }),
      ...(body.lang === undefined ? {} : { lang: String(body.lang) }),
    };
    const subscription = ctx.store.data.subscriptions?.[subscriptionKey(appid, touser, templateId)];
    if (subscription === undefined || subscription.remaining <= 0) {
      record({ ...message, errcode: 43101 });
      ctx.store.commit();
      return wxError(43101, 'user refuse to accept the msg');
    }
    subscription.remaining -= 1;
    subscription.updatedAt = now;
    // WeChat's msgid exceeds 2^53: written into the JSON as a bare number, as WeChat does.
    const msgid = `19${randomDigits(17)}`;
    record({ ...message, msgid });
    ctx.store.commit();
    return { status: 200, contentType: 'application/json; charset=utf-8', body: `{"errcode":0,"errmsg":"ok","msgid":${msgid}}` };
  });

  wechat('/wxa/business/getuserphonenumber', (appid, body) => {
    const now = ctx.clock.now();
    const code = body.code;
    const found = typeof code === 'string' ? ctx.store.data.phoneCodes?.[code] : undefined;
    if (found === undefined || found.appid !== appid || found.usedAt !== undefined || now - found.issuedAt >= PHONE_CODE_TTL_MS) {
      return wxError(40029, 'invalid code');
    }
    // With `openid`, WeChat checks the code is that user's; which errcode a mismatch gives is UNCONFIRMED (40029 here).
    if (body.openid !== undefined && body.openid !== found.openid) return wxError(40029, 'invalid code');
    found.usedAt = now;
    ctx.store.commit();
    return json({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: found.phoneNumber,
        purePhoneNumber: found.purePhoneNumber,
        // A number, as in WeChat's sample (its table says string).
        countryCode: Number(found.countryCode),
        watermark: { timestamp: Math.floor(now / 1000), appid },
      },
    });
  });

  // wx.requestSubscribeMessage: the user accepts or rejects each template. Each accept allows one send (one-time
  // subscription); a reject withdraws what was left.
  app.post('/sandbox/wx/requestSubscribeMessage', async (request, reply) => {
    const parsed = requestSubscribeSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { appid, openid, tmplIds, choice } = parsed.data;
    const refused = unknownUser(ctx, reply, appid, openid);
    if (refused !== undefined) return refused;
    const now = ctx.clock.now();
    const subscriptions: Record<string, SubscriptionRecord> = { ...(ctx.store.data.subscriptions ?? {}) };
    const answer: Record<string, string> = { errMsg: 'requestSubscribeMessage:ok' };
    for (const templateId of tmplIds) {
      const picked = typeof choice === 'string' ? choice : (choice?.[templateId] ?? 'accept');
      const key = subscriptionKey(appid, openid, templateId);
      const before = subscriptions[key]?.remaining ?? 0;
      subscriptions[key] = { appid, openid, templateId, choice: picked, remaining: picked === 'accept' ? before + 1 : 0, updatedAt: now };
      answer[templateId] = picked;
    }
    ctx.store.data.subscriptions = subscriptions;
    ctx.store.commit();
    return answer;
  });

  // <button open-type="getPhoneNumber">: the user allows (a code for getuserphonenumber) or denies.
  app.post('/sandbox/wx/getPhoneNumber', async (request, reply) => {
    const parsed = getPhoneNumberSchema.safeParse(request.body);
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { appid, openid } = parsed.data;
    const refused = unknownUser(ctx, reply, appid, openid);
    if (refused !== undefined) return refused;
    if (parsed.data.action === 'deny') return { errMsg: 'getPhoneNumber:fail user deny' };
    const now = ctx.clock.now();
    const codes: Record<string, PhoneCodeRecord> = {};
    // Forget codes that can no longer be exchanged, so the state does not grow with every tap.
    for (const [k, c] of Object.entries(ctx.store.data.phoneCodes ?? {})) if (now - c.issuedAt < PHONE_CODE_TTL_MS || c.usedAt !== undefined) codes[k] = c;
    const countryCode = parsed.data.countryCode ?? '86';
    const purePhoneNumber = parsed.data.purePhoneNumber ?? defaultPhone(openid);
    const code = newLoginCode();
    codes[code] = {
      code,
      appid,
      openid,
      purePhoneNumber,
      countryCode,
      // With the country code for numbers outside mainland China.
      phoneNumber: countryCode === '86' ? purePhoneNumber : `+${countryCode} ${purePhoneNumber}`,
      issuedAt: now,
    };
    ctx.store.data.phoneCodes = codes;
    ctx.store.commit();
    return { errMsg: 'getPhoneNumber:ok', code };
  });

  app.get('/sandbox/messages', async (request, reply) => {
    const parsed = messagesFilterSchema.safeParse(request.query ?? {});
    if (!parsed.success) return badRequest(reply, parsed.error);
    const { appid, openid } = parsed.data;
    const mine = (a: string, o: string): boolean => (appid === undefined || a === appid) && (openid === undefined || o === openid);
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    return {
      messages: (ctx.store.data.subscribeMessages ?? []).filter((m) => mine(m.appid, m.touser)).map((m) => ({ ...m, at: iso(m.at) })),
      subscriptions: Object.values(ctx.store.data.subscriptions ?? {})
        .filter((s) => mine(s.appid, s.openid))
        .map((s) => ({ ...s, updatedAt: iso(s.updatedAt) })),
      phoneNumbers: Object.values(ctx.store.data.phoneCodes ?? {})
        .filter((p) => mine(p.appid, p.openid))
        .map(({ code: _code, ...p }) => ({ ...p, issuedAt: iso(p.issuedAt), usedAt: iso(p.usedAt) })),
    };
  });
}
