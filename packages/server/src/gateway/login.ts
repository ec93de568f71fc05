/** LoginGateway over packages/wechat's code2Session: a bad code is the user's problem (401), the rest is ours (503). */
import { WxPayApiError, createLoginClient } from '@wxpay-kit/wechat';
import type { LoginClient } from '@wxpay-kit/wechat';
import { LoginRejectedError } from '../ports/gateway.js';
import type { LoginGateway, LoginResult } from '../ports/gateway.js';
import { toGatewayError } from './errors.js';

/** errcodes that mean "this code will never work": invalid, used, or a blocked user. */
const REJECTED = new Set(['40029', '40163', '40226']);

export class WeChatLoginGateway implements LoginGateway {
  private readonly client: LoginClient;

  constructor(options: { appid: string; secret: string; baseUrl?: string | undefined; client?: LoginClient }) {
    this.client = options.client ?? createLoginClient({ appid: options.appid, secret: options.secret, ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }) });
  }

  async code2Session(code: string): Promise<LoginResult> {
    try {
      return await this.client.code2Session(code);
    } catch (error) {
      if (error instanceof WxPayApiError && error.code !== undefined && REJECTED.has(error.code)) {
        throw new LoginRejectedError(error.code, 'login code rejected by WeChat');
      }
      if (error instanceof Error && error.name === 'WxPayValidationError') throw new LoginRejectedError('invalid_code', 'not a wx.login() code');
      throw toGatewayError(error, 'code2Session');
    }
  }
}
