// Public surface of @wxpay-kit/wechat: re-exports only.
export * from './errors.js';
export * from './v2/index.js';
export * from './v3/index.js';
export * from './login/index.js';
export type { WxPayRequestOptions } from './transport/options.js';
