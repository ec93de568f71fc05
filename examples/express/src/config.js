// Configuration from the environment, with the same names as the wxpay-kit server.
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
    mchId: required(env, 'WXPAY_MCHID'),
    apiKey: required(env, 'WXPAY_KEY'),
    wechatApiBase: env.WECHAT_API_BASE || undefined,
    payApiBase: env.WXPAY_API_BASE || undefined,
  };
}
