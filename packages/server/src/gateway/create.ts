/** Picks the PaymentGateway and LoginGateway for the configured API version. */
import { readFileSync } from 'node:fs';
import type { V2ClientCert } from '@wxpay-kit/wechat';
import type { AppConfig, MerchantConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { LoginGateway, PaymentGateway } from '../ports/gateway.js';
import { WeChatLoginGateway } from './login.js';
import { V2Gateway } from './v2-gateway.js';

function readFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new ConfigError(variable, `cannot read ${path}`);
  }
}

/** The v2 client certificate (refunds only): PEM pair or p12 whose password is the mch_id, as WeChat issues it. */
function clientCert(merchant: MerchantConfig): V2ClientCert | undefined {
  if (merchant.clientP12Path !== undefined) return { pfx: readFile('WXPAY_CLIENT_P12_PATH', merchant.clientP12Path) };
  if (merchant.clientCertPath !== undefined && merchant.clientKeyPath !== undefined) {
    return { cert: readFile('WXPAY_CLIENT_CERT_PATH', merchant.clientCertPath), key: readFile('WXPAY_CLIENT_KEY_PATH', merchant.clientKeyPath) };
  }
  return undefined;
}

export type GatewayExtras = {
  clientCert?: V2ClientCert | undefined;
  clock?: () => number;
  /** How the SDK waits between its own retries (tests pass one that does not sleep). */
  sleep?: (ms: number) => Promise<void>;
};

export function createGateways(config: AppConfig, merchant: MerchantConfig, extras: GatewayExtras = {}): { gateway: PaymentGateway; login: LoginGateway } {
  const login = new WeChatLoginGateway({ appid: merchant.appid, secret: merchant.secret, baseUrl: config.wechatApiBase });
  if (config.apiVersion === 'v3') {
    throw new ConfigError('WXPAY_API_VERSION', 'v3 is not yet supported by the server in this build; use v2');
  }
  if (merchant.apiKey === undefined) throw new ConfigError('WXPAY_KEY', 'is required for WXPAY_API_VERSION=v2');
  const gateway = new V2Gateway({
    appid: merchant.appid,
    mchid: merchant.mchid,
    apiKey: merchant.apiKey,
    baseUrl: config.wxpayApiBase,
    clientCert: extras.clientCert ?? clientCert(merchant),
    ...(extras.clock === undefined ? {} : { clock: extras.clock }),
    ...(extras.sleep === undefined ? {} : { sleep: extras.sleep }),
  });
  return { gateway, login };
}
