/** Picks the PaymentGateway and LoginGateway for the configured API version. */
import { readFileSync } from 'node:fs';
import type { V2ClientCert } from '@wxpay-kit/wechat';
import type { AppConfig, MerchantConfig } from '../config.js';
import { ConfigError } from '../config.js';
import type { LoginGateway, PaymentGateway } from '../ports/gateway.js';
import { WeChatLoginGateway } from './login.js';
import { V2Gateway } from './v2-gateway.js';
import { V3Gateway } from './v3-gateway.js';

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
  if (config.apiVersion === 'v3') return { gateway: v3Gateway(config, merchant, extras), login };
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

/** The v3 key material the configuration names (files read), and how answers are verified: the gateway and doctor. */
export type V3Material = {
  apiV3Key: string;
  certSerial: string;
  privateKey: string | Buffer;
  publicKey: { id: string; key: string | Buffer } | undefined;
  platformCertificates: boolean;
};

export function v3Material(merchant: MerchantConfig): V3Material {
  const required = (value: string | undefined, variable: string): string => {
    if (value === undefined) throw new ConfigError(variable, 'is required for WXPAY_API_VERSION=v3');
    return value;
  };
  const apiV3Key = required(merchant.apiV3Key, 'WXPAY_APIV3_KEY');
  const certSerial = required(merchant.certSerial, 'WXPAY_CERT_SERIAL');
  const privateKey = merchant.privateKeyPem ?? readFile('WXPAY_PRIVATE_KEY_PATH', required(merchant.privateKeyPath, 'WXPAY_PRIVATE_KEY_PATH'));
  let publicKey: { id: string; key: string | Buffer } | undefined;
  if (merchant.publicKeyId !== undefined) {
    const key = merchant.publicKeyPem ?? readFile('WXPAY_PUBLIC_KEY_PATH', required(merchant.publicKeyPath, 'WXPAY_PUBLIC_KEY_PATH'));
    publicKey = { id: merchant.publicKeyId, key };
  }
  const platformCertificates = merchant.platformCertificates ?? publicKey === undefined;
  if (!platformCertificates && publicKey === undefined) {
    throw new ConfigError('WXPAY_PUBLIC_KEY_PATH', 'v3 needs WXPAY_PUBLIC_KEY_PATH + WXPAY_PUBLIC_KEY_ID or platform certificates');
  }
  return { apiV3Key, certSerial, privateKey, publicKey, platformCertificates };
}

/**
 * API v3: the merchant key by path (live) or in memory (sandbox mode), the verifier by mode — public key
 * (`PUB_KEY_ID_…`), platform certificates, or both (migration). A bad PEM fails here, at start-up.
 */
function v3Gateway(config: AppConfig, merchant: MerchantConfig, extras: GatewayExtras): PaymentGateway {
  const { apiV3Key, certSerial, privateKey, publicKey, platformCertificates } = v3Material(merchant);
  try {
    return new V3Gateway({
      appid: merchant.appid,
      mchid: merchant.mchid,
      apiV3Key,
      privateKey,
      certSerial,
      publicKey,
      platformCertificates,
      baseUrl: config.wxpayApiBase,
      ...(extras.clock === undefined ? {} : { clock: extras.clock }),
      ...(extras.sleep === undefined ? {} : { sleep: extras.sleep }),
    });
  } catch (error) {
    // The SDK names its own field (privateKey, apiV3Key, …); say which variable that is.
    const field = (error as { field?: string }).field;
    const variable = field === 'apiV3Key' ? 'WXPAY_APIV3_KEY' : field === 'publicKey' ? 'WXPAY_PUBLIC_KEY_PATH' : field === 'serialNo' ? 'WXPAY_CERT_SERIAL' : 'WXPAY_PRIVATE_KEY_PATH';
    throw new ConfigError(variable, error instanceof Error ? error.message : 'invalid v3 key material');
  }
}
