import { createApiCaller, type MiniProgramClientOptions } from './api.js';
import { createPhoneNumberApi, type PhoneNumberApi } from './phone.js';
import { createShippingApi, type ShippingApi } from './shipping.js';
import { createSubscribeMessageApi, type SubscribeMessageApi } from './subscribe.js';

/** The server-side mini-program APIs that come after the payment, sharing one access-token manager. */
export type MiniProgramClient = {
  /** 发货信息管理 (order shipping information). */
  shipping: ShippingApi;
  /** subscribeMessage.send. */
  subscribeMessage: SubscribeMessageApi;
  /** getuserphonenumber (phone number by code). */
  phoneNumber: PhoneNumberApi;
};

export function createMiniProgramClient(options: MiniProgramClientOptions): MiniProgramClient {
  const api = createApiCaller(options);
  return { shipping: createShippingApi(api), subscribeMessage: createSubscribeMessageApi(api), phoneNumber: createPhoneNumberApi(api) };
}
