/**
 * WeChat's notification endpoints. They live in their own scope with a raw-bytes body parser for every content type:
 * v3 signatures are over the exact bytes, and v2 XML must reach the strict parser untouched.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
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
  app.post('/wxpay/notify/payment', { bodyLimit, schema }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return send(reply, await services.notifications.handlePayment({ headers: request.headers, body, source: request.ip }));
  });
  app.post('/wxpay/notify/refund', { bodyLimit, schema: { ...schema, summary: 'WeChat Pay refund notification' } }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return send(reply, await services.notifications.handleRefund({ headers: request.headers, body, source: request.ip }));
  });
}
