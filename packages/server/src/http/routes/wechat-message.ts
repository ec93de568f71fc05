/**
 * The mini program's 消息推送 URL: GET answers WeChat's URL check (echostr when `signature` holds), POST takes pushes in
 * plain or safe mode, JSON or XML. Verification and decryption are the SDK's receiver (createMessagePushReceiver);
 * only a verified push reaches the shipping service, so a forged or altered one changes nothing. The format is read
 * from the body (XML starts with `<`), so the console may use either.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createMessagePushReceiver } from '@wxpay-kit/wechat/miniprogram';
import type { MessagePushReceiver, PushMessage, PushResponse } from '@wxpay-kit/wechat/miniprogram';
import type { MerchantShipping, ShippingService } from '../../domain/shipping-service.js';
import type { MerchantServices } from '../../merchants/registry.js';
import { AppError } from '../errors.js';
import type { Services } from '../services.js';

const BODY_LIMIT = 64 * 1024;
const seconds = (value: number | undefined): number | undefined => (value === undefined || value <= 0 ? undefined : value * 1000);

/** The one place a verified push becomes a fulfilment change: only for the merchant whose URL received it. */
async function applyPush(shipping: ShippingService, receiver: MerchantShipping, message: PushMessage, log: FastifyInstance['log']): Promise<void> {
  switch (message.type) {
    case 'trade_manage_order_settlement':
      await shipping.applySettlement({
        merchantId: message.merchantId,
        outTradeNo: message.merchantTradeNo,
        transactionId: message.transactionId,
        confirmReceiveTime: seconds(message.confirmReceiveTime),
        settlementTime: seconds(message.settlementTime),
      }, receiver);
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

/**
 * `/wechat/message` is the first merchant's mini program (the one-merchant setup); `/wechat/message/:merchantId` is
 * each other merchant's (ADR 0015): the URL says whose push it is, the receiver checks it with that mini program's
 * appid (safe mode), and only that merchant's orders can change. WECHAT_MESSAGE_TOKEN / _AES_KEY serve every mini
 * program (each console is configured with the same pair).
 */
export async function wechatMessageRoutes(app: FastifyInstance, opts: { services: Services; shipping: ShippingService }): Promise<void> {
  const { services, shipping } = opts;
  const push = services.config.messagePush;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
  if (push === undefined) return;

  type Receivers = { json: MessagePushReceiver; xml: MessagePushReceiver };
  const receiversOf = (merchant: MerchantServices): Receivers => {
    const receiver = (format: 'json' | 'xml'): MessagePushReceiver =>
      createMessagePushReceiver({
        token: push.token,
        appid: merchant.summary.appid,
        encodingAesKey: push.aesKey,
        format,
        clock: () => services.clock.now(),
        maxBodyBytes: BODY_LIMIT,
        onMessage: (message) => applyPush(shipping, merchant.shipping, message, app.log),
      });
    return { json: receiver('json'), xml: receiver('xml') };
  };
  // Built once per merchant and process, as the merchants' services are.
  const built = new Map<string, Receivers>();
  const receiversFor = async (merchantId: string): Promise<Receivers> => {
    const known = built.get(merchantId);
    if (known !== undefined) return known;
    const merchant = await services.merchants.get(merchantId);
    if (merchant === undefined) throw new AppError(404, 'not_found', 'no such merchant');
    const made = receiversOf(merchant);
    built.set(merchantId, made);
    return made;
  };

  const schema = { tags: ['wechat'], summary: 'WeChat message push (消息推送): URL check (GET) and pushes (POST)' };
  const merchantSchema = { ...schema, summary: `${schema.summary}, for the merchant of :merchantId` };
  const check = async (receivers: Receivers, query: unknown, log: FastifyInstance['log'], reply: FastifyReply) => {
    const answer = await receivers.json.handle({ method: 'GET', query: query as Record<string, string> });
    if (answer.status !== 200) log.warn('message push URL check refused: bad signature');
    return send(reply, answer);
  };
  const receive = async (receivers: Receivers, query: unknown, rawBody: unknown, log: FastifyInstance['log'], reply: FastifyReply) => {
    const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0);
    const format = body.toString('utf8', 0, Math.min(body.length, 64)).trimStart().startsWith('<') ? 'xml' : 'json';
    const answer = await receivers[format].handle({ method: 'POST', query: query as Record<string, string>, body });
    // Never the query or body: signatures and ciphertext are not secrets, but the log need not carry them either.
    if (answer.status >= 400) log.warn({ status: answer.status }, 'message push refused');
    return send(reply, answer);
  };
  const firstId = services.merchants.first.id;
  const idOf = (request: { params: unknown }): string => (request.params as { merchantId: string }).merchantId;
  app.get('/wechat/message', { schema }, async (request, reply) => check(await receiversFor(firstId), request.query, request.log, reply));
  app.post('/wechat/message', { schema, bodyLimit: BODY_LIMIT }, async (request, reply) => receive(await receiversFor(firstId), request.query, request.body, request.log, reply));
  app.get('/wechat/message/:merchantId', { schema: merchantSchema }, async (request, reply) => check(await receiversFor(idOf(request)), request.query, request.log, reply));
  app.post('/wechat/message/:merchantId', { schema: merchantSchema, bodyLimit: BODY_LIMIT }, async (request, reply) =>
    receive(await receiversFor(idOf(request)), request.query, request.body, request.log, reply));
}
