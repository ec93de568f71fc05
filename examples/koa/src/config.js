import { readFileSync } from 'node:fs';

// Configuration from the environment, with the same names as the wxpay-kit server. A PEM may be given inline
// (WXPAY_PRIVATE_KEY, WXPAY_PUBLIC_KEY) or as a path (…_PATH).
function pem(env, name) {
  if (env[name]) return env[name];
  if (env[`${name}_PATH`]) return readFileSync(env[`${name}_PATH`], 'utf8');
  throw new Error(`${name} or ${name}_PATH is required`);
}

function required(env, name) {
  if (!env[name]) throw new Error(`${name} is required`);
  return env[name];
}

export function loadConfig(env = process.env) {
  return {
    port: Number(env.PORT || 3000),
    publicUrl: env.PUBLIC_URL || '',
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
