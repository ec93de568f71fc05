// @wxpay-kit/wechat/node: the notification handler on a plain node:http server.
import type { NotifyHandler } from '../notify/handler.js';
import { answer, captureRawBody, sendNodeReply, type NodeRequestLike, type NodeResponseLike } from '../notify/raw-body.js';

export type { NotifyHandler } from '../notify/handler.js';
export { createNotifyHandler } from '../notify/handler.js';

const FIX = 'pass the request to the notification handler before anything reads its body';

/**
 * `(req, res) => Promise<void>` for `http.createServer` (or any router handing over node's req/res). Reads the
 * body itself, with the handler's size limit, and answers only after your `onNotice` resolved.
 */
export function nodeNotify(handler: NotifyHandler): (req: NodeRequestLike, res: NodeResponseLike) => Promise<void> {
  return async (req, res) => {
    const captured = await captureRawBody(req, [(req as { rawBody?: unknown }).rawBody], handler.maxBodyBytes);
    const reply = await answer(handler, req.headers, captured, FIX);
    sendNodeReply(res, reply, !captured.ok && captured.reason === 'too_large');
  };
}
