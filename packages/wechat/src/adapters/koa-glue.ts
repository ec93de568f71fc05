// Shared by the Koa and egg adapters (egg's context is Koa's).
import type { NotifyHandler, NotifyReply } from '../notify/handler.js';
import { answer, captureRawBody, type NodeRequestLike } from '../notify/raw-body.js';

/** A Koa (or egg) context, structurally. */
export interface KoaContextLike {
  req: NodeRequestLike;
  request: { rawBody?: unknown; body?: unknown };
  status: number;
  body: unknown;
  set(field: string, value: string): unknown;
}

function send(ctx: KoaContextLike, reply: NotifyReply, closeConnection: boolean): void {
  // Body before status: Koa resets an unset status when a body is assigned, never an explicit one.
  ctx.body = reply.body === '' ? null : reply.body;
  ctx.status = reply.status;
  for (const [name, value] of Object.entries(reply.headers)) ctx.set(name, value);
  if (closeConnection) ctx.set('Connection', 'close');
}

export function koaStyleNotify(handler: NotifyHandler, fixHint: string): (ctx: KoaContextLike, next?: () => Promise<unknown>) => Promise<void> {
  return async (ctx) => {
    // koa-bodyparser, @koa/bodyparser and egg's bodyParser keep the exact text they parsed as ctx.request.rawBody.
    const captured = await captureRawBody(ctx.req, [ctx.request.rawBody], handler.maxBodyBytes);
    const reply = await answer(handler, ctx.req.headers, captured, fixHint);
    send(ctx, reply, !captured.ok && captured.reason === 'too_large');
  };
}
