/**
 * WeChat's notification endpoints. They live in their own scope with a raw-bytes body parser for every content type:
 * v3 signatures are over the exact bytes, and v2 XML must reach the strict parser untouched.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { NotificationAnswer } from '../../ports/gateway.js';
import type { Services } from '../services.js';

function send(reply: FastifyReply, answer: NotificationAnswer): FastifyReply {
  return reply.status(answer.status).type(answer.contentType).send(answer.body);
}

export async function notifyRoutes(app: FastifyInstance, opts: { services: Services; bodyLimit: number }): Promise<void> {
  const { services, bodyLimit } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  // An oversized or unreadable body never reaches verification; WeChat gets its own failure format.
  app.setErrorHandler((error, request, reply) => {
    const code = (error as { code?: string }).code;
    const reason = code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'too_large' : 'malformed';
    // Counted like every refusal, never logged per request (a flood of oversized bodies must not fill the log either).
    services.notifications.refuseUnread(request.url.endsWith('/refund') ? 'refund' : 'payment', request.ip, reason);
    return send(reply, services.gateway.answer(false, reason));
  });

  const schema = { tags: ['wechat'], summary: 'WeChat Pay notification (raw XML for v2, JSON for v3)', hide: false };
  /**
   * The merchant a notification is for is the one its URL names (issue 16): verified with that merchant's keys only,
   * then checked against that merchant's appid / mchid / sub_mchid. The one-merchant paths are the first merchant's.
   */
  const handle = async (kind: 'payment' | 'refund', merchantId: string | undefined, request: FastifyRequest, reply: FastifyReply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const merchant = merchantId === undefined ? services.merchants.first : await services.merchants.get(merchantId);
    if (merchant === undefined) {
      services.notifications.refuseUnread(kind, request.ip, 'unknown_merchant');
      return reply.status(404).type('application/json').send(JSON.stringify({ code: 'FAIL', message: 'no such merchant' }));
    }
    const input = { headers: request.headers, body, source: request.ip };
    return send(reply, kind === 'payment' ? await merchant.notifications.handlePayment(input) : await merchant.notifications.handleRefund(input));
  };
  const params = z.strictObject({ merchantId: z.string().min(1).max(32).regex(/^[a-z0-9][a-z0-9_-]*$/) });
  app.post('/wxpay/notify/payment', { bodyLimit, schema }, async (request, reply) => handle('payment', undefined, request, reply));
  app.post('/wxpay/notify/refund', { bodyLimit, schema: { ...schema, summary: 'WeChat Pay refund notification' } }, async (request, reply) => handle('refund', undefined, request, reply));
  app.post<{ Params: z.infer<typeof params> }>('/wxpay/notify/:merchantId/payment', { bodyLimit, schema: { ...schema, summary: "One merchant's WeChat Pay notification", params } }, async (request, reply) =>
    handle('payment', request.params.merchantId, request, reply));
  app.post<{ Params: z.infer<typeof params> }>('/wxpay/notify/:merchantId/refund', { bodyLimit, schema: { ...schema, summary: "One merchant's WeChat Pay refund notification", params } }, async (request, reply) =>
    handle('refund', request.params.merchantId, request, reply));
}
