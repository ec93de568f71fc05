import { readFileSync } from 'node:fs';

export type ShopConfig = {
  port: number;
  publicUrl: string;
  appid: string;
  secret: string;
  mchid: string;
  apiV3Key: string;
  certSerial: string;
  privateKey: string;
  publicKeyId: string;
  publicKey: string;
  wechatApiBase: string | undefined;
  payApiBase: string | undefined;
};

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** A PEM inline (WXPAY_PRIVATE_KEY) or from a file (WXPAY_PRIVATE_KEY_PATH). */
function pem(env: Env, name: string): string {
  const inline = env[name];
  if (inline) return inline;
  return readFileSync(required(env, `${name}_PATH`), 'utf8');
}

/** Configuration from the environment, with the same names as the wxpay-kit server. */
export function loadConfig(env: Env = process.env): ShopConfig {
  return {
    port: Number(env.PORT ?? 3000),
    publicUrl: env.PUBLIC_URL ?? '',
    appid: required(env, 'WECHAT_APPID'),
    secret: required(env, 'WECHAT_SECRET'),
    mchid: required(env, 'WXPAY_MCHID'),
    apiV3Key: required(env, 'WXPAY_APIV3_KEY'),
    certSerial: required(env, 'WXPAY_CERT_SERIAL'),
    privateKey: pem(env, 'WXPAY_PRIVATE_KEY'),
    publicKeyId: required(env, 'WXPAY_PUBLIC_KEY_ID'),
    publicKey: pem(env, 'WXPAY_PUBLIC_KEY'),
    wechatApiBase: env.WECHAT_API_BASE || undefined,
    payApiBase: env.WXPAY_API_BASE || undefined,
  };
}
