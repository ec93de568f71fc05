/**
 * The mini program's 消息推送 URL: GET answers WeChat's URL check (echostr when `signature` holds), POST takes pushes in
 * plain or safe mode, JSON or XML. Verification and decryption are the SDK's receiver (createMessagePushReceiver);
 * only a verified push reaches the shipping service, so a forged or altered one changes nothing. The format is read
 * from the body (XML starts with `<`), so the console may use either.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createMessagePushReceiver } from '@wxpay-kit/wechat/miniprogram';
import type { MessagePushReceiver, PushMessage, PushResponse } from '@wxpay-kit/wechat/miniprogram';
import type { ShippingService } from '../../domain/shipping-service.js';
import type { Services } from '../services.js';

const BODY_LIMIT = 64 * 1024;
const seconds = (value: number | undefined): number | undefined => (value === undefined || value <= 0 ? undefined : value * 1000);

/** The one place a verified push becomes a fulfilment change. */
async function applyPush(shipping: ShippingService, message: PushMessage, log: FastifyInstance['log']): Promise<void> {
  switch (message.type) {
    case 'trade_manage_order_settlement':
      await shipping.applySettlement({
        merchantId: message.merchantId,
        outTradeNo: message.merchantTradeNo,
        transactionId: message.transactionId,
        confirmReceiveTime: seconds(message.confirmReceiveTime),
        settlementTime: seconds(message.settlementTime),
      });
      return;
    case 'trade_manage_remind_shipping':
      await shipping.remind(message.type, message.merchantTradeNo);
      return;
    case 'trade_manage_remind_access_api':
      await shipping.remind(message.type, undefined);
      return;
    default:
      log.info({ type: message.type }, 'message push received; nothing to do for this type');
  }
}

function send(reply: FastifyReply, answer: PushResponse): FastifyReply {
  return reply.status(answer.status).headers(answer.headers).send(answer.body);
}

export async function wechatMessageRoutes(app: FastifyInstance, opts: { services: Services; shipping: ShippingService }): Promise<void> {
  const { services, shipping } = opts;
  const push = services.config.messagePush;
  const appid = services.gateway.appid;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
  if (push === undefined) return;

  const receiver = (format: 'json' | 'xml'): MessagePushReceiver =>
    createMessagePushReceiver({
      token: push.token,
      appid,
      encodingAesKey: push.aesKey,
      format,
      clock: () => services.clock.now(),
      maxBodyBytes: BODY_LIMIT,
      onMessage: (message) => applyPush(shipping, message, app.log),
    });
  const receivers = { json: receiver('json'), xml: receiver('xml') };

  const schema = { tags: ['wechat'], summary: 'WeChat message push (消息推送): URL check (GET) and pushes (POST)' };
  app.get('/wechat/message', { schema }, async (request, reply) => {
    const answer = await receivers.json.handle({ method: 'GET', query: request.query as Record<string, string> });
    if (answer.status !== 200) request.log.warn('message push URL check refused: bad signature');
    return send(reply, answer);
  });
  app.post('/wechat/message', { schema, bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const format = body.toString('utf8', 0, Math.min(body.length, 64)).trimStart().startsWith('<') ? 'xml' : 'json';
    const answer = await receivers[format].handle({ method: 'POST', query: request.query as Record<string, string>, body });
    // Never the query or body: signatures and ciphertext are not secrets, but the log need not carry them either.
    if (answer.status >= 400) request.log.warn({ status: answer.status }, 'message push refused');
    return send(reply, answer);
  });
}
