import { createApiCaller, type MiniProgramClientOptions } from './api.js';
import { createShippingApi, type ShippingApi } from './shipping.js';

/** The server-side mini-program APIs that come after the payment, sharing one access-token manager. */
export type MiniProgramClient = {
  /** 发货信息管理 (order shipping information). */
  shipping: ShippingApi;
};

export function createMiniProgramClient(options: MiniProgramClientOptions): MiniProgramClient {
  const api = createApiCaller(options);
  return { shipping: createShippingApi(api) };
}
