// @wxpay-kit/wechat/nestjs: the notification handler for a NestJS controller (Express or Fastify platform).
import type { NotifyHandler, NotifyReply } from '../notify/handler.js';
import { answer, captureRawBody, sendNodeReply, type NodeRequestLike, type NodeResponseLike } from '../notify/raw-body.js';

export type { NotifyHandler } from '../notify/handler.js';
export { createNotifyHandler } from '../notify/handler.js';

/** `@Req()` on either platform: Express's request (a node request) or Fastify's (`raw` is the node request). */
export type NestRequestLike = (NodeRequestLike & { rawBody?: unknown }) | { raw: NodeRequestLike; rawBody?: unknown; headers: NodeRequestLike['headers'] };

/** `@Res()` on either platform: Express's response, or Fastify's reply. */
export type NestResponseLike =
  | NodeResponseLike
  | { code(status: number): unknown; header(name: string, value: string): unknown; send(body?: string): unknown };

const FIX = 'create the app with NestFactory.create(AppModule, { rawBody: true }) so NestJS keeps req.rawBody';

function isFastifyReply(res: NestResponseLike): res is Extract<NestResponseLike, { code(status: number): unknown }> {
  return typeof (res as { code?: unknown }).code === 'function' && typeof (res as { send?: unknown }).send === 'function';
}

function send(res: NestResponseLike, reply: NotifyReply, closeConnection: boolean): void {
  if (isFastifyReply(res)) {
    res.code(reply.status);
    for (const [name, value] of Object.entries(reply.headers)) res.header(name, value);
    if (closeConnection) res.header('Connection', 'close');
    res.send(reply.body);
    return;
  }
  sendNodeReply(res, reply, closeConnection);
}

/**
 * For a controller method that takes `@Req()` and `@Res()` (so Nest leaves the answer to us):
 * `@Post('wxpay/notify') notify(@Req() req, @Res() res) { return this.notify(req, res); }` with
 * `this.notify = nestNotify(handler)`. Create the app with `{ rawBody: true }`.
 */
export function nestNotify(handler: NotifyHandler): (req: NestRequestLike, res: NestResponseLike) => Promise<void> {
  return async (req, res) => {
    const node = 'raw' in req ? req.raw : req;
    const captured = await captureRawBody(node, [req.rawBody], handler.maxBodyBytes);
    const reply = await answer(handler, node.headers, captured, FIX);
    send(res, reply, !captured.ok && captured.reason === 'too_large');
  };
}
