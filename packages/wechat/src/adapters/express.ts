// @wxpay-kit/wechat/express: the notification handler as an Express 4 or 5 route handler.
import type { NotifyHandler } from '../notify/handler.js';
import { answer, captureRawBody, sendNodeReply, type NodeRequestLike, type NodeResponseLike } from '../notify/raw-body.js';

export type { NotifyHandler } from '../notify/handler.js';
export { createNotifyHandler } from '../notify/handler.js';

/** An Express request, structurally: node's request plus what body parsers leave on it. */
export type ExpressRequestLike = NodeRequestLike & { body?: unknown; rawBody?: unknown };

const FIX =
  'register the notify route before app.use(express.json()/express.text()/express.urlencoded()), ' +
  'or keep the raw bytes with express.json({ verify: keepRawBody }) (keepRawBody from @wxpay-kit/wechat/express)';

/**
 * `app.post('/wxpay/notify', expressNotify(handler))`. The raw bytes come from, in order: `req.rawBody` (kept by a
 * parser's `verify`, or NestJS's `rawBody: true`), a Buffer `req.body` (express.raw), a string `req.body`
 * (express.text), or the untouched stream. A body that a parser consumed without a copy fails closed with 500.
 */
export function expressNotify(
  handler: NotifyHandler,
): (req: ExpressRequestLike, res: NodeResponseLike, next?: (error?: unknown) => void) => Promise<void> {
  return async (req, res) => {
    const body = req.body;
    const copies = [req.rawBody, Buffer.isBuffer(body) || typeof body === 'string' ? body : undefined];
    const captured = await captureRawBody(req, copies, handler.maxBodyBytes);
    const reply = await answer(handler, req.headers, captured, FIX);
    sendNodeReply(res, reply, !captured.ok && captured.reason === 'too_large');
  };
}

/** For a global `express.json({ verify: keepRawBody })` (or urlencoded/text): keeps the exact bytes as `req.rawBody`. */
export function keepRawBody(req: object, _res: unknown, buf: Buffer): void {
  (req as { rawBody?: Buffer }).rawBody = buf;
}
