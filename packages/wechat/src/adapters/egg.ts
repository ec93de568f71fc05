// @wxpay-kit/wechat/egg: the notification handler for an egg controller or router.
import type { NotifyHandler } from '../notify/handler.js';
import { koaStyleNotify, type KoaContextLike } from './koa-glue.js';

export type { NotifyHandler } from '../notify/handler.js';
export type { KoaContextLike as EggContextLike } from './koa-glue.js';
export { createNotifyHandler } from '../notify/handler.js';

const FIX =
  "egg's own bodyParser keeps ctx.request.rawBody; a custom body-parsing middleware must keep it too or skip the notify " +
  'path (config.bodyParser.ignore does that for the built-in one, and then the stream is read here)';

/**
 * `router.post('/wxpay/notify', eggNotify(handler))`, or `await eggNotify(handler)(this.ctx)` in a controller.
 * WeChat sends no CSRF token: exempt the path, e.g. `config.security = { csrf: { ignore: '/wxpay/notify' } }`.
 */
export function eggNotify(handler: NotifyHandler): (ctx: KoaContextLike, next?: () => Promise<unknown>) => Promise<void> {
  return koaStyleNotify(handler, FIX);
}
