// @wxpay-kit/wechat/fastify: the notification handler as an encapsulated Fastify plugin.
import type { NotifyHandler, NotifyReply } from '../notify/handler.js';
import type { NodeRequestLike } from '../notify/raw-body.js';

export type { NotifyHandler } from '../notify/handler.js';
export { createNotifyHandler } from '../notify/handler.js';

/** The part of a Fastify reply used here. */
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body?: string): unknown;
}

/** The part of a Fastify instance used here (method syntax keeps the check structural and lenient). */
export interface FastifyInstanceLike {
  removeAllContentTypeParsers(): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit: number },
    parser: (request: unknown, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => void,
  ): unknown;
  setErrorHandler(handler: (error: { code?: string; statusCode?: number }, request: unknown, reply: FastifyReplyLike) => unknown): unknown;
  post(
    path: string,
    options: { bodyLimit: number },
    handler: (request: { headers: NodeRequestLike['headers']; body: unknown }, reply: FastifyReplyLike) => Promise<unknown>,
  ): unknown;
}

function send(reply: FastifyReplyLike, answer: NotifyReply, closeConnection = false): unknown {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  if (closeConnection) reply.header('Connection', 'close');
  return reply.send(answer.body);
}

/**
 * `app.register(fastifyNotify(handler, { path: '/wxpay/notify' }))`. The plugin is encapsulated: inside it every
 * content type is read as raw bytes (with the handler's limit), whatever parsers the rest of the app installed.
 */
export function fastifyNotify(handler: NotifyHandler, options: { path: string }): (instance: FastifyInstanceLike) => Promise<void> {
  const bodyLimit = handler.maxBodyBytes;
  return async (instance) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
    // Fastify refuses an oversized or unreadable body before the route: answer in WeChat's format all the same.
    instance.setErrorHandler((error, _request, reply) =>
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? send(reply, handler.refuse('too_large'), true)
        : send(reply, handler.refuse('unreadable')),
    );
    instance.post(options.path, { bodyLimit }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return send(reply, await handler.handle({ headers: request.headers, body }));
    });
  };
}
