// @wxpay-kit/wechat/notify: the framework-free notification handler. Framework glue lives in ./node, ./express,
// ./koa, ./egg, ./fastify and ./nestjs; each only captures the raw bytes and maps request and reply.
export {
  createNotifyHandler,
  DEFAULT_NOTIFY_MAX_BYTES,
  type NotifyHandler,
  type NotifyOptions,
  type V2NotifyOptions,
  type V3NotifyOptions,
  type Notice,
  type V2Notice,
  type V3Notice,
  type NotifyProblem,
  type NotifyRefusal,
  type NotifyReply,
  type NotifyHeaders,
  type RawNotifyRequest,
} from './handler.js';
export type { NodeRequestLike, NodeResponseLike } from './raw-body.js';
