// wxpay-kit's own implementations of each micro operation, through the package's public entry point, set up the way
// its README recommends (keys parsed once: a signer, a verifier, a notification handler).
import {
  buildV2PayParams, buildV3PayParams, buildXml, createV3NotificationHandler, createV3Signer, decryptV2RefundReqInfo,
  parseV2PaymentNotification, parseXml, PublicKeyVerifier, signV2,
} from '@wxpay-kit/wechat';
import type { Fixtures } from './fixtures.js';
import type { Fields, PayParams, V3NotificationHeaders } from './bare.js';

export function makeOurs(fx: Fixtures) {
  const signer = createV3Signer({ mchid: fx.mchid, serialNo: fx.merchantSerial, privateKey: fx.merchant.privatePem });
  // The fixture notification is signed at fx.timeStamp: the handler's clock is pinned there so the freshness check
  // (5 minutes) passes — the same check runs, it just sees a fixed "now".
  const notifications = createV3NotificationHandler({
    verifier: new PublicKeyVerifier(fx.platformSerial, fx.platform.publicPem),
    apiV3Key: fx.apiV3Key,
    clock: () => Number(fx.timeStamp) * 1000,
  });
  return {
    signRequest: (signType: 'MD5' | 'HMAC-SHA256') => (params: Record<string, string | number>): string =>
      buildXml({ ...params, sign: signV2(params, fx.apiKey, signType) }),
    // The full typed parse (size limit, strict XML, signature, field types); compared by the fields it verified.
    notification: (xml: string): Fields => ({ ...parseV2PaymentNotification(xml, { apiKey: fx.apiKey }).raw }),
    payParams: (prepayId: string, signType: 'MD5' | 'HMAC-SHA256'): PayParams =>
      buildV2PayParams({ appid: fx.appid, prepayId, apiKey: fx.apiKey, signType, nonceStr: fx.nonceStr, timeStamp: fx.timeStamp }),
    reqInfo: (reqInfo: string): Fields => parseXml(decryptV2RefundReqInfo(reqInfo, fx.apiKey), { root: 'root' }),
    authorization: (r: Fixtures['v3Request']): string =>
      signer.authorization({ method: r.method, url: r.url, body: r.body, timestamp: Number(r.timestamp), nonce: r.nonce }),
    v3Notification: async (n: { headers: V3NotificationHeaders; body: string }): Promise<unknown> => {
      const event = await notifications.parse({
        'wechatpay-timestamp': n.headers.timestamp,
        'wechatpay-nonce': n.headers.nonce,
        'wechatpay-serial': n.headers.serial,
        'wechatpay-signature': n.headers.signature,
      }, n.body);
      if (event.kind !== 'transaction') throw new Error(`unexpected ${event.kind}`);
      return event.transaction;
    },
    v3PayParams: (prepayId: string): PayParams =>
      buildV3PayParams({ appid: fx.appid, prepayId, signer, timeStamp: fx.timeStamp, nonceStr: fx.nonceStr }),
  };
}
