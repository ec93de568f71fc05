import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { answerWithFaults, type Answer } from '../api-faults.js';
import type { SandboxContext } from '../context.js';
import { newAccessToken, newSessionKey } from '../state/ids.js';
import type { AccessTokenRecord, SandboxMerchant } from '../state/types.js';

/**
 * WeChat's login and access-token APIs (api.weixin.qq.com), with WeChat's errcodes:
 * - jscode2session: codes are single-use and live 5 minutes (40029 invalid, 40163 used).
 * - cgi-bin/token: each call issues a new token; the previous one keeps working for a 5-minute grace period.
 * - cgi-bin/stable_token: isolated from cgi-bin/token; the same token while it has more than 5 minutes left, a new
 *   one (old still valid until its own expiry) in the last 5 minutes; force_refresh invalidates at once, at most
 *   20 times a day and not within 30 s of the previous force.
 * - cgi-bin/getcallbackip: a cheap call that accepts a token, so callers can see which tokens are valid.
 */

export const LOGIN_CODE_TTL_MS = 5 * 60 * 1000;
export const ACCESS_TOKEN_TTL_S = 7200;
export const TOKEN_GRACE_MS = 5 * 60 * 1000;
const FORCE_REFRESH_MIN_INTERVAL_MS = 30_000;
const FORCE_REFRESH_PER_DAY = 20;

function json(body: Record<string, unknown>): Answer {
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

/** WeChat appends a request id to errmsg. */
function wxError(errcode: number, errmsg: string): Answer {
  return json({ errcode, errmsg: `${errmsg} rid: ${randomUUID().slice(0, 23)}` });
}

const systemError = (): Answer => wxError(-1, 'system error');

function query(request: FastifyRequest): Record<string, string> {
  const q = request.query as Record<string, unknown> | undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

type Credentials = { ok: true; merchant: SandboxMerchant } | { ok: false; answer: Answer };

/** appid + secret as cgi-bin/token checks them. */
function checkCredentials(ctx: SandboxContext, appid: string | undefined, secret: string | undefined, secretErr: Answer): Credentials {
  if (appid === undefined || appid === '') return { ok: false, answer: wxError(41002, 'appid missing') };
  if (secret === undefined || secret === '') return { ok: false, answer: wxError(41004, 'appsecret missing') };
  const merchant = ctx.store.merchantByAppid(appid);
  if (merchant === undefined) return { ok: false, answer: wxError(40013, 'invalid appid') };
  if (merchant.secret !== secret) return { ok: false, answer: secretErr };
  return { ok: true, merchant };
}

function tokenAnswer(record: AccessTokenRecord, now: number): Answer {
  return json({ access_token: record.token, expires_in: Math.max(0, Math.floor((record.expiresAt - now) / 1000)) });
}

/** Whether a token from either API is currently accepted, and if not, which errcode WeChat would give. */
export function checkAccessToken(ctx: SandboxContext, token: string): { ok: true; appid: string } | { ok: false; errcode: number; errmsg: string } {
  const now = ctx.clock.now();
  const pools: [string, AccessTokenRecord[]][] = [
    ...Object.entries(ctx.store.data.accessTokens),
    ...Object.entries(ctx.store.data.stableTokens).map(([appid, s]): [string, AccessTokenRecord[]] => [appid, s.tokens]),
  ];
  for (const [appid, tokens] of pools) {
    const record = tokens.find((t) => t.token === token);
    if (record === undefined) continue;
    if (now >= record.expiresAt) return { ok: false, errcode: 42001, errmsg: 'access_token expired' };
    if (record.graceUntil !== undefined && now >= record.graceUntil) {
      return { ok: false, errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' };
    }
    return { ok: true, appid };
  }
  return { ok: false, errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' };
}

export function registerLoginRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/sns/jscode2session', (request, reply) => {
    const q = query(request);
    return answerWithFaults(ctx, request, reply, {}, systemError, () => {
      if (q.appid === undefined || q.appid === '') return wxError(41002, 'appid missing');
      if (q.secret === undefined || q.secret === '') return wxError(41004, 'appsecret missing');
      if (q.js_code === undefined || q.js_code === '') return wxError(41008, 'missing code');
      if (q.grant_type !== 'authorization_code') return wxError(40002, 'invalid grant_type');
      const merchant = ctx.store.merchantByAppid(q.appid);
      if (merchant === undefined) return wxError(40013, 'invalid appid');
      if (merchant.secret !== q.secret) return wxError(40125, 'invalid appsecret');
      const code = ctx.store.data.codes[q.js_code];
      const now = ctx.clock.now();
      if (code === undefined || code.appid !== q.appid || now - code.issuedAt >= LOGIN_CODE_TTL_MS) {
        return wxError(40029, 'invalid code');
      }
      if (code.used) return wxError(40163, 'code been used');
      code.used = true;
      const sessionKey = newSessionKey();
      ctx.store.setSessionKey(q.appid, code.openid, sessionKey);
      ctx.store.commit();
      return json({ session_key: sessionKey, openid: code.openid });
    });
  });

  app.get('/cgi-bin/token', (request, reply) => {
    const q = query(request);
    return answerWithFaults(ctx, request, reply, {}, systemError, () => {
      if (q.grant_type !== 'client_credential') return wxError(40002, 'invalid grant_type');
      const creds = checkCredentials(ctx, q.appid, q.secret, wxError(40001, 'invalid credential, access_token is invalid or not latest'));
      if (!creds.ok) return creds.answer;
      const now = ctx.clock.now();
      const appid = creds.merchant.appid;
      const tokens = ctx.store.data.accessTokens[appid] ?? [];
      // The previous token survives for the grace period; older ones are already past theirs.
      for (const t of tokens) if (t.graceUntil === undefined) t.graceUntil = now + TOKEN_GRACE_MS;
      const record: AccessTokenRecord = { token: newAccessToken(), issuedAt: now, expiresAt: now + ACCESS_TOKEN_TTL_S * 1000 };
      ctx.store.data.accessTokens[appid] = [...tokens.filter((t) => (t.graceUntil ?? Infinity) > now && t.expiresAt > now), record];
      ctx.store.commit();
      return tokenAnswer(record, now);
    });
  });

  app.post('/cgi-bin/stable_token', (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null && !(request.body instanceof Uint8Array)
      ? request.body
      : undefined) as Record<string, unknown> | undefined;
    return answerWithFaults(ctx, request, reply, {}, systemError, () => {
      if (body === undefined) return wxError(47001, 'data format error');
      if (body.grant_type !== 'client_credential') return wxError(40002, 'invalid grant_type');
      const appid = typeof body.appid === 'string' ? body.appid : undefined;
      const secret = typeof body.secret === 'string' ? body.secret : undefined;
      if (body.force_refresh !== undefined && typeof body.force_refresh !== 'boolean') {
        return wxError(40097, 'invalid args');
      }
      const creds = checkCredentials(ctx, appid, secret, wxError(40125, 'invalid appsecret'));
      if (!creds.ok) return creds.answer;
      const now = ctx.clock.now();
      const id = creds.merchant.appid;
      const state = ctx.store.data.stableTokens[id] ?? { tokens: [], forceRefreshTimes: [] };
      ctx.store.data.stableTokens[id] = state;
      state.tokens = state.tokens.filter((t) => t.expiresAt > now && (t.graceUntil ?? Infinity) > now);
      const current = state.tokens[state.tokens.length - 1];
      const issue = (): AccessTokenRecord => {
        const record: AccessTokenRecord = { token: newAccessToken(), issuedAt: now, expiresAt: now + ACCESS_TOKEN_TTL_S * 1000 };
        state.tokens.push(record);
        return record;
      };
      if (body.force_refresh === true) {
        const lastForce = state.forceRefreshTimes[state.forceRefreshTimes.length - 1];
        // Within 30 s of the previous force, WeChat does not refresh again: the current token comes back.
        if (current !== undefined && lastForce !== undefined && now - lastForce < FORCE_REFRESH_MIN_INTERVAL_MS) {
          return tokenAnswer(current, now);
        }
        state.forceRefreshTimes = state.forceRefreshTimes.filter((t) => now - t < 24 * 3600 * 1000);
        if (state.forceRefreshTimes.length >= FORCE_REFRESH_PER_DAY) return wxError(45009, 'reach max api daily quota limit');
        state.forceRefreshTimes.push(now);
        // A forced refresh invalidates the old token at once.
        for (const t of state.tokens) t.graceUntil = now;
        state.tokens = [];
        const record = issue();
        ctx.store.commit();
        return tokenAnswer(record, now);
      }
      if (current !== undefined && current.expiresAt - now > TOKEN_GRACE_MS) return tokenAnswer(current, now);
      // In the last 5 minutes a new token is issued; the old one stays valid until it expires.
      const record = issue();
      ctx.store.commit();
      return tokenAnswer(record, now);
    });
  });

  app.get('/cgi-bin/getcallbackip', (request, reply) => {
    const q = query(request);
    return answerWithFaults(ctx, request, reply, {}, systemError, () => {
      if (q.access_token === undefined || q.access_token === '') return wxError(41001, 'access_token missing');
      const check = checkAccessToken(ctx, q.access_token);
      if (!check.ok) return wxError(check.errcode, check.errmsg);
      return json({ ip_list: ['127.0.0.1'] });
    });
  });
}
