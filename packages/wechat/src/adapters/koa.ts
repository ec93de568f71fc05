// @wxpay-kit/wechat/koa: the notification handler as Koa middleware.
import type { NotifyHandler } from '../notify/handler.js';
import { koaStyleNotify, type KoaContextLike } from './koa-glue.js';

export type { NotifyHandler } from '../notify/handler.js';
export type { KoaContextLike } from './koa-glue.js';
export { createNotifyHandler } from '../notify/handler.js';

const FIX =
  'mount the notify route before your body parser, or use @koa/bodyparser or koa-bodyparser, which keep ctx.request.rawBody';

/** `router.post('/wxpay/notify', koaNotify(handler))`: terminal middleware, it answers WeChat itself. */
export function koaNotify(handler: NotifyHandler): (ctx: KoaContextLike, next?: () => Promise<unknown>) => Promise<void> {
  return koaStyleNotify(handler, FIX);
}
